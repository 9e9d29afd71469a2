package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

const (
	subPartnershipsAfter = `subscription($city: ID, $after: Int) { partnershipChanged(city: $city, after: $after) {
  sequence action partnershipId } }`
	subAgreementsAfter = `subscription($city: ID, $after: Int) { agreementAdded(city: $city, after: $after) { id addedSequence } }`
)

type seqEvent struct {
	PartnershipChanged struct {
		Sequence      int64
		Action        string
		PartnershipID string
	}
}

// nextSeq reads the subscription's next partnership event, checks that its sequence is
// above last and that it is about the partnership want, and returns the sequence.
func nextSeq(t *testing.T, c *wsClient, id string, last int64, want string) int64 {
	t.Helper()
	var ev seqEvent
	c.event(id, &ev)
	got := ev.PartnershipChanged
	if got.PartnershipID != want {
		t.Fatalf("%s: got partnership %s (sequence %d), want %s", id, got.PartnershipID, got.Sequence, want)
	}
	if got.Sequence <= last {
		t.Fatalf("%s: sequence %d after %d: sequences must increase", id, got.Sequence, last)
	}
	return got.Sequence
}

// mustCreateCity creates a city (the shipped knowledge has only two) and returns its ID.
func mustCreateCity(t *testing.T, ts *httptest.Server, secret, name string) string {
	t.Helper()
	var out struct {
		CreateCity struct {
			City   *struct{ ID string }
			Errors []userError
		}
	}
	postOver(t, ts, secret, mutCreateCity, map[string]any{"input": map[string]any{
		"name": name, "country": "CN", "sources": newSources(name + " gazette")}}, &out)
	if out.CreateCity.City == nil {
		t.Fatalf("createCity: %s", dump(t, out))
	}
	return out.CreateCity.City.ID
}

// quiet checks that a subscription has nothing more to say: no duplicate, no stray.
func quiet(t *testing.T, c *wsClient, id string) {
	t.Helper()
	if m, ok := c.poll(id, 300*time.Millisecond); ok {
		t.Errorf("%s: unexpected %s %s", id, m.Type, m.Payload)
	}
}

// A client that saw sequence s and went away resumes with after: s and gets, in order,
// every change of its city made since — none of another city's — then the live ones,
// none twice.
func TestSubscriptionResumesAfter(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	ts := serve(t, a.handler)
	srv := a.handler.(*server.Server)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	shenzhen, moscow := mustCityID(t, a, "Shenzhen"), mustCityID(t, a, "Moscow")
	paris, lyon := mustCreateCity(t, ts, writer, "Resumeville"), mustCreateCity(t, ts, writer, "Resumeburg")

	c := mustDialWS(t, ts.URL, nil)
	c.subscribe("live", subPartnershipsAfter, map[string]any{"city": shenzhen})
	waitSubscribers(t, srv, 1)
	first := mustCreatePartnership(t, ts, writer, []string{shenzhen, moscow}, "2025-04-01")
	seen := nextSeq(t, c, "live", 0, first.ID)
	c.send(wsMsg{ID: "live", Type: "complete"})
	waitFor(t, 10*time.Second, "the subscription to end", func() bool { return srv.Changes().Status().Subscribers == 0 })

	// While nobody listens: two of Shenzhen's, one of others', and an update.
	missed1 := mustCreatePartnership(t, ts, writer, []string{shenzhen, paris}, "2025-04-02")
	mustCreatePartnership(t, ts, writer, []string{moscow, paris}, "2025-04-03")
	var upd struct {
		UpdatePartnership struct{ Errors []userError }
	}
	postOver(t, ts, writer, mutUpdatePartnership, map[string]any{"input": map[string]any{
		"id": first.ID, "version": first.Version, "since": "2025-04-04", "sources": newSources("Resume correction")}}, &upd)
	if len(upd.UpdatePartnership.Errors) > 0 {
		t.Fatalf("updatePartnership: %+v", upd.UpdatePartnership.Errors)
	}

	c.subscribe("resumed", subPartnershipsAfter, map[string]any{"city": shenzhen, "after": seen})
	last := nextSeq(t, c, "resumed", seen, missed1.ID)
	var ev seqEvent
	c.event("resumed", &ev)
	if got := ev.PartnershipChanged; got.PartnershipID != first.ID || got.Action != "UPDATED" || got.Sequence <= last {
		t.Fatalf("after %d: got %+v, want the update of %s", last, got, first.ID)
	}
	last = ev.PartnershipChanged.Sequence
	waitSubscribers(t, srv, 1)
	live := mustCreatePartnership(t, ts, writer, []string{shenzhen, lyon}, "2025-04-05")
	nextSeq(t, c, "resumed", last, live.ID)
	quiet(t, c, "resumed")

	// The same for agreements, whose events carry addedSequence.
	agreement := mustCreateAgreement(t, ts, writer, "Resumed memorandum", []string{shenzhen, moscow})
	c.subscribe("agreements", subAgreementsAfter, map[string]any{"city": moscow, "after": seen})
	var aev struct {
		AgreementAdded struct {
			ID            string
			AddedSequence *int64
		}
	}
	c.event("agreements", &aev)
	if got := aev.AgreementAdded; got.ID != agreement || got.AddedSequence == nil || *got.AddedSequence <= last {
		t.Fatalf("agreementAdded(after: %d): %s, want %s after sequence %d", seen, dump(t, aev), agreement, last)
	}
	quiet(t, c, "agreements")
}

