package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// MustInsertAtlas adds a small synthetic world with coordinates, populations, names in
// several scripts and partnerships over the years, for the search, filter, time, path and
// geography tests. All of it is obviously made up.
func MustInsertAtlas(tb testing.TB, a *api) {
	tb.Helper()
	const q = `
INSERT INTO countries (id, code, name, wikidata_qid) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'XA', 'Testland', 'Q900001'),
  ('00000000-0000-0000-0000-0000000000a2', 'XB', 'Otherland', NULL);
INSERT INTO cities (id, country_id, name, population, latitude, longitude, wikidata_qid, geonames_id) VALUES
  ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a1', 'Testville', 900000, 50.0, 10.0, 'Q900101', 9000001),
  ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-0000000000a1', 'Nordtest', 120000, 50.5, 10.0, NULL, NULL),
  ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-0000000000a1', 'Sudtest', NULL, 49.0, 10.0, NULL, NULL),
  ('00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-0000000000a2', 'Zürichtest', 400000, 47.0, 8.0, NULL, NULL),
  ('00000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-0000000000a2', 'Farville', 50000, -30.0, 150.0, NULL, NULL),
  ('00000000-0000-0000-0000-000000000006', '00000000-0000-0000-0000-0000000000a2', 'Islandtest', 1000, NULL, NULL, NULL, NULL);
INSERT INTO city_names (city_id, language, name) VALUES
  ('00000000-0000-0000-0000-000000000002', 'ru', 'Нордтестск'),
  ('00000000-0000-0000-0000-000000000004', 'de', 'Zürichtest am See');
INSERT INTO sources (id, title, publisher) VALUES ('00000000-0000-0000-0000-0000000000f1', 'Synthetic atlas', 'Amity tests');
`
	mustExec(tb, a, q)
	// Testville is the hub: Nordtest since 1990 (sister), Sudtest since 2005 (friendly),
	// Zürichtest 1995–2000 (ended), Farville with no known start. Nordtest–Islandtest
	// since 2010, Zürichtest–Farville since 2001 (a second route to Farville).
	mustExec(tb, a, `
INSERT INTO partnerships (id, kind, city_a_id, city_b_id, since, until) VALUES
  ('00000000-0000-0000-0000-0000000000b1', 'SISTER_CITY',       '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '1990-05-01', NULL),
  ('00000000-0000-0000-0000-0000000000b2', 'FRIENDLY_EXCHANGE', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000003', '2005-01-01', NULL),
  ('00000000-0000-0000-0000-0000000000b3', 'SISTER_CITY',       '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000004', '1995-01-01', '2000-01-01'),
  ('00000000-0000-0000-0000-0000000000b4', 'FRIENDLY_EXCHANGE', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000005', NULL, NULL),
  ('00000000-0000-0000-0000-0000000000b5', 'SISTER_CITY',       '00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000006', '2010-01-01', NULL),
  ('00000000-0000-0000-0000-0000000000b6', 'SISTER_CITY',       '00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000005', '2001-01-01', NULL);
INSERT INTO officials (id, name, title, city_id) VALUES
  ('00000000-0000-0000-0000-0000000000c1', 'Testa Mayorova', 'Mayor of Testville', '00000000-0000-0000-0000-000000000001'),
  ('00000000-0000-0000-0000-0000000000c2', 'Nord Official', 'Mayor of Nordtest', '00000000-0000-0000-0000-000000000002');
INSERT INTO agreements (id, title, kind, signed_on, summary) VALUES
  ('00000000-0000-0000-0000-0000000000d1', 'Testville–Nordtest sister city agreement', 'SISTER_CITY_AGREEMENT', '1990-05-01', 'Twinning of two test towns, with exchanges of students.'),
  ('00000000-0000-0000-0000-0000000000d2', 'Harbour logistics memorandum', 'MEMORANDUM', '2012-06-30', 'Port cooperation and container logistics between test towns.'),
  ('00000000-0000-0000-0000-0000000000d3', 'Undated friendship note', 'OTHER', NULL, NULL);
INSERT INTO agreement_parties (agreement_id, city_id, position) VALUES
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-000000000001', 0),
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-000000000002', 1),
  ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-000000000001', 0),
  ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-000000000005', 1),
  ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-000000000002', 0);
INSERT INTO agreement_areas (agreement_id, area) VALUES
  ('00000000-0000-0000-0000-0000000000d1', 'EDUCATION'), ('00000000-0000-0000-0000-0000000000d1', 'CULTURE'),
  ('00000000-0000-0000-0000-0000000000d2', 'TRANSPORTATION'), ('00000000-0000-0000-0000-0000000000d2', 'TRADE');
INSERT INTO signatories (agreement_id, official_id, party_city_id) VALUES
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-000000000001'),
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-000000000002');
INSERT INTO institutions (id, name, kind, city_id) VALUES
  ('00000000-0000-0000-0000-0000000000e1', 'Testville Polytechnic', 'UNIVERSITY', '00000000-0000-0000-0000-000000000001'),
  ('00000000-0000-0000-0000-0000000000e2', 'Farville Trading House', 'COMPANY', '00000000-0000-0000-0000-000000000005');
`)
}

