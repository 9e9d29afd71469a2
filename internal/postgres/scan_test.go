package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/postgres/pgtest"
)

type scanInner struct {
	Name  string  `db:"name"`
	Note  *string `db:"note"`
	Count *int    `db:"count"`
}

type scanEmbedded struct {
	Key string `db:"key"`
}

type scanRow struct {
	scanEmbedded
	ID     uuid.UUID  `db:"id"`
	Maybe  *uuid.UUID `db:"maybe"`
	Flag   bool       `db:"flag"`
	Inner  *scanInner `db:"inner"`
	Plain  scanInner  `db:"plain"`
	Unused *scanInner `db:"unused"`
}

// The store's reads scan rows in place (scan.go); whatever the rows, the slices are what
// sqlx's own scan gives, including the nested structs it allocates and the NULLs it
// leaves nil, and a column without a field is refused as sqlx refuses it.
func TestRowsScanInPlaceAsSqlxDoes(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	const rows = `SELECT n::text AS key, md5(n::text)::uuid AS id,
  CASE WHEN n % 3 = 0 THEN NULL ELSE md5((n + 1)::text)::uuid END AS maybe, n % 2 = 0 AS flag,
  'inner ' || n AS "inner.name", CASE WHEN n % 4 = 0 THEN NULL ELSE 'note ' || n END AS "inner.note",
  CASE WHEN n % 5 = 0 THEN NULL ELSE n END AS "inner.count",
  'plain ' || n AS "plain.name", NULL::text AS "plain.note", n * 2 AS "plain.count"
FROM generate_series(1, $1::int) AS n ORDER BY n`
	for _, n := range []int{0, 1, 8, 9, 100} {
		var got, want []scanRow
		if err := db.SelectContext(ctx, &got, rows, n); err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		if err := sqlx.SelectContext(ctx, db.DB, &want, rows, n); err != nil {
			t.Fatalf("%d rows, sqlx: %v", n, err)
		}
		if len(got) != n {
			t.Errorf("%d rows: scanned %d", n, len(got))
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(scanRow{})); diff != "" {
			t.Errorf("%d rows (-sqlx +in place):\n%s", n, diff)
		}
	}

	// A slice the caller filled before is replaced, not appended to.
	got := []scanRow{{ID: uuid.New()}}
	if err := db.SelectContext(ctx, &got, rows, 2); err != nil || len(got) != 2 || got[0].Key != "1" {
		t.Errorf("a filled slice: %v, %d rows", err, len(got))
	}

	// Slices of one column's values are sqlx's to scan.
	var ids []uuid.UUID
	if err := db.SelectContext(ctx, &ids, `SELECT md5(n::text)::uuid FROM generate_series(1, 3) AS n`); err != nil || len(ids) != 3 {
		t.Errorf("a slice of ids: %v, %d", err, len(ids))
	}

	var unknown []scanRow
	err := db.SelectContext(ctx, &unknown, `SELECT 'a' AS key, 'b' AS stray`)
	if err == nil || !strings.Contains(err.Error(), "missing destination name stray") {
		t.Errorf("a column without a field: %v", err)
	}
}
