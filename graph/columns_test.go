package graph_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/postgres"
)

// TestQueriesReadOnlyTheColumnsTheyShow asks PostgreSQL which statement the server ran
// for a query by id (pg_stat_activity keeps each connection's last statement) and
// holds its select list to the fields the query shows: the benchmark's Q1 reads its
// city's name and population and its country's code and name, and not the other nine
// columns it read before; a query that shows a city's location and external ids reads
// those and joins no country.
func TestQueriesReadOnlyTheColumnsTheyShow(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.ReadCacheBytes = 0 // every query runs its statement
	a := MustAPIWith(t, cfg)
	inspect, err := postgres.Open(context.Background(), postgres.Config{URL: a.db.ListenDSN(), MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inspect.Close() })
	id := mustCityID(t, a, "Shenzhen")
	// A select list entry is "c.col" or `alias.col AS "name"`.
	named := regexp.MustCompile(`(?:AS "([^"]+)"|^\w+\.(\w+))$`)
	for _, tt := range []struct {
		name, query string
		want        []string
	}{
		{"Q1", `query($id: ID!) { city(id: $id) { name population country { code name } } }`,
			[]string{"country.code", "country.name", "country_id", "id", "name", "population"}},
		{"location and ids", `query($id: ID!) { city(id: $id) { name location { latitude } externalIds { wikidata geonames } } }`,
			[]string{"geonames_id", "id", "latitude", "longitude", "name", "wikidata_qid"}},
		{"a fragment on the interface", `query($id: ID!) { node(id: $id) { id ... on City { version } } }`,
			[]string{"id", "name", "version"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var start time.Time
			if err := inspect.Get(&start, "SELECT clock_timestamp()"); err != nil {
				t.Fatal(err)
			}
			a.MustPost(t, tt.query, map[string]any{"id": id}).MustData(t, &struct{}{})
			var ran []string
			if err := inspect.Select(&ran, `SELECT query FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND query_start >= $1 AND query LIKE '%FROM cities c%'`, start); err != nil {
				t.Fatal(err)
			}
			if len(ran) != 1 {
				t.Fatalf("the query ran %d statements reading cities, want 1: %q", len(ran), ran)
			}
			q := ran[0]
			list := q[len("SELECT "):strings.Index(q, " FROM cities c")]
			var got []string
			for _, col := range strings.Split(list, ", ") {
				m := named.FindStringSubmatch(col)
				if m == nil {
					t.Fatalf("select list entry %q in %s", col, q)
				}
				got = append(got, m[1]+m[2])
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("read the columns %q, want %q, in %s", got, tt.want, q)
			}
			if joins := strings.Contains(q, "JOIN countries"); joins != slices.Contains(tt.want, "country.name") {
				t.Errorf("joins the country: %v, in %s", joins, q)
			}
		})
	}
}

// TestPrunedReadsServeOnlyWhatTheyHold asks for few fields of a city and its
// partnerships, then for more of the same objects: the read cache holds the first
// reads, without the columns the first queries did not show, and must not answer the
// later ones from them. Every answer is compared with a server that has no cache.
func TestPrunedReadsServeOnlyWhatTheyHold(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	cfg := server.DefaultConfig()
	cfg.ReadCacheBytes = 0
	uncached := server.New(a.db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { uncached.Close() })
	ref := &api{db: a.db, handler: uncached}
	vars := map[string]any{"id": mustCityID(t, a, "Shenzhen")}
	for _, query := range []string{
		`query($id: ID!) { city(id: $id) { name } }`,
		`query($id: ID!) { city(id: $id) { name population version location { latitude longitude }
  externalIds { wikidata geonames } country { code name } division { name } } }`,
		`query($id: ID!) { city(id: $id) { partnerships(first: 5) { nodes { kind partner { name } } } } }`,
		`query($id: ID!) { city(id: $id) { partnerships(first: 5) { edges { cursor node { kind since until version
  partner { name population country { name } } } } pageInfo { endCursor } } } }`,
		`query($id: ID!) { city(id: $id) { partnerships(first: 5) { nodes { partner { agreements(first: 2) { nodes { title } } } } } } }`,
		`query($id: ID!) { city(id: $id) { partnerships(first: 5) { nodes { partner { agreements(first: 2) { nodes { title
  signedOn summary version signatories { official { name title version city { name population } } } } } } } } } }`,
		`{ agreements(first: 3) { nodes { title parties { name } signatories { official { name } } } } }`,
		`{ agreements(first: 3) { nodes { title signedOn version summary signedIn { name } parties { name population country { code wikidataId } }
  signatories { role party { name } official { name title wikidataId city { name country { name } } } } } } }`,
		`query($id: ID!) { city(id: $id) { partnerships(first: 5) { nodes { kind agreement { title } cities { name } distanceKm } } } }`,
		// Two selections of one city in one request share the request's loaders.
		`query($id: ID!) { a: city(id: $id) { name } b: city(id: $id) { population country { name } } }`,
	} {
		for round := range 2 { // the second round meets what the first cached
			got, want := a.MustPost(t, query, vars), ref.MustPost(t, query, vars)
			if len(got.Errors) > 0 || len(want.Errors) > 0 {
				t.Fatalf("%s: %s / %s", query, got.Raw, want.Raw)
			}
			if string(got.Data) != string(want.Data) {
				t.Errorf("round %d of %s:\nanswered %s\nwant     %s", round, query, got.Data, want.Data)
			}
		}
	}
}