func mustExec(tb testing.TB, a *api, q string) {
	tb.Helper()
	if _, err := a.db.Exec(q); err != nil {
		tb.Fatalf("fixture: %v", err)
	}
}

func dump(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestSearch(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	const q = `query($q: String!, $types: [SearchType!]) { search(query: $q, types: $types, first: 5) {
  edges { score matched node { __typename ... on City { name } ... on Official { name } ... on Agreement { title }
    ... on Institution { name } ... on Country { code } } } } }`
	tests := []struct {
		query string
		types []string
		want  string // __typename:name of the best hit
	}{
		{"Shenzhen", nil, "City:Shenzhen"},
		{"shenzen", nil, "City:Shenzhen"},          // a typo
		{"深圳", nil, "City:Shenzhen"},               // Chinese
		{"Москва", nil, "City:Moscow"},             // Cyrillic
		{"Moskva", nil, "City:Moscow"},             // transliterated
		{"moscw", []string{"CITY"}, "City:Moscow"}, // a typo, restricted to cities
		{"Cheryomin", nil, "Official:Sergey Cheremin"},
		{"Cheremin", nil, "Official:Sergey Cheremin"},
		{"Cheremn", []string{"OFFICIAL"}, "Official:Sergey Cheremin"},
		{"zurichtest", nil, "City:Zürichtest"},                                 // accents ignored
		{"Nordtestsk", nil, "City:Nordtest"},                                   // transliterated other-language name
		{"container logistics", nil, "Agreement:Harbour logistics memorandum"}, // words of a summary
		{"memorandum", []string{"AGREEMENT"}, "Agreement:Harbour logistics memorandum"},
		{"MSU-BIT", nil, "Institution:Shenzhen MSU-BIT University"},
		{"Otherland", nil, "Country:XB"},
		{"RU", []string{"COUNTRY"}, "Country:RU"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var data struct {
				Search struct {
					Edges []struct {
						Score   float64
						Matched string
						Node    map[string]any
					}
				}
			}
			vars := map[string]any{"q": tt.query}
			if tt.types != nil {
				vars["types"] = tt.types
			}
			a.MustPost(t, q, vars).MustData(t, &data)
			var got []string
			for _, e := range data.Search.Edges {
				n := e.Node
				var name string
				for _, field := range []string{"name", "title", "code"} {
					if v, ok := n[field].(string); ok {
						name = v
					}
				}
				got = append(got, fmt.Sprintf("%s:%s", n["__typename"], name))
			}
			if len(got) == 0 || got[0] != tt.want {
				t.Errorf("search %q: got %v, want %s first", tt.query, got, tt.want)
			}
		})
	}
}

