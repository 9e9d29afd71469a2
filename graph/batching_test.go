package graph_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
)

// MustInsertNetwork adds cities (named "Testville NNN") in five countries, each tied to
// the next three cities, with an agreement signed by an official of each side.
func MustInsertNetwork(tb testing.TB, a *api, cities int) {
	tb.Helper()
	const q = `
WITH src AS (
  INSERT INTO sources (title, publisher) VALUES ('Synthetic test source', 'Amity tests') RETURNING id
), k AS (
  INSERT INTO countries (code, name)
  SELECT chr(65 + g) || 'X', 'Testland ' || g FROM generate_series(0, 4) g
  RETURNING id, code
), c AS (
  INSERT INTO cities (country_id, name)
  SELECT (SELECT id FROM k WHERE code = chr(65 + g % 5) || 'X'), 'Testville ' || lpad(g::text, 3, '0')
  FROM generate_series(1, $1::int) g
  RETURNING id, name
), o AS (
  INSERT INTO officials (name, title, city_id)
  SELECT 'Mayor of ' || c.name, 'Mayor', c.id FROM c
  RETURNING id, city_id
), pairs AS (
  SELECT a.id AS a_id, b.id AS b_id, row_number() OVER () AS n
  FROM c a JOIN c b ON substr(b.name, 11)::int - substr(a.name, 11)::int BETWEEN 1 AND 3
), ag AS (
  INSERT INTO agreements (id, title, kind, signed_on)
  SELECT gen_random_uuid(), 'Test agreement ' || n, 'COOPERATION_AGREEMENT', date '2020-01-01' + n::int FROM pairs
  RETURNING id, title
), agp AS (
  SELECT ag.id, p.a_id, p.b_id FROM ag JOIN pairs p ON ag.title = 'Test agreement ' || p.n
), parties AS (
  INSERT INTO agreement_parties (agreement_id, city_id, position)
  SELECT id, a_id, 0 FROM agp UNION ALL SELECT id, b_id, 1 FROM agp
  RETURNING agreement_id, city_id
), signers AS (
  INSERT INTO signatories (agreement_id, official_id, party_city_id)
  SELECT parties.agreement_id, o.id, parties.city_id FROM parties JOIN o ON o.city_id = parties.city_id
  RETURNING 1
), ps AS (
  INSERT INTO partnerships (kind, city_a_id, city_b_id, since, agreement_id)
  SELECT CASE WHEN agp.a_id < agp.b_id THEN 'SISTER_CITY' ELSE 'FRIENDLY_EXCHANGE' END,
         least(agp.a_id, agp.b_id), greatest(agp.a_id, agp.b_id), date '2020-01-01', agp.id
  FROM agp
  RETURNING id
)
INSERT INTO partnership_sources (partnership_id, source_id)
SELECT ps.id, src.id FROM ps, src
`
	if _, err := a.db.Exec(q, cities); err != nil {
		tb.Fatalf("insert network: %v", err)
	}
}

// TestStatementsFollowDepthNotRows proves there is no N+1: the same nested query over
// 2 and over 50 cities runs the same number of SQL statements. The loaders get a long
// batching window so that a busy test machine cannot split a batch: the test is about
// what is batched, not about timing. A loader's window runs from its first key, and
// 25 ms was once too short for 50 cities' fields to reach it while the rest of
// `make test` kept both cores busy (a clean clone's CI, 2026-12-02).
func TestStatementsFollowDepthNotRows(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.LoaderWait = 150 * time.Millisecond
	// 50 cities' signatories cost more than the default limit now that plain lists
	// count by their caps (graph/complexity.go); this test is about statements.
	cfg.GraphQL.MaxComplexity = 100_000
	cfg.ReadCacheBytes = 0 // statements per query, not what a cache spares
	a := MustAPIWith(t, cfg)
	MustInsertNetwork(t, a, 60)
	// exact: the count must not change with the number of cities. Deeper queries may
	// run fewer statements for 2 cities, when a level finds every row it needs already
	// cached from an earlier one; they are held to their bound, one statement per level.
	queries := map[string]struct {
		query   string
		maxStmt int64
		exact   bool
	}{
		"partners and countries": {`query($n: Int) { cities(first: $n) { nodes { name
  partnerships(first: 10) { totalCount nodes { kind partner { name country { name } } } } } } }`, 5, true},
		"agreements and signatories": {`query($n: Int) { cities(first: $n) { nodes { name
  partnerships(first: 3) { nodes { partner { name agreements(first: 2) { nodes { title
    signatories { official { name title city { name } } party { name } } } } } } } } } }`, 8, false},
		"officials and sources": {`query($n: Int) { cities(first: $n) { nodes { names { name }
  officials(first: 2) { nodes { name agreements(first: 3) { totalCount nodes { areas parties { name } sources { title } } } } } } } }`, 8, false},
		// statements are not preloaded (lookahead.go), so these lists keep gqlgen's
		// concurrent marshalling and their loaders batch them by the window.
		"beyond the lookahead": {`query($n: Int) { cities(first: $n) { nodes { name
  partnerships(first: 3) { nodes { kind statements { property source { title } } partner { statements { value } } } } } } }`, 5, true},
	}
	for name, tt := range queries {
		t.Run(name, func(t *testing.T) {
			counts := map[int]int64{}
			for _, n := range []int{2, 50} {
				resp := a.MustPost(t, tt.query, map[string]any{"n": n})
				if len(resp.Errors) > 0 {
					t.Fatalf("n=%d: %s", n, resp.Raw)
				}
				counts[n] = resp.Statements
			}
			if tt.exact && counts[2] != counts[50] {
				t.Errorf("got %d statements for 2 cities and %d for 50, want the same", counts[2], counts[50])
			}
			for n, got := range counts {
				if got > tt.maxStmt {
					t.Errorf("got %d statements for %d cities, want at most %d", got, n, tt.maxStmt)
				}
			}
			t.Logf("%s: %d statements", name, counts[50])
		})
	}
}

