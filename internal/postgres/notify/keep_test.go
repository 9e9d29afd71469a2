package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
	"github.com/amity/amity/internal/postgres/pgtest"
	"github.com/amity/amity/internal/postgres/readcache"
)

// eventually waits up to 10s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A cache kept by the feed: another writer's change drops what it touches; a lost
// connection or a silent network turns the cache off and empties it, and it is back on
// once the feed is live again.
func TestKeepFollowsTheFeed(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	proxy := pgtest.MustProxy(t)
	h := notify.New(proxy.URL(t, db.ListenDSN()), notify.Options{Logger: quiet, MinReconnect: 20 * time.Millisecond, MaxReconnect: 100 * time.Millisecond})
	t.Cleanup(func() { h.Close() })
	cache := readcache.New(1 << 20)
	cache.SetEnabled(false) // as Keep starts it, so that waiting for it to be on means something
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const every = 200 * time.Millisecond
	go h.Keep(ctx, cache, notify.KeepOptions{Every: every})
	eventually(t, "the cache is on once the feed listens", cache.Enabled)

	city, other := uuid.New(), uuid.New()
	put := func(key string, id uuid.UUID) {
		t.Helper()
		if !cache.Put(cache.Ticket(), key, "value", 8, []readcache.Dep{readcache.Entity(id)}) {
			t.Fatalf("Put(%s) refused", key)
		}
	}
	put("city", city)
	put("other", other)
	mustNotify(t, db, true, knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeUpdated, ID: city})
	eventually(t, "a committed change drops the entry it touches", func() bool { _, ok := cache.Get("city"); return !ok })
	if _, ok := cache.Get("other"); !ok {
		t.Error("the change dropped an entry it does not touch")
	}

	proxy.Cut()
	eventually(t, "a lost connection turns the cache off", func() bool { return !cache.Enabled() })
	if _, ok := cache.Get("other"); ok {
		t.Error("the cache kept an entry while the feed was down")
	}
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cache is back on after the reconnection", cache.Enabled)

	put("other", other)
	proxy.Stall()
	stalled := time.Now()
	eventually(t, "a silent network turns the cache off", func() bool { return !cache.Enabled() })
	// Documented: within 2 × every; a loaded machine may delay the ticks a little.
	if took := time.Since(stalled); took > 5*every {
		t.Errorf("a stalled feed turned the cache off after %v, documented within 2×%v", took, every)
	}
	if _, ok := cache.Get("other"); ok {
		t.Error("the cache kept an entry while the feed was stalled")
	}
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cache is back on after the stall", cache.Enabled)

	cancel()
	eventually(t, "the cache is off once Keep ends", func() bool { return !cache.Enabled() })
}

// On a standby that lags, a change heard from the primary keeps the cache from caching
// until the standby has replayed it: reads that begin before may hold what the change
// replaced.
func TestKeepWaitsForTheStandbysReplay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pair := pgtest.StartPair(t, "amity")
	primary, err := postgres.Open(ctx, postgres.Config{URL: pair.Primary.URL("amity"), MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	standby, err := postgres.Open(ctx, postgres.Config{URL: pair.Standby.URL("amity"), MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	replayed := func(ctx context.Context) (uint64, error) {
		lsn, _, err := standby.ReplayPosition(ctx)
		return lsn, err
	}

	h := mustHub(t, primary, notify.Options{Standby: &notify.Positions{Primary: primary.WALFlushedPosition, Replayed: replayed}})
	cache := readcache.New(1 << 20)
	cache.SetEnabled(false)
	go h.Keep(ctx, cache, notify.KeepOptions{Every: 200 * time.Millisecond})
	client := mustSubscribe(t, h, notify.Filter{})
	eventually(t, "the cache is on once the feed listens", cache.Enabled)

	pair.PauseReplay(t)
	primary.MustExec(`CREATE TABLE written (v int)`) // WAL the standby has not replayed
	mustNotify(t, primary, true, knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeUpdated, ID: uuid.New()})
	eventually(t, "the change's position is known and awaited", func() bool {
		unpositioned, _, replaying := cache.Waiting()
		return !unpositioned && replaying
	})
	if cache.Put(cache.Ticket(), "k", "v", 8, nil) {
		t.Error("cached a read that began while the standby had not replayed a change heard")
	}
	nothing(t, client, 300*time.Millisecond) // a client's subscription waits for the replay
	pair.ResumeReplay(t)
	receive(t, client)
	eventually(t, "the replay catches up", func() bool { _, _, replaying := cache.Waiting(); return !replaying })
	if !cache.Put(cache.Ticket(), "k", "v", 8, nil) {
		t.Error("refused a read that began after the standby replayed every change heard")
	}
}
