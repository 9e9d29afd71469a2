// Package pgtest gives each test a freshly created, migrated PostgreSQL database that is
// dropped when the test ends, so tests run in parallel and never see each other's rows.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres"
)

// AdminURL is the server the test databases are created on. AMITY_TEST_DATABASE_URL
// overrides it; it must name a database the role may connect to (CREATE DATABASE runs there).
func AdminURL() string {
	if u := os.Getenv("AMITY_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// MustCreateDB creates an empty database with a unique name, drops it at the end of the
// test, and returns its URL.
func MustCreateDB(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	admin, err := sqlx.Open("postgres", AdminURL())
	if err != nil {
		tb.Fatalf("pgtest: open admin: %v", err)
	}
	defer admin.Close()

	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("pgtest: random name: %v", err)
	}
	name := "amity_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database (is PostgreSQL running? see README): %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sqlx.Open("postgres", AdminURL())
		if err != nil {
			tb.Errorf("pgtest: open admin: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(AdminURL())
	if err != nil {
		tb.Fatalf("pgtest: parse admin url: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustOpen returns a migrated database of the test's own, closed and dropped at its end,
// with a pool of 8 connections, 2 of them the writer's, as a server's (of 20) has.
func MustOpen(tb testing.TB) *postgres.DB {
	tb.Helper()
	return MustOpenPool(tb, 8)
}

// MustOpenPool is MustOpen with a pool of conns connections.
func MustOpenPool(tb testing.TB, conns int) *postgres.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: MustCreateDB(tb), MaxOpenConns: conns})
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(ctx, db.DB.DB); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return db
}

// MustImportFile imports a file into db as `amity import` does, its format detected
// from its name and first bytes.
func MustImportFile(tb testing.TB, db *postgres.DB, path string) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := importer.Detect(path, data)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := importer.Parse(path, bytes.NewReader(data), f, nil)
	if err != nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
	if _, err := postgres.Import(context.Background(), db.DB, b, nil); err != nil {
		tb.Fatalf("import %s: %v", path, err)
	}
}
