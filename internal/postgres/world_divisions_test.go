package postgres_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// TestWorldDivisions checks the lookups by division over the world gazetteer: the
// answers for the two Córdobas (cities1000.txt: geonameid 3860259 in AR, admin1 05;
// 2519240 in ES, admin1 51) and plans that stay on the indexes. No npm package ships
// GeoNames' admin1CodesASCII.txt (docs/import.md), so every division of the gazetteer
// is given a synthetic name, "Division <code>", which gives the fold indexes the world's
// number of rows. Like BenchmarkWorldLookups, it runs only when AMITY_WORLD_CITIES
// names cities1000.txt (make bench-world installs it), and takes a few minutes.
func TestWorldDivisions(t *testing.T) {
	path := os.Getenv(worldCitiesEnv)
	if path == "" {
		t.Skipf("set %s to GeoNames' cities1000.txt", worldCitiesEnv)
	}
	countries := os.Getenv(worldCountriesEnv)
	if countries == "" {
		countries = worldCountriesDefault
	}
	db := mustWorldDB(t, countries, path)
	if _, err := db.Exec(`INSERT INTO divisions (id, country_id, code, name, ascii_name)
SELECT gen_random_uuid(), country_id, admin1_code, 'Division ' || admin1_code, 'Division ' || admin1_code
FROM cities WHERE admin1_code IS NOT NULL GROUP BY country_id, admin1_code;
ANALYZE divisions, cities`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		country, admin1 string
		want            int
	}{{"AR", "05", 3860259}, {"Argentina", "Division 05", 3860259}, {"ES", "51", 2519240}} {
		c, err := db.CityByNameInDivision(ctx, "Cordoba", tc.country, tc.admin1)
		if err != nil || c.GeonamesID == nil || *c.GeonamesID != tc.want {
			t.Errorf("Córdoba in %s, %s: %+v, %v; want GeoNames %d", tc.country, tc.admin1, c, err, tc.want)
		}
	}
	for _, st := range postgres.DivisionStatements("Cordoba", "AR", "05") {
		for _, generic := range []bool{false, true} {
			used, problems := checkPlan(mustExplain(t, db.DB, st, generic))
			for _, p := range problems {
				t.Errorf("%s (generic %v): %s", st.Name, generic, p)
			}
			if !slices.Contains(used, "cities_admin1_idx") {
				t.Errorf("%s (generic %v): does not use cities_admin1_idx (uses %v)", st.Name, generic, used)
			}
		}
	}
	var plan []string
	if err := db.Select(&plan, `EXPLAIN `+postgres.ReconcileSQL, pq.Array([]int64{0}), pq.Array([]string{"Cordoba"}),
		pq.Array([]string{"AR"}), "{NULL}", "{NULL}", pq.Array([]string{"Division 05"})); err != nil {
		t.Fatal(err)
	}
	for _, line := range plan {
		for _, bad := range []string{"Seq Scan on cities", "Seq Scan on city_names", "Seq Scan on divisions"} {
			if strings.Contains(line, bad) {
				t.Errorf("reconciliation by division: %s", line)
			}
		}
	}
	page, err := db.Cities(ctx, knowledge.CityQuery{CountryCode: "AR", Admin1: "05"}, knowledge.PageArgs{First: intp(5)})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("cities of AR 05: %v", err)
	}
}