// after must be a sequence the log has, and not too far back.
func TestSubscriptionResumeBounds(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	ts := serve(t, a.handler)
	var newest int64
	if err := a.db.GetContext(context.Background(), &newest, `SELECT max(id) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	c := mustDialWS(t, ts.URL, nil)
	for id, after := range map[string]int64{"negative": -1, "future": newest + 1000} {
		c.subscribe(id, subPartnershipsAfter, map[string]any{"after": after})
		m := c.next(id, 5*time.Second)
		var p struct{ Errors []gqlError }
		if m.Type == "error" {
			json.Unmarshal(m.Payload, &p.Errors)
		} else {
			json.Unmarshal(m.Payload, &p)
		}
		if len(p.Errors) == 0 || p.Errors[0].code() != "BAD_USER_INPUT" {
			t.Errorf("%s (after: %d): got %s %s, want a BAD_USER_INPUT error", id, after, m.Type, m.Payload)
		}
	}
	// From the start of the log (the shipped knowledge) is within bounds: every
	// partnership shipped, in order.
	c.subscribe("all", subPartnershipsAfter, map[string]any{"after": 0})
	var shipped int
	if err := a.db.GetContext(context.Background(), &shipped, `SELECT count(*) FROM partnerships`); err != nil {
		t.Fatal(err)
	}
	var last int64
	for range shipped {
		var ev seqEvent
		c.event("all", &ev)
		if ev.PartnershipChanged.Sequence <= last {
			t.Fatalf("sequence %d after %d", ev.PartnershipChanged.Sequence, last)
		}
		last = ev.PartnershipChanged.Sequence
	}
	quiet(t, c, "all")
}

// A change committed while the subscriber's replica has lost its LISTEN connection is
// delivered once the connection is back, read from the log; nothing twice.
func TestSubscriptionCatchesUpAfterListenerOutage(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := serve(t, a.handler)
	secret := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	proxy := pgtest.MustProxy(t)
	db, err := postgres.Open(context.Background(), postgres.Config{URL: proxy.URL(t, a.db.ListenDSN()), MaxOpenConns: 4,
		ConnectTimeout: time.Second, StatementTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := server.New(db, server.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { b.Close() })
	reader := serve(t, b)
	shenzhen, moscow := mustCityID(t, a, "Shenzhen"), mustCityID(t, a, "Moscow")
	paris, lyon := mustCreateCity(t, writer, secret, "Outageville"), mustCreateCity(t, writer, secret, "Outageburg")

	c := mustDialWS(t, reader.URL, nil)
	c.subscribe("p", subPartnershipsAfter, map[string]any{"city": shenzhen})
	waitSubscribers(t, b, 1)
	before := mustCreatePartnership(t, writer, secret, []string{shenzhen, moscow}, "2025-05-01")
	last := nextSeq(t, c, "p", 0, before.ID)

	proxy.Cut()
	waitFor(t, 10*time.Second, "the listener to notice", func() bool { return !b.Changes().Status().Connected })
	during := mustCreatePartnership(t, writer, secret, []string{shenzhen, paris}, "2025-05-02")
	reconnects := b.Changes().Status().Reconnects
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	last = nextSeq(t, c, "p", last, during.ID)
	if b.Changes().Status().Reconnects <= reconnects {
		t.Errorf("delivered without a reconnection: the outage did not happen")
	}
	after := mustCreatePartnership(t, writer, secret, []string{shenzhen, lyon}, "2025-05-03")
	nextSeq(t, c, "p", last, after.ID)
	quiet(t, c, "p")
}
