package graph_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
)

// Every answer tells browsers not to guess its type: GraphQL answers, refusals and
// pages alike.
func TestEveryAnswerIsNoSniff(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	bad := postRequest(map[string]any{"query": moscowQuery})
	bad.Header.Set("Authorization", "Bearer amity_not-a-key")
	for name, req := range map[string]*http.Request{
		"query":       postRequest(map[string]any{"query": moscowQuery}),
		"bad request": httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("{")),
		"bad key":     bad,
		"GET query":   httptest.NewRequest(http.MethodGet, "/graphql?query=%7B__typename%7D", nil),
		"playground":  httptest.NewRequest(http.MethodGet, "/", nil),
		"health":      httptest.NewRequest(http.MethodGet, "/healthz", nil),
	} {
		if rec := a.mustDoRaw(t, req); rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q", name, rec.Code, rec.Header().Get("X-Content-Type-Options"))
		}
	}
}

// With MetricsAdmin (the binary's default), /metrics answers admin keys only, also when
// anonymous access is off (it used to answer anyone); with MetricsElsewhere it is off
// the API's listener and served by Server.Metrics.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.Auth.Anonymous = false
	cfg.MetricsAccess = server.MetricsAdmin
	a := MustAPIWith(t, cfg)
	get := func(h http.Handler, secret string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	const metric = "go_goroutines"
	for _, tt := range []struct {
		name, secret string
		status       int
		code         string
	}{
		{"no key", "", http.StatusUnauthorized, auth.CodeUnauthenticated},
		{"bad key", "amity_not-a-key", http.StatusUnauthorized, auth.CodeUnauthenticated},
		{"read key", MustKey(t, a, "reader", knowledge.ScopeRead), http.StatusForbidden, auth.CodeForbidden},
		{"write key", MustKey(t, a, "writer", knowledge.ScopeWrite), http.StatusForbidden, auth.CodeForbidden},
	} {
		rec := get(a.handler, tt.secret)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.code) || strings.Contains(rec.Body.String(), metric) {
			t.Errorf("%s: %d %.200s, want %d %s", tt.name, rec.Code, rec.Body, tt.status, tt.code)
		}
	}
	if rec := get(a.handler, MustKey(t, a, "prometheus", knowledge.ScopeAdmin)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), metric) {
		t.Errorf("admin key: %d %.200s", rec.Code, rec.Body)
	}

	cfg.MetricsAccess = server.MetricsElsewhere
	srv := replica(t, a, cfg)
	if rec := get(srv, MustKey(t, a, "prometheus 2", knowledge.ScopeAdmin)); strings.Contains(rec.Body.String(), metric) {
		t.Errorf("metrics served on the API's listener with MetricsElsewhere: %d", rec.Code)
	}
	if rec := get(srv.Metrics(), ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), metric) {
		t.Errorf("Server.Metrics: %d %.200s", rec.Code, rec.Body)
	}
}

// DNS rebinding: a page of evil.example whose name now points at the server is
// same-origin with it as far as the browser knows, so the WebSocket origin check let
// it in. With the Host policy on, its requests, WebSocket upgrades included, are
// refused with 421; the server's own address still works.
func TestForeignHostIsRefused(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	cfg := server.DefaultConfig()
	cfg.Hosts = server.HostPolicy{Check: true}
	ts := serve(t, replica(t, a, cfg))
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	evil := "evil.example" + port

	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Host = evil
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest || !bytes.Contains(body, []byte(server.CodeHostNotAllowed)) {
		t.Errorf("POST for %s: %d %s", evil, resp.StatusCode, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, Host: evil, HTTPHeader: http.Header{"Origin": {"http://" + evil}}})
	if err == nil {
		conn.CloseNow()
		t.Errorf("a rebound page opened a WebSocket")
	} else if resp == nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("rebound WebSocket: %v %v, want 421", err, resp)
	}
	mustDialWS(t, ts.URL, nil) // 127.0.0.1: the server's own address
}

// securityLog collects a server's log across goroutines.
type securityLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *securityLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *securityLog) lines(event string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "security=true") && strings.Contains(line, "event="+event) {
			out = append(out, line)
		}
	}
	return out
}

// Failed authentications and refused writes leave a trace an operator can search
// (security=true); a client address that keeps failing is refused with 429 before any
// look-up, over HTTP and at a WebSocket's connection_init.
func TestSecurityLogAndFailedAuthLimit(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	cfg := server.DefaultConfig()
	cfg.AuthFailures = ratelimit.Limit{Rate: 0.01, Burst: 2}
	var log securityLog
	srv := server.New(a.db, cfg, slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { srv.Close() })
	ts := serve(t, srv)
	reader := MustKey(t, a, "log reader", knowledge.ScopeRead)
	writer := MustKey(t, a, "log writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	post := func(secret, query string, vars map[string]any) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", bytes.NewReader(mustRaw(t, map[string]any{"query": query, "variables": vars})))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
		return resp.StatusCode, string(b)
	}
	source := map[string]any{"in": map[string]any{"title": "Gazette", "url": "ftp://gazette.example/1"}}

	if status, body := post(reader, mutCreateSource, source); !strings.Contains(body, auth.CodeForbidden) {
		t.Errorf("read key writing: %d %s", status, body)
	}
	if status, body := post(writer, mutCreateSource, source); !strings.Contains(body, `"code":"INVALID"`) {
		t.Errorf("bad URL: %d %s", status, body)
	}
	for i := range 2 {
		if status, body := post("amity_guess"+string(rune('a'+i)), `{ __typename }`, nil); status != http.StatusUnauthorized {
			t.Errorf("bad key %d: %d %s", i, status, body)
		}
	}
	if status, body := post("amity_guess-z", `{ __typename }`, nil); status != http.StatusTooManyRequests || !strings.Contains(body, ratelimit.CodeRateLimited) {
		t.Errorf("bad key past the budget: %d %s", status, body)
	}
	if status, body := post(writer, `{ __typename }`, nil); status != http.StatusOK {
		t.Errorf("the address's good key, already known: %d %s", status, body)
	}
	c, _, err := dialWS(t, ts.URL, nil, map[string]any{"Authorization": "Bearer amity_guess-ws"})
	if err != nil {
		t.Fatal(err)
	}
	if code := c.closed(5 * time.Second); code != graph.CloseTooManyRequests {
		t.Errorf("connection_init past the budget: closed with %v", code)
	}

	for _, tt := range []struct {
		event string
		n     int
		want  []string
	}{
		{"scope_refused", 1, []string{"key=\"log reader\"", "code=FORBIDDEN", "scope=write", "client=127.0.0.1"}},
		{"write_refused", 1, []string{"key=\"log writer\"", "code=INVALID", "mutation=createSource", "field=input.url"}},
		{"auth_failed", 2, []string{"client=127.0.0.1", "code=UNAUTHENTICATED"}},
		{"auth_throttled", 2, []string{"client=127.0.0.1", "code=RATE_LIMITED"}},
	} {
		lines := log.lines(tt.event)
		if len(lines) != tt.n {
			t.Errorf("%d %s lines, want %d:\n%s", len(lines), tt.event, tt.n, strings.Join(lines, "\n"))
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%s line lacks %s: %s", tt.event, w, lines[0])
			}
		}
	}
}