// TestLookaheadReadsEachLevelOnce runs nested queries on a server whose loaders do not
// wait at all, so any key the lookahead (lookahead.go) failed to preload would run a
// statement of its own: the count would then grow with the rows. It also checks that
// the answers are those of a server whose loaders batch by a long window.
func TestLookaheadReadsEachLevelOnce(t *testing.T) {
	t.Parallel()
	eager := server.DefaultConfig()
	eager.LoaderWait = time.Nanosecond
	// As in TestStatementsFollowDepthNotRows: over the default cost, about statements.
	eager.GraphQL.MaxComplexity = 100_000
	patient := server.DefaultConfig()
	patient.LoaderWait = 25 * time.Millisecond
	patient.GraphQL.MaxComplexity = 100_000
	eager.ReadCacheBytes, patient.ReadCacheBytes = 0, 0 // statements per query, not what a cache spares
	a := MustAPIWith(t, eager)
	MustInsertNetwork(t, a, 60)
	// A name and a figure per city, each from a source of its own, so that sources the
	// lookahead did not preload would cost a statement per city.
	if _, err := a.db.Exec(`
WITH c AS (SELECT id, name, row_number() OVER () AS n FROM cities WHERE name LIKE 'Testville %'),
s AS (INSERT INTO sources (title) SELECT 'Source of ' || name FROM c RETURNING id, title),
cs AS (SELECT c.id AS city_id, c.name, s.id AS source_id FROM c JOIN s ON s.title = 'Source of ' || c.name),
names AS (INSERT INTO city_names (city_id, language, name, source_id) SELECT city_id, 'de', name, source_id FROM cs)
INSERT INTO reported_figures (city_id, metric, value, source_id) SELECT city_id, 'SISTER_CITIES', 3, source_id FROM cs`); err != nil {
		t.Fatalf("insert names and figures: %v", err)
	}
	srv := server.New(a.db, patient, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { srv.Close() })
	b := &api{db: a.db, handler: srv}
	queries := map[string]struct {
		query string
		stmts int64
	}{
		"city, partners, their agreements, signatories (the benchmark's Q4)": {`query($n: Int) { city(name: "Testville 010") { name
  partnerships(first: $n) { nodes { kind since partner { name agreements(first: 5) { nodes { title signedOn signatories { official { name title } } } } } } } } }`, 4},
		// The page carries each agreement's parties and signatures, with the officials'
		// cities, in its rows (agreementsPage).
		"agreements with parties and signatories (Q3)": {`query($n: Int) { agreements(first: $n) { nodes { title
  parties { name country { name } } signatories { official { name title city { name } } } } } }`, 1},
		"agreements, signatories and the cities they signed for": {`query($n: Int) { agreements(first: $n) { nodes { title
  signatories { official { name } party { name } } } } }`, 2},
		"partners and countries": {`query($n: Int) { cities(first: $n) { nodes { name
  partnerships(first: 10) { totalCount nodes { kind partner { name country { name } } } } } } }`, 3},
		"agreements and signatories": {`query($n: Int) { cities(first: $n) { nodes { name
  partnerships(first: 3) { nodes { partner { name agreements(first: 2) { nodes { title
    signatories { official { name title city { name } } party { name } } } } } } } } } }`, 6},
		"officials, names and sources": {`query($n: Int) { cities(first: $n) { nodes { names { name }
  officials(first: 2) { nodes { name agreements(first: 3) { totalCount nodes { areas parties { name } sources { title } } } } } } } }`, 8},
		"names and figures with their sources": {`query($n: Int) { cities(first: $n) { nodes {
  names { name source { title } } reportedFigures { value source { title } } } } }`, 5},
		// By id, the city and its partnership page are one statement (cityByID).
		"a city by id and its partners (Q2)": {`query($n: Int) { city(id: "` + mustCityID(t, a, "Testville 010") + `") { name
  partnerships(first: $n) { nodes { kind since partner { name country { name } } } } } }`, 1},
		"a city by id, partners, their agreements, signatories (Q4)": {`query($n: Int) { city(id: "` + mustCityID(t, a, "Testville 010") + `") { name
  partnerships(first: $n) { nodes { kind since partner { name agreements(first: 5) { nodes { title signedOn signatories { official { name title } } } } } } } } }`, 3},
		"edges, aliases and fragments": {`query($n: Int) { cities(first: $n) { edges { node { ...C } } } }
  fragment C on City { name recent: partnerships(first: 2) { edges { node { partner { name } } } }
    old: partnerships(first: 1, asOf: "2020-06-01") { nodes { partner { ... on City { name } } } } }`, 3},
	}
	for name, tt := range queries {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{2, 50} {
				got := a.MustPost(t, tt.query, map[string]any{"n": n})
				want := b.MustPost(t, tt.query, map[string]any{"n": n})
				if len(got.Errors) > 0 || len(want.Errors) > 0 {
					t.Fatalf("n=%d: %s / %s", n, got.Raw, want.Raw)
				}
				if string(got.Data) != string(want.Data) {
					t.Errorf("n=%d: answers differ:\n%.2000s\n%.2000s", n, got.Data, want.Data)
				}
				if got.Statements != tt.stmts {
					t.Errorf("n=%d: %d statements, want %d", n, got.Statements, tt.stmts)
				}
			}
		})
	}
}

