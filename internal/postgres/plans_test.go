package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// planRows is how many synthetic GeoNames rows TestLookupPlans loads: enough (with three
// other names each, 200,000 names) that a sequential scan costs the planner far more
// than any index, as it does with the world gazetteer, and that the import is a bulk
// load like the gazetteer's. With a few hundred rows a sequential scan is the cheapest
// plan and the test would prove nothing.
const planRows = postgres.BulkCities

// TestLookupPlans checks the plans of the lookups (city(name:), cities(filter:
// {nameContains}), cities(near:), search) over a gazetteer-sized database: no sequential scan of
// cities or city_names, no index read from end to end (an index scan without an index
// condition or a distance to order by), and the indexes the lookups were written for.
// Each statement is planned twice, as PostgreSQL plans a prepared statement: with its
// arguments (the first five executions) and generically (once the plan cache decides a
// generic plan is as good), and both must hold.
func TestLookupPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50,000 synthetic cities")
	}
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	if _, err := importBytes(db, "countries.json", mustRead(t, "countries.json"), importer.FormatISO3166); err != nil {
		t.Fatal(err)
	}
	if _, err := importBytes(db, "cities.txt", syllableRows(80_000_001, planRows), importer.FormatGeoNames); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM ANALYZE cities, city_names`); err != nil {
		t.Fatal(err)
	}
	row := 1234
	for len(syllableName(row)) < 10 {
		row++
	}
	name := syllableName(row)
	var city uuid.UUID
	if err := db.Get(&city, `SELECT id FROM cities WHERE geonames_id = $1`, 80_000_001+row); err != nil {
		t.Fatal(err)
	}

	// The indexes each lookup must use, by statement name prefix.
	long, short := strings.ToLower(name), strings.ToLower(name[:3])
	want := map[string][]string{
		"city(name:)":                    {"cities_fold_c_idx", "city_names_fold_c_idx"},
		"city(name:, country:, admin1:)": {"cities_fold_c_idx", "city_names_fold_c_idx", "divisions_pkey", "cities_admin1_idx"},
		"cities(nameContains)":           {"cities_name_gin_idx", "city_names_name_gin_idx"},
		"search " + long:                 {"cities_fold_c_idx", "city_names_fold_c_idx", "cities_name_gin_idx", "city_names_name_gin_idx"},
		"search " + short + " ":          {"cities_name_trgm_idx", "city_names_name_trgm_idx"},
		"cities(near":                    {"cities_point_idx"},
	}
	stmts := postgres.LookupStatements(name, name[1:7], long, short, city)
	for _, st := range stmts {
		for _, generic := range []bool{false, true} {
			name := st.Name
			if generic {
				name += " (generic)"
			}
			t.Run(name, func(t *testing.T) {
				plan := mustExplain(t, db, st, generic)
				used, problems := checkPlan(plan)
				for _, p := range problems {
					t.Errorf("%s\nplan:\n%s", p, plan)
				}
				for prefix, indexes := range want {
					if !strings.HasPrefix(st.Name+" ", prefix) {
						continue
					}
					for _, ix := range indexes {
						if !slices.Contains(used, ix) {
							t.Errorf("plan does not use %s (uses %v)\nplan:\n%s", ix, used, plan)
						}
					}
				}
			})
		}
	}
}

// mustExplain returns the JSON plan of the statement, planned with its arguments or,
// when generic, as a prepared statement's generic plan. It runs in a transaction of its
// own, with the search's similarity threshold, as the store runs searches.
func mustExplain(t *testing.T, db *sqlx.DB, st postgres.LookupStatement, generic bool) json.RawMessage {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SET LOCAL pg_trgm.word_similarity_threshold = 0.45`); err != nil {
		t.Fatal(err)
	}
	var out []byte
	if !generic {
		err = tx.QueryRow("EXPLAIN (FORMAT JSON) "+st.SQL, st.Args...).Scan(&out)
	} else {
		// EXPLAIN EXECUTE takes its arguments as literals; they are the test's own.
		lits := make([]string, len(st.Args))
		for i, a := range st.Args {
			if a == nil {
				lits[i] = "NULL"
				continue
			}
			lits[i] = pqLiteral(fmt.Sprint(a))
		}
		if _, err = tx.Exec(`SET LOCAL plan_cache_mode = force_generic_plan`); err == nil {
			if _, err = tx.Exec("PREPARE lookup AS " + st.SQL); err == nil {
				err = tx.QueryRow("EXPLAIN (FORMAT JSON) EXECUTE lookup(" + strings.Join(lits, ", ") + ")").Scan(&out)
				// A prepared statement outlives the transaction.
				if _, derr := tx.Exec("DEALLOCATE lookup"); err == nil {
					err = derr
				}
			}
		}
	}
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, st.SQL)
	}
	return out
}

func pqLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// checkPlan walks a JSON plan and returns the indexes it reads and what is wrong with
// it: a sequential scan of cities or city_names, or an index of theirs read without a
// condition (from end to end).
func checkPlan(raw json.RawMessage) (used, problems []string) {
	var plans []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil {
		return nil, []string{"unreadable plan: " + err.Error()}
	}
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		rel, _ := n["Relation Name"].(string)
		typ, _ := n["Node Type"].(string)
		if ix, ok := n["Index Name"].(string); ok && !slices.Contains(used, ix) {
			used = append(used, ix)
		}
		if rel == "cities" || rel == "city_names" {
			_, cond := n["Index Cond"]
			_, knn := n["Order By"]
			switch {
			case typ == "Seq Scan":
				problems = append(problems, "sequential scan of "+rel)
			case (typ == "Index Scan" || typ == "Index Only Scan") && !cond && !knn:
				problems = append(problems, fmt.Sprintf("%s of %s without a condition (%v)", typ, rel, n["Index Name"]))
			}
		}
		if kids, ok := n["Plans"].([]any); ok {
			for _, k := range kids {
				if m, ok := k.(map[string]any); ok {
					walk(m)
				}
			}
		}
	}
	for _, p := range plans {
		walk(p.Plan)
	}
	slices.Sort(used)
	return used, problems
}

// syllables make up the synthetic city names: words of two to four syllables share
// trigrams the way real names do, some often and most rarely, where numbered names
// ("Testville 1234") would all share the same few.
var syllables = strings.Fields("ka ro mi be lo tu sa na ve di po ga lu re zo fi ta ne mo ri " +
	"ku sel dor vin mar tal ben gor lis fen ham pur dal cor bri ost wen ly")

// syllableName is the deterministic name of synthetic row i: one or two words.
func syllableName(i int) string {
	x := uint64(i)*0x9E3779B97F4A7C15 + 1
	next := func(n int) int {
		x ^= x >> 33
		x *= 0xff51afd7ed558ccd
		x ^= x >> 29
		return int(x % uint64(n))
	}
	word := func() string {
		var b strings.Builder
		for k := 2 + next(3); k > 0; k-- {
			b.WriteString(syllables[next(len(syllables))])
		}
		w := b.String()
		return strings.ToUpper(w[:1]) + w[1:]
	}
	if next(3) == 0 {
		return word() + " " + word()
	}
	return word()
}

// syllableRows is a synthetic GeoNames cities file of n rows with ids from first and
// syllable names, three other names a row (two spellings and a name in another
// script), in the two user-assigned country codes of testdata/import/countries.json.
func syllableRows(first, n int) []byte {
	var b strings.Builder
	b.Grow(n * 160)
	for i := 0; i < n; i++ {
		name := syllableName(i)
		cc := "XT"
		if i%2 == 1 {
			cc = "XU"
		}
		lat := float64(i%170) - 85
		lon := float64(i%360) - 180
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s,%s,%s\t%.4f\t%.4f\tP\tPPL\t%s\t\t01\t\t\t\t%d\t\t10\tEtc/UTC\t2024-01-01\n",
			first+i, name, name, name+"a", "San "+name, "Сан "+name, lat, lon, cc, 1000+i)
	}
	return []byte(b.String())
}
