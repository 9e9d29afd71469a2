package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestReconcilePlan checks that reconciliation finds candidates by the exact-name
// indexes and reads each by its primary key: never the cities of a country (which,
// planned on a fresh load's statistics, made 10,000 lines take 25 s) nor a sequential
// scan of cities or city_names. Both with statistics and without (a file imported right
// after the cities it names), and with divisions given (by code and by name) or not.
func TestReconcilePlan(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 20,000 synthetic cities")
	}
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	if _, err := importFile(db, "../../testdata/import/countries.json"); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString(`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/plan"}` + "\n")
	for i := 0; i < 20_000; i++ {
		fmt.Fprintf(&sb, `{"type":"city","key":"c%d","name":"Testville %d","country":"%s","admin1":"%02d","population":%d,"latitude":%d,"longitude":%d,"names":[{"language":"fr","name":"Villetest %d"}],"sources":["s"]}`+"\n",
			i, i/2, []string{"XT", "XU"}[i%2], i%50, 1000+i, i%80, i%170, i)
	}
	if _, err := importBytes(db, "cities.ndjson", []byte(sb.String()), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	if _, err := importBytes(db, "admin1CodesASCII.txt", []byte("XT.01\tAlphaprovince\tAlphaprovince\t99100001\n"), importer.FormatAdmin1); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	nos, names, countries, coords := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	for i := range nos {
		nos[i], names[i], countries[i], coords[i] = int64(i), fmt.Sprintf("TESTVILLE %d", i), "Testland", fmt.Sprint(i%80)
	}
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if _, err := db.Exec(`ANALYZE cities, city_names`); err != nil {
				t.Fatal(err)
			}
		}
		for _, admin1 := range []string{"NULL", "01", "Alphaprovince"} {
			var plan []string
			admin1s := "{" + strings.Repeat(admin1+",", n-1) + admin1 + "}"
			if err := db.Select(&plan, `EXPLAIN `+postgres.ReconcileSQL, pq.Array(nos), pq.Array(names), pq.Array(countries),
				"{"+strings.Join(coords, ",")+"}", "{"+strings.Join(coords, ",")+"}", admin1s); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			for _, bad := range []string{"Seq Scan on cities", "Seq Scan on city_names", "cities_country_id_idx"} {
				if strings.Contains(text, bad) {
					t.Errorf("analyzed=%v: plan has %q:\n%s", analyzed, bad, text)
				}
			}
			for _, good := range []string{"cities_fold_c_idx", "city_names_fold_c_idx", "cities_pkey"} {
				if !strings.Contains(text, good) {
					t.Errorf("analyzed=%v: plan lacks %q:\n%s", analyzed, good, text)
				}
			}
			if admin1 != "NULL" {
				// The division's codes: one probe per index, never a scan of the country's cities.
				for _, good := range []string{"cities_admin1_idx", "divisions_fold_c_idx", "divisions_ascii_fold_c_idx"} {
					if !strings.Contains(text, good) {
						t.Errorf("analyzed=%v, admin1 %s: plan lacks %q:\n%s", analyzed, admin1, good, text)
					}
				}
			}
		}
	}
}
