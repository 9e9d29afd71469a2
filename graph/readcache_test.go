package graph_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

const cachedCity = `query($id: ID!) { city(id: $id) { name population version
  partnerships(first: 50) { nodes { kind partner { name population } } } } }`

type cachedCityData struct {
	City struct {
		Name         string
		Population   *int
		Version      int
		Partnerships struct {
			Nodes []struct {
				Kind    string
				Partner struct {
					Name       string
					Population *int
				}
			}
		}
	}
}

// The read cache answers a repeated query without SQL, and never answers what a write
// has replaced: on the replica that took the write, from the write's own answer on; on
// another replica of the same database, once the change feed has brought the change.
func TestReadCache(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	srv := a.handler.(*server.Server)
	// A second replica: a server of its own over a pool of its own, on the same database.
	db2, err := postgres.Open(context.Background(), postgres.Config{URL: a.db.ListenDSN(), MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	other := server.New(db2, server.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { other.Close() })
	b := &api{db: db2, handler: other}
	for _, s := range []*server.Server{srv, other} {
		waitFor(t, 10*time.Second, "the read cache to be on", s.ReadCache().Enabled)
	}
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	shenzhen, moscow := mustCityID(t, a, "Shenzhen"), mustCityID(t, a, "Moscow")
	vars := map[string]any{"id": shenzhen}
	read := func(x *api) (cachedCityData, int64) {
		t.Helper()
		var d cachedCityData
		r := x.MustPost(t, cachedCity, vars)
		r.MustData(t, &d)
		return d, r.Statements
	}

	first := a.MustPost(t, cachedCity, vars)
	again := a.MustPost(t, cachedCity, vars)
	if again.Statements != 0 || !bytes.Equal(first.Data, again.Data) {
		t.Errorf("a repeated query ran %d statements (first %d) and answered %s, first %s", again.Statements, first.Statements, again.Data, first.Data)
	}
	// The other replica caches it too. On a loaded machine its change feed may miss a
	// liveness ping (FeedPing), which turns its cache off until the next one answers:
	// the pair of reads is tried again within that bound.
	waitFor(t, 10*time.Second, "the other replica to answer a repeated query from its cache", func() bool {
		read(b)
		_, n := read(b)
		return n == 0
	})

	// Moscow's population changes: it is Shenzhen's partner, so Shenzhen's page holds it.
	var city struct {
		City struct{ Version int }
	}
	a.MustPost(t, `query($id: ID!) { city(id: $id) { version } }`, map[string]any{"id": moscow}).MustData(t, &city)
	const update = `mutation($input: UpdateCityInput!) { updateCity(input: $input) { city { population } errors { code message } } }`
	var upd struct {
		UpdateCity struct {
			City   *struct{ Population int }
			Errors []userError
		}
	}
	a.MustPostAs(t, writer, update, map[string]any{"input": map[string]any{"id": moscow, "version": city.City.Version,
		"population": 13_000_001, "sources": newSources("Testville census office")}}).MustData(t, &upd)
	if upd.UpdateCity.City == nil || upd.UpdateCity.City.Population != 13_000_001 {
		t.Fatalf("updateCity answered %+v", upd.UpdateCity)
	}
	partner := func(d cachedCityData) *int {
		for _, n := range d.City.Partnerships.Nodes {
			if n.Partner.Name == "Moscow" {
				return n.Partner.Population
			}
		}
		t.Fatalf("Moscow is not among Shenzhen's partners: %+v", d)
		return nil
	}
	if d, _ := read(a); partner(d) == nil || *partner(d) != 13_000_001 {
		t.Errorf("the writing replica answered Moscow's old population after the write: %v", partner(d))
	}
	start := time.Now()
	waitFor(t, 5*time.Second, "the other replica to answer the new population", func() bool {
		d, _ := read(b)
		p := partner(d)
		return p != nil && *p == 13_000_001
	})
	t.Logf("the other replica answered the write %v after it returned", time.Since(start).Round(time.Millisecond))

	// A new partnership of Shenzhen: its page changes, on the writer at once.
	ts := serve(t, a.handler)
	testville := mustCreateCity(t, ts, writer, "Cacheville")
	mustCreatePartnership(t, ts, writer, []string{shenzhen, testville}, "2025-06-01")
	d, _ := read(a)
	found := false
	for _, n := range d.City.Partnerships.Nodes {
		found = found || n.Partner.Name == "Cacheville"
	}
	if !found {
		t.Errorf("the writing replica's next read lacks the partnership it just created: %+v", d.City.Partnerships.Nodes)
	}
	if st := srv.ReadCache().Stats(); st.Hits == 0 || st.Invalidations == 0 {
		t.Errorf("read cache stats %+v: want hits and invalidations", st)
	}
}

// With --cache-size 0 there is no cache: every read runs its SQL.
func TestReadCacheOff(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.ReadCacheBytes = 0
	a := MustAPIWith(t, cfg)
	if c := a.handler.(*server.Server).ReadCache(); c != nil {
		t.Fatal("a read cache with ReadCacheBytes 0")
	}
	vars := map[string]any{"id": mustCityID(t, a, "Shenzhen")}
	a.MustPost(t, cachedCity, vars)
	if r := a.MustPost(t, cachedCity, vars); r.Statements == 0 {
		t.Error("a repeated query ran no SQL without a cache")
	}
}
