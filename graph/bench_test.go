package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/bench"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// BenchmarkNestedQueries runs the load benchmark's operations Q1-Q4 (internal/bench)
// through the whole HTTP handler, in process, one request at a time. It guards the hot
// paths against regressions without any timed assertion: compare runs with benchstat.
// It reports SQL statements per request as stmts/op.
//
// By default it runs over a fresh database with a small synthetic network; set
// AMITY_BENCH_DATABASE_URL to a bench database (`amity-bench seed --scale l`) to
// measure, or profile, at scale:
//
//	AMITY_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/amity_bench_l?sslmode=disable \
//	  go test ./graph -run '^$' -bench NestedQueries/Q4 -benchtime 20s -cpuprofile q4.cpu
//
// The read cache is on, as a server's is, so a repeated query is answered from it; set
// AMITY_BENCH_COLD=1 to measure the cold path (every request reads the database).
func BenchmarkNestedQueries(b *testing.B) {
	cfg := server.DefaultConfig()
	cfg.GraphQL.MaxComplexity = 100_000
	// Every request comes from one caller: admission would queue the parallel runs
	// behind that caller's share of the slots and refuse the rest, which measures
	// admission, not the queries.
	cfg.MaxConcurrentRequests = 0
	if os.Getenv("AMITY_BENCH_COLD") != "" {
		cfg.ReadCacheBytes = 0
	}
	var handler http.Handler
	var cities []uuid.UUID
	if url := os.Getenv("AMITY_BENCH_DATABASE_URL"); url != "" {
		db, err := postgres.Open(context.Background(), postgres.Config{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		handler = server.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := db.Select(&cities, `SELECT id FROM cities ORDER BY md5(id::text) LIMIT 500`); err != nil {
			b.Fatal(err)
		}
	} else {
		a := MustAPIWith(b, cfg)
		MustInsertNetwork(b, a, 200)
		handler = a.handler
		if err := a.db.Select(&cities, `SELECT id FROM cities WHERE name LIKE 'Testville %' ORDER BY name`); err != nil {
			b.Fatal(err)
		}
	}
	for _, name := range []string{"Q1", "Q2", "Q3", "Q4"} {
		query, _ := bench.AmityQuery(name)
		bodies := make([][]byte, len(cities))
		for i, id := range cities {
			bodies[i], _ = json.Marshal(map[string]any{"query": query, "variables": map[string]any{"id": knowledge.GlobalID(knowledge.TypeCity, id)}})
		}
		b.Run(name, func(b *testing.B) {
			var stmts, reqs int64
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				reqs++
				stmts += serveBenchRequest(b, handler, name, bodies[i%len(bodies)])
			}
			b.ReportMetric(float64(stmts)/float64(reqs), "stmts/op")
		})
		// The same requests from 16 goroutines per core at once: under load, batches
		// must still hold (stmts/op) and the per-request CPU shows in ns/op.
		b.Run(name+"/parallel", func(b *testing.B) {
			var stmts, reqs, next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					reqs.Add(1)
					stmts.Add(serveBenchRequest(b, handler, name, bodies[int(next.Add(1))%len(bodies)]))
				}
			})
			b.ReportMetric(float64(stmts.Load())/float64(reqs.Load()), "stmts/op")
		})
	}
}

// serveBenchRequest serves one request through handler and returns the number of SQL
// statements it ran.
func serveBenchRequest(b *testing.B, handler http.Handler, name string, body []byte) int64 {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	ctx, n := postgres.WithStatementCounter(req.Context())
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req.WithContext(ctx))
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		b.Errorf("%s: %d %s", name, rec.Code, rec.Body.Bytes())
	}
	return n.Load()
}

// BenchmarkKnowledgeQueries measures the knowledge-depth queries one at a time:
// filtered and ordered lists, cities near a point, search and paths. Pointed at the
// large bench database (AMITY_BENCH_DATABASE_URL) it gives the figures in
// docs/benchmarks.md; without it, it runs over a small network and guards against
// regressions.
func BenchmarkKnowledgeQueries(b *testing.B) {
	cfg := server.DefaultConfig()
	var handler http.Handler
	var cities []struct {
		ID   uuid.UUID `db:"id"`
		Name string    `db:"name"`
		Lat  *float64  `db:"latitude"`
		Lon  *float64  `db:"longitude"`
	}
	const pick = `SELECT id, name, latitude, longitude FROM cities ORDER BY md5(id::text) LIMIT 200`
	if url := os.Getenv("AMITY_BENCH_DATABASE_URL"); url != "" {
		db, err := postgres.Open(context.Background(), postgres.Config{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		handler = server.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := db.Select(&cities, pick); err != nil {
			b.Fatal(err)
		}
	} else {
		a := MustAPIWith(b, cfg)
		MustInsertNetwork(b, a, 200)
		handler = a.handler
		if err := a.db.Select(&cities, pick); err != nil {
			b.Fatal(err)
		}
	}
	type op struct {
		name  string
		query string
		vars  func(i int) map[string]any
	}
	ops := []op{
		{"Filter", `query($c: ID) { agreements(filter: {partyCity: $c, areas: [TRADE], signedAfter: "1990-01-01"}, orderBy: {field: SIGNED_ON, direction: DESC}, first: 20) { totalCount nodes { title signedOn } } }`,
			func(i int) map[string]any {
				return map[string]any{"c": knowledge.GlobalID(knowledge.TypeCity, cities[i].ID)}
			}},
		{"CitiesByPopulation", `{ cities(filter: {populationMin: 100000}, orderBy: {field: POPULATION, direction: DESC}, first: 20) { nodes { name population } } }`,
			func(int) map[string]any { return nil }},
		{"Near", `query($lat: Float!, $lon: Float!) { cities(near: {latitude: $lat, longitude: $lon, radiusKm: 300}, first: 20) { nodes { name } } }`,
			func(i int) map[string]any {
				lat, lon := 0.0, 0.0
				if c := cities[i]; c.Lat != nil {
					lat, lon = *c.Lat, *c.Lon
				}
				return map[string]any{"lat": lat, "lon": lon}
			}},
		{"Search", `query($q: String!) { search(query: $q, first: 10) { nodes { __typename } } }`,
			func(i int) map[string]any {
				n := []rune(cities[i].Name)
				return map[string]any{"q": string(append(n[:2:2], n[3:]...))} // drop a letter: a typo
			}},
		{"Path", `query($a: ID!, $b: ID!) { connections(from: $a, to: $b, maxHops: 4, first: 3) { length } }`,
			func(i int) map[string]any {
				return map[string]any{"a": knowledge.GlobalID(knowledge.TypeCity, cities[i].ID), "b": knowledge.GlobalID(knowledge.TypeCity, cities[(i+1)%len(cities)].ID)}
			}},
	}
	for _, o := range ops {
		bodies := make([][]byte, len(cities))
		for i := range cities {
			bodies[i], _ = json.Marshal(map[string]any{"query": o.query, "variables": o.vars(i)})
		}
		b.Run(o.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%s: %d %s", o.name, rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}
