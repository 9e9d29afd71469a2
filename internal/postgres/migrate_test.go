package postgres_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestMigrateConcurrently starts several "replicas" on one empty database at once: the
// advisory lock lets one migrate while the others wait, and none fails.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := pgtest.MustCreateDB(t)
	ctx := context.Background()
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, postgres.Config{URL: url, MaxOpenConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = postgres.Migrate(ctx, db.DB.DB)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied int
	if err := db.Get(&applied, "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied"); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("got %d applied migrations recorded, want %d (each applied once)", applied, len(files))
	}
}
