package graph_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/persisted"
	"github.com/amity/amity/internal/server"
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
		if r.status != http.StatusBadRequest || !slices.Equal(r.codes, []string{graph.CodeSubscriptionNeedsWebSocket}) {
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
	if r := do(t, c, get); r.status != http.StatusBadRequest || !slices.Equal(r.codes, []string{graph.CodeSubscriptionNeedsWebSocket}) {
		t.Errorf("subscription GET: %d %s", r.status, r.body)
	}

	// A document sent by hash is known only after the allow list is read, and still
	// must not run.
	hashOnly := []byte(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + persisted.Hash(sub) + `"}}}`)
	if r := send(t, c, endpoint, "application/json", hashOnly); r.status != http.StatusBadRequest || !slices.Equal(r.codes, []string{graph.CodeSubscriptionNeedsWebSocket}) {
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
