package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// A first gazetteer load sets the secondary indexes of the city tables aside
// (prepareBulk) and, rather than build them one after another inside its transaction,
// writes their definitions to pending_indexes in that transaction and builds them once it
// has committed, pendingBuilders at a time on separate connections. PostgreSQL 15 builds
// a GiST or GIN index in one process, and the trigram GiST index of city_names alone is
// about half of all the building (docs/import.md): on its own connection, every other
// index is built beside it. The rows are written and their constraints checked in the
// load's transaction, as before; only the indexes that answer reads come after, so a
// reader meanwhile gets the same answers, more slowly, where it used to wait for the
// whole load.

// pendingBuilders is how many connections build pending indexes at once: one for the
// longest build and one for all the others beside it. More would compete for the same
// processors of a 2-core database host.
const pendingBuilders = 2

// setAsideIndex records, inside a bulk load's transaction, that the index named name
// on table, defined by def, is to be built after the load commits.
const setAsideIndex = `INSERT INTO pending_indexes (name, table_name, def) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET def = excluded.def, table_name = excluded.table_name`

// BuildPendingIndexes builds every index pending_indexes holds, each in a transaction of
// its own that also deletes its row, so that an index is either built and forgotten or
// still pending: a build that fails or is cancelled leaves its row for the next call.
// Migrate calls it, so that an import stopped between its commit and its last build
// leaves nothing missing once anything migrates the database again. An index another
// process is building is left to that process. p, when not nil, hears of the phase
// when there is anything to build. It returns how many it built.
func BuildPendingIndexes(ctx context.Context, db *sql.DB, p ImportProgress) (int, error) {
	var pending int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pending_indexes`).Scan(&pending); err != nil {
		return 0, fmt.Errorf("pending indexes: %w", err)
	}
	if pending == 0 {
		return 0, nil
	}
	if p != nil {
		p.Phase("building indexes")
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		built int
		errs  []error
	)
	for range min(pending, pendingBuilders) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ok, err := buildPendingIndex(ctx, db)
				mu.Lock()
				if ok {
					built++
				}
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if !ok || err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return built, errors.Join(errs...)
}

// buildPendingIndex builds the next pending index no other transaction is building, and
// reports false when there is none. GiST indexes come first, then GIN, then the others,
// each of the largest tables first: longest first, so that the short builds fit beside
// the long ones.
func buildPendingIndex(ctx context.Context, db *sql.DB) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("build pending index: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var name, def string
	err = tx.QueryRowContext(ctx, `
SELECT name, def FROM pending_indexes
ORDER BY def NOT LIKE '% USING gist %', def NOT LIKE '% USING gin %',
    pg_total_relation_size(to_regclass(table_name)) DESC NULLS LAST, name
LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&name, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("build pending index: %w", err)
	}
	// Sorting in memory: a B-tree's, and the sorted build of the point index.
	if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '512MB'`); err != nil {
		return false, fmt.Errorf("build index %s: %w", name, err)
	}
	// The index may exist: built by hand, or by a build whose row's deletion was lost.
	if rest, ok := strings.CutPrefix(def, "CREATE INDEX "); ok {
		def = "CREATE INDEX IF NOT EXISTS " + rest
	}
	if _, err := tx.ExecContext(ctx, def); err != nil {
		return false, fmt.Errorf("build index %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending_indexes WHERE name = $1`, name); err != nil {
		return false, fmt.Errorf("build index %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("build index %s: commit: %w", name, err)
	}
	return true, nil
}
