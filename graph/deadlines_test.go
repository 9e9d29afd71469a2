package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/amity/amity/internal/edge/graphqlhttp"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/edge/redisguard"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/kit/redistest"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestSubscriptionOverHTTPRefused floods the endpoint with subscriptions sent as plain
// POSTs, more at once than there are execution slots. Each must be refused at once with
// SUBSCRIPTION_NEEDS_WEBSOCKET rather than hold a slot until its deadline, and a cheap
// query sent right after must be answered, not queued behind them. GET and a
// subscription sent by hash (a trusted document) are refused the same way.
func TestSubscriptionOverHTTPRefused(t *testing.T) {
	t.Parallel()
	const sub = `subscription { partnershipChanged { action partnershipId } }`
	cfg := server.DefaultConfig()
	cfg.MaxConcurrentRequests = 4
	// Long enough that a subscription left to run would outlast the client below.
	cfg.RequestTimeout = 20 * time.Second
	const cheapQuery = `{ country(code: "CN") { name } }`
	cfg.GraphQL.Trusted = &persisted.Trusted{List: persisted.NewList(sub, cheapQuery)}
	a := MustAPIWith(t, cfg)
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	c := &http.Client{Timeout: 10 * time.Second}
	endpoint := srv.URL + "/graphql"

	results := make([]httpResult, 16)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(queryBody(sub)))
			req.Header.Set("Content-Type", "application/json")
			results[i] = do(t, c, req)
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.status != http.StatusBadRequest || !slices.Equal(r.codes, []string{graphqlhttp.CodeSubscriptionNeedsWebSocket}) {
			t.Errorf("subscription POST %d: %d %s", i, r.status, r.body)
		}
		if !bytes.Contains(r.body, []byte("WebSocket")) || !bytes.Contains(r.body, []byte("graphql-transport-ws")) {
			t.Errorf("the refusal does not say to use the WebSocket transport: %s", r.body)
		}
	}
	cheap := send(t, c, endpoint, "application/json", queryBody(cheapQuery))
	if cheap.status != 200 || len(cheap.codes) > 0 || !bytes.Contains(cheap.body, []byte(`"China"`)) {
		t.Fatalf("a cheap query after the flood: %d %s", cheap.status, cheap.body)
	}
	// A generous sanity bound: the slots are free, so this is one plain query.
	if cheap.elapsed > 5*time.Second {
		t.Errorf("a cheap query after the flood took %v", cheap.elapsed)
	}

	get, _ := http.NewRequest(http.MethodGet, endpoint+"?query="+url.QueryEscape(sub), nil)
	if r := do(t, c, get); r.status != http.StatusBadRequest || !slices.Equal(r.codes, []string{graphqlhttp.CodeSubscriptionNeedsWebSocket}) {
		t.Errorf("subscription GET: %d %s", r.status, r.body)
	}

	// A document sent by hash is known only after the allow list is read, and still
	// must not run.
	hashOnly := []byte(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + persisted.Hash(sub) + `"}}}`)
	if r := send(t, c, endpoint, "application/json", hashOnly); r.status != http.StatusBadRequest || !slices.Equal(r.codes, []string{graphqlhttp.CodeSubscriptionNeedsWebSocket}) {
		t.Errorf("subscription by hash: %d %s", r.status, r.body)
	}
}

func do(t testing.TB, c *http.Client, req *http.Request) httpResult {
	t.Helper()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
		return httpResult{}
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	r := httpResult{status: resp.StatusCode, body: b.Bytes(), elapsed: time.Since(start)}
	for _, m := range codeRE.FindAllSubmatch(r.body, -1) {
		r.codes = append(r.codes, string(m[1]))
	}
	return r
}

