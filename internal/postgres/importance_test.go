package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// importanceCity is a city of the importance tests: its key, country, name, other
// names, population (nil: unknown) and how many partnerships it has.
type importanceCity struct {
	key, country, name string
	aliases            []string
	population         any
	partners           int
}

// mustImportanceDB stores the cities, each with its partnerships (to cities of its own
// that match no test name), and returns their ids by key. Ids are fixed and increase
// with the order of the list, so ties broken by id are known in advance.
func mustImportanceDB(t *testing.T, cities []importanceCity) (*postgres.DB, map[string]uuid.UUID) {
	t.Helper()
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	countries := map[string]uuid.UUID{}
	ids := map[string]uuid.UUID{}
	n := 0
	newID := func(kind int) uuid.UUID {
		n++
		return uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8000-%02d%010d", kind, n))
	}
	for _, c := range cities {
		if _, ok := countries[c.country]; !ok {
			countries[c.country] = newID(1)
			exec(`INSERT INTO countries (id, code, name) VALUES ($1, $2, $3)`, countries[c.country], c.country, "Country "+c.country)
		}
		id := newID(2)
		ids[c.key] = id
		exec(`INSERT INTO cities (id, country_id, name, population) VALUES ($1, $2, $3, $4)`, id, countries[c.country], c.name, c.population)
		for _, a := range c.aliases {
			exec(`INSERT INTO city_names (city_id, language, name) VALUES ($1, 'und', $2)`, id, a)
		}
		for i := 0; i < c.partners; i++ {
			partner := newID(3)
			exec(`INSERT INTO cities (id, country_id, name) VALUES ($1, $2, $3)`, partner, countries[c.country], fmt.Sprintf("Partner %d", n))
			a, b := id, partner
			if b.String() < a.String() {
				a, b = b, a
			}
			exec(`INSERT INTO partnerships (kind, city_a_id, city_b_id) VALUES ('SISTER_CITY', $1, $2)`, a, b)
		}
	}
	return db, ids
}

// importanceCities: the same names in several countries, with and without a
// population, with and without partnerships, as a name and as another city's alias.
var importanceCities = []importanceCity{
	{"montevideo-us", "US", "Montevideo", nil, 5_383, 1},
	{"montevideo-uy", "UY", "Montevideo", nil, 1_270_737, 0},
	{"montevideo-pe", "PE", "Montevideo", nil, nil, 18},
	{"moskva-tj", "TJ", "Moskva", nil, nil, 0},
	{"moscow", "RU", "Moscow", []string{"Moskva", "Москва"}, 10_381_222, 0},
	{"cordoba-mx", "MX", "Córdoba", nil, 134_403, 0},
	{"cordoba-ar", "AR", "Córdoba", nil, 1_428_214, 0},
	{"cordoba-x", "CO", "Cordoba", nil, nil, 0},
	{"tirana-a", "AL", "Tirana", nil, nil, 1},
	{"tirana-b", "AL", "Tirana", nil, nil, 3},
	{"tirana-c", "XK", "Tirana", nil, nil, 2},
	{"same-a", "AA", "Sameville", nil, 1_000, 2},
	{"same-b", "BB", "Sameville", nil, 1_000, 2},
	{"same-c", "CC", "Sameville", nil, 1_000, 5},
	{"same-d", "DD", "Sameville", nil, 999, 9},
}

