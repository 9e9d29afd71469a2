package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres"
)

// city(name:, country:) narrows a name to one country, given by its code or its name;
// country without a name is refused.
func TestCityByNameAndCountry(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	tests := []struct {
		query, want, code string
	}{
		{`{ city(name: "Москва", country: "ru") { name } }`, `{"city":{"name":"Moscow"}}`, ""},
		{`{ city(name: "Moscow", country: "Russian Federation") { name } }`, `{"city":{"name":"Moscow"}}`, ""},
		{`{ city(name: "Moscow", country: "CN") { name } }`, `{"city":null}`, ""},
		{`{ city(country: "RU") { name } }`, "", "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		r := a.MustPost(t, tt.query, nil)
		if tt.code != "" {
			if len(r.Errors) == 0 || r.Errors[0].code() != tt.code {
				t.Errorf("%s: %s, want %s", tt.query, r.Raw, tt.code)
			}
			continue
		}
		if len(r.Errors) > 0 || strings.TrimSpace(string(r.Data)) != tt.want {
			t.Errorf("%s: %s, want data %s", tt.query, r.Raw, tt.want)
		}
	}
}

// mustImport imports a file of the given format into the API's database.
func (a *api) mustImport(tb testing.TB, name, file string, f importer.Format) {
	tb.Helper()
	b, err := importer.Parse(name, strings.NewReader(file), f, nil)
	if err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	if _, err := postgres.Import(context.Background(), a.db.DB, b, nil); err != nil {
		tb.Fatalf("import %s: %v", name, err)
	}
}

// city(name:, country:, admin1:) narrows a name to one first-level division, by its
// GeoNames admin1 code or its name, and City.division gives the code and, once
// admin1CodesASCII.txt is imported, the name. Synthetic: two Testvilles in Testland.
func TestCityByDivision(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	a.mustImport(t, "countries.json", `{"3166-1": [{"alpha_2": "XT", "name": "Testland", "official_name": "Republic of Testland"}]}`, importer.FormatISO3166)
	row := func(id int, lat float64, admin1 string, population int) string {
		return fmt.Sprintf("%d\tTestville\tTestville\t\t%g\t10\tP\tPPL\tXT\t\t%s\t\t\t\t%d\t\t1\tEtc/UTC\t2024-01-01\n", id, lat, admin1, population)
	}
	a.mustImport(t, "cities1000.txt", row(99300001, 10, "01", 5000)+row(99300002, 20, "02", 6000), importer.FormatGeoNames)
	const q = `query($admin1: String) { city(name: "Testville", country: "Republic of Testland", admin1: $admin1) { geonamesId division { code name } } }`
	tests := []struct {
		admin1 any
		want   string
	}{
		{"01", `{"city":{"geonamesId":99300001,"division":{"code":"01","name":null}}}`},
		{nil, `{"city":{"geonamesId":99300002,"division":{"code":"02","name":null}}}`},
		{"Alphaprovince", `{"city":null}`},
	}
	// An import here writes beside the server, as `amity import` does: the server's
	// caches hear of it from the change feed, within the replicas' bound
	// (docs/operations.md), so an answer may take a moment to change.
	check := func(within time.Duration) {
		t.Helper()
		for _, tt := range tests {
			deadline := time.Now().Add(within)
			for {
				r := a.MustPost(t, q, map[string]any{"admin1": tt.admin1})
				if len(r.Errors) == 0 && strings.TrimSpace(string(r.Data)) == tt.want {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("admin1 %v: %s, want data %s", tt.admin1, r.Raw, tt.want)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	check(0)
	a.mustImport(t, "admin1CodesASCII.txt", "XT.01\tAlphaprovince\tAlphaprovince\t99100001\n", importer.FormatAdmin1)
	tests[0].want = `{"city":{"geonamesId":99300001,"division":{"code":"01","name":"Alphaprovince"}}}`
	tests[2].want = tests[0].want
	check(5 * time.Second)

	r := a.MustPost(t, `{ cities(filter: {country: "XT", admin1: "alphaprovince"}) { nodes { geonamesId division { name } } } }`, nil)
	if want := `{"cities":{"nodes":[{"geonamesId":99300001,"division":{"name":"Alphaprovince"}}]}}`; len(r.Errors) > 0 || strings.TrimSpace(string(r.Data)) != want {
		t.Errorf("cities in a division: %s, want data %s", r.Raw, want)
	}
	for _, bad := range []string{
		`{ city(name: "Testville", admin1: "01") { name } }`,
		`{ cities(filter: {admin1: "01"}) { totalCount } }`,
	} {
		if r := a.MustPost(t, bad, nil); len(r.Errors) == 0 || r.Errors[0].code() != "BAD_USER_INPUT" {
			t.Errorf("%s: %s, want BAD_USER_INPUT", bad, r.Raw)
		}
	}
}
