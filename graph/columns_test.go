package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
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
// city's name and population and its country's code and name, not the eight more
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

// TestCityByIDReadsItsPartnershipsWithIt holds the one statement that reads a city by
// id with its partnership page (cityByID) to the answers of the reads it replaces: the
// same selection of the same city by name reads the city, then the page.
func TestCityByIDReadsItsPartnershipsWithIt(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.ReadCacheBytes = 0
	a := MustAPIWith(t, cfg)
	const sel = `{ name population country { name } partnerships(%s) { pageInfo { hasNextPage endCursor }
  edges { cursor node { kind since until partner { name country { code } } } } } }`
	type answer struct {
		City struct {
			Partnerships struct {
				PageInfo struct{ EndCursor string }
				Edges    []struct{ Cursor string }
			}
		}
	}
	var first answer
	a.MustPost(t, `{ city(name: "Shenzhen") `+fmt.Sprintf(sel, "first: 1")+` }`, nil).MustData(t, &first)
	after := first.City.Partnerships.PageInfo.EndCursor
	shenzhen := mustCityID(t, a, "Shenzhen")
	for _, args := range []string{
		"first: 2",
		fmt.Sprintf("first: 3, after: %q", after),
		"kind: SISTER_CITY",
		"first: 0",
		`first: 1, asOf: "1800-01-01"`, // none yet: the city is read on its own
	} {
		byName := a.MustPost(t, `{ city(name: "Shenzhen") `+fmt.Sprintf(sel, args)+` }`, nil)
		byID := a.MustPost(t, `query($id: ID!) { city(id: $id) `+fmt.Sprintf(sel, args)+` }`, map[string]any{"id": shenzhen})
		if len(byName.Errors) > 0 || len(byID.Errors) > 0 {
			t.Fatalf("%s: %s / %s", args, byName.Raw, byID.Raw)
		}
		if string(byID.Data) != string(byName.Data) {
			t.Errorf("%s: by id %s\nby name %s", args, byID.Data, byName.Data)
		}
		var got answer
		byID.MustData(t, &got)
		if n := len(got.City.Partnerships.Edges); n > 0 && byID.Statements != 1 {
			t.Errorf("%s: %d partnerships in %d statements, want 1", args, n, byID.Statements)
		}
	}
}

// An agreements page reads its agreements' parties and signatures (with the officials'
// cities) in its own statement, as nested lists in its rows (agreementsPage): each
// agreement answers as it does read alone, through the loaders, whatever columns the
// query shows.
func TestAgreementsPageReadsItsListsWithIt(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.ReadCacheBytes = 0
	a := MustAPIWith(t, cfg)
	MustInsertNetwork(t, a, 30)
	compareWithAlone(t, a)
	// The page puts its lists in order itself; where positions tie, names and ids
	// decide, as they do for lists read alone.
	for _, table := range []string{"agreement_parties", "signatories"} {
		if _, err := a.db.Exec(`UPDATE ` + table + ` SET position = 0`); err != nil {
			t.Fatal(err)
		}
	}
	// And a signing official without a city: the nested city's columns are all NULL.
	if res, err := a.db.Exec(`UPDATE officials SET city_id = NULL WHERE id = (SELECT s.official_id FROM signatories s
  JOIN agreements g ON g.id = s.agreement_id ORDER BY coalesce(g.signed_on, '-infinity') DESC, g.id DESC, s.official_id LIMIT 1)`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d officials lost their city", n)
	}
	compareWithAlone(t, a)
}

// compareWithAlone holds every agreement of a page, with its lists, to the agreement read
// alone.
func compareWithAlone(t *testing.T, a *api) {
	t.Helper()
	for _, sel := range []string{
		`{ id title parties { name } signatories { official { name } } }`,
		`{ id title signedOn parties { id name version population location { latitude longitude } wikidataId geonamesId
  country { code name wikidataId } } signatories { role official { id name version title wikidataId
  city { name population country { name } } } } }`,
		`{ id parties { name country { name } } signatories { role official { name title city { name } } } }`,
	} {
		page := a.MustPost(t, `{ agreements(first: 50) { nodes `+sel+` } }`, nil)
		var got struct {
			Agreements struct{ Nodes []json.RawMessage }
		}
		page.MustData(t, &got)
		if len(got.Agreements.Nodes) == 0 {
			t.Fatal("no agreements")
		}
		if page.Statements != 1 {
			t.Errorf("%s: the page took %d statements, want 1", sel, page.Statements)
		}
		// A page read backwards, through edges, holds the same agreements' lists.
		var back struct {
			Agreements struct {
				Edges []struct{ Node json.RawMessage }
			}
		}
		a.MustPost(t, `{ agreements(last: 7) { edges { cursor node `+sel+` } } }`, nil).MustData(t, &back)
		for _, e := range back.Agreements.Edges {
			got.Agreements.Nodes = append(got.Agreements.Nodes, e.Node)
		}
		for _, node := range got.Agreements.Nodes {
			var id struct{ ID string }
			if err := json.Unmarshal(node, &id); err != nil || id.ID == "" {
				t.Fatalf("no id in %s", node)
			}
			alone := a.MustPost(t, `query($id: ID!) { agreement(id: $id) `+sel+` }`, map[string]any{"id": id.ID})
			var one struct{ Agreement json.RawMessage }
			alone.MustData(t, &one)
			if string(one.Agreement) != string(node) {
				t.Errorf("%s:\nin the page %s\nalone       %s", sel, node, one.Agreement)
			}
		}
	}
}