// TestCityByNameImportance: when several cities match a name, city(name:) answers the
// most important (docs/cities.md): population, then partnerships, then id.
func TestCityByNameImportance(t *testing.T) {
	t.Parallel()
	db, ids := mustImportanceDB(t, importanceCities)
	tests := []struct {
		name, input, country, want string
	}{
		{"population decides", "Montevideo", "", "montevideo-uy"},
		{"a known population beats partnerships", "montevideo", "", "montevideo-uy"},
		{"an alias of a larger city beats a city's own name", "Moskva", "", "moscow"},
		{"any script", "Москва", "", "moscow"},
		{"accents ignored, then population", "Cordoba", "", "cordoba-ar"},
		{"no population: partnerships decide", "Tirana", "", "tirana-b"},
		{"same population: partnerships decide", "Sameville", "", "same-c"},
		{"a country by its code narrows the name", "Montevideo", "us", "montevideo-us"},
		{"a country by its name, case and accents ignored", "Montevideo", "COUNTRY PE", "montevideo-pe"},
		{"the country's own name wins over a larger city elsewhere", "Moskva", "TJ", "moskva-tj"},
		{"importance decides within the country", "Tirana", "AL", "tirana-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.CityByName(context.Background(), tt.input, tt.country)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != ids[tt.want] {
				t.Errorf("got %v (%s), want %s (%v)", got.ID, got.Name, tt.want, ids[tt.want])
			}
		})
	}

	// Equal in population and partnerships: the lower id wins.
	db2, ids2 := mustImportanceDB(t, []importanceCity{
		{"first", "AA", "Twinton", nil, 500, 1},
		{"second", "BB", "Twinton", nil, 500, 1},
	})
	got, err := db2.CityByName(context.Background(), "Twinton", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.CityByName(context.Background(), "Montevideo", "RU")
	MustFail(t, err, knowledge.ENOTFOUND, "")
	if got.ID != ids2["first"] {
		t.Errorf("equal cities: got %v, want the lower id %v", got.ID, ids2["first"])
	}
}

// TestSearchTiesByImportance: hits with the same score come in order of importance,
// on one page and across pages.
func TestSearchTiesByImportance(t *testing.T) {
	t.Parallel()
	db, ids := mustImportanceDB(t, importanceCities)
	tests := []struct {
		query string
		want  []string // the first hits, in order
	}{
		// Four exact matches (score 2), by population, then partnerships, then id.
		{"Sameville", []string{"same-c", "same-a", "same-b", "same-d"}},
		{"Montevideo", []string{"montevideo-uy", "montevideo-us", "montevideo-pe"}},
		{"Tirana", []string{"tirana-b", "tirana-c", "tirana-a"}},
		{"Córdoba", []string{"cordoba-ar", "cordoba-mx", "cordoba-x"}},
		// The alias and the city's own name score the same.
		{"Moskva", []string{"moscow", "moskva-tj"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var want []uuid.UUID
			for _, k := range tt.want {
				want = append(want, ids[k])
			}
			q := knowledge.SearchQuery{Text: tt.query, Types: []string{knowledge.SearchCity}}
			page, _, err := db.Search(context.Background(), q, knowledge.PageArgs{First: intp(len(want))})
			if err != nil {
				t.Fatal(err)
			}
			var got []uuid.UUID
			for _, h := range page.Items {
				got = append(got, h.ID)
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("one page (-got +want):\n%s", diff)
			}

			// One hit a page, each page after the last one's cursor.
			got = nil
			var after *string
			for i := 0; i < len(want); i++ {
				page, _, err := db.Search(context.Background(), q, knowledge.PageArgs{First: intp(1), After: after})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) != 1 {
					t.Fatalf("page %d: %d hits", i+1, len(page.Items))
				}
				got = append(got, page.Items[0].ID)
				after = &page.Cursors[0]
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("a hit a page (-got +want):\n%s", diff)
			}
		})
	}
}

// cities(filter: {name}) lists every city city(name:) chooses among, whole names only.
func TestCitiesByName(t *testing.T) {
	t.Parallel()
	db, ids := mustImportanceDB(t, importanceCities)
	tests := []struct {
		name string
		q    knowledge.CityQuery
		want []string
	}{
		{"every Montevideo", knowledge.CityQuery{Name: "montevideo"}, []string{"montevideo-us", "montevideo-uy", "montevideo-pe"}},
		{"own names and other names", knowledge.CityQuery{Name: "Moskva"}, []string{"moskva-tj", "moscow"}},
		{"with a country", knowledge.CityQuery{Name: "Montevideo", CountryCode: "uy"}, []string{"montevideo-uy"}},
		{"whole names only", knowledge.CityQuery{Name: "Montevid"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := 50
			page, err := db.Cities(context.Background(), tt.q, knowledge.PageArgs{First: &first})
			if err != nil {
				t.Fatal(err)
			}
			got := map[uuid.UUID]bool{}
			for _, c := range page.Items {
				got[c.ID] = true
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d cities, want %v", len(got), tt.want)
			}
			for _, w := range tt.want {
				if !got[ids[w]] {
					t.Errorf("%s missing", w)
				}
			}
		})
	}
}
