package postgres_test

import (
	"context"
	"testing"

	"github.com/amity/amity/internal/postgres"
)

// TestByExternalKeys: many keys, one statement; keys match as the single lookups do
// (trimmed, any case), each value as given maps to its entity, and unknown ones are
// absent.
func TestByExternalKeys(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx, n := postgres.WithStatementCounter(context.Background())
	mustExec := func(q string, args ...any) {
		if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`UPDATE officials SET wikidata_qid = 'Q1001' WHERE id = $1`, f.Officials["o01"])
	mustExec(`UPDATE institutions SET wikidata_qid = 'Q2001' WHERE id = (SELECT id FROM institutions ORDER BY id LIMIT 1)`)

	countries, err := db.CountriesByCode(ctx, []string{"CN", "cn", " ru ", "ZZ", "CN"})
	if err != nil {
		t.Fatal(err)
	}
	if len(countries) != 3 || countries["CN"].ID != f.Countries["CN"] || countries["cn"] != countries["CN"] ||
		countries[" ru "].ID != f.Countries["RU"] || countries["ZZ"] != nil {
		t.Errorf("countries: %v", countries)
	}
	cities, err := db.CitiesByWikidata(ctx, []string{"Q15174", "q15174", "Q1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cities) != 2 || cities["Q15174"].ID != f.Cities["shenzhen"] || cities["q15174"] != cities["Q15174"] || cities["Q1"] != nil {
		t.Errorf("cities: %v", cities)
	}
	officials, err := db.OfficialsByWikidata(ctx, []string{"Q1001", "Q2001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(officials) != 1 || officials["Q1001"].ID != f.Officials["o01"] {
		t.Errorf("officials: %v", officials)
	}
	institutions, err := db.InstitutionsByWikidata(ctx, []string{"Q2001", "Q1001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(institutions) != 1 || institutions["Q2001"] == nil {
		t.Errorf("institutions: %v", institutions)
	}
	if got := n.Load(); got != 4 {
		t.Errorf("four batch lookups ran %d statements", got)
	}
	if none, err := db.CountriesByCode(ctx, nil); err != nil || len(none) != 0 || n.Load() != 4 {
		t.Errorf("no codes: %v, %v, %d statements", none, err, n.Load())
	}
}