// TestPagingThroughGraphQL walks a connection page by page with cursors, forwards and
// backwards, and checks the page edges.
func TestPagingThroughGraphQL(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertNetwork(t, a, 7)
	type page struct {
		Cities struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ Name string }
			}
		}
	}
	const q = `query($first: Int, $after: String, $last: Int, $before: String) {
  cities(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`
	var all []string
	var after any
	for i := 0; ; i++ {
		var p page
		a.MustPost(t, q, map[string]any{"first": 3, "after": after}).MustData(t, &p)
		for _, e := range p.Cities.Edges {
			all = append(all, e.Node.Name)
		}
		if p.Cities.TotalCount != 9 {
			t.Fatalf("totalCount %d, want 9", p.Cities.TotalCount)
		}
		if i > 0 != p.Cities.PageInfo.HasPreviousPage {
			t.Errorf("page %d: hasPreviousPage %v", i, p.Cities.PageInfo.HasPreviousPage)
		}
		if !p.Cities.PageInfo.HasNextPage {
			break
		}
		after = *p.Cities.PageInfo.EndCursor
	}
	want := []string{"Moscow", "Shenzhen", "Testville 001", "Testville 002", "Testville 003",
		"Testville 004", "Testville 005", "Testville 006", "Testville 007"}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("walked %v, want %v", all, want)
	}

	// Exact page: all nine fit, and there is no next page.
	var exact page
	a.MustPost(t, q, map[string]any{"first": 9}).MustData(t, &exact)
	if len(exact.Cities.Edges) != 9 || exact.Cities.PageInfo.HasNextPage {
		t.Errorf("exact page: %d edges, hasNextPage %v", len(exact.Cities.Edges), exact.Cities.PageInfo.HasNextPage)
	}
	// Empty page.
	var empty page
	a.MustPost(t, q, map[string]any{"first": 0}).MustData(t, &empty)
	if len(empty.Cities.Edges) != 0 || empty.Cities.PageInfo.StartCursor != nil {
		t.Errorf("first: 0 returned %d edges and start cursor %v", len(empty.Cities.Edges), empty.Cities.PageInfo.StartCursor)
	}
	// Backwards from the end: the last two, in order.
	var last page
	a.MustPost(t, q, map[string]any{"last": 2}).MustData(t, &last)
	if got := fmt.Sprint(last.Cities.Edges[0].Node.Name, ",", last.Cities.Edges[1].Node.Name); got != "Testville 006,Testville 007" || !last.Cities.PageInfo.HasPreviousPage {
		t.Errorf("last: 2 gave %s, hasPreviousPage %v", got, last.Cities.PageInfo.HasPreviousPage)
	}
	var before page
	a.MustPost(t, q, map[string]any{"last": 2, "before": last.Cities.Edges[0].Cursor}).MustData(t, &before)
	if got := fmt.Sprint(before.Cities.Edges[0].Node.Name, ",", before.Cities.Edges[1].Node.Name); got != "Testville 004,Testville 005" {
		t.Errorf("last: 2 before Testville 006 gave %s", got)
	}
	// Past the last item: an empty last page.
	var past page
	a.MustPost(t, q, map[string]any{"first": 5, "after": last.Cities.Edges[1].Cursor}).MustData(t, &past)
	if len(past.Cities.Edges) != 0 || past.Cities.PageInfo.HasNextPage {
		t.Errorf("after the last item: %d edges, hasNextPage %v", len(past.Cities.Edges), past.Cities.PageInfo.HasNextPage)
	}
}