// An agreements page that shows its parties' countries but not its signing officials'
// cities' reads those cities without their country (Q3: a sixth of its statement's cost
// to PostgreSQL), and they are cities of their own loader and cache key: no field that
// shows a city's country gets one of them, in the same query (an alias that shows it)
// or from the read cache afterwards.
func TestOfficialCitiesReadWithoutTheirCountry(t *testing.T) {
	t.Parallel()
	a := MustAPI(t) // the read cache on, as a server runs
	MustInsertNetwork(t, a, 30)
	type city struct {
		ID      string
		Name    string
		Country *struct{ Name string }
	}
	type official struct {
		ID   string
		City *city
		Home *city
	}
	// A signature's party, often the official's city, shows its country (first, before
	// the read cache holds any of it).
	var parties struct {
		Agreements struct {
			Nodes []struct {
				Signatories []struct {
					Party    city
					Official official
				}
			}
		}
	}
	a.MustPost(t, `{ agreements(first: 50) { nodes { signatories { party { id name country { name } } official { id city { id name } } } } } }`, nil).MustData(t, &parties)
	same := 0
	for _, n := range parties.Agreements.Nodes {
		for _, s := range n.Signatories {
			if s.Party.Country == nil || s.Party.Country.Name == "" {
				t.Errorf("party %s: no country", s.Party.ID)
			}
			if s.Official.City != nil && s.Official.City.ID == s.Party.ID {
				same++
			}
		}
	}
	if same == 0 {
		t.Error("no official signs for their own city: the case is not tried")
	}

	var page struct {
		Agreements struct {
			Nodes []struct {
				Signatories []struct{ Official official }
			}
		}
	}
	first := a.MustPost(t, `{ agreements(first: 50) { nodes { parties { name country { name } }
  signatories { official { id city { id name } } } } } }`, nil)
	first.MustData(t, &page)
	if first.Statements != 1 {
		t.Errorf("the page took %d statements, want 1", first.Statements)
	}
	officials := map[string]official{}
	for _, n := range page.Agreements.Nodes {
		for _, s := range n.Signatories {
			if s.Official.City != nil {
				officials[s.Official.ID] = s.Official
			}
		}
	}
	if len(officials) == 0 {
		t.Fatal("no signing official has a city")
	}

	// The same officials' cities with their country, from the cache and alone.
	for id, o := range officials {
		var got struct{ Official official }
		a.MustPost(t, `query($id: ID!) { official(id: $id) { id city { id name country { name } } } }`, map[string]any{"id": id}).MustData(t, &got)
		if c := got.Official.City; c == nil || c.ID != o.City.ID || c.Name != o.City.Name || c.Country == nil || c.Country.Name == "" {
			t.Errorf("official %s: city %+v, want %s with its country", id, c, o.City.Name)
		}
	}

	// One alias shows the country and another does not, in one page.
	page.Agreements.Nodes = nil
	a.MustPost(t, `{ agreements(first: 50) { nodes { parties { name country { name } }
  signatories { official { id city { id name } home: city { id name country { name } } } } } } }`, nil).MustData(t, &page)
	seen := 0
	for _, n := range page.Agreements.Nodes {
		for _, s := range n.Signatories {
			o := s.Official
			if o.City == nil {
				continue
			}
			seen++
			if o.Home == nil || o.Home.ID != o.City.ID || o.Home.Country == nil || o.Home.Country.Name == "" || o.City.Country != nil {
				t.Errorf("official %s: city %+v, home %+v", o.ID, o.City, o.Home)
			}
		}
	}
	if seen == 0 {
		t.Error("no signing official has a city in the aliased page")
	}

}
