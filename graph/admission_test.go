package graph_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/admission"
	"github.com/amity/amity/internal/edge/server"
)

// blockedQuery reads the sources table, which lockSources makes wait in PostgreSQL: an
// operation that holds its admission slot until the test lets it go.
const blockedQuery = `{ sources(first: 1) { nodes { title } } }`

// outside opens connections to the API's database outside its pool, so that the test
// neither takes from the pool it measures nor waits for it.
func outside(t *testing.T, a *api) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", a.db.ListenDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// lockSources takes an exclusive lock on the sources table in a transaction of its
// own; statements reading it wait until release is called (also at cleanup).
func lockSources(t *testing.T, db *sql.DB) (release func()) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE sources IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// lockWaiters is how many of the database's backends wait for a lock now.
func lockWaiters(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func postFrom(t *testing.T, a *api, addr, query string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(mustRaw(t, map[string]any{"query": query})))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = addr + ":40000"
	return a.MustDo(t, req)
}

// Operations over a WebSocket pass the same gate as HTTP requests: one socket that
// starts many operations holds only its caller's share of the slots, queues a bounded
// number and is refused the rest at once (SERVICE_UNAVAILABLE with retryAfter, on the
// operation), while another caller's request still runs. Before, every operation on a
// socket ran at once, whatever the bound.
func TestWebSocketOperationsPassTheGate(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.MaxConcurrentRequests = 2 // one slot per caller, four queued at most
	a := MustAPIWith(t, cfg)
	ts := serve(t, a.handler)
	mon := outside(t, a)
	release := lockSources(t, mon)

	ws := mustDialWS(t, ts.URL, nil)
	const sent = 7
	for i := range sent {
		ws.subscribe(strconv.Itoa(i), blockedQuery, nil)
	}
	waitUntil(t, "the socket's first operation waits for the lock", func() bool { return lockWaiters(t, mon) == 1 })

	// A refusal comes at once, as an error on the operation; which operations are
	// refused depends on the order the transport starts them in.
	refused := map[string]bool{}
	waitUntil(t, "two operations refused", func() bool {
		for i := range sent {
			id := strconv.Itoa(i)
			if m, ok := ws.poll(id, time.Millisecond); ok && !refused[id] {
				mustAdmissionRefusal(t, m)
				refused[id] = true
			}
		}
		return len(refused) == 2
	})

	// The socket holds one slot; another caller gets the other.
	if r := postFrom(t, a, "198.51.100.7", `{ __typename }`); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("another caller: %d %s", r.Status, r.Raw)
	}

	release()
	for i := range sent {
		id := strconv.Itoa(i)
		if refused[id] {
			continue
		}
		var data struct {
			Sources struct{ Nodes []struct{ Title string } }
		}
		ws.event(id, &data)
		if m := ws.next(id, 10*time.Second); m.Type != "complete" {
			t.Fatalf("operation %s: got %s after its answer", id, m.Type)
		}
	}
	if lockWaiters(t, mon) != 0 {
		t.Error("statements still waiting")
	}
}

// mustAdmissionRefusal checks a graphql-transport-ws message that refuses an operation
// for want of capacity.
func mustAdmissionRefusal(t *testing.T, m wsMsg) {
	t.Helper()
	var p struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if m.Type != "next" || len(p.Errors) != 1 || p.Errors[0].code() != "SERVICE_UNAVAILABLE" ||
		p.Errors[0].Extensions["retryAfter"] == nil || (len(p.Data) > 0 && string(p.Data) != "null") {
		t.Fatalf("got %s %s, want a SERVICE_UNAVAILABLE refusal with retryAfter", m.Type, m.Payload)
	}
}

