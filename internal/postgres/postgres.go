// Package postgres is Amity's store: it opens and migrates the PostgreSQL database and
// reads and writes the knowledge graph with sqlx. SQL lives here and nowhere else.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/amity/amity/internal/knowledge"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config holds the connection settings of the store.
type Config struct {
	URL             string
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle this long (0: 5 minutes).
	ConnMaxIdleTime time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for every connection: the
	// server cancels a statement that runs longer. 0 leaves the server's setting; a
	// statement_timeout in URL wins.
	StatementTimeout time.Duration
	// ConnectTimeout bounds dialing the server (0: 5 seconds); a connect_timeout in URL wins.
	ConnectTimeout time.Duration
}

// DB is an open, migrated database.
type DB struct {
	*sqlx.DB
	// dsn is the connection string Open used; change listeners open their own
	// connection with it (see notify.go).
	dsn string
	// writer is the pool of mutations (writerConns); the reads' pool below
	// writerPoolFrom connections.
	writer *sqlx.DB
	// writerSession: the writer's connections are its own, set up by writerConnector.
	writerSession bool
	// committed are told of each change a write of this process committed (OnCommit).
	committedMu   sync.Mutex
	committed     map[int]func(knowledge.Change)
	committedNext int
}

// Open connects to the database and checks that it answers. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	dsn, err := withSessionSettings(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	connector.Dialer(deadlineDialer{})
	maxOpen := cfg.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 20
	}
	lifetime := cfg.ConnMaxLifetime
	if lifetime <= 0 {
		lifetime = 30 * time.Minute
	}
	idle := cfg.ConnMaxIdleTime
	if idle <= 0 {
		idle = 5 * time.Minute
	}
	pool := func(open int, c driver.Connector) *sqlx.DB {
		db := sqlx.NewDb(sql.OpenDB(c), "postgres")
		maxIdle := cfg.MaxIdleConns
		if maxIdle <= 0 || maxIdle > open {
			maxIdle = open
		}
		db.SetMaxOpenConns(open)
		db.SetMaxIdleConns(maxIdle)
		db.SetConnMaxLifetime(lifetime)
		db.SetConnMaxIdleTime(idle)
		return db
	}
	writes := 0
	if maxOpen >= writerPoolFrom {
		writes = writerConns
	}
	db := pool(maxOpen-writes, countingConnector{connector})
	writer := db
	if writes > 0 {
		wc, err := newWriterConnector(dsn)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		writer = pool(writes, wc)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if writer != db {
			writer.Close()
		}
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return &DB{DB: db, writer: writer, writerSession: writer != db, dsn: dsn, committed: map[int]func(knowledge.Change){}}, nil
}

// writerConnector opens the writer's own connections: each session starts with a
// mutation's settings (batchSettings, as run-time parameters of the connection) and
// creates the staging tables, so that no mutation spends a round trip on asking for
// them (stageTables). In the benchmark's mixed cell, where the readers keep both cores
// busy, every round trip of a mutation waits for the scheduler twice, PostgreSQL's and
// Go's.
type writerConnector struct{ countingConnector }

func newWriterConnector(dsn string) (writerConnector, error) {
	dsn, err := addSettings(dsn, append(batchSettings(true), [2]string{"temp_buffers", tempBuffers}))
	if err != nil {
		return writerConnector{}, err
	}
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return writerConnector{}, err
	}
	c.Dialer(deadlineDialer{})
	return writerConnector{countingConnector{c}}, nil
}

func (c writerConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.countingConnector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.(driver.ExecerContext).ExecContext(ctx, tempTables, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("staging tables: %w", err)
	}
	return conn, nil
}

// Mutations have connections of their own, writerConns of the MaxOpenConns (from
// writerPoolFrom on; below it they share the pool). On a server whose readers hold
// every connection, a mutation would otherwise wait for one behind them, and then run
// on whichever it got: each of its first statements on a connection is planned and
// prepared there, and the first creates the staging tables, several milliseconds that
// a connection serving only writes pays once. In the benchmark's mixed cell (l, 64
// readers) the writer applied 108–142 writes in 10 s (median 128 of six runs) with two
// connections of its own, against 91–119 (median 113 of eight) sharing the pool
// (docs/benchmarks.md).
const (
	writerConns    = 2
	writerPoolFrom = 8
)

// Close closes both pools.
func (db *DB) Close() error {
	if db.writer != nil && db.writer != db.DB {
		db.writer.Close()
	}
	return db.DB.Close()
}

// Migrate applies every embedded migration not yet applied. A Postgres session advisory
// lock serialises replicas that start at the same time, so only one of them migrates.
func Migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// An import that stopped after its commit may have left indexes to build.
	if _, err := BuildPendingIndexes(ctx, db, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// CopyStatement is the COPY … FROM STDIN statement that lib/pq streams rows into when it
// is prepared in a transaction.
func CopyStatement(table string, cols ...string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	return "COPY " + pq.QuoteIdentifier(table) + " (" + strings.Join(quoted, ", ") + ") FROM STDIN"
}
