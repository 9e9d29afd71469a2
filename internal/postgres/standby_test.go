package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// On a real standby: it says it is one, its schema is checked without migrating, and
// its replay position reaches the primary's insert position once it has caught up.
func TestStandby(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pair := pgtest.StartPair(t, "amity")
	primary, err := postgres.Open(ctx, postgres.Config{URL: pair.Primary.URL("amity"), MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	standby, err := postgres.Open(ctx, postgres.Config{URL: pair.Standby.URL("amity"), MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()

	for name, tc := range map[string]struct {
		db   *postgres.DB
		want bool
	}{"primary": {primary, false}, "standby": {standby, true}} {
		if got, err := tc.db.InRecovery(ctx); err != nil || got != tc.want {
			t.Errorf("%s: InRecovery = %v, %v; want %v", name, got, err, tc.want)
		}
	}

	var schema *postgres.SchemaError
	if err := postgres.CheckSchema(ctx, standby.DB.DB); !errors.As(err, &schema) || schema.Have != 0 || schema.Want == 0 {
		t.Fatalf("CheckSchema on an unmigrated standby = %v, want a SchemaError naming both versions", err)
	}
	if err := postgres.Migrate(ctx, standby.DB.DB); err == nil {
		t.Error("migrating a standby succeeded")
	}
	if err := postgres.Migrate(ctx, primary.DB.DB); err != nil {
		t.Fatal(err)
	}
	pair.WaitReplayed(t)
	if err := postgres.CheckSchema(ctx, standby.DB.DB); err != nil {
		t.Errorf("CheckSchema after the primary migrated and the standby replayed: %v", err)
	}

	target, err := primary.WALFlushedPosition(ctx)
	if err != nil || target == 0 {
		t.Fatalf("WALFlushedPosition = %d, %v", target, err)
	}
	pair.WaitReplayed(t)
	replayed, _, err := standby.ReplayPosition(ctx)
	if err != nil || replayed < target {
		t.Errorf("ReplayPosition = %d, %v; want at least %d", replayed, err, target)
	}

	// WAL no commit follows (here a non-transactional message; in use, a page a read
	// pruned) is inserted but not flushed, and an idle primary sends it to no standby:
	// the position a replica's change feed waits for must be one the standby can reach.
	if _, err := primary.ExecContext(ctx, `SELECT pg_logical_emit_message(false, 'amity-test', 'unflushed')`); err != nil {
		t.Fatal(err)
	}
	if target, err = primary.WALFlushedPosition(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		replayed, _, err := standby.ReplayPosition(ctx)
		if err == nil && replayed >= target {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby replayed %d, %v, not the %d WALFlushedPosition gave, within 5s", replayed, err, target)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
