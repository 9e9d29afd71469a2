package graph_test

import (
	"context"

	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// TestErrors sends malformed requests: each gets a clear error with a stable code,
// and none changes anything.
func TestErrors(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	before := a.MustTableCounts(t)
	unknownCity := knowledge.GlobalID(knowledge.TypeCity, uuid.New())
	tests := []struct {
		name      string
		query     string
		vars      map[string]any
		wantCode  string
		wantField string
	}{
		{"first above 100", `{ cities(first: 101) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"first below 0", `{ agreements(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"last above 100", `{ officials(last: 101) { totalCount } }`, nil, "BAD_USER_INPUT", "last"},
		{"nested first above 100", `{ city(name: "Shenzhen") { partnerships(first: 500) { totalCount } } }`, nil, "BAD_USER_INPUT", "first"},
		{"first and last", `{ cities(first: 1, last: 1) { totalCount } }`, nil, "BAD_USER_INPUT", "last"},
		{"bad cursor", `{ cities(after: "not-a-cursor") { totalCount } }`, nil, "BAD_USER_INPUT", "after"},
		{"empty nested cursor", `{ city(name: "Shenzhen") { agreements(after: "") { totalCount } } }`, nil, "BAD_USER_INPUT", "after"},
		{"cursor of another ordering", `query($c: String) { agreements(after: $c) { totalCount } }`,
			map[string]any{"c": "WyJTaGVuemhlbiIsIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd"}, "BAD_USER_INPUT", ""},
		{"malformed id", `{ node(id: "nonsense") { id } }`, nil, "BAD_USER_INPUT", "id"},
		{"id of another type", `query($id: ID!) { official(id: $id) { name } }`, map[string]any{"id": unknownCity}, "BAD_USER_INPUT", "id"},
		{"city by id and name", `query($id: ID) { city(id: $id, name: "Shenzhen") { name } }`, map[string]any{"id": unknownCity}, "BAD_USER_INPUT", "name"},
		{"city by neither", `{ city { name } }`, nil, "BAD_USER_INPUT", "id"},
		{"unknown enum value", `query($k: PartnershipKind) { city(name: "Shenzhen") { partnerships(kind: $k) { totalCount } } }`,
			map[string]any{"k": "ALLIANCE"}, "GRAPHQL_VALIDATION_FAILED", ""},
		{"syntax error", `{ cities { `, nil, "GRAPHQL_PARSE_FAILED", ""},
		{"unknown field", `{ cities { nodes { mayor } } }`, nil, "GRAPHQL_VALIDATION_FAILED", ""},
		{"SQL in a string", `{ city(name: "x'); DROP TABLE cities; --") { name } }`, nil, "", ""},
		{"too costly", `{ cities(first: 100) { nodes { partnerships(first: 100) { nodes { partner { agreements(first: 100) { nodes { title } } } } } } } }`,
			nil, "COMPLEXITY_LIMIT_EXCEEDED", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := a.MustPost(t, tt.query, tt.vars)
			if tt.wantCode == "" {
				if len(resp.Errors) > 0 {
					t.Fatalf("want no error, got %s", resp.Raw)
				}
				return
			}
			if len(resp.Errors) == 0 {
				t.Fatalf("want error %s, got %s", tt.wantCode, resp.Raw)
			}
			e := resp.Errors[0]
			if e.code() != tt.wantCode {
				t.Errorf("got code %q (%s), want %q", e.code(), e.Message, tt.wantCode)
			}
			if field, _ := e.Extensions["field"].(string); tt.wantField != "" && field != tt.wantField {
				t.Errorf("got field %q, want %q", field, tt.wantField)
			}
			if strings.Contains(strings.ToLower(e.Message), "sql") || strings.Contains(e.Message, "pq:") {
				t.Errorf("message leaks internals: %q", e.Message)
			}
		})
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("malformed requests changed the database (-before +after):\n%s", diff)
	}
}

// TestUnknownIDs reads null, not an error, for well-formed IDs that name nothing.
func TestUnknownIDs(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	vars := map[string]any{
		"city":        knowledge.GlobalID(knowledge.TypeCity, uuid.New()),
		"official":    knowledge.GlobalID(knowledge.TypeOfficial, uuid.New()),
		"agreement":   knowledge.GlobalID(knowledge.TypeAgreement, uuid.New()),
		"institution": knowledge.GlobalID(knowledge.TypeInstitution, uuid.New()),
		"source":      knowledge.GlobalID(knowledge.TypeSource, uuid.New()),
		"partnership": knowledge.GlobalID(knowledge.TypePartnership, uuid.New()),
	}
	const q = `query($city: ID!, $official: ID!, $agreement: ID!, $institution: ID!, $source: ID!, $partnership: ID!) {
  city(id: $city) { name }
  official(id: $official) { name }
  agreement(id: $agreement) { title }
  institution(id: $institution) { name }
  source(id: $source) { title }
  node(id: $partnership) { id }
  nodes(ids: [$city, $source]) { id }
  country(code: "ZZ") { name }
}`
	resp := a.MustPost(t, q, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("want no errors, got %s", resp.Raw)
	}
	want := `{"city":null,"official":null,"agreement":null,"institution":null,"source":null,"node":null,"nodes":[null,null],"country":null}`
	if diff := cmp.Diff(want, string(resp.Data)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNodeRoundTrip fetches every kind of object back through node(id).
func TestNodeRoundTrip(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	var data struct {
		City struct {
			ID           string
			Country      struct{ ID string }
			Partnerships struct{ Nodes []struct{ ID string } }
			Agreements   struct {
				Nodes []struct {
					ID          string
					Signatories []struct{ Official struct{ ID string } }
					Sources     []struct{ ID string }
				}
			}
			Institutions struct{ Nodes []struct{ ID string } }
		}
	}
	a.MustPost(t, `{ city(name: "Shenzhen") { id country { id } partnerships { nodes { id } }
  agreements { nodes { id signatories { official { id } } sources { id } } }
  institutions { nodes { id } } } }`, nil).MustData(t, &data)
	c := data.City
	ids := []string{c.ID, c.Country.ID, c.Partnerships.Nodes[0].ID, c.Agreements.Nodes[0].ID,
		c.Agreements.Nodes[0].Signatories[0].Official.ID, c.Agreements.Nodes[0].Sources[0].ID, c.Institutions.Nodes[0].ID}
	for _, id := range ids {
		var got struct{ Node struct{ ID string } }
		a.MustPost(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).MustData(t, &got)
		if got.Node.ID != id {
			t.Errorf("node(%q) returned id %q", id, got.Node.ID)
		}
	}
	// A partnership reached without a city still answers partner: the second city.
	var p struct {
		Node struct {
			Partner struct{ Name string }
			Cities  []struct{ Name string }
		}
	}
	a.MustPost(t, `query($id: ID!) { node(id: $id) { ... on Partnership { partner { name } cities { name } } } }`,
		map[string]any{"id": c.Partnerships.Nodes[0].ID}).MustData(t, &p)
	if len(p.Node.Cities) != 2 || p.Node.Partner.Name != p.Node.Cities[1].Name {
		t.Errorf("partner %q, cities %v: want the second city as partner", p.Node.Partner.Name, p.Node.Cities)
	}
}

// TestStableIDs: the shipped facts have the same global IDs in every database.
func TestStableIDs(t *testing.T) {
	t.Parallel()
	q := `{ city(name: "Moscow") { id } officials { nodes { id } } }`
	first := MustAPI(t).MustPost(t, q, nil)
	second := MustAPI(t).MustPost(t, q, nil)
	if string(first.Data) != string(second.Data) {
		t.Errorf("IDs differ between databases:\n%s\n%s", first.Data, second.Data)
	}
}

// TestGET serves queries over GET, and refuses anything but JSON bodies on POST.
func TestGET(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`{ country(code: "cn") { name } }`), nil)
	resp := a.MustDo(t, req)
	if resp.Status != 200 || string(resp.Data) != `{"country":{"name":"China"}}` {
		t.Errorf("GET: status %d, body %s", resp.Status, resp.Raw)
	}
	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("{not json"))
	req.Header.Set("Content-Type", "application/json")
	if resp := a.MustDo(t, req); resp.Status < 400 {
		t.Errorf("malformed JSON body: status %d, want 4xx", resp.Status)
	}
	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(strings.Repeat("x", 2<<20)))
	req.Header.Set("Content-Type", "application/json")
	if resp := a.MustDo(t, req); resp.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: status %d, want 413", resp.Status)
	}
}

// TestHealth reports liveness and readiness.
func TestHealth(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp := a.MustDo(t, httptest.NewRequest(http.MethodGet, path, nil))
		if resp.Status != 200 {
			t.Errorf("%s: status %d", path, resp.Status)
		}
	}
	a.db.Close()
	resp := a.MustDo(t, httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(context.Background()))
	if resp.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: status %d, want 503", resp.Status)
	}
}

// TestPlayground serves GraphiQL with the examples at the root.
func TestPlayground(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	resp := a.MustDo(t, httptest.NewRequest(http.MethodGet, "/", nil))
	if resp.Status != 200 || !strings.Contains(string(resp.Raw), "Who signed the Shenzhen") {
		t.Errorf("GET /: status %d, page without the examples", resp.Status)
	}
}
