package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/cors"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/kit/redistest"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/web/examples"
	"github.com/amity/amity/internal/web/explore"
)

const moscowQuery = `{ city(name: "Moscow") { name } }`

func apqExtension(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

// getRequest is a GET of /graphql with the given parameters.
func getRequest(params map[string]any) *http.Request {
	v := url.Values{}
	for k, p := range params {
		if s, ok := p.(string); ok {
			v.Set(k, s)
			continue
		}
		b, _ := json.Marshal(p)
		v.Set(k, string(b))
	}
	return httptest.NewRequest(http.MethodGet, "/graphql?"+v.Encode(), nil)
}

// postRequest is a POST of /graphql with the given body.
func postRequest(body map[string]any) *http.Request {
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func (a *api) mustDoRaw(tb testing.TB, req *http.Request) *httptest.ResponseRecorder {
	tb.Helper()
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

func wantCode(t *testing.T, r response, code string) {
	t.Helper()
	if len(r.Errors) == 0 || r.Errors[0].code() != code {
		t.Errorf("got %d %s, want error code %s", r.Status, r.Raw, code)
	}
}

func wantData(t *testing.T, r response) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 || len(r.Data) == 0 || string(r.Data) == "null" {
		t.Errorf("got %d %s, want data without errors", r.Status, r.Raw)
	}
}

func mustKey(t *testing.T, a *api, rate *float64) string {
	t.Helper()
	secret, hash, err := auth.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.CreateKey(context.Background(), "test-"+t.Name(), hash, []knowledge.Scope{knowledge.ScopeRead}, rate); err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestPersistedQueryOverGET(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	hash := persisted.Hash(moscowQuery)

	// Unknown hash: the APQ protocol's answer, so the client sends the document.
	wantCode(t, a.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(hash)})), persisted.CodeNotFound)

	// The document with its hash registers it.
	wantData(t, a.MustDo(t, postRequest(map[string]any{"query": moscowQuery, "extensions": apqExtension(hash)})))

	// Now the hash alone answers over GET, cacheably.
	req := getRequest(map[string]any{"extensions": apqExtension(hash)})
	rec := a.mustDoRaw(t, req)
	if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"Moscow"`)) {
		t.Fatalf("GET by hash: %d %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("Cache-Control %q, want public, max-age=60", cc)
	}

	// A hash that is not the document's is refused.
	wantCode(t, a.MustDo(t, postRequest(map[string]any{"query": moscowQuery, "extensions": apqExtension(persisted.Hash("other"))})), persisted.CodeInvalid)
	// So is an unsupported version.
	wantCode(t, a.MustDo(t, getRequest(map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": hash}}})), persisted.CodeInvalid)
}

// TestPersistedMutationNotOverGET: a mutation known by hash is still refused over GET,
// which must stay safe (and cacheable).
func TestPersistedMutationNotOverGET(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	m := `mutation { createSource(input: {title: "x"}) { source { id } } }`
	hash := persisted.Hash(m)
	a.MustDo(t, postRequest(map[string]any{"query": m, "extensions": apqExtension(hash)})) // registers it (and fails: no key)
	r := a.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(hash)}))
	if r.Status != http.StatusMethodNotAllowed {
		t.Errorf("got %d %s, want 405", r.Status, r.Raw)
	}
}

// TestPersistedQueriesSharedThroughRedis: a document registered on one replica is known
// by hash on another.
func TestPersistedQueriesSharedThroughRedis(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.MustClient(t)
	cfg := server.DefaultConfig()
	cfg.Redis, cfg.RedisPrefix = rdb, prefix
	a := MustAPIWith(t, cfg)
	b := mustReplica(t, a, cfg)
	q := `{ city(name: "Shenzhen") { name } }`
	hash := persisted.Hash(q)
	wantData(t, a.MustDo(t, postRequest(map[string]any{"query": q, "extensions": apqExtension(hash)})))
	wantData(t, b.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(hash)})))
}

// mustReplica is a second server over a's database, as another replica would be.
func mustReplica(t *testing.T, a *api, cfg server.Config) *api {
	t.Helper()
	srv := server.New(a.db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { srv.Close() })
	return &api{db: a.db, handler: srv}
}

func trustedConfig(anonymousOnly bool) server.Config {
	docs := []string{explore.Queries}
	for _, e := range examples.All() {
		docs = append(docs, e.Query)
	}
	cfg := server.DefaultConfig()
	cfg.GraphQL.Trusted = &persisted.Trusted{List: persisted.NewList(docs...), AnonymousOnly: anonymousOnly}
	return cfg
}

func TestTrustedDocuments(t *testing.T) {
	t.Parallel()
	a := MustAPIWith(t, trustedConfig(false))
	listed := examples.All()[0].Query

	t.Run("UnlistedDocument", func(t *testing.T) {
		wantCode(t, a.MustDo(t, postRequest(map[string]any{"query": moscowQuery})), persisted.CodeTrustedDocumentRequired)
		wantCode(t, a.MustDo(t, getRequest(map[string]any{"query": moscowQuery})), persisted.CodeTrustedDocumentRequired)
	})
	t.Run("UnlistedHash", func(t *testing.T) {
		wantCode(t, a.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(persisted.Hash(moscowQuery))})), persisted.CodeNotAllowed)
		// Registering through APQ does not put a document on the list.
		wantCode(t, a.MustDo(t, postRequest(map[string]any{"query": moscowQuery, "extensions": apqExtension(persisted.Hash(moscowQuery))})), persisted.CodeTrustedDocumentRequired)
		wantCode(t, a.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(persisted.Hash(moscowQuery))})), persisted.CodeNotAllowed)
	})
	t.Run("ListedByHash", func(t *testing.T) {
		wantData(t, a.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(persisted.Hash(listed))})))
		wantData(t, a.MustDo(t, postRequest(map[string]any{"extensions": apqExtension(persisted.Hash(listed))})))
	})
	t.Run("ListedByText", func(t *testing.T) {
		wantData(t, a.MustDo(t, postRequest(map[string]any{"query": listed})))
		wantData(t, a.MustDo(t, postRequest(map[string]any{"query": listed, "extensions": apqExtension(persisted.Hash(listed))})))
	})
	t.Run("Explorer", func(t *testing.T) {
		// The explorer posts its whole document with an operation name.
		wantData(t, a.MustDo(t, postRequest(map[string]any{"query": explore.Queries, "operationName": "ExploreSearch",
			"variables": map[string]any{"query": "Shenzhen"}})))
	})
	t.Run("KeyedRequestsToo", func(t *testing.T) {
		req := postRequest(map[string]any{"query": moscowQuery})
		req.Header.Set("Authorization", "Bearer "+mustKey(t, a, nil))
		wantCode(t, a.MustDo(t, req), persisted.CodeTrustedDocumentRequired)
	})
}

func TestTrustedDocumentsAnonymousOnly(t *testing.T) {
	t.Parallel()
	a := MustAPIWith(t, trustedConfig(true))
	wantCode(t, a.MustDo(t, postRequest(map[string]any{"query": moscowQuery})), persisted.CodeTrustedDocumentRequired)
	secret := mustKey(t, a, nil)
	req := postRequest(map[string]any{"query": moscowQuery})
	req.Header.Set("Authorization", "Bearer "+secret)
	wantData(t, a.MustDo(t, req))
	// A keyed client may still use automatic persisted queries, and what it registers
	// stays off the list for anonymous callers.
	req = postRequest(map[string]any{"query": moscowQuery, "extensions": apqExtension(persisted.Hash(moscowQuery))})
	req.Header.Set("Authorization", "Bearer "+secret)
	wantData(t, a.MustDo(t, req))
	req = postRequest(map[string]any{"extensions": apqExtension(persisted.Hash(moscowQuery))})
	req.Header.Set("Authorization", "Bearer "+secret)
	wantData(t, a.MustDo(t, req))
	wantCode(t, a.MustDo(t, getRequest(map[string]any{"extensions": apqExtension(persisted.Hash(moscowQuery))})), persisted.CodeNotAllowed)
}

// mustRateLimited checks a 429 with Retry-After and a RATE_LIMITED error body.
func mustRateLimited(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("got %d %s, want 429", rec.Code, rec.Body)
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want whole seconds ≥ 1", rec.Header().Get("Retry-After"))
	}
	var body response
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 || body.Errors[0].code() != ratelimit.CodeRateLimited {
		t.Errorf("body %s, want one RATE_LIMITED error", rec.Body)
	}
}

func TestRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.RateLimit = ratelimit.Config{AnonymousRate: 1, KeyRate: 100, Burst: 2 * time.Second}
	a := MustAPIWith(t, cfg)
	from := func(addr string) *http.Request {
		req := postRequest(map[string]any{"query": moscowQuery})
		req.RemoteAddr = addr + ":4321"
		return req
	}
	for i := range 2 {
		rec := a.mustDoRaw(t, from("198.51.100.7"))
		if rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
		// The budget travels with every answer: a burst of 2, one left, then none.
		h := rec.Header()
		if h.Get("RateLimit-Limit") != "2" || h.Get("RateLimit-Remaining") != fmt.Sprint(1-i) || h.Get("RateLimit-Reset") == "" {
			t.Errorf("request %d: RateLimit %q, remaining %q, reset %q", i, h.Get("RateLimit-Limit"), h.Get("RateLimit-Remaining"), h.Get("RateLimit-Reset"))
		}
	}
	refused := a.mustDoRaw(t, from("198.51.100.7"))
	mustRateLimited(t, refused)
	if refused.Header().Get("RateLimit-Remaining") != "0" {
		t.Errorf("refused: RateLimit-Remaining %q, want 0", refused.Header().Get("RateLimit-Remaining"))
	}
	// Another address, and a key from the same address, have budgets of their own.
	if rec := a.mustDoRaw(t, from("198.51.100.8")); rec.Code != http.StatusOK {
		t.Errorf("other address: %d %s", rec.Code, rec.Body)
	}
	req := from("198.51.100.7")
	req.Header.Set("Authorization", "Bearer "+mustKey(t, a, nil))
	if rec := a.mustDoRaw(t, req); rec.Code != http.StatusOK {
		t.Errorf("keyed request: %d %s", rec.Code, rec.Body)
	}
	// The refusal is counted.
	rec := a.mustDoRaw(t, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !bytes.Contains(rec.Body.Bytes(), []byte(`code="RATE_LIMITED"`)) {
		t.Errorf("metrics do not count RATE_LIMITED refusals")
	}
}

// Behind a trusted reverse proxy, each client has its own anonymous budget, named by
// X-Forwarded-For; a client that connects directly cannot borrow another's by
// sending the header.
func TestRateLimitBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.RateLimit = ratelimit.Config{AnonymousRate: 1, KeyRate: 100, Burst: 2 * time.Second}
	cfg.Auth.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	a := MustAPIWith(t, cfg)
	via := func(peer, forwarded string) *http.Request {
		req := postRequest(map[string]any{"query": moscowQuery})
		req.RemoteAddr = peer + ":4321"
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		return req
	}
	for i := range 2 {
		if rec := a.mustDoRaw(t, via("10.0.0.2", "198.51.100.7")); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	mustRateLimited(t, a.mustDoRaw(t, via("10.0.0.2", "198.51.100.7")))
	// Another client behind the same proxy is not held back by the first.
	if rec := a.mustDoRaw(t, via("10.0.0.2", "198.51.100.8")); rec.Code != http.StatusOK {
		t.Errorf("other client behind the proxy: %d %s", rec.Code, rec.Body)
	}
	// A direct client's header is ignored: its budget is its own address's.
	for i := range 2 {
		if rec := a.mustDoRaw(t, via("203.0.113.5", "198.51.100.9")); rec.Code != http.StatusOK {
			t.Fatalf("direct request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	mustRateLimited(t, a.mustDoRaw(t, via("203.0.113.5", "198.51.100.10")))
}

func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.RateLimit = ratelimit.Config{AnonymousRate: 100, KeyRate: 100, Burst: 2 * time.Second}
	a := MustAPIWith(t, cfg)
	slow := 0.5 // a burst of one request
	slowKey, fastKey := mustKey(t, a, &slow), mustKey(t, a, nil)
	with := func(secret string) *http.Request {
		req := postRequest(map[string]any{"query": moscowQuery})
		req.Header.Set("Authorization", "Bearer "+secret)
		return req
	}
	if rec := a.mustDoRaw(t, with(slowKey)); rec.Code != http.StatusOK {
		t.Fatalf("first request: %d %s", rec.Code, rec.Body)
	}
	rec := a.mustDoRaw(t, with(slowKey))
	mustRateLimited(t, rec)
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %s, want 2 (one request per 2 s)", got)
	}
	for i := range 5 {
		if rec := a.mustDoRaw(t, with(fastKey)); rec.Code != http.StatusOK {
			t.Errorf("key at the default rate, request %d: %d", i, rec.Code)
		}
	}
}

// TestRateLimitSharedThroughRedis: two replicas over one Redis share a key's budget.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.MustClient(t)
	cfg := server.DefaultConfig()
	cfg.Redis, cfg.RedisPrefix = rdb, prefix
	cfg.RateLimit = ratelimit.Config{AnonymousRate: 100, KeyRate: 1, Burst: 3 * time.Second}
	a := MustAPIWith(t, cfg)
	b := mustReplica(t, a, cfg)
	secret := mustKey(t, a, nil)
	with := func() *http.Request {
		req := postRequest(map[string]any{"query": moscowQuery})
		req.Header.Set("Authorization", "Bearer "+secret)
		return req
	}
	for i, replica := range []*api{a, b, a} {
		if rec := replica.mustDoRaw(t, with()); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	mustRateLimited(t, b.mustDoRaw(t, with()))
	mustRateLimited(t, a.mustDoRaw(t, with()))
}

func TestCORS(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.CORS = cors.Config{Origins: []string{"https://maps.example.org"}, MaxAge: 10 * time.Minute}
	cfg.Auth.Anonymous = false // a preflight carries no key and must still pass
	a := MustAPIWith(t, cfg)

	preflight := func(origin, method, headers string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", headers)
		return a.mustDoRaw(t, req)
	}
	t.Run("Preflight", func(t *testing.T) {
		rec := preflight("https://maps.example.org", "POST", "content-type, authorization")
		want := map[string]string{
			"Access-Control-Allow-Origin":  "https://maps.example.org",
			"Access-Control-Allow-Methods": "GET, POST",
			"Access-Control-Allow-Headers": cors.AllowedHeaders,
			"Access-Control-Max-Age":       "600",
		}
		if rec.Code != http.StatusNoContent {
			t.Errorf("status %d, want 204", rec.Code)
		}
		for h, v := range want {
			if got := rec.Header().Get(h); got != v {
				t.Errorf("%s: %q, want %q", h, got, v)
			}
		}
		if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("Access-Control-Allow-Credentials sent")
		}
		if !bytes.Contains([]byte(rec.Header().Values("Vary")[0]), []byte("Origin")) {
			t.Errorf("Vary %q, want Origin", rec.Header().Values("Vary"))
		}
	})
	t.Run("PreflightRefused", func(t *testing.T) {
		for _, rec := range []*httptest.ResponseRecorder{
			preflight("https://evil.example", "POST", "content-type"),
			preflight("https://maps.example.org", "DELETE", ""),
			preflight("https://maps.example.org", "POST", "x-secret"),
		} {
			if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("got %d with Allow-Origin %q, want 403 without", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
			}
		}
	})
	t.Run("Simple", func(t *testing.T) {
		req := getRequest(map[string]any{"query": moscowQuery})
		req.Header.Set("Origin", "https://maps.example.org")
		rec := a.mustDoRaw(t, req) // 401: anonymous access is off, and the page may read why
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://maps.example.org" {
			t.Errorf("Allow-Origin %q", got)
		}
		if got := rec.Header().Get("Access-Control-Expose-Headers"); got != cors.ExposedHeaders {
			t.Errorf("Expose-Headers %q", got)
		}
		req.Header.Set("Origin", "https://evil.example")
		if got := a.mustDoRaw(t, req).Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("other origin: Allow-Origin %q, want none", got)
		}
	})
	t.Run("OffByDefault", func(t *testing.T) {
		b := MustAPI(t)
		req := getRequest(map[string]any{"query": moscowQuery})
		req.Header.Set("Origin", "https://maps.example.org")
		if got := b.mustDoRaw(t, req).Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Allow-Origin %q without configured origins", got)
		}
	})
}

func TestCORSAnyOrigin(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.CORS = cors.Config{Origins: []string{"*"}, MaxAge: time.Hour}
	a := MustAPIWith(t, cfg)
	req := getRequest(map[string]any{"query": moscowQuery})
	req.Header.Set("Origin", "https://anyone.example")
	req.Header.Set("Authorization", "Bearer "+mustKey(t, a, nil))
	rec := a.mustDoRaw(t, req)
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Allow-Origin %q, want *", got)
	}
	if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("credentials allowed with a wildcard origin")
	}
}

func TestHTTPCache(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	get := func() *http.Request { return getRequest(map[string]any{"query": moscowQuery}) }

	rec := a.mustDoRaw(t, get())
	etag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "public, max-age=60" || etag == "" {
		t.Fatalf("anonymous GET: %d, Cache-Control %q, ETag %q", rec.Code, rec.Header().Get("Cache-Control"), etag)
	}
	vary := rec.Header().Values("Vary")
	if len(vary) == 0 || !bytes.Contains([]byte(vary[0]), []byte("Authorization")) || !bytes.Contains([]byte(vary[0]), []byte("Accept")) {
		t.Errorf("Vary %q, want Authorization and Accept", vary)
	}

	t.Run("NotModified", func(t *testing.T) {
		req := get()
		req.Header.Set("If-None-Match", etag)
		rec := a.mustDoRaw(t, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
			t.Errorf("got %d, %d bytes, ETag %q; want 304, no body, the same ETag", rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
		}
		req.Header.Set("If-None-Match", `"stale"`)
		if rec := a.mustDoRaw(t, req); rec.Code != http.StatusOK {
			t.Errorf("stale ETag: %d, want 200", rec.Code)
		}
	})
	t.Run("NotCached", func(t *testing.T) {
		keyed := get()
		keyed.Header.Set("Authorization", "Bearer "+mustKey(t, a, nil))
		withErrors := getRequest(map[string]any{"query": `{ city(name: "Moscow") { nope } }`})
		tests := []struct {
			name string
			req  *http.Request
			want string
		}{
			{"Keyed", keyed, "private, no-store"},
			{"POST", postRequest(map[string]any{"query": moscowQuery}), "no-store"},
			{"Errors", withErrors, "no-store"},
		}
		for _, tt := range tests {
			rec := a.mustDoRaw(t, tt.req)
			if got := rec.Header().Get("Cache-Control"); got != tt.want || rec.Header().Get("ETag") != "" {
				t.Errorf("%s: Cache-Control %q, ETag %q; want %q and no ETag", tt.name, got, rec.Header().Get("ETag"), tt.want)
			}
		}
	})
}
