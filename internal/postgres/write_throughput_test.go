package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

var testvilleURL = "https://example.org/testville"

// BenchmarkConcurrentCityUpdates measures write throughput when many callers write at
// once, each to a city of its own: what the audit log's lock (auditLockKey, which makes
// the log a change log in commit order) costs. Every update takes the lock from its
// audit entry to its commit, so commits queue behind one another; b.N updates are
// shared among the workers, and the figure to read is updates/s.
//
//	go test ./internal/postgres/ -run '^$' -bench ConcurrentCityUpdates -benchtime 2000x
func BenchmarkConcurrentCityUpdates(b *testing.B) {
	db := pgtest.MustOpen(b)
	ctx := context.Background()
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: "bench"}}
	code, name := "TL", "Testland"
	if _, err := db.ExecContext(ctx, `INSERT INTO countries (code, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, code, name); err != nil {
		b.Fatal(err)
	}
	src, err := db.CreateSource(ctx, meta, knowledge.NewSource{Title: "Testville records", URL: &testvilleURL})
	if err != nil {
		b.Fatal(err)
	}
	cite := knowledge.SourceRefs{IDs: []uuid.UUID{src.ID}}
	for _, workers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			ids := make([]uuid.UUID, workers)
			for i := range ids {
				n := fmt.Sprintf("Testville %d-%d", workers, i)
				res, err := db.WriteCity(ctx, meta, knowledge.CityWrite{Name: &n, CountryCode: &code, Sources: cite})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = res.ID
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			b.ResetTimer()
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					version := 1
					for next.Add(1) <= int64(b.N) {
						pop := version * 10
						id := ids[w]
						if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &id, Version: version, Population: &pop, Sources: cite}); err != nil {
							errs <- err
							return
						}
						version++
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}
