package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// InRecovery reports whether the database is a standby (pg_is_in_recovery): it takes
// no writes, and a server on it must neither migrate nor load the shipped knowledge.
func (db *DB) InRecovery(ctx context.Context) (bool, error) {
	var in bool
	if err := db.GetContext(ctx, &in, `SELECT pg_is_in_recovery()`); err != nil {
		return false, fmt.Errorf("ask whether the database is a standby: %w", err)
	}
	return in, nil
}

// SchemaError is a database whose schema is not the one this binary was built for.
type SchemaError struct {
	Have, Want int64
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("the database's schema is at migration %d, this binary needs %d: "+
		"migrate it on the primary (amity migrate, or start a writable replica there) and let the standby replay it", e.Have, e.Want)
}

// CheckSchema reports a *SchemaError when the database has not applied every migration
// this binary embeds. It changes nothing, so it also runs on a standby, where migrating
// is impossible. A database ahead of the binary is accepted: migrations only add, and
// an older replica keeps serving during a rolling upgrade.
func CheckSchema(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Read goose's table directly: goose's own reader creates it when missing, which
	// a standby refuses.
	var have int64
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if exists {
		const q = `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`
		if err := db.QueryRowContext(ctx, q).Scan(&have); err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
	}
	sources := provider.ListSources()
	if len(sources) == 0 {
		return nil
	}
	if want := sources[len(sources)-1].Version; have < want {
		return &SchemaError{Have: have, Want: want}
	}
	return nil
}

// WALFlushedPosition is the primary's WAL insert position, in bytes, once flushed:
// every transaction committed before the call is at or before it, and a standby can
// receive all of it. The insert position alone may lie past what is flushed (WAL of an
// asynchronous commit, or records no commit follows, such as a page pruned by a read),
// which a standby receives only when something flushes it: on an idle primary, not at
// all. So the call commits a transaction of its own with synchronous_commit on, whose
// commit record comes after the position read and is flushed with all WAL before it.
func (db *DB) WALFlushedPosition(ctx context.Context) (uint64, error) {
	return FlushedWALPosition(ctx, db.DB)
}

// FlushedWALPosition is WALFlushedPosition over any connection pool to the primary.
func FlushedWALPosition(ctx context.Context, db *sqlx.DB) (uint64, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("read the WAL position: %w", err)
	}
	defer tx.Rollback()
	// txid_current gives the transaction an id, so that its commit writes a record.
	const q = `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS lsn, txid_current() AS xid,
    set_config('synchronous_commit', 'on', true) AS sync`
	var r struct {
		LSN  int64  `db:"lsn"`
		XID  int64  `db:"xid"`
		Sync string `db:"sync"`
	}
	if err := tx.GetContext(ctx, &r, q); err != nil {
		return 0, fmt.Errorf("read the WAL position: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("flush the WAL position: %w", err)
	}
	return uint64(r.LSN), nil
}

// ReplayPosition is the WAL position a standby has replayed, in bytes, and how long ago
// it replayed its last transaction (0 when it has caught up with everything it
// received, or when it has replayed none yet).
func (db *DB) ReplayPosition(ctx context.Context) (lsn uint64, lagSeconds float64, err error) {
	var r struct {
		LSN sql.NullInt64   `db:"lsn"`
		Lag sql.NullFloat64 `db:"lag"`
	}
	const q = `SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn,
  CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
       ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS lag`
	if err := db.GetContext(ctx, &r, q); err != nil {
		return 0, 0, fmt.Errorf("read the replay position: %w", err)
	}
	return uint64(r.LSN.Int64), r.Lag.Float64, nil
}
