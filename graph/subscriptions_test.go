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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
)

// wsMsg is a graphql-transport-ws message.
type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient is a minimal graphql-transport-ws client: it answers the server's pings and
// sorts the other messages by subscription id.
type wsClient struct {
	tb   testing.TB
	conn *websocket.Conn

	mu      sync.Mutex
	queues  map[string][]wsMsg
	arrived chan struct{} // signalled on each message
	done    chan struct{} // closed when the connection has ended
	err     error         // why, set before done is closed
}

// dialWS opens a connection to a server's /graphql and sends connection_init with the
// payload (nil: none). It returns once the connection is open; use ack to wait for the
// server's answer.
func dialWS(tb testing.TB, baseURL string, header http.Header, init map[string]any) (*wsClient, *http.Response, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	if conn.Subprotocol() != "graphql-transport-ws" {
		tb.Fatalf("negotiated subprotocol %q", conn.Subprotocol())
	}
	c := &wsClient{tb: tb, conn: conn, queues: map[string][]wsMsg{}, arrived: make(chan struct{}, 1), done: make(chan struct{})}
	tb.Cleanup(func() { conn.CloseNow() })
	go c.read()
	msg := wsMsg{Type: "connection_init"}
	if init != nil {
		msg.Payload = mustRaw(tb, init)
	}
	c.send(msg)
	return c, resp, nil
}

// mustDialWS connects and waits for connection_ack.
func mustDialWS(tb testing.TB, baseURL string, init map[string]any) *wsClient {
	tb.Helper()
	c, _, err := dialWS(tb, baseURL, nil, init)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	if m := c.next("", 5*time.Second); m.Type != "connection_ack" {
		tb.Fatalf("got %+v, want connection_ack", m)
	}
	return c
}

func mustRaw(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func (c *wsClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var m wsMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.err = err
			return
		}
		switch m.Type {
		case "ping":
			c.send(wsMsg{Type: "pong"})
			continue
		case "pong", "ka":
			continue
		}
		c.mu.Lock()
		c.queues[m.ID] = append(c.queues[m.ID], m)
		c.mu.Unlock()
		select {
		case c.arrived <- struct{}{}:
		default:
		}
	}
}

func (c *wsClient) send(m wsMsg) {
	if err := c.conn.Write(context.Background(), websocket.MessageText, mustRaw(c.tb, m)); err != nil {
		c.tb.Errorf("send %s: %v", m.Type, err)
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.send(wsMsg{ID: id, Type: "subscribe", Payload: mustRaw(c.tb, map[string]any{"query": query, "variables": vars})})
}

// poll returns the next message for the subscription id ("" for connection messages),
// waiting up to d; ok is false if none came.
func (c *wsClient) poll(id string, d time.Duration) (wsMsg, bool) {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		if q := c.queues[id]; len(q) > 0 {
			c.queues[id] = q[1:]
			c.mu.Unlock()
			return q[0], true
		}
		c.mu.Unlock()
		select {
		case <-c.arrived:
		case <-c.done:
			c.mu.Lock()
			empty := len(c.queues[id]) == 0
			c.mu.Unlock()
			if empty {
				return wsMsg{}, false
			}
		case <-deadline:
			return wsMsg{}, false
		}
	}
}

func (c *wsClient) next(id string, d time.Duration) wsMsg {
	c.tb.Helper()
	m, ok := c.poll(id, d)
	if !ok {
		c.tb.Fatalf("no message for %q within %v (connection error: %v)", id, d, c.closeErr())
	}
	return m
}

// event waits for the next event of a subscription and decodes its data.
func (c *wsClient) event(id string, v any) {
	c.tb.Helper()
	m := c.next(id, 10*time.Second)
	var p struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 {
		c.tb.Fatalf("subscription %s: got %s %s, want an event", id, m.Type, m.Payload)
	}
	if err := json.Unmarshal(p.Data, v); err != nil {
		c.tb.Fatalf("decode %s: %v", p.Data, err)
	}
}

func (c *wsClient) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// closed waits for the server to end the connection and returns its close status.
func (c *wsClient) closed(d time.Duration) websocket.StatusCode {
	c.tb.Helper()
	select {
	case <-c.done:
		return websocket.CloseStatus(c.closeErr())
	case <-time.After(d):
		c.tb.Fatalf("connection still open after %v", d)
	}
	return 0
}

