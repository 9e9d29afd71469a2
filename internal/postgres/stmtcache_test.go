package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestPreparedStatements checks the per-connection statement cache against a real
// server: a statement with arguments is prepared once and reused, the cache stays
// within its bound, and a statement whose table changed shape since it was prepared
// is prepared again instead of failing.
func TestPreparedStatements(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	conn, err := db.Connx(ctx) // one connection, so its prepared statements can be read
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prepared := func() (n int) {
		t.Helper()
		if err := conn.GetContext(ctx, &n, `SELECT count(*) FROM pg_prepared_statements`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if _, err := conn.ExecContext(ctx, `CREATE TABLE stmt_probe (id int PRIMARY KEY, a text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO stmt_probe VALUES ($1, $2), ($3, $4)`, 1, "one", 2, "two"); err != nil {
		t.Fatal(err)
	}
	base := prepared()
	for i, want := range []string{"one", "two", "one"} {
		var got string
		if err := conn.GetContext(ctx, &got, `SELECT a FROM stmt_probe WHERE id = $1`, i%2+1); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("read %d: got %q, want %q", i, got, want)
		}
	}
	if n := prepared(); n != base+1 {
		t.Errorf("three runs of one text left %d prepared statements, want %d", n, base+1)
	}

	// The table changes shape under a prepared SELECT *: PostgreSQL refuses the cached
	// plan, and the connection prepares the text again.
	var before []any
	rows, err := conn.QueryxContext(ctx, `SELECT * FROM stmt_probe WHERE id = $1`, 1)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if before, err = rows.SliceScan(); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if _, err := conn.ExecContext(ctx, `ALTER TABLE stmt_probe ADD COLUMN b text DEFAULT 'new'`); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryxContext(ctx, `SELECT * FROM stmt_probe WHERE id = $1`, 1)
	if err != nil {
		t.Fatalf("after the table changed: %v", err)
	}
	var after []any
	for rows.Next() {
		if after, err = rows.SliceScan(); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if len(before) != 2 || len(after) != 3 {
		t.Errorf("columns before and after ALTER: %d and %d, want 2 and 3", len(before), len(after))
	}

	// Many distinct texts: the connection keeps at most its bound.
	for i := range 300 {
		var n int
		if err := conn.GetContext(ctx, &n, fmt.Sprintf(`SELECT $1::int + %d`, i), 1); err != nil {
			t.Fatal(err)
		}
		if n != i+1 {
			t.Fatalf("got %d, want %d", n, i+1)
		}
	}
	if n := prepared(); n > 128 {
		t.Errorf("%d prepared statements on one connection, want at most 128", n)
	}
}