// TestStalledDatabaseAnsweredAtDeadline stalls the network under the server's pooled
// database connections (PostgreSQL's processes stopped, a black hole) with the default
// connect timeout. The client must get 503 SERVICE_UNAVAILABLE with Retry-After by the
// request deadline plus the grace, not an answer after the deadline plus the connect
// timeout, nor a connection closed without one; and the server recovers when the
// database is back.
func TestStalledDatabaseAnsweredAtDeadline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	proxy, url := mustSeededBehindProxy(t)
	// No ConnectTimeout: the default (5 s) is what the old cancel path added.
	db, err := postgres.Open(ctx, postgres.Config{URL: url, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := server.DefaultConfig()
	const timeout = time.Second
	cfg.RequestTimeout = timeout
	srv := httptest.NewServer(server.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	c := &http.Client{Timeout: 20 * time.Second}
	endpoint := srv.URL + "/graphql"
	query := queryBody(`{ city(name: "Shenzhen") { name partnerships { nodes { partner { name } } } } }`)

	// Warm the pool: concurrent requests open several connections.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if r := send(t, c, endpoint, "application/json", query); r.status != 200 || len(r.codes) > 0 {
				t.Errorf("before the stall: %d %s", r.status, r.body)
			}
		})
	}
	wg.Wait()
	if db.Stats().Idle == 0 {
		t.Fatal("no pooled connection to stall")
	}

	proxy.Stall()
	results := make([]*http.Response, 3)
	bodies := make([][]byte, 3)
	elapsed := make([]time.Duration, 3)
	for i := range results {
		wg.Go(func() {
			start := time.Now()
			resp, err := c.Post(endpoint, "application/json", bytes.NewReader(query))
			elapsed[i] = time.Since(start)
			if err != nil {
				t.Errorf("request %d during the stall: no answer: %v", i, err)
				return
			}
			defer resp.Body.Close()
			results[i] = resp
			bodies[i], _ = io.ReadAll(resp.Body)
		})
	}
	wg.Wait()
	for i, resp := range results {
		if resp == nil {
			continue
		}
		t.Logf("request %d during the stall: %d after %v", i, resp.StatusCode, elapsed[i].Round(time.Millisecond))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			!slices.Equal(codeRE.FindAllString(string(bodies[i]), -1), []string{`"code":"SERVICE_UNAVAILABLE"`}) {
			t.Errorf("request %d during the stall: %d %v %s", i, resp.StatusCode, resp.Header, bodies[i])
		}
		// Generous: the promise is the deadline plus half a second; the old code took
		// the deadline plus the connect timeout.
		if elapsed[i] > timeout+server.AnswerGrace+2*time.Second {
			t.Errorf("request %d answered after %v", i, elapsed[i])
		}
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "answers again", func() bool {
		r := send(t, c, endpoint, "application/json", query)
		return r.status == 200 && len(r.codes) == 0
	})
}

