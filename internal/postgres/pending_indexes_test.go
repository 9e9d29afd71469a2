package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestImportFirstLoadBuildsIndexesAfterCommit loads a gazetteer into empty city tables,
// the load whose indexes are built after it commits: when Import returns, every index
// and constraint is back as it was, none is left pending, and every city, name,
// citation and audit entry is there.
func TestImportFirstLoadBuildsIndexesAfterCommit(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	before := cityTablesSchema(t, db)

	sum, err := importBytes(db, "cities.txt", geoNamesRows(92_000_001, postgres.BulkCities), importer.FormatGeoNames)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts["city"], knowledge.BatchCounts{Created: postgres.BulkCities}); diff != "" {
		t.Errorf("city counts (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(cityTablesSchema(t, db), before); diff != "" {
		t.Errorf("indexes or constraints after a first load (-got +want):\n%s", diff)
	}
	for query, want := range map[string]int64{
		`SELECT count(*) FROM pending_indexes`:                                            0,
		`SELECT count(*) FROM cities`:                                                     postgres.BulkCities,
		`SELECT count(*) FROM city_names WHERE source_id IS NOT NULL`:                     3 * postgres.BulkCities,
		`SELECT count(*) FROM city_sources`:                                               postgres.BulkCities,
		`SELECT count(*) FROM audit_log WHERE entity_type = 'City' AND action = 'CREATE'`: postgres.BulkCities,
		`SELECT count(*) FROM city_names WHERE name_fold = 'testburg 92000007'`:           1,
	} {
		if n := mustCount(t, db, query); n != want {
			t.Errorf("%s = %d, want %d", query, n, want)
		}
	}
}

// TestMigrateBuildsPendingIndexes stands for an import that stopped between its commit
// and its index builds: the next migration builds what is pending and forgets it, and
// an index that cannot be built stays pending, named in the error.
func TestMigrateBuildsPendingIndexes(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	ctx := context.Background()
	var def string
	if err := db.Get(&def, `SELECT pg_get_indexdef('cities_name_idx'::regclass)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP INDEX cities_name_idx`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO pending_indexes (name, table_name, def) VALUES ('cities_name_idx', 'cities', $1)`, def); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM pg_indexes WHERE indexname = 'cities_name_idx'`); n != 1 {
		t.Errorf("cities_name_idx not built by the migration")
	}
	if n := mustCount(t, db, `SELECT count(*) FROM pending_indexes`); n != 0 {
		t.Errorf("%d indexes still pending after the migration", n)
	}

	if _, err := db.Exec(`INSERT INTO pending_indexes (name, table_name, def)
VALUES ('cities_nonsense_idx', 'cities', 'CREATE INDEX cities_nonsense_idx ON public.cities USING btree (no_such_column)')`); err != nil {
		t.Fatal(err)
	}
	err := postgres.Migrate(ctx, db.DB)
	if err == nil || !strings.Contains(err.Error(), "cities_nonsense_idx") {
		t.Fatalf("Migrate with an index that cannot be built = %v, want an error naming it", err)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM pending_indexes WHERE name = 'cities_nonsense_idx'`); n != 1 {
		t.Errorf("the failed index is no longer pending")
	}
}