func TestSearchPaging(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	const q = `query($after: String) { search(query: "test", first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { score node { ... on City { id } ... on Country { id } ... on Agreement { id } ... on Official { id } ... on Institution { id } } } } }`
	type page struct {
		Search struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct {
				Score float64
				Node  struct{ ID string }
			}
		}
	}
	var ids []string
	var scores []float64
	var after any
	total, end := -1, ""
	for range 20 {
		var p page
		a.MustPost(t, q, map[string]any{"after": after}).MustData(t, &p)
		total, end = p.Search.TotalCount, p.Search.PageInfo.EndCursor
		for _, e := range p.Search.Edges {
			ids = append(ids, e.Node.ID)
			scores = append(scores, e.Score)
		}
		if !p.Search.PageInfo.HasNextPage {
			break
		}
		after = p.Search.PageInfo.EndCursor
	}
	if len(ids) != total || total < 5 {
		t.Errorf("walked %d hits, totalCount %d (want at least 5)", len(ids), total)
	}
	// totalCount comes with the page, in the same statements; past the last hit (an
	// empty page) it is counted on its own.
	with := a.MustPost(t, `{ search(query: "test", first: 2) { totalCount nodes { __typename } } }`, nil)
	without := a.MustPost(t, `{ search(query: "test", first: 2) { nodes { __typename } } }`, nil)
	if with.Statements != without.Statements {
		t.Errorf("totalCount took %d statements, the page alone %d", with.Statements, without.Statements)
	}
	var past page
	a.MustPost(t, q, map[string]any{"after": end}).MustData(t, &past)
	if len(past.Search.Edges) != 0 || past.Search.TotalCount != total {
		t.Errorf("after the last hit: %d edges, totalCount %d, want 0 and %d", len(past.Search.Edges), past.Search.TotalCount, total)
	}
	if !slices.IsSortedFunc(scores, func(x, y float64) int { return cmpFloat(y, x) }) {
		t.Errorf("scores not best first: %v", scores)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("hit %s returned twice", id)
		}
		seen[id] = true
	}
	resp := a.MustPost(t, `{ search(query: "   ") { totalCount } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].code() != "BAD_USER_INPUT" {
		t.Errorf("blank query: %s", resp.Raw)
	}
	resp = a.MustPost(t, `{ search(query: "x", after: "bogus") { totalCount } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].code() != "BAD_USER_INPUT" {
		t.Errorf("bad cursor: %s", resp.Raw)
	}
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func TestFiltersAndOrders(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	testville := cityID("00000000-0000-0000-0000-000000000001")
	mayor := officialID("00000000-0000-0000-0000-0000000000c1")
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  []string
	}{
		{"cities of a country", `{ cities(filter: {country: "xb"}) { nodes { name } } }`, nil,
			[]string{"Farville", "Islandtest", "Zürichtest"}},
		{"name contains, any name, no accents", `{ cities(filter: {nameContains: "ZURICH"}) { nodes { name } } }`, nil,
			[]string{"Zürichtest"}},
		{"name contains in another script", `{ cities(filter: {nameContains: "нордтест"}) { nodes { name } } }`, nil,
			[]string{"Nordtest"}},
		{"wildcards are literal", `{ cities(filter: {nameContains: "%"}) { nodes { name } } }`, nil, []string{}},
		{"population range", `{ cities(filter: {populationMin: 100000, populationMax: 500000}) { nodes { name } } }`, nil,
			[]string{"Nordtest", "Zürichtest"}},
		{"population descending, unknown last", `{ cities(filter: {country: "XA"}, orderBy: {field: POPULATION, direction: DESC}) { nodes { name } } }`, nil,
			[]string{"Testville", "Nordtest", "Sudtest"}},
		{"population ascending, unknown last", `{ cities(filter: {country: "XA"}, orderBy: {field: POPULATION}) { nodes { name } } }`, nil,
			[]string{"Nordtest", "Testville", "Sudtest"}},
		{"name descending", `{ cities(filter: {country: "XA"}, orderBy: {field: NAME, direction: DESC}) { nodes { name } } }`, nil,
			[]string{"Testville", "Sudtest", "Nordtest"}},
		{"near, nearest first", `{ cities(near: {latitude: 50.1, longitude: 10.0, radiusKm: 200}) { nodes { name } } }`, nil,
			[]string{"Testville", "Nordtest", "Sudtest"}},
		{"agreements by kind, newest first", `{ agreements(filter: {kinds: [MEMORANDUM]}) { nodes { title } } }`, nil,
			[]string{"Memorandum of Friendly Exchange and Cooperation between Shenzhen and Moscow", "Harbour logistics memorandum"}},
		{"agreements covering all areas", `{ agreements(filter: {areas: [TRADE, TRANSPORTATION]}) { nodes { title } } }`, nil,
			[]string{"Memorandum of Friendly Exchange and Cooperation between Shenzhen and Moscow", "Harbour logistics memorandum"}},
		{"agreements in a period", `{ agreements(filter: {signedAfter: "2000-01-01", signedBefore: "2020-12-31"}) { nodes { title } } }`, nil,
			[]string{"Harbour logistics memorandum"}},
		{"agreements of a party, oldest first, undated last", `query($c: ID) { agreements(filter: {partyCity: $c}, orderBy: {field: SIGNED_ON, direction: ASC}) { nodes { title } } }`,
			map[string]any{"c": testville}, []string{"Testville–Nordtest sister city agreement", "Harbour logistics memorandum"}},
		{"agreements by title", `{ agreements(orderBy: {field: TITLE, direction: ASC}, first: 2) { nodes { title } } }`, nil,
			[]string{"Harbour logistics memorandum", "Memorandum of Friendly Exchange and Cooperation between Shenzhen and Moscow"}},
		{"agreements of a signatory", `query($o: ID) { agreements(filter: {signatory: $o}) { nodes { title } } }`,
			map[string]any{"o": mayor}, []string{"Testville–Nordtest sister city agreement"}},
		{"officials of a city", `query($c: ID) { officials(filter: {city: $c}) { nodes { name } } }`,
			map[string]any{"c": testville}, []string{"Testa Mayorova"}},
		{"officials by any spelling", `{ officials(filter: {nameContains: "cheryo"}) { nodes { name } } }`, nil,
			[]string{"Sergey Cheremin"}},
		{"institutions by kind and country", `{ institutions(filter: {kind: COMPANY, country: "XB"}) { nodes { name } } }`, nil,
			[]string{"Farville Trading House"}},
		{"institutions of a city", `query($c: ID) { institutions(filter: {city: $c}) { nodes { name } } }`,
			map[string]any{"c": testville}, []string{"Testville Polytechnic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data map[string]struct {
				Nodes []map[string]string
			}
			a.MustPost(t, tt.query, tt.vars).MustData(t, &data)
			got := []string{}
			for _, conn := range data {
				for _, n := range conn.Nodes {
					got = append(got, n["name"]+n["title"])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPagingUnderEveryOrder walks each ordering one item at a time: every city once, in
// the order of one big page, and a cursor of one ordering is refused by another.
func TestPagingUnderEveryOrder(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	orders := []string{
		`orderBy: {field: NAME}`, `orderBy: {field: NAME, direction: DESC}`,
		`orderBy: {field: POPULATION}`, `orderBy: {field: POPULATION, direction: DESC}`,
		`near: {latitude: 50, longitude: 10, radiusKm: 20000}`,
	}
	var cursors []string
	for _, order := range orders {
		q := fmt.Sprintf(`query($first: Int, $after: String) { cities(%s, first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { name } } }`, order)
		type page struct {
			Cities struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []struct{ Name string }
			}
		}
		var all page
		a.MustPost(t, q, map[string]any{"first": 100}).MustData(t, &all)
		var walked []string
		var after any
		for range 20 {
			var p page
			a.MustPost(t, q, map[string]any{"first": 1, "after": after}).MustData(t, &p)
			for _, n := range p.Cities.Nodes {
				walked = append(walked, n.Name)
			}
			if !p.Cities.PageInfo.HasNextPage {
				break
			}
			after = p.Cities.PageInfo.EndCursor
			if len(cursors) < len(orders) && len(walked) == 1 {
				cursors = append(cursors, p.Cities.PageInfo.EndCursor)
			}
		}
		var want []string
		for _, n := range all.Cities.Nodes {
			want = append(want, n.Name)
		}
		if diff := cmp.Diff(want, walked); diff != "" {
			t.Errorf("%s: walk differs from one page (-page +walk):\n%s", order, diff)
		}
	}
	resp := a.MustPost(t, `query($c: String) { cities(orderBy: {field: POPULATION}, after: $c) { totalCount } }`,
		map[string]any{"c": cursors[0]})
	if len(resp.Errors) == 0 || resp.Errors[0].code() != "BAD_USER_INPUT" {
		t.Errorf("name cursor given to the population order: %s", resp.Raw)
	}
}

func TestNetworkOverTime(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	const q = `query($asOf: Date) { city(name: "Testville") {
  partnerships(asOf: $asOf, first: 10) { totalCount nodes { partner { name } } }
  network(asOf: $asOf) { asOf partnerCities undatedPartnerCities partnerCountries sisterCities friendlyExchangeCities agreements
    byYear { year partnershipsBegun sisterCities friendlyExchangeCities agreementsSigned } } } }`
	type result struct {
		City struct {
			Partnerships struct {
				TotalCount int
				Nodes      []struct{ Partner struct{ Name string } }
			}
			Network struct {
				AsOf                                          string
				PartnerCities, PartnerCountries, SisterCities int
				FriendlyExchangeCities, Agreements            int
				UndatedPartnerCities                          int
				ByYear                                        []map[string]int
			}
		}
	}
	tests := []struct {
		asOf     any
		partners []string
		counts   [6]int // partner cities, countries, sister, friendly, agreements, undated partner cities
	}{
		// Farville's tie has no start date: on every date it is counted apart, as undated.
		{"1989-12-31", []string{}, [6]int{0, 0, 0, 0, 0, 1}},
		{"1996-06-01", []string{"Zürichtest", "Nordtest"}, [6]int{2, 2, 2, 0, 1, 1}},
		{"2001-06-01", []string{"Nordtest"}, [6]int{1, 1, 1, 0, 1, 1}}, // Zürichtest ended in 2000
		{"2020-01-01", []string{"Sudtest", "Nordtest"}, [6]int{2, 1, 1, 1, 2, 1}},
		// Today: every partnership not ended, including Farville whose start is unknown.
		{nil, []string{"Sudtest", "Zürichtest", "Nordtest", "Farville"}, [6]int{3, 2, 1, 2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.asOf), func(t *testing.T) {
			var r result
			a.MustPost(t, q, map[string]any{"asOf": tt.asOf}).MustData(t, &r)
			got := []string{}
			for _, n := range r.City.Partnerships.Nodes {
				got = append(got, n.Partner.Name)
			}
			if tt.asOf == nil {
				// Without asOf the list holds every partnership, ended ones too.
				slices.Sort(got)
				slices.Sort(tt.partners)
			}
			if diff := cmp.Diff(tt.partners, got); diff != "" {
				t.Errorf("partners (-want +got):\n%s", diff)
			}
			n := r.City.Network
			gotCounts := [6]int{n.PartnerCities, n.PartnerCountries, n.SisterCities, n.FriendlyExchangeCities, n.Agreements, n.UndatedPartnerCities}
			if gotCounts != tt.counts {
				t.Errorf("network counts: got %v, want %v", gotCounts, tt.counts)
			}
			if tt.asOf != nil && n.AsOf != tt.asOf {
				t.Errorf("network asOf %q, want %v", n.AsOf, tt.asOf)
			}
		})
	}
	var r result
	a.MustPost(t, q, map[string]any{"asOf": "2020-01-01"}).MustData(t, &r)
	want := []map[string]int{
		{"year": 1990, "partnershipsBegun": 1, "sisterCities": 1, "friendlyExchangeCities": 0, "agreementsSigned": 1},
		{"year": 1995, "partnershipsBegun": 1, "sisterCities": 1, "friendlyExchangeCities": 0, "agreementsSigned": 0},
		{"year": 2005, "partnershipsBegun": 1, "sisterCities": 0, "friendlyExchangeCities": 1, "agreementsSigned": 0},
		{"year": 2012, "partnershipsBegun": 0, "sisterCities": 0, "friendlyExchangeCities": 0, "agreementsSigned": 1},
	}
	if diff := cmp.Diff(want, r.City.Network.ByYear); diff != "" {
		t.Errorf("byYear (-want +got):\n%s", diff)
	}
}

func TestConnections(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	island, farville := cityID("00000000-0000-0000-0000-000000000006"), cityID("00000000-0000-0000-0000-000000000005")
	const q = `query($from: ID!, $to: ID!, $maxHops: Int) { connections(from: $from, to: $to, maxHops: $maxHops) {
  length cities { name } hops { from { name } to { name } partnership { kind partner { name } } } } }`
	var data struct {
		Connections []struct {
			Length int
			Cities []struct{ Name string }
			Hops   []struct {
				From, To    struct{ Name string }
				Partnership struct {
					Kind    string
					Partner struct{ Name string }
				}
			}
		}
	}
	a.MustPost(t, q, map[string]any{"from": island, "to": farville}).MustData(t, &data)
	// Islandtest–Nordtest–Testville–Farville is the only chain of 3; the one through
	// Zürichtest is 4 long and so not among the shortest.
	if len(data.Connections) != 1 {
		t.Fatalf("got %d paths, want 1: %s", len(data.Connections), dump(t, data))
	}
	p := data.Connections[0]
	var names []string
	for _, c := range p.Cities {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"Islandtest", "Nordtest", "Testville", "Farville"}, names); diff != "" || p.Length != 3 {
		t.Errorf("path (-want +got):\n%s (length %d)", diff, p.Length)
	}
	for i, h := range p.Hops {
		if h.From.Name != names[i] || h.To.Name != names[i+1] || h.Partnership.Partner.Name != names[i+1] {
			t.Errorf("hop %d: %+v", i, h)
		}
	}
	// Too few hops allowed: no path, not an error.
	a.MustPost(t, q, map[string]any{"from": island, "to": farville, "maxHops": 2}).MustData(t, &data)
	if len(data.Connections) != 0 {
		t.Errorf("maxHops 2: got %d paths, want none", len(data.Connections))
	}
	for _, bad := range []map[string]any{
		{"from": island, "to": island},
		{"from": island, "to": farville, "maxHops": 7},
		{"from": island, "to": farville, "maxHops": 0},
		{"from": "nonsense", "to": farville},
	} {
		resp := a.MustPost(t, q, bad)
		if len(resp.Errors) == 0 || resp.Errors[0].code() != "BAD_USER_INPUT" {
			t.Errorf("%v: %s", bad, resp.Raw)
		}
	}
}

func TestGeographyAndExternalIDs(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	var data struct {
		City struct {
			Name        string
			ExternalIDs struct {
				Wikidata string
				Geonames int
			} `json:"externalIds"`
			Country struct {
				ExternalIDs struct{ Wikidata string } `json:"externalIds"`
			}
			Partnerships struct {
				Nodes []struct {
					Partner    struct{ Name string }
					DistanceKm *float64
				}
			}
		}
	}
	a.MustPost(t, `{ city(wikidata: "q900101") { name externalIds { wikidata geonames } country { externalIds { wikidata } }
  partnerships(first: 10) { nodes { partner { name } distanceKm } } } }`, nil).MustData(t, &data)
	if data.City.Name != "Testville" || data.City.ExternalIDs.Wikidata != "Q900101" || data.City.ExternalIDs.Geonames != 9000001 ||
		data.City.Country.ExternalIDs.Wikidata != "Q900001" {
		t.Errorf("lookup by Wikidata: %s", dump(t, data))
	}
	got := map[string]any{}
	for _, n := range data.City.Partnerships.Nodes {
		if n.DistanceKm == nil {
			got[n.Partner.Name] = nil
		} else {
			got[n.Partner.Name] = *n.DistanceKm
		}
	}
	// Half a degree of latitude is 55.6 km.
	if got["Nordtest"] != 55.6 || got["Sudtest"] != 111.2 {
		t.Errorf("distances: %v", got)
	}
	resp := a.MustPost(t, `{ cities(near: {latitude: 95, longitude: 0, radiusKm: 10}) { totalCount } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].code() != "BAD_USER_INPUT" {
		t.Errorf("latitude 95: %s", resp.Raw)
	}
	resp = a.MustPost(t, `{ cities(near: {latitude: 50, longitude: 10, radiusKm: 10}, orderBy: {field: NAME}) { totalCount } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].code() != "BAD_USER_INPUT" {
		t.Errorf("near with orderBy: %s", resp.Raw)
	}
}

func cityID(u string) string { return knowledge.GlobalID(knowledge.TypeCity, uuid.MustParse(u)) }
func officialID(u string) string {
	return knowledge.GlobalID(knowledge.TypeOfficial, uuid.MustParse(u))
}
