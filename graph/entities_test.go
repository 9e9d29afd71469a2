package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// watched is an API whose log lines and request outcomes a test can read.
type watched struct {
	*api
	mu       sync.Mutex
	log      bytes.Buffer
	outcomes []string
}

func (w *watched) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Write(p)
}

func (w *watched) ObserveOperation(_, outcome string, _ time.Duration, _ int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.outcomes = append(w.outcomes, outcome)
}

func (w *watched) ObserveRefusal(string) {}

// lastOutcome and errorLines read what the last requests left behind.
func (w *watched) lastOutcome() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.outcomes) == 0 {
		return ""
	}
	return w.outcomes[len(w.outcomes)-1]
}

func (w *watched) errorLines() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range strings.Split(w.log.String(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// mustWatchedAPI is MustAPIWith, the atlas included, with its log and outcomes kept.
func mustWatchedAPI(tb testing.TB, cfg server.Config) *watched {
	tb.Helper()
	w := &watched{}
	db := pgtest.MustOpen(tb)
	b, err := seed.Shipped()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := postgres.ApplyBundle(context.Background(), db.DB, b, seed.ShippedDigest(), "shipped"); err != nil {
		tb.Fatal(err)
	}
	cfg.GraphQL.Observer = w
	srv := server.New(db, cfg, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	tb.Cleanup(func() { srv.Close() })
	w.api = &api{db: db, handler: srv}
	MustInsertAtlas(tb, w.api)
	return w
}

func federated(tb testing.TB) *watched {
	cfg := server.DefaultConfig()
	cfg.GraphQL.Federation = true
	return mustWatchedAPI(tb, cfg)
}

const entitiesQuery = `query($r: [_Any!]!) { _entities(representations: $r) {
  __typename ... on City { name } ... on Official { name } ... on Institution { name } ... on Agreement { title }
  ... on Country { name cities(first: 5) { nodes { name } } } } }`

// TestEntitiesBatched: a full batch of representations of every key costs one statement
// per type and key (and one per nested page), not one per representation, and each
// comes back in its place.
func TestEntitiesBatched(t *testing.T) {
	t.Parallel()
	a := federated(t)
	var ids struct {
		City    struct{ ID string }
		Country struct{ ID string }
	}
	a.MustPost(t, `{ city(name: "Shenzhen") { id } country(code: "RU") { id } }`, nil).MustData(t, &ids)
	var want []string
	var reps []any
	add := func(rep map[string]any, name string) {
		reps = append(reps, rep)
		want = append(want, name)
	}
	for i := range 100 {
		switch i % 6 {
		case 0:
			add(map[string]any{"__typename": "Country", "code": []string{"CN", "ru", "XA", "ZZ"}[i%4]}, []string{"China", "Russian Federation", "Testland", "<nil>"}[i%4])
		case 1:
			add(map[string]any{"__typename": "Country", "id": ids.Country.ID}, "Russian Federation")
		case 2:
			add(map[string]any{"__typename": "City", "id": ids.City.ID}, "Shenzhen")
		case 3:
			add(map[string]any{"__typename": "City", "wikidataId": "Q900101"}, "Testville")
		case 4:
			add(map[string]any{"__typename": "City", "wikidataId": fmt.Sprintf("Q%d", 1000+i)}, "<nil>")
		case 5:
			add(map[string]any{"__typename": "Official", "wikidataId": fmt.Sprintf("Q%d", 2000+i)}, "<nil>")
		}
	}
	resp := a.MustPost(t, entitiesQuery, map[string]any{"r": reps})
	var got struct {
		Entities []map[string]any `json:"_entities"`
	}
	resp.MustData(t, &got)
	if len(got.Entities) != len(want) {
		t.Fatalf("%d entities for %d representations", len(got.Entities), len(want))
	}
	for i, e := range got.Entities {
		name := "<nil>"
		if e != nil {
			name = e["name"].(string)
		}
		if name != want[i] {
			t.Errorf("entity %d (%v): got %s, want %s", i, reps[i], name, want[i])
		}
	}
	// Country by code, Country by id, City by id, City by wikidataId, Official by
	// wikidataId, and the countries' cities: six statements at most.
	if resp.Statements > 6 {
		t.Errorf("100 representations ran %d SQL statements, want at most 6", resp.Statements)
	}
}

// TestEntitiesCapped: more representations than nodes(ids:) takes are refused before
// any work.
func TestEntitiesCapped(t *testing.T) {
	t.Parallel()
	a := federated(t)
	for _, n := range []int{101, 22000} {
		reps := make([]any, n)
		for i := range reps {
			reps[i] = map[string]any{"__typename": "Country", "code": "CN"}
		}
		resp := a.MustPost(t, entitiesQuery, map[string]any{"r": reps})
		if len(resp.Errors) != 1 || resp.Errors[0].code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != "representations" ||
			!strings.Contains(resp.Errors[0].Message, fmt.Sprintf("at most 100 representations at once, got %d", n)) {
			t.Errorf("%d representations: %.300s", n, resp.Raw)
		}
		if resp.Statements != 0 {
			t.Errorf("%d representations: %d SQL statements before the refusal", n, resp.Statements)
		}
	}
	// A literal list is held to the same cap.
	lit := strings.Repeat(`{__typename: "Country", code: "CN"} `, 101)
	resp := a.MustPost(t, `{ _entities(representations: [`+lit+`]) { __typename } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "BAD_USER_INPUT" || resp.Statements != 0 {
		t.Errorf("101 literal representations: %.300s", resp.Raw)
	}
}

// TestEntitiesMalformed: a representation a client got wrong is BAD_USER_INPUT naming
// it, refused before any work, never an internal error with an ERROR log line.
func TestEntitiesMalformed(t *testing.T) {
	t.Parallel()
	a := federated(t)
	for _, tc := range []struct {
		name  string
		rep   any
		field string
	}{
		{"unknown __typename", map[string]any{"__typename": "Planet", "id": "x"}, "representations[1].__typename"},
		{"missing __typename", map[string]any{"code": "CN"}, "representations[1].__typename"},
		{"__typename not a string", map[string]any{"__typename": 7, "code": "CN"}, "representations[1].__typename"},
		{"no key field", map[string]any{"__typename": "Country", "name": "China"}, "representations[1]"},
		{"null key field", map[string]any{"__typename": "Agreement", "id": nil}, "representations[1]"},
		{"object-valued id", map[string]any{"__typename": "City", "id": map[string]any{"a": 1}}, "representations[1].id"},
		{"list-valued code", map[string]any{"__typename": "Country", "code": []any{"CN"}}, "representations[1].code"},
		{"number as a String key", map[string]any{"__typename": "City", "wikidataId": 42}, "representations[1].wikidataId"},
		{"bad other key beside a good one", map[string]any{"__typename": "City", "id": "Q2l0eTo", "wikidataId": true}, "representations[1].wikidataId"},
		{"NUL in a key", map[string]any{"__typename": "Country", "code": "C\x00N"}, "representations[1].code"},
		{"not an object", "CN", "representations[1]"},
	} {
		reps := []any{map[string]any{"__typename": "Country", "code": "CN"}, tc.rep}
		resp := a.MustPost(t, entitiesQuery, map[string]any{"r": reps})
		if len(resp.Errors) != 1 || resp.Errors[0].code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %s, want BAD_USER_INPUT on %s", tc.name, resp.Raw, tc.field)
		}
		if resp.Statements != 0 {
			t.Errorf("%s: %d SQL statements", tc.name, resp.Statements)
		}
		if o := a.lastOutcome(); o != "invalid" {
			t.Errorf("%s: outcome %q, want invalid", tc.name, o)
		}
	}
	// A well-formed id that names another type fails its own representation only.
	var city struct{ City struct{ ID string } }
	a.MustPost(t, `{ city(name: "Shenzhen") { id } }`, nil).MustData(t, &city)
	resp := a.MustPost(t, entitiesQuery, map[string]any{"r": []any{
		map[string]any{"__typename": "Country", "id": city.City.ID},
		map[string]any{"__typename": "Country", "code": "CN"},
	}})
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "BAD_USER_INPUT" || !strings.Contains(string(resp.Data), `"name":"China"`) {
		t.Errorf("a City id as a Country: %s", resp.Raw)
	}
	if lines := a.errorLines(); lines != "" {
		t.Errorf("client mistakes logged as errors:\n%s", lines)
	}
}

// TestIntrospectionOff: with introspection off, asking for the schema is the client's
// refusal, INTROSPECTION_DISABLED, never an internal error.
func TestIntrospectionOff(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.GraphQL.Introspection = false
	cfg.GraphQL.Federation = true
	a := mustWatchedAPI(t, cfg)
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "City") { name } }`,
		`{ _service { sdl } }`,
		`{ cities(first: 1) { totalCount } ...F } fragment F on Query { __schema { types { name } } }`,
		`{ ... on Query { x: __type(name: "Query") { name } } }`,
	} {
		resp := a.MustPost(t, q, nil)
		if len(resp.Errors) != 1 || resp.Errors[0].code() != "INTROSPECTION_DISABLED" || resp.Data != nil {
			t.Errorf("%s: %s", q, resp.Raw)
		}
		if o := a.lastOutcome(); o != "invalid" {
			t.Errorf("%s: outcome %q, want invalid", q, o)
		}
	}
	// __typename is not introspection of the schema.
	if resp := a.MustPost(t, `{ __typename }`, nil); len(resp.Errors) != 0 {
		t.Errorf("__typename: %s", resp.Raw)
	}
	if lines := a.errorLines(); lines != "" {
		t.Errorf("refusals logged as errors:\n%s", lines)
	}

	// Without federation, _service stays FEDERATION_DISABLED.
	cfg.GraphQL.Federation = false
	b := mustWatchedAPI(t, cfg)
	if resp := b.MustPost(t, `{ _service { sdl } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].code() != "FEDERATION_DISABLED" {
		t.Errorf("_service, federation off: %s", resp.Raw)
	}
}
