package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// api is the whole HTTP surface over a database of the test's own.
type api struct {
	db      *postgres.DB
	handler http.Handler
}

// MustAPI returns the service over a fresh database holding the shipped knowledge.
func MustAPI(tb testing.TB) *api {
	tb.Helper()
	return MustAPIWith(tb, server.DefaultConfig())
}

// MustAPIWith is MustAPI with a configuration of the test's choosing.
func MustAPIWith(tb testing.TB, cfg server.Config) *api {
	tb.Helper()
	db := pgtest.MustOpen(tb)
	mustSeed(tb, db)
	return apiOver(tb, db, cfg)
}

// apiOver is the service over a database as it stands.
func apiOver(tb testing.TB, db *postgres.DB, cfg server.Config) *api {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(db, cfg, log)
	tb.Cleanup(func() { srv.Close() })
	return &api{db: db, handler: srv}
}

// mustSeed loads the shipped knowledge, as `amity serve` does at start.
func mustSeed(tb testing.TB, db *postgres.DB) {
	tb.Helper()
	b, err := seed.Shipped()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := postgres.ApplyBundle(context.Background(), db.DB, b, seed.ShippedDigest(), "shipped"); err != nil {
		tb.Fatal(err)
	}
}

// response is a GraphQL response as a client sees it.
type response struct {
	Status     int
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Statements int64           `json:"-"`
	Raw        []byte          `json:"-"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// MustPost sends a query with variables and decodes the answer, counting the SQL
// statements the request ran.
func (a *api) MustPost(tb testing.TB, query string, vars map[string]any) response {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return a.MustDo(tb, req)
}

// MustDo sends a raw request to the service.
func (a *api) MustDo(tb testing.TB, req *http.Request) response {
	tb.Helper()
	ctx, n := postgres.WithStatementCounter(req.Context())
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req.WithContext(ctx))
	resp := response{Status: rec.Code, Raw: rec.Body.Bytes(), Statements: n.Load()}
	if ct := rec.Header().Get("Content-Type"); len(resp.Raw) > 0 && bytes.Contains([]byte(ct), []byte("json")) {
		if err := json.Unmarshal(resp.Raw, &resp); err != nil {
			tb.Fatalf("decode response %q: %v", resp.Raw, err)
		}
	}
	return resp
}

// MustData decodes the data of a response that must have no errors.
func (r response) MustData(tb testing.TB, v any) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("unexpected errors: %s", r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// MustTableCounts returns the row count of every table, to show a request changed nothing.
func (a *api) MustTableCounts(tb testing.TB) map[string]int {
	tb.Helper()
	counts := map[string]int{}
	for _, table := range postgres.BundleTables {
		var n int
		if err := a.db.Get(&n, "SELECT count(*) FROM "+table); err != nil {
			tb.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}
