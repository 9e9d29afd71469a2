package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
)

const mutCreateSource = `mutation($in: SourceInput!) { createSource(input: $in) { source { id } errors { code } } }`

// A key revoked while its WebSockets are open stops working on them within the key
// cache's TTL: an operation sent after that is refused with UNAUTHENTICATED, and every
// socket of the key, busy or idle, is closed with 4403, ending its subscriptions.
// (The principal used to be fixed at connection_init, and a revoked key kept writing.)
func TestRevokedKeyClosesOpenWebSockets(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.Auth.CacheTTL = 500 * time.Millisecond
	a := MustAPIWith(t, cfg)
	ts := serve(t, a.handler)
	srv := a.handler.(*server.Server)
	secret := MustKey(t, a, "revoked writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	key, err := a.db.KeyByHash(context.Background(), auth.HashSecret(secret))
	if err != nil || key == nil {
		t.Fatalf("key: %v", err)
	}

	// One socket keyed in connection_init writes; one keyed in its upgrade request only
	// listens.
	busy := mustDialWS(t, ts.URL, map[string]any{"Authorization": "Bearer " + secret})
	busy.subscribe("p", subPartnerships, nil)
	idle, _, err := dialWS(t, ts.URL, http.Header{"Authorization": {"Bearer " + secret}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := idle.next("", 5*time.Second); m.Type != "connection_ack" {
		t.Fatalf("key in header: got %+v", m)
	}
	idle.subscribe("a", subAgreements, nil)
	waitSubscribers(t, srv, 2)
	// write sends a mutation and waits for its answer; false when the socket closed.
	write := func(c *wsClient, id string) (wsMsg, bool) {
		msg := wsMsg{ID: id, Type: "subscribe", Payload: mustRaw(t, map[string]any{"query": mutCreateSource,
			"variables": map[string]any{"in": map[string]any{"title": "Gazette " + id, "url": "https://gazette.example/" + id}}})}
		if err := c.conn.Write(context.Background(), websocket.MessageText, mustRaw(t, msg)); err != nil {
			return wsMsg{}, false
		}
		return c.poll(id, 5*time.Second)
	}
	if m, ok := write(busy, "before"); !ok || m.Type != "next" || contains(m.Payload, "errors\":[{") {
		t.Fatalf("write before revocation: %s %s", m.Type, m.Payload)
	}

	if _, err := a.db.RevokeKey(context.Background(), key.ID); err != nil {
		t.Fatal(err)
	}
	revokedAt := time.Now()
	// Keep writing until the key stops working; the bound is the cache TTL, and the loop
	// is generous beyond it.
	refusedByOperation := false
	for i := 0; i < 200 && time.Since(revokedAt) < cfg.Auth.CacheTTL+10*time.Second; i++ {
		m, ok := write(busy, fmt.Sprint("w", i))
		if !ok {
			break // the socket closed first
		}
		if contains(m.Payload, auth.CodeUnauthenticated) {
			refusedByOperation = true
			break
		}
		if m.Type != "next" {
			t.Fatalf("write %d: %s %s", i, m.Type, m.Payload)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for name, c := range map[string]*wsClient{"busy": busy, "idle": idle} {
		if code := c.closed(cfg.Auth.CacheTTL + 10*time.Second); code != graph.CloseForbidden {
			t.Errorf("%s socket closed with %v (%v), want %d", name, code, c.closeErr(), graph.CloseForbidden)
		}
	}
	t.Logf("closed %v after revocation (refused by an operation first: %v)", time.Since(revokedAt).Round(time.Millisecond), refusedByOperation)
	waitSubscribers(t, srv, 0)

	// No write got through under the revoked key once the TTL had passed (with two
	// seconds for a write that started just before it to commit).
	var late int
	if err := a.db.Get(&late, `SELECT count(*) FROM audit_log WHERE key_id = $1 AND at > $2`, key.ID, revokedAt.Add(cfg.Auth.CacheTTL+2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if late != 0 {
		t.Errorf("%d writes audited under the revoked key after the TTL", late)
	}
	// And a new socket with the key is refused at connection_init.
	c, _, err := dialWS(t, ts.URL, nil, map[string]any{"Authorization": "Bearer " + secret})
	if err != nil {
		t.Fatal(err)
	}
	if code := c.closed(5 * time.Second); code != graph.CloseForbidden {
		t.Errorf("new socket with the revoked key: closed with %v", code)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
