package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
	"github.com/amity/amity/internal/postgres/pgtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustHub(t *testing.T, db *postgres.DB, opts notify.Options) *notify.Hub {
	t.Helper()
	opts.Logger = quiet
	h := notify.New(db.ListenDSN(), opts)
	t.Cleanup(func() { h.Close() })
	return h
}

func mustSubscribe(t *testing.T, h *notify.Hub, f notify.Filter) *notify.Subscription {
	t.Helper()
	s, err := h.Subscribe(t.Context(), f)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return s
}

// mustNotify announces changes in one transaction, committed or rolled back.
func mustNotify(t *testing.T, db *postgres.DB, commit bool, changes ...knowledge.Change) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if err := postgres.NotifyChange(ctx, tx, c); err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
	}
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func receive(t *testing.T, s *notify.Subscription) knowledge.Change {
	t.Helper()
	select {
	case c, ok := <-s.C():
		if !ok {
			t.Fatalf("feed closed: %v", s.Err())
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5s")
	}
	return knowledge.Change{}
}

func nothing(t *testing.T, s *notify.Subscription, within time.Duration) {
	t.Helper()
	select {
	case c := <-s.C():
		t.Fatalf("unexpected change %+v", c)
	case <-time.After(within):
	}
}

// Two hubs stand for two server replicas on one database: a change committed through
// either reaches the subscribers of both; a rolled-back one reaches nobody.
func TestHubsShareTheDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	a, b := mustHub(t, db, notify.Options{}), mustHub(t, db, notify.Options{})
	if st := b.Status(); st.Started || st.Connected {
		t.Fatalf("an unused hub should be idle: %+v", st)
	}
	onA := mustSubscribe(t, a, notify.Filter{})
	onB := mustSubscribe(t, b, notify.Filter{})
	if st := b.Status(); !st.Started || !st.Connected || st.Subscribers != 1 {
		t.Fatalf("status after subscribe: %+v", st)
	}

	rolledBack := knowledge.Change{Entity: postgres.ChangeAgreement, Action: knowledge.ChangeCreated, ID: uuid.New()}
	mustNotify(t, db, false, rolledBack)
	want := knowledge.Change{Entity: postgres.ChangeAgreement, Action: knowledge.ChangeCreated, ID: uuid.New(), Cities: []uuid.UUID{uuid.New(), uuid.New()}}
	mustNotify(t, db, true, want)
	for name, s := range map[string]*notify.Subscription{"A": onA, "B": onB} {
		got := receive(t, s)
		if got.ID != want.ID || got.Entity != want.Entity || got.Action != want.Action || len(got.Cities) != 2 || got.Cities[1] != want.Cities[1] {
			t.Errorf("replica %s got %+v, want %+v", name, got, want)
		}
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	h := mustHub(t, db, notify.Options{})
	city := uuid.New()
	agreementsOfCity := mustSubscribe(t, h, notify.Filter{Entity: postgres.ChangeAgreement, Actions: []string{knowledge.ChangeCreated}, City: city})
	partnerships := mustSubscribe(t, h, notify.Filter{Entity: postgres.ChangePartnership})

	other := knowledge.Change{Entity: postgres.ChangeAgreement, Action: knowledge.ChangeCreated, ID: uuid.New(), Cities: []uuid.UUID{uuid.New()}}
	updated := knowledge.Change{Entity: postgres.ChangeAgreement, Action: knowledge.ChangeUpdated, ID: uuid.New(), Cities: []uuid.UUID{city}}
	mine := knowledge.Change{Entity: postgres.ChangeAgreement, Action: knowledge.ChangeCreated, ID: uuid.New(), Cities: []uuid.UUID{uuid.New(), city}}
	p := knowledge.Change{Entity: postgres.ChangePartnership, Action: knowledge.ChangeRetracted, ID: uuid.New(), Cities: []uuid.UUID{city, uuid.New()}}
	mustNotify(t, db, true, other, updated, mine, p)
	if got := receive(t, agreementsOfCity); got.ID != mine.ID {
		t.Errorf("city filter: got %+v, want %s", got, mine.ID)
	}
	if got := receive(t, partnerships); got.ID != p.ID || got.Action != knowledge.ChangeRetracted {
		t.Errorf("entity filter: got %+v, want %s", got, p.ID)
	}
	nothing(t, agreementsOfCity, 100*time.Millisecond)
	nothing(t, partnerships, 0)
}

// A change with more cities than a NOTIFY payload holds is still delivered, marked so
// that a city filter lets it through for the subscriber to check.
func TestTooManyCities(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	h := mustHub(t, db, notify.Options{})
	s := mustSubscribe(t, h, notify.Filter{City: uuid.New()})
	many := make([]uuid.UUID, 500)
	for i := range many {
		many[i] = uuid.New()
	}
	mustNotify(t, db, true, knowledge.Change{Entity: postgres.ChangeAgreement, Action: knowledge.ChangeCreated, ID: uuid.New(), Cities: many})
	if got := receive(t, s); !got.CitiesOmitted || len(got.Cities) != 0 {
		t.Errorf("got %+v, want cities omitted", got)
	}
}

// A subscriber that stops reading is dropped once its buffer is full; the others get
// every change, in order, without waiting for it.
func TestSlowSubscriberIsDropped(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	const buffer, n = 4, 12
	h := mustHub(t, db, notify.Options{Buffer: buffer})
	slow := mustSubscribe(t, h, notify.Filter{})
	fast := mustSubscribe(t, h, notify.Filter{})
	for i := range n {
		// The fast subscriber reads each change before the next is written, so only the
		// slow one ever falls behind.
		id := uuid.New()
		mustNotify(t, db, true, knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeUpdated, ID: id})
		if got := receive(t, fast); got.ID != id {
			t.Fatalf("change %d: fast subscriber got %s, want %s", i, got.ID, id)
		}
	}
	var buffered int
	for range slow.C() {
		buffered++
	}
	if buffered != buffer || !errors.Is(slow.Err(), notify.ErrSlowConsumer) {
		t.Errorf("slow subscriber: %d buffered changes, err %v; want %d and ErrSlowConsumer", buffered, slow.Err(), buffer)
	}
	if st := h.Status(); st.Dropped != 1 || st.Subscribers != 1 {
		t.Errorf("status %+v, want 1 dropped and 1 subscriber", st)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	h := mustHub(t, db, notify.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	byContext, err := h.Subscribe(ctx, notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	s := mustSubscribe(t, h, notify.Filter{})
	cancel()
	if _, ok := <-byContext.C(); ok || byContext.Err() != nil {
		t.Errorf("a cancelled subscription should end quietly, got err %v", byContext.Err())
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-s.C(); ok || !errors.Is(s.Err(), notify.ErrClosed) {
		t.Errorf("after Close: err %v, want ErrClosed", s.Err())
	}
	if _, err := h.Subscribe(t.Context(), notify.Filter{}); !errors.Is(err, notify.ErrClosed) {
		t.Errorf("subscribe after Close: %v, want ErrClosed", err)
	}
	if st := h.Status(); st.Started || st.Connected {
		t.Errorf("status after Close: %+v", st)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A hub that cannot reach its database says so instead of hanging.
func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	h := notify.New("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", notify.Options{ConnectWait: 300 * time.Millisecond, Logger: quiet})
	defer h.Close()
	if _, err := h.Subscribe(t.Context(), notify.Filter{}); !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if st := h.Status(); st.Connected || st.Subscribers != 0 {
		t.Errorf("status %+v", st)
	}
}

// An import announces its partnerships with one bulk change, which a subscriber
// filtered by city keeps (the hub cannot tell its cities) and reads back, as its own
// partnership changes, from the audit log.
func TestImportReachesSubscribers(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	h := mustHub(t, db, notify.Options{})
	for _, f := range []string{"countries.json", "cities.txt"} {
		mustImport(t, db, f)
	}
	var sampleton uuid.UUID
	if err := db.Get(&sampleton, `SELECT id FROM cities WHERE geonames_id = 99000002`); err != nil {
		t.Fatal(err)
	}
	s := mustSubscribe(t, h, notify.Filter{Entity: postgres.ChangePartnership, City: sampleton})
	mustImport(t, db, "knowledge.ndjson")
	c := receive(t, s)
	if c.Bulk == nil || c.Action != knowledge.ChangeCreated || c.Bulk.Actor != "import:knowledge.ndjson" {
		t.Fatalf("got %+v, want the import's bulk partnership change", c)
	}
	got, next, err := db.LogChanges(t.Context(), c.Entity, []string{c.Action}, sampleton, c.Bulk.First-1, c.Bulk.Last, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || next != c.Bulk.Last || !slices.Contains(got[0].Cities, sampleton) || got[0].Bulk != nil {
		t.Errorf("Sampleton's changes = %+v (next %d), want its one imported partnership", got, next)
	}
	nothing(t, s, 200*time.Millisecond)
}

func mustImport(t *testing.T, db *postgres.DB, name string) {
	t.Helper()
	pgtest.MustImportFile(t, db, filepath.Join("..", "..", "..", "testdata", "import", name))
}

// A resumable subscriber that falls behind is not dropped: its buffer is replaced by a
// gap marker, after which the changes that follow arrive as usual; it reads what it
// missed from the log.
func TestSlowResumableSubscriberGetsAGap(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	const buffer, n = 4, 12
	h := mustHub(t, db, notify.Options{Buffer: buffer})
	slow := mustSubscribe(t, h, notify.Filter{Resumable: true})
	fast := mustSubscribe(t, h, notify.Filter{})
	var ids []uuid.UUID
	for i := range n {
		id := uuid.New()
		ids = append(ids, id)
		mustNotify(t, db, true, knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeUpdated, ID: id})
		if got := receive(t, fast); got.ID != id {
			t.Fatalf("change %d: fast subscriber got %s, want %s", i, got.ID, id)
		}
	}
	// The buffer overflowed at the 5th change and at the 9th: each time it was emptied
	// and the marker put in; the last three came after the second marker.
	if c := receive(t, slow); !notify.IsGap(c) {
		t.Fatalf("slow subscriber got %+v first, want the gap marker", c)
	}
	for _, want := range ids[n-buffer+1:] {
		if c := receive(t, slow); c.ID != want {
			t.Fatalf("slow subscriber got %+v, want %s", c, want)
		}
	}
	nothing(t, slow, 100*time.Millisecond)
	if st := h.Status(); st.Dropped != 0 || st.Subscribers != 2 {
		t.Errorf("status %+v, want none dropped and 2 subscribers", st)
	}
}

// After the listener reconnects, a resumable subscriber finds a gap marker before the
// changes that follow (what was committed in between was never notified); others are
// not told.
func TestReconnectGivesResumableSubscribersAGap(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	proxy := pgtest.MustProxy(t)
	h := notify.New(proxy.URL(t, db.ListenDSN()), notify.Options{Logger: quiet, MinReconnect: 20 * time.Millisecond, MaxReconnect: 100 * time.Millisecond})
	t.Cleanup(func() { h.Close() })
	resumable := mustSubscribe(t, h, notify.Filter{Resumable: true})
	plain := mustSubscribe(t, h, notify.Filter{})

	proxy.Cut()
	deadline := time.Now().Add(10 * time.Second)
	for h.Status().Connected {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not notice the cut within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	lost := uuid.New()
	mustNotify(t, db, true, knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeUpdated, ID: lost})
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	if c := receive(t, resumable); !notify.IsGap(c) {
		t.Fatalf("resumable subscriber got %+v after the reconnection, want the gap marker", c)
	}
	next := uuid.New()
	mustNotify(t, db, true, knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeUpdated, ID: next})
	for name, s := range map[string]*notify.Subscription{"resumable": resumable, "plain": plain} {
		if c := receive(t, s); c.ID != next {
			t.Errorf("%s subscriber got %+v, want %s", name, c, next)
		}
	}
	if st := h.Status(); st.Reconnects == 0 {
		t.Errorf("status %+v: no reconnection counted", st)
	}
}