// Over HTTP a caller beyond its queue is refused at once with 503, Retry-After (the
// error's retryAfter) and SERVICE_UNAVAILABLE, and no data; the queued ones are
// answered when the slot frees.
func TestHTTPRefusalIs503WithRetryAfter(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.MaxConcurrentRequests = 1 // one slot; a caller queues four at most
	a := MustAPIWith(t, cfg)
	mon := outside(t, a)
	release := lockSources(t, mon)

	const sent = 6
	answers := make(chan *httptest.ResponseRecorder, sent)
	body := mustRaw(t, map[string]any{"query": blockedQuery})
	for range sent {
		go func() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, req)
			answers <- rec
		}()
	}
	var rec *httptest.ResponseRecorder
	select {
	case rec = <-answers:
	case <-time.After(10 * time.Second):
		t.Fatal("no request was refused early")
	}
	var r response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].code() != "SERVICE_UNAVAILABLE" ||
		strings.Contains(rec.Body.String(), `"data"`) {
		t.Fatalf("first answer: %d %s, want the refusal", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Retry-After"), fmt.Sprint(r.Errors[0].Extensions["retryAfter"]); got == "" || got != want {
		t.Errorf("Retry-After %q, retryAfter %s", got, want)
	}
	metrics := a.MustDo(t, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{`amity_admission_refusals_total{reason="queue_full"} 1`, `amity_admission_running{class="cheap"} 1`,
		`amity_admission_waiting 4`, `amity_graphql_requests_total{operation="anonymous",outcome="refused"} 1`} {
		if !strings.Contains(string(metrics.Raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	release()
	for range sent - 1 {
		if rec := <-answers; rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			t.Errorf("queued request: %d %s", rec.Code, rec.Body)
		}
	}
}

// One operation runs only its share of statements at once, however many root fields
// gqlgen resolves concurrently: 10 aliased reads of a locked table hold 3 connections
// (the tests' pool of 8, of which 6 are for reads, over 2 slots), not the whole pool.
func TestOneOperationHoldsItsShareOfThePool(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.MaxConcurrentRequests = 2
	a := MustAPIWith(t, cfg)
	mon := outside(t, a)
	release := lockSources(t, mon)
	var q strings.Builder
	q.WriteString("{")
	for i := range 10 {
		fmt.Fprintf(&q, " s%d: sources(first: 1) { nodes { title } }", i)
	}
	q.WriteString(" }")
	done := make(chan response, 1)
	go func() { done <- postFrom(t, a, "192.0.2.44", q.String()) }()
	waitUntil(t, "three statements wait for the lock", func() bool { return lockWaiters(t, mon) >= 3 })
	most := 0
	for range 20 { // the others would have joined by now; look a few more times
		most = max(most, lockWaiters(t, mon))
		time.Sleep(10 * time.Millisecond)
	}
	if most != 3 {
		t.Errorf("%d statements of one operation ran at once, want 3", most)
	}
	release()
	if r := <-done; r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
}

// The cheap threshold separates look-ups and short pages from path searches and nested
// pages under the complexity weights of graph/server.go: with the limit set to the
// threshold, the first kind runs and the second is refused. If the weights change,
// this says whether --cheap-complexity's default still means what the docs say.
func TestCheapThresholdFitsTheWeights(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.GraphQL.MaxComplexity = admission.DefaultCheapCost
	a := MustAPIWith(t, cfg)
	for _, q := range []string{
		`{ country(code: "CN") { name } }`,
		`{ city(name: "Shenzhen") { name population country { name } } }`,
		`{ cities(first: 10) { nodes { name country { name } } } }`,
		`{ node(id: "x") { id } }`,
	} {
		for _, e := range a.MustPost(t, q, nil).Errors {
			if e.code() == "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Errorf("%s is not cheap: %s", q, e.Message)
			}
		}
	}
	for _, q := range []string{
		`{ connections(from: "x", to: "y", maxHops: 6, first: 20) { length cities { name } } }`,
		`{ cities(first: 20) { nodes { partnerships(first: 20) { nodes { kind } } } } }`,
		`{ a: connections(from: "x", to: "y", maxHops: 6, first: 20) { length } b: connections(from: "y", to: "x", maxHops: 6, first: 20) { length } }`,
	} {
		r := a.MustPost(t, q, nil)
		if len(r.Errors) != 1 || r.Errors[0].code() != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Errorf("%s counts as cheap: %s", q, r.Raw)
		}
	}
}

// As with the old gate, a request whose body is still arriving holds no slot: the
// transport reads the body before the operation reaches admission. With the only slot
// taken by the slow sender, the second request would wait until its deadline.
func TestSlowBodyHoldsNoSlot(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.MaxConcurrentRequests = 1
	a := MustAPIWith(t, cfg)
	slowBody, slowWriter := io.Pipe()
	slow := httptest.NewRequest(http.MethodPost, "/graphql", slowBody)
	slow.Header.Set("Content-Type", "application/json")
	done := make(chan response, 1)
	go func() { done <- a.MustDo(t, slow) }()
	slowWriter.Write([]byte(`{"query": "{ __typ`))
	if r := postFrom(t, a, "192.0.2.80", `{ __typename }`); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("with a body still arriving: %d %s", r.Status, r.Raw)
	}
	slowWriter.Write([]byte(`ename }"}`))
	slowWriter.Close()
	if r := <-done; r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("the slow request: %d %s", r.Status, r.Raw)
	}
}

// A live subscription holds no slot (it holds one only while it starts): with a single
// slot, another caller's query still runs at once while the stream stays open.
func TestSubscriptionHoldsNoSlotWhileItStreams(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.MaxConcurrentRequests = 1
	a := MustAPIWith(t, cfg)
	ts := serve(t, a.handler)
	ws := mustDialWS(t, ts.URL, nil)
	ws.subscribe("s", subPartnerships, nil)
	waitSubscribers(t, a.handler.(*server.Server), 1)
	if r := postFrom(t, a, "192.0.2.81", `{ __typename }`); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("with a subscription open: %d %s", r.Status, r.Raw)
	}
	if m, ok := ws.poll("s", 0); ok {
		t.Fatalf("the subscription ended: %s %s", m.Type, m.Payload)
	}
}