// replica is a second server over an API's database, as another replica would be.
func replica(tb testing.TB, a *api, cfg server.Config) *server.Server {
	tb.Helper()
	s := server.New(a.db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tb.Cleanup(func() { s.Close() })
	return s
}

// serve runs a handler on a real listener, as WebSockets need.
func serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return ts
}

// waitSubscribers waits until the server's change feed has n live subscriptions: the
// protocol does not acknowledge a subscribe, and a change committed before the
// subscription exists is, by design, not delivered.
func waitSubscribers(tb testing.TB, s *server.Server, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	// A subscription counts from the moment it asks, before the change feed's LISTEN has
	// run; a change committed in between would never reach it, so wait for both.
	for st := s.Changes().Status(); st.Subscribers < n || !st.Listening; st = s.Changes().Status() {
		if time.Now().After(deadline) {
			tb.Fatalf("%d subscribers (listening: %v) after 10s, want %d", st.Subscribers, st.Listening, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postOver sends a GraphQL request over the network with an API key.
func postOver(tb testing.TB, ts *httptest.Server, secret, query string, vars map[string]any, v any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/graphql", bytes.NewReader(mustRaw(tb, map[string]any{"query": query, "variables": vars})))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		tb.Fatalf("%s: status %d, errors %+v", query, resp.StatusCode, r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatal(err)
	}
}

func mustCityID(tb testing.TB, a *api, name string) string {
	tb.Helper()
	var id uuid.UUID
	if err := a.db.Get(&id, "SELECT id FROM cities WHERE name = $1", name); err != nil {
		tb.Fatalf("city %s: %v", name, err)
	}
	return knowledge.GlobalID(knowledge.TypeCity, id)
}

func newSources(title string) map[string]any {
	return map[string]any{"new": []any{map[string]any{"title": title}}}
}

const (
	subPartnerships = `subscription($city: ID) { partnershipChanged(city: $city) {
  action partnershipId cityIds partnership { id kind since cities { name } } } }`
	subAgreements = `subscription($city: ID) { agreementAdded(city: $city) { id title parties { name } } }`

	mutCreatePartnership = `mutation($input: PartnershipInput!) { createPartnership(input: $input) {
  partnership { id version } errors { field message code } } }`
	mutUpdatePartnership = `mutation($input: UpdatePartnershipInput!) { updatePartnership(input: $input) {
  partnership { id version } errors { field message code } } }`
	mutCreateAgreement = `mutation($input: AgreementInput!) { createAgreement(input: $input) {
  agreement { id } errors { field message code } } }`
	mutCreateCity = `mutation($input: CityInput!) { createCity(input: $input) { city { id } errors { field message code } } }`
)

type partnershipEvent struct {
	PartnershipChanged struct {
		Action        string
		PartnershipID string
		CityIDs       []string `json:"cityIds"`
		Partnership   *struct {
			ID     string
			Kind   string
			Since  string
			Cities []struct{ Name string }
		}
	}
}

type mutationResult struct {
	ID      string
	Version int
	Errors  []userError
}

func mustCreatePartnership(tb testing.TB, ts *httptest.Server, secret string, cities []string, since string) mutationResult {
	tb.Helper()
	var out struct {
		CreatePartnership struct {
			Partnership mutationResult
			Errors      []userError
		}
	}
	postOver(tb, ts, secret, mutCreatePartnership, map[string]any{"input": map[string]any{
		"kind": "SISTER_CITY", "cities": cities, "since": since, "sources": newSources("Synthetic gazette " + since)}}, &out)
	if len(out.CreatePartnership.Errors) > 0 {
		tb.Fatalf("createPartnership: %+v", out.CreatePartnership.Errors)
	}
	return out.CreatePartnership.Partnership
}

// mustCreateAgreement signs a memorandum between the cities, citing a synthetic notice,
// and returns its ID.
func mustCreateAgreement(tb testing.TB, ts *httptest.Server, secret, title string, parties []string) string {
	tb.Helper()
	var out struct {
		CreateAgreement struct {
			Agreement *struct{ ID string }
			Errors    []userError
		}
	}
	postOver(tb, ts, secret, mutCreateAgreement, map[string]any{"input": map[string]any{
		"title": title, "kind": "MEMORANDUM", "parties": parties, "sources": newSources(title + " notice")}}, &out)
	if len(out.CreateAgreement.Errors) > 0 || out.CreateAgreement.Agreement == nil {
		tb.Fatalf("createAgreement: %s", dump(tb, out))
	}
	return out.CreateAgreement.Agreement.ID
}

// The point of LISTEN/NOTIFY: a write through one replica reaches a subscriber of
// another. Each event is read fresh: an update shows the new value, not one cached for
// the connection.
func TestSubscriptionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	b := replica(t, a, server.DefaultConfig())
	srvA, srvB := serve(t, a.handler), serve(t, b)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	shenzhen, moscow := mustCityID(t, a, "Shenzhen"), mustCityID(t, a, "Moscow")

	c := mustDialWS(t, srvB.URL, nil)
	c.subscribe("p", subPartnerships, map[string]any{"city": shenzhen})
	c.subscribe("a", subAgreements, map[string]any{"city": moscow})
	c.subscribe("all", subAgreements, nil)
	waitSubscribers(t, b, 3)

	created := mustCreatePartnership(t, srvA, writer, []string{shenzhen, moscow}, "2025-01-15")
	var ev partnershipEvent
	c.event("p", &ev)
	got := ev.PartnershipChanged
	if got.Action != "CREATED" || got.PartnershipID != created.ID || got.Partnership == nil ||
		got.Partnership.ID != created.ID || got.Partnership.Kind != "SISTER_CITY" || got.Partnership.Since != "2025-01-15" ||
		len(got.Partnership.Cities) != 2 {
		t.Fatalf("created: %s", dump(t, ev))
	}
	if ids := slices.Sorted(slices.Values(got.CityIDs)); !slices.Equal(ids, slices.Sorted(slices.Values([]string{shenzhen, moscow}))) {
		t.Errorf("cityIds %v, want Shenzhen and Moscow", got.CityIDs)
	}

	var upd struct {
		UpdatePartnership struct {
			Partnership *mutationResult
			Errors      []userError
		}
	}
	postOver(t, srvA, writer, mutUpdatePartnership, map[string]any{"input": map[string]any{
		"id": created.ID, "version": created.Version, "since": "2025-02-20", "sources": newSources("Synthetic correction")}}, &upd)
	if len(upd.UpdatePartnership.Errors) > 0 {
		t.Fatalf("updatePartnership: %+v", upd.UpdatePartnership.Errors)
	}
	c.event("p", &ev)
	if got := ev.PartnershipChanged; got.Action != "UPDATED" || got.Partnership == nil || got.Partnership.Since != "2025-02-20" {
		t.Fatalf("updated (stale data?): %s", dump(t, ev))
	}

	agreement := mustCreateAgreement(t, srvA, writer, "Synthetic memorandum", []string{shenzhen, moscow})
	for _, id := range []string{"a", "all"} {
		var ev struct {
			AgreementAdded struct {
				ID      string
				Title   string
				Parties []struct{ Name string }
			}
		}
		c.event(id, &ev)
		if got := ev.AgreementAdded; got.ID != agreement || got.Title != "Synthetic memorandum" || len(got.Parties) != 2 {
			t.Errorf("agreementAdded (%s): %s", id, dump(t, ev))
		}
	}
	// Updates are not additions.
	if m, ok := c.poll("a", 200*time.Millisecond); ok {
		t.Errorf("unexpected %s %s", m.Type, m.Payload)
	}
}

// A city's subscribers hear of its changes and of no other city's.
func TestSubscriptionCityFilter(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	ts := serve(t, a.handler)
	srv := a.handler.(*server.Server)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	shenzhen, moscow := mustCityID(t, a, "Shenzhen"), mustCityID(t, a, "Moscow")
	var city struct {
		CreateCity struct {
			City   *struct{ ID string }
			Errors []userError
		}
	}
	postOver(t, ts, writer, mutCreateCity, map[string]any{"input": map[string]any{
		"name": "Filterville", "country": "CN", "sources": newSources("Filterville gazette")}}, &city)
	if city.CreateCity.City == nil {
		t.Fatalf("createCity: %s", dump(t, city))
	}
	filterville := city.CreateCity.City.ID

	c := mustDialWS(t, ts.URL, nil)
	c.subscribe("sz", subPartnerships, map[string]any{"city": shenzhen})
	c.subscribe("fv", subPartnerships, map[string]any{"city": filterville})
	waitSubscribers(t, srv, 2)

	first := mustCreatePartnership(t, ts, writer, []string{shenzhen, moscow}, "2025-03-01")
	second := mustCreatePartnership(t, ts, writer, []string{filterville, moscow}, "2025-03-02")
	var ev partnershipEvent
	c.event("sz", &ev)
	if ev.PartnershipChanged.PartnershipID != first.ID {
		t.Errorf("Shenzhen's subscriber got %s, want %s", ev.PartnershipChanged.PartnershipID, first.ID)
	}
	c.event("fv", &ev)
	if ev.PartnershipChanged.PartnershipID != second.ID {
		t.Errorf("Filterville's subscriber got %s first, want %s", ev.PartnershipChanged.PartnershipID, second.ID)
	}
	quiet(t, c, "sz")
	quiet(t, c, "fv")
}

// A city that is not a city's ID is the client's mistake, told at subscribe time.
func TestSubscriptionBadCity(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	ts := serve(t, a.handler)
	c := mustDialWS(t, ts.URL, nil)
	country := knowledge.GlobalID(knowledge.TypeCountry, uuid.New())
	for id, city := range map[string]string{"garbage": "not-an-id", "country": country} {
		c.subscribe(id, subAgreements, map[string]any{"city": city})
		m := c.next(id, 5*time.Second)
		var p struct{ Errors []gqlError }
		if m.Type == "error" {
			json.Unmarshal(m.Payload, &p.Errors)
		} else {
			json.Unmarshal(m.Payload, &p)
		}
		if len(p.Errors) == 0 || p.Errors[0].code() != "BAD_USER_INPUT" {
			t.Errorf("%s: got %s %s, want a BAD_USER_INPUT error", id, m.Type, m.Payload)
		}
		if m.Type == "next" {
			if m := c.next(id, 5*time.Second); m.Type != "complete" {
				t.Errorf("%s: got %s after the error, want complete", id, m.Type)
			}
		}
	}
	if n := a.handler.(*server.Server).Changes().Status().Subscribers; n != 0 {
		t.Errorf("%d subscribers left behind", n)
	}
}

// Closing the server closes its WebSockets cleanly, with or without subscriptions, and
// plain HTTP keeps no connection open to the feed.
func TestSubscriptionShutdown(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	srv := replica(t, a, server.DefaultConfig())
	ts := serve(t, srv)
	idle := mustDialWS(t, ts.URL, nil)
	busy := mustDialWS(t, ts.URL, nil)
	busy.subscribe("p", subPartnerships, nil)
	waitSubscribers(t, srv, 1)

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*wsClient{"idle": idle, "busy": busy} {
		if code := c.closed(5 * time.Second); code != websocket.StatusNormalClosure {
			t.Errorf("%s connection closed with %v (%v), want a normal closure", name, code, c.closeErr())
		}
	}
	if st := srv.Changes().Status(); st.Started || st.Subscribers != 0 {
		t.Errorf("feed after Close: %+v", st)
	}
	// New connections after shutdown are refused at connection_init rather than left hanging.
	if c, _, err := dialWS(t, ts.URL, nil, nil); err == nil {
		if code := c.closed(5 * time.Second); code == -1 {
			t.Errorf("connection after shutdown ended without a close frame: %v", c.closeErr())
		}
	}
}

// With anonymous access off, a WebSocket authenticates with its upgrade request's
// header or with a key in connection_init; without either it is refused.
func TestSubscriptionAuthentication(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.Auth.Anonymous = false
	a := MustAPIWith(t, cfg)
	ts := serve(t, a.handler)
	srv := a.handler.(*server.Server)
	reader := MustKey(t, a, "reader", knowledge.ScopeRead)

	c, _, err := dialWS(t, ts.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := c.closed(5 * time.Second); code != 4403 {
		t.Errorf("no key: closed with %v, want 4403", code)
	}
	c, _, err = dialWS(t, ts.URL, nil, map[string]any{"Authorization": "Bearer amity_not-a-key"})
	if err != nil {
		t.Fatal(err)
	}
	if code := c.closed(5 * time.Second); code != 4403 {
		t.Errorf("bad key in connection_init: closed with %v, want 4403", code)
	}
	_, resp, err := dialWS(t, ts.URL, http.Header{"Authorization": {"Bearer amity_not-a-key"}}, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad key in the upgrade request: %v %v, want 401", err, resp)
	}

	byInit := mustDialWS(t, ts.URL, map[string]any{"Authorization": "Bearer " + reader})
	byInit.subscribe("a", subAgreements, nil)
	byHeader, _, err := dialWS(t, ts.URL, http.Header{"Authorization": {"Bearer " + reader}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := byHeader.next("", 5*time.Second); m.Type != "connection_ack" {
		t.Fatalf("key in header: got %+v", m)
	}
	byHeader.subscribe("a", subAgreements, nil)
	waitSubscribers(t, srv, 2)
}

// The WebSocket outlives the request timeout that bounds HTTP requests.
func TestSubscriptionOutlivesRequestTimeout(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.RequestTimeout = 300 * time.Millisecond
	a := MustAPIWith(t, cfg)
	ts := serve(t, a.handler)
	srv := a.handler.(*server.Server)
	c := mustDialWS(t, ts.URL, nil)
	c.subscribe("p", subPartnerships, nil)
	waitSubscribers(t, srv, 1)
	time.Sleep(4 * cfg.RequestTimeout)
	if m, ok := c.poll("p", 0); ok {
		t.Fatalf("subscription ended: %s %s", m.Type, m.Payload)
	}
	if st := srv.Changes().Status(); st.Subscribers != 1 {
		t.Fatalf("feed: %+v", st)
	}
	// A query over the same socket still answers, with fresh loaders.
	c.send(wsMsg{ID: "q", Type: "subscribe", Payload: mustRaw(t, map[string]any{"query": `{ __typename }`})})
	if m := c.next("q", 5*time.Second); m.Type != "next" || !strings.Contains(string(m.Payload), "Query") {
		t.Fatalf("query over WebSocket: %s %s", m.Type, m.Payload)
	}
	select {
	case <-c.done:
		t.Fatalf("connection closed: %v", c.closeErr())
	default:
	}
}

// TestWebSocketOrigins lets a page of the server's own origin or of a CORS origin open a
// WebSocket, and refuses any other page.
func TestWebSocketOrigins(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	cfg := server.DefaultConfig()
	cfg.CORS.Origins = []string{"https://maps.example.org"}
	ts := serve(t, replica(t, a, cfg))
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"", true},               // not a browser
		{"http://" + host, true}, // the server's own pages
		{"https://maps.example.org", true},
		{"https://evil.example", false},
	} {
		h := http.Header{}
		if tt.origin != "" {
			h.Set("Origin", tt.origin)
		}
		_, resp, err := dialWS(t, ts.URL, h, nil)
		if (err == nil) != tt.ok {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Errorf("origin %q: dial error %v (status %d), want ok=%v", tt.origin, err, status, tt.ok)
		}
	}
}

// Operations sent over an open WebSocket draw on their caller's rate limit one by one,
// as requests do: one socket does not buy unlimited queries.
func TestWebSocketOperationsAreRateLimited(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.RateLimit = ratelimit.Config{AnonymousRate: 0.1, KeyRate: 100, Burst: 30 * time.Second} // bursts of 3
	a := MustAPIWith(t, cfg)
	ts := serve(t, a.handler)
	c := mustDialWS(t, ts.URL, nil) // the upgrade takes one
	var refused wsMsg
	for i := range 4 {
		id := fmt.Sprint("q", i)
		c.send(wsMsg{ID: id, Type: "subscribe", Payload: mustRaw(t, map[string]any{"query": `{ __typename }`})})
		m := c.next(id, 5*time.Second)
		if i < 2 {
			if m.Type != "next" {
				t.Fatalf("operation %d within the budget: %s %s", i, m.Type, m.Payload)
			}
			continue
		}
		refused = m
		break
	}
	if refused.Type != "error" && refused.Type != "next" || !strings.Contains(string(refused.Payload), ratelimit.CodeRateLimited) ||
		!strings.Contains(string(refused.Payload), "retryAfter") {
		t.Fatalf("operation past the budget: %s %s", refused.Type, refused.Payload)
	}
	select {
	case <-c.done:
		t.Fatalf("a refused operation closed the connection: %v", c.closeErr())
	default:
	}
}
