package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestStalledPooledConnection stalls the network under connections already in the
// pool, as when PostgreSQL's processes are stopped or packets go nowhere, and runs
// statements on them in each way the store does: with arguments (a prepared
// statement), without, in a transaction. Each must give up soon after its context's
// deadline, however long the connect timeout: lib/pq cancels a statement on a new
// connection that it waits on, and that wait must not outlast the socket's own grace.
func TestStalledPooledConnection(t *testing.T) {
	t.Parallel()
	proxy := pgtest.MustProxy(t)
	url := proxy.URL(t, pgtest.MustCreateDB(t))
	// The default connect timeout (5 s): the old cancel path waited for it.
	db, err := postgres.Open(context.Background(), postgres.Config{URL: url, MaxOpenConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	statements := map[string]func(ctx context.Context) error{
		"prepared": func(ctx context.Context) error {
			var n int
			return db.GetContext(ctx, &n, "SELECT $1::int", 1)
		},
		"simple": func(ctx context.Context) error {
			var n int
			return db.GetContext(ctx, &n, "SELECT 1")
		},
		"transaction": func(ctx context.Context) error {
			tx, err := db.BeginTxx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			var n int
			if err := tx.GetContext(ctx, &n, "SELECT $1::int", 2); err != nil {
				return err
			}
			return tx.Commit()
		},
	}
	// Warm the pool: every kind once, so that the stall meets pooled connections with
	// their statements prepared.
	for name, run := range statements {
		if err := run(context.Background()); err != nil {
			t.Fatalf("%s before the stall: %v", name, err)
		}
	}
	if open := db.Stats().OpenConnections; open == 0 {
		t.Fatal("no pooled connection to stall")
	}
	proxy.Stall()
	const deadline = 300 * time.Millisecond
	for name, run := range statements {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err := run(ctx)
		elapsed := time.Since(start)
		cancel()
		t.Logf("%s: gave up after %v", name, elapsed.Round(time.Millisecond))
		if err == nil {
			t.Errorf("%s: succeeded through a stalled network", name)
		}
		// The socket's grace is a second; the connect timeout, five. Generous, but
		// below what the old cancel path took.
		if elapsed > deadline+3*time.Second {
			t.Errorf("%s: gave up %v after a %v deadline", name, elapsed, deadline)
		}
	}
}
