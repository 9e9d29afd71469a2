package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/amity/amity/internal/postgres/pgtest"
)

// serveWith starts `amity serve` with the arguments and returns its address; the
// server stops when the test ends.
func serveWith(t *testing.T, log io.Writer, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), log, log, ready)
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("serve %v stopped before serving: %v\n%s", args, err, log)
	case <-time.After(60 * time.Second):
		t.Fatalf("serve %v did not start within 60s", args)
	}
	return ""
}

// gql posts a query (with a key, if given) and returns the decoded answer.
func gql(t *testing.T, addr, key, query string, vars map[string]any) (data map[string]any, errs []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any
		Errors []map[string]any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Data, out.Errors
}

func field(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func status(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, bound time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two replicas on a real primary and its streaming standby: the standby's replica
// serves reads, refuses writes with READ_ONLY, hears the primary's changes (a
// subscriber on it sees a write made through the other replica), never caches what a
// lagging replay hides, fails readiness past its lag bound, and keeps serving, now
// writable, once the standby is promoted; the old primary's replica fails readiness.
func TestReplicaOnAStandby(t *testing.T) {
	t.Parallel()
	pair := pgtest.StartPair(t, "amity")
	primaryURL, standbyURL := pair.Primary.URL("amity"), pair.Standby.URL("amity")
	var plog, slog syncBuffer
	primary := serveWith(t, &plog, "--database-url", primaryURL)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "create", "--name", "Testland FAO", "--scopes", "read,write", "--database-url", primaryURL}, &out, &out, nil); err != nil {
		t.Fatalf("keys create: %v\n%s", err, out.String())
	}
	key := regexp.MustCompile(`amity_[A-Za-z0-9_-]{43}`).FindString(out.String())
	out.Reset()
	if err := run(context.Background(), []string{"keys", "create", "--name", "Testland ops", "--scopes", "admin", "--database-url", primaryURL}, &out, &out, nil); err != nil {
		t.Fatalf("keys create: %v\n%s", err, out.String())
	}
	admin := regexp.MustCompile(`amity_[A-Za-z0-9_-]{43}`).FindString(out.String())
	pair.WaitReplayed(t)
	standby := serveWith(t, &slog, "--database-url", standbyURL, "--notify-database-url", primaryURL,
		"--max-replay-lag", "1s", "--writes-url", "https://primary.example.org/graphql")

	const moscowQ = `{ city(name: "Moscow") { id version population } }`
	d, _ := gql(t, standby, "", moscowQ, nil)
	moscow, _ := field(d, "city", "id").(string)
	if moscow == "" {
		t.Fatalf("the standby's replica does not find Moscow: %v\n%s", d, slog.String())
	}
	shenzhen, _ := field(first(gql(t, standby, "", `{ city(name: "Shenzhen") { id } }`, nil)), "city", "id").(string)

	// Writes are refused, saying where they go.
	_, errs := gql(t, standby, key, `mutation { createCity(input: {name: "Replicaville", country: "CN", sources: {new: [{title: "Replica gazette"}]}}) { city { id } } }`, nil)
	if len(errs) != 1 || field(errs[0], "extensions", "code") != "READ_ONLY" || !strings.Contains(fmt.Sprint(errs[0]["message"]), "https://primary.example.org/graphql") {
		t.Fatalf("a mutation on the standby's replica answered %v, want READ_ONLY naming the writes URL", errs)
	}
	// Ready once caught up. (WAL that carries no transaction, such as a checkpoint's,
	// may show a moment's lag measured from the last transaction replayed.)
	eventually(t, 10*time.Second, "the standby's /readyz to answer 200 with its lag", func() bool {
		code, body := status(t, "http://"+standby+"/readyz")
		return code == 200 && strings.Contains(body, "standby replay lag")
	})
	req, _ := http.NewRequest(http.MethodGet, "http://"+standby+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "amity_replay_lag_seconds") {
			t.Errorf("standby /metrics (%d) has no amity_replay_lag_seconds", resp.StatusCode)
		}
	}

	// A subscriber on the standby's replica hears a write made through the primary's.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the standby's replica logged:\n%s\nthe primary's:\n%s", slog.String(), plog.String())
		}
	})
	ws := dialSubscription(t, standby, `subscription($city: ID) { partnershipChanged(city: $city) { action partnership { since cities { name } } } }`, map[string]any{"city": shenzhen})
	created := first(gql(t, primary, key, `mutation { createCity(input: {name: "Replicaville", country: "CN", sources: {new: [{title: "Replica gazette"}]}}) { city { id } } }`, nil))
	replicaville, _ := field(created, "createCity", "city", "id").(string)
	if replicaville == "" {
		t.Fatalf("createCity on the primary's replica: %v", created)
	}
	sent := time.Now()
	_, errs = gql(t, primary, key, `mutation($c: [ID!]!) { createPartnership(input: {kind: SISTER_CITY, cities: $c, since: "2025-05-01", sources: {new: [{title: "Replica gazette"}]}}) { partnership { id } } }`, map[string]any{"c": []string{shenzhen, replicaville}})
	if len(errs) > 0 {
		t.Fatalf("createPartnership: %v", errs)
	}
	ev := ws.next(t)
	t.Logf("the standby's subscriber heard the write %v after it returned", time.Since(sent).Round(time.Millisecond))
	if since := field(ev, "partnershipChanged", "partnership", "since"); since != "2025-05-01" {
		t.Errorf("the event reads %v, want the new partnership (read on the standby once replayed)", ev)
	}

	// The standby's read cache: Moscow's population, cached, then changed on the primary
	// while the standby's replay is paused. The old value may be answered until the
	// replay (the standby has nothing newer), never after the new one has been.
	population := func() any { return field(first(gql(t, standby, "", moscowQ, nil)), "city", "population") }
	old := population()
	population()
	pair.PauseReplay(t)
	version := field(first(gql(t, primary, "", moscowQ, nil)), "city", "version")
	if _, errs := gql(t, primary, key, `mutation($id: ID!, $v: Int!) { updateCity(input: {id: $id, version: $v, population: 13000002, sources: {new: [{title: "Replica census"}]}}) { city { population } } }`, map[string]any{"id": moscow, "v": version}); len(errs) > 0 {
		t.Fatalf("updateCity: %v", errs)
	}
	for range 10 {
		if p := population(); p != old {
			t.Fatalf("the standby's replica answered %v while its replay was paused (had %v)", p, old)
		}
	}
	eventually(t, 10*time.Second, "/readyz to fail past the lag bound", func() bool {
		code, _ := status(t, "http://"+standby+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	pair.ResumeReplay(t)
	eventually(t, 10*time.Second, "the new population after the replay", func() bool { return population() == float64(13000002) })
	for range 20 {
		if p := population(); p != float64(13000002) {
			t.Fatalf("the standby's replica answered %v after it had answered the new population", p)
		}
	}
	eventually(t, 10*time.Second, "/readyz to recover once replay caught up", func() bool {
		code, _ := status(t, "http://"+standby+"/readyz")
		return code == http.StatusOK
	})

	// Failover: the primary goes, the standby is promoted.
	pair.Primary.Stop(t)
	pair.Standby.Promote(t)
	if p := population(); p != float64(13000002) {
		t.Errorf("after the promotion the standby's replica answered %v", p)
	}
	eventually(t, 10*time.Second, "the promoted replica to take writes (--read-only=auto)", func() bool {
		_, errs := gql(t, standby, key, `mutation { createSource(input: {title: "After the failover"}) { source { id } } }`, nil)
		return len(errs) == 0
	})
	eventually(t, 10*time.Second, "the old primary's replica to fail readiness", func() bool {
		code, _ := status(t, "http://"+primary+"/readyz")
		return code == http.StatusServiceUnavailable
	})
}

func first(d map[string]any, _ []map[string]any) map[string]any { return d }

type subscriptionConn struct {
	c *websocket.Conn
}

// dialSubscription opens a graphql-transport-ws connection and starts one
// subscription, waiting until the server has it.
func dialSubscription(t *testing.T, addr, query string, vars map[string]any) *subscriptionConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	s := &subscriptionConn{c: c}
	s.send(t, map[string]any{"type": "connection_init", "payload": map[string]any{}})
	if m := s.read(t); m["type"] != "connection_ack" {
		t.Fatalf("connection_init answered %v", m)
	}
	s.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
	// The server reads the subscription before it answers; a ping round trip after it
	// shows the subscription is in place.
	s.send(t, map[string]any{"type": "ping"})
	if m := s.read(t); m["type"] != "pong" {
		t.Fatalf("ping answered %v", m)
	}
	return s
}

func (s *subscriptionConn) send(t *testing.T, m map[string]any) {
	t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func (s *subscriptionConn) read(t *testing.T) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, b, err := s.c.Read(ctx)
	if err != nil {
		t.Fatalf("no message within 15s: %v", err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// next returns the data of the subscription's next event.
func (s *subscriptionConn) next(t *testing.T) map[string]any {
	t.Helper()
	for {
		m := s.read(t)
		switch m["type"] {
		case "next":
			return field(m, "payload", "data").(map[string]any)
		case "ping":
			s.send(t, map[string]any{"type": "pong"})
		default:
			t.Fatalf("subscription: %v", m)
		}
	}
}
