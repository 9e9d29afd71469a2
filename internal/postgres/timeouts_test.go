package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestStatementTimeout shows the configured statement_timeout reaches every session
// and that PostgreSQL cancels a statement that runs longer.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: pgtest.MustCreateDB(t), MaxOpenConns: 2, StatementTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var setting string
	if err := db.GetContext(ctx, &setting, "SHOW statement_timeout"); err != nil {
		t.Fatal(err)
	}
	if setting != "150ms" {
		t.Errorf("statement_timeout is %q, want 150ms", setting)
	}
	start := time.Now()
	_, err = db.ExecContext(ctx, "SELECT pg_sleep(3)")
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "57014" {
		t.Fatalf("got %v, want query_canceled (57014)", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the statement ran %v", d)
	}
}

// TestDeadlineCancelsSQL shows that a request's deadline cancels its statement in
// PostgreSQL too, not only in the client: the backend stops running it.
func TestDeadlineCancelsSQL(t *testing.T) {
	t.Parallel()
	url := pgtest.MustCreateDB(t)
	db, err := postgres.Open(context.Background(), postgres.Config{URL: url, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := db.ExecContext(ctx, "SELECT pg_sleep(5) /* amity-deadline-test */"); err == nil {
		t.Fatal("a 5s statement finished within a 200ms deadline")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the request waited %v after its deadline", d)
	}
	// The backend must not still be sleeping.
	deadline := time.Now().Add(2 * time.Second)
	for {
		var n int
		err := db.GetContext(context.Background(), &n,
			`SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%amity-deadline-test%' AND pid <> pg_backend_pid()`)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cancelled statement still runs in PostgreSQL")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
