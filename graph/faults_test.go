package graph_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// mustAPIBehindProxy serves a seeded database of the test's own through a TCP proxy,
// so the test can take the database away from this server alone.
func mustAPIBehindProxy(t *testing.T, cfg server.Config) (*pgtest.Proxy, *httptest.Server) {
	t.Helper()
	proxy, url := mustSeededBehindProxy(t)
	db, err := postgres.Open(context.Background(), postgres.Config{URL: url, MaxOpenConns: 4, ConnectTimeout: time.Second, StatementTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewServer(server.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return proxy, srv
}

// mustSeededBehindProxy creates a database of the test's own holding the shipped
// knowledge, and returns a proxy in front of it with the URL that goes through it.
func mustSeededBehindProxy(t *testing.T) (*pgtest.Proxy, string) {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(t)
	direct, err := postgres.Open(ctx, postgres.Config{URL: dbURL, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if err := postgres.Migrate(ctx, direct.DB.DB); err != nil {
		t.Fatal(err)
	}
	b, err := seed.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.ApplyBundle(ctx, direct.DB, b, seed.ShippedDigest(), "shipped"); err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.MustProxy(t)
	return proxy, proxy.URL(t, dbURL)
}

func status(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls until ok or the bound passes.
func waitFor(t *testing.T, bound time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDatabaseOutage takes PostgreSQL away from a running server, first as a refused
// connection (a stopped or restarting server), then as a dead network that swallows
// packets. Requests must fail fast with SERVICE_UNAVAILABLE (never hang, never a 500),
// /readyz must say 503, and the server must recover by itself when the database is back.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.RequestTimeout = time.Second
	proxy, srv := mustAPIBehindProxy(t, cfg)
	c := &http.Client{Timeout: 10 * time.Second}
	gql := srv.URL + "/graphql"
	query := queryBody(`{ city(name: "Shenzhen") { name partnerships { nodes { partner { name } } } } }`)

	mustOK := func(t *testing.T) {
		t.Helper()
		r := send(t, c, gql, "application/json", query)
		if r.status != 200 || len(r.codes) > 0 {
			t.Fatalf("want an answer, got %d %s", r.status, r.body)
		}
	}
	mustUnavailable := func(t *testing.T, bound time.Duration) {
		t.Helper()
		r := send(t, c, gql, "application/json", query)
		// 503 when the deadline guard answers for a handler stuck on a stalled network
		// (internal/edge/server/deadline.go).
		if (r.status != 200 && r.status != http.StatusServiceUnavailable) || !slices.Contains(r.codes, "SERVICE_UNAVAILABLE") {
			t.Fatalf("want SERVICE_UNAVAILABLE, got %d %s", r.status, r.body)
		}
		if strings.Contains(string(r.body), "pq:") || strings.Contains(string(r.body), "goroutine") || strings.Contains(string(r.body), "127.0.0.1") {
			t.Errorf("the error leaks internals: %s", r.body)
		}
		if r.elapsed > bound {
			t.Errorf("failed after %v, want within %v", r.elapsed, bound)
		}
	}
	recovers := func(t *testing.T) {
		t.Helper()
		if err := proxy.Restore(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "ready again", func() bool { return status(t, c, srv.URL+"/readyz") == 200 })
		mustOK(t)
	}

	mustOK(t)
	if got := status(t, c, srv.URL+"/readyz"); got != 200 {
		t.Fatalf("readyz %d before the outage", got)
	}

	t.Run("refused", func(t *testing.T) {
		proxy.Cut()
		for range 3 { // pooled connections die first, then new ones are refused
			mustUnavailable(t, 500*time.Millisecond)
		}
		start := time.Now()
		if got := status(t, c, srv.URL+"/readyz"); got != http.StatusServiceUnavailable {
			t.Errorf("readyz %d during the outage, want 503", got)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("readyz took %v", d)
		}
		if got := status(t, c, srv.URL+"/healthz"); got != 200 {
			t.Errorf("healthz %d: the process itself is fine", got)
		}
		recovers(t)
	})

	t.Run("stalled", func(t *testing.T) {
		proxy.Stall()
		// The request's deadline (1s) plus the answer's grace (0.5s, internal/edge/server
		// deadline.go) bound the wait for a database that never answers.
		mustUnavailable(t, 3*time.Second)
		start := time.Now()
		if got := status(t, c, srv.URL+"/readyz"); got != http.StatusServiceUnavailable {
			t.Errorf("readyz %d during the stall, want 503", got)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("readyz took %v", d)
		}
		recovers(t)
	})
}

// TestResolverPanic shows that a panic in a resolver becomes an INTERNAL_SERVER_ERROR
// for that request only: concurrent and later requests are answered, nothing leaks.
// The panic is injected with a field middleware on the real handler, which runs inside
// the generated resolver code exactly where a resolver's own panic would.
func TestResolverPanic(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	opts := graph.DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h := graph.NewHandler(a.db, opts)
	h.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc.Field.Name == "country" && graphql.GetOperationContext(ctx).Headers.Get("X-Test-Panic") == "yes" {
			panic("resolver bug")
		}
		return next(ctx)
	})
	srv := httptest.NewServer(loader.Middleware(a.db, loader.DefaultWait, nil, h))
	defer srv.Close()

	do := func(panicking bool) httpResult {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"query":"{ city(name: \"Shenzhen\") { name country { name } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		if panicking {
			req.Header.Set("X-Test-Panic", "yes")
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		r := httpResult{status: resp.StatusCode, body: b, elapsed: time.Since(start)}
		for _, m := range codeRE.FindAllSubmatch(b, -1) {
			r.codes = append(r.codes, string(m[1]))
		}
		return r
	}

	var wg sync.WaitGroup
	results := make([]httpResult, 20)
	for i := range results {
		wg.Go(func() { results[i] = do(i%2 == 0) })
	}
	wg.Wait()
	for i, r := range results {
		if i%2 == 0 {
			if r.status != 200 || !slices.Contains(r.codes, "INTERNAL_SERVER_ERROR") {
				t.Errorf("panicking request: %d %s", r.status, r.body)
			}
			if strings.Contains(string(r.body), "resolver bug") || strings.Contains(string(r.body), "goroutine") {
				t.Errorf("the panic leaks: %s", r.body)
			}
			// The error names the field that panicked (country is non-null, so its
			// parent city reads null, as GraphQL's null propagation says).
			if !strings.Contains(string(r.body), `"path":["city","country"]`) {
				t.Errorf("the error does not name the field: %s", r.body)
			}
		} else if r.status != 200 || len(r.codes) > 0 || !strings.Contains(string(r.body), `"country":{"name":"China"`) {
			t.Errorf("a request beside a panicking one: %d %s", r.status, r.body)
		}
	}
	if r := do(false); r.status != 200 || len(r.codes) > 0 {
		t.Errorf("after the panics: %d %s", r.status, r.body)
	}
}