// TestStalledRedisFailsOpen runs a server whose Redis (rate limits, persisted queries)
// sits behind a TCP proxy, then stalls the proxy. Requests must keep getting correct
// answers without Redis's delay: rate limits let them through, persisted queries miss
// and the client re-sends the document; the breaker opens and says so in the metrics.
// When the proxy lets traffic through again, the breaker closes and the limits are
// shared again.
func TestStalledRedisFailsOpen(t *testing.T) {
	t.Parallel()
	_, prefix := redistest.MustClient(t) // skips without Redis, and cleans the prefix up
	proxy := pgtest.MustProxyTo(t, redistest.Addr())
	opts := &redis.Options{Addr: proxy.Addr()}
	redisguard.Tune(opts, 200*time.Millisecond)
	rdb := redis.NewClient(opts)
	defer rdb.Close()

	cfg := server.DefaultConfig()
	cfg.Redis, cfg.RedisPrefix = rdb, prefix
	const cooldown = 500 * time.Millisecond
	cfg.RedisBreaker = redisguard.Config{Failures: 3, Cooldown: cooldown}
	cfg.RateLimit = ratelimit.Config{AnonymousRate: 1000, KeyRate: 1000, Burst: time.Second}
	a := MustAPIWith(t, cfg)
	srv := httptest.NewUnstartedServer(a.handler)
	// As amity serve bounds the whole request, body included (--read-timeout).
	srv.Config.ReadTimeout = 2 * time.Second
	srv.Start()
	defer srv.Close()
	c := &http.Client{Timeout: 20 * time.Second}
	endpoint := srv.URL + "/graphql"

	post := func(body []byte) (httpResult, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		r := httpResult{status: resp.StatusCode, body: b, elapsed: time.Since(start)}
		for _, m := range codeRE.FindAllSubmatch(b, -1) {
			r.codes = append(r.codes, string(m[1]))
		}
		return r, resp.Header
	}
	const query = `{ country(code: "CN") { name } }`
	answered := func(r httpResult) bool {
		return r.status == 200 && len(r.codes) == 0 && bytes.Contains(r.body, []byte(`"name":"China"`))
	}
	metric := func(name string) float64 {
		t.Helper()
		resp, err := c.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no metric %s", name)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}

	if r, h := post(queryBody(query)); !answered(r) || h.Get("RateLimit-Limit") == "" {
		t.Fatalf("before the stall: %d %v %s", r.status, h, r.body)
	}

	proxy.Stall()
	// A body that arrives after its headers is read once the rate limiter has asked
	// Redis: a limiter that waited for Redis past the read timeout found the body's
	// deadline gone and the request was refused as unreadable (400 BAD_REQUEST).
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := queryBody(query)
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: amity\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))
	time.Sleep(100 * time.Millisecond)
	conn.Write(body)
	split, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("a body sent after its headers: %v", err)
	}
	splitBody, _ := io.ReadAll(split.Body)
	split.Body.Close()
	if r := (httpResult{status: split.StatusCode, body: splitBody, codes: codeRE.FindAllString(string(splitBody), -1)}); !answered(r) {
		t.Errorf("a body sent after its headers: %d %s", split.StatusCode, splitBody)
	}

	var total time.Duration
	for i := range 12 {
		r, h := post(queryBody(query))
		total += r.elapsed
		if !answered(r) {
			t.Fatalf("request %d with Redis stalled: %d %s", i, r.status, r.body)
		}
		if h.Get("RateLimit-Limit") != "" {
			t.Errorf("request %d was counted against a limit Redis never saw", i)
		}
	}
	// A persisted query Redis cannot serve is a miss: the client sends the document
	// with its hash and gets its answer.
	const apq = `{ country(code: "RU") { name } }`
	ext := `"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + persisted.Hash(apq) + `"}}`
	r, _ := post([]byte(`{` + ext + `}`))
	total += r.elapsed
	if !slices.Equal(r.codes, []string{persisted.CodeNotFound}) {
		t.Errorf("a hash Redis cannot look up: %d %s, want %s", r.status, r.body, persisted.CodeNotFound)
	}
	withDoc := append(bytes.TrimSuffix(queryBody(apq), []byte("}")), []byte(","+ext+"}")...)
	r, _ = post(withDoc)
	total += r.elapsed
	if r.status != 200 || len(r.codes) > 0 || !bytes.Contains(r.body, []byte(`"name":"Russian Federation"`)) {
		t.Errorf("the document with its hash: %d %s", r.status, r.body)
	}
	t.Logf("14 requests with Redis stalled took %v", total.Round(time.Millisecond))
	// Generous: the breaker opens after three 200 ms timeouts; without it each request
	// waited for go-redis's defaults (seconds, with retries).
	if total > 5*time.Second {
		t.Errorf("14 requests with Redis stalled took %v", total)
	}
	if metric("amity_redis_breaker_open") != 1 || metric("amity_redis_errors_total") < 3 || metric("amity_redis_breaker_rejected_total") < 1 {
		t.Errorf("the metrics do not show the open breaker")
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "rate limits shared again", func() bool {
		r, h := post(queryBody(query))
		if !answered(r) {
			t.Fatalf("after the stall: %d %s", r.status, r.body)
		}
		return h.Get("RateLimit-Limit") != ""
	})
	if got := metric("amity_redis_breaker_open"); got != 0 {
		t.Errorf("amity_redis_breaker_open = %v after Redis came back", got)
	}
}
