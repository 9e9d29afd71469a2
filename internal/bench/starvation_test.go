package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	amity "github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// starvationScale is the graph of issue 11's item 5: 300 cities and 3,000 partnerships,
// dense enough that a path search of six hops explores most of it.
var starvationScale = Scale{Name: "starvation", Countries: 20, Cities: 300, Partnerships: 3_000, Agreements: 300,
	OfficialsPer: 1, Institutions: 10, Sources: 50, NamedFraction: 0.1}

// Bounds of one round of BenchmarkStarvation.
const (
	starvationRound    = 20 * time.Second
	starvationFlooders = 10                    // workers of the flooding client
	starvationFloodGap = time.Second           // each sends at most one request a second
	starvationAliases  = 40                    // path searches per flooding request
	starvationCheapGap = 20 * time.Millisecond // the cheap client's pause between requests
	starvationMaxCheap = 2_000
)

// BenchmarkStarvation: one client floods expensive path searches (40 aliases of
// connections(maxHops: 6, first: 20), from 10 workers each sending one a second at
// most, as in issue 11) while a second client sends a
// cheap look-up now and then. It reports the cheap look-up's p50 and p99 (the target is
// a p99 under 100 ms) and what became of the expensive requests. Each round lasts 20 s:
//
//	go test ./internal/bench -run '^$' -bench Starvation -benchtime 1x
//
// The two clients are told apart by X-Forwarded-For from a trusted proxy, as behind a
// load balancer; the server runs with the default configuration otherwise.
func BenchmarkStarvation(b *testing.B) {
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(b)
	if _, err := Seed(ctx, SeedOptions{URL: dbURL, Scale: starvationScale}); err != nil {
		b.Fatal(err)
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, StatementTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var ids []uuid.UUID
	if err := db.SelectContext(ctx, &ids, `SELECT id FROM cities ORDER BY id`); err != nil {
		b.Fatal(err)
	}
	var code string
	if err := db.GetContext(ctx, &code, `SELECT code FROM countries ORDER BY code LIMIT 1`); err != nil {
		b.Fatal(err)
	}

	cfg := amity.DefaultConfig()
	// The default cost limit refuses the flood outright (40 searches of 6 hops cost 2.6
	// million; docs/operations.md): raised, as an operator may raise it, the flood is
	// expensive but allowed, and what keeps the cheap client fast is admission alone.
	cfg.GraphQL.MaxComplexity = 10_000_000
	cfg.Auth.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	srv := amity.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}

	rng := rand.New(rand.NewPCG(11, 5))
	floods := make([][]byte, 8)
	for i := range floods {
		var q strings.Builder
		q.WriteString("{")
		for j := range starvationAliases {
			from, to := ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]
			fmt.Fprintf(&q, ` p%d: connections(from: %q, to: %q, maxHops: 6, first: 20) { length }`, j, knowledge.GlobalID(knowledge.TypeCity, from), knowledge.GlobalID(knowledge.TypeCity, to))
		}
		q.WriteString(" }")
		floods[i], _ = json.Marshal(map[string]string{"query": q.String()})
	}
	cheap, _ := json.Marshal(map[string]string{"query": fmt.Sprintf(`{ country(code: %q) { name } }`, code)})

	var cheapTimes, floodTimes []time.Duration
	outcomes := map[string]int{}
	b.ResetTimer()
	for range b.N {
		round, cancel := context.WithTimeout(ctx, starvationRound)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range starvationFlooders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; round.Err() == nil; i++ {
					start := time.Now()
					outcome := post(round, client, ts.URL, "10.0.0.1", floods[i%len(floods)])
					mu.Lock()
					if outcome != "" {
						outcomes["expensive "+outcome]++
						if outcome == "ok" {
							floodTimes = append(floodTimes, time.Since(start))
						}
					}
					mu.Unlock()
					select {
					case <-round.Done():
					case <-time.After(time.Until(start.Add(starvationFloodGap))):
					}
				}
			}()
		}
		time.Sleep(time.Second) // let the flood fill the server first
		for n := 0; n < starvationMaxCheap && round.Err() == nil; n++ {
			start := time.Now()
			outcome := post(round, client, ts.URL, "10.0.0.2", cheap)
			if outcome == "" {
				break // the round ended during the request
			}
			mu.Lock()
			outcomes["cheap "+outcome]++
			if outcome == "ok" {
				cheapTimes = append(cheapTimes, time.Since(start))
			}
			mu.Unlock()
			time.Sleep(starvationCheapGap)
		}
		wg.Wait()
		cancel()
	}
	b.StopTimer()

	slices.Sort(cheapTimes)
	slices.Sort(floodTimes)
	b.ReportMetric(pct(cheapTimes, 0.50), "cheap-p50-ms")
	b.ReportMetric(pct(cheapTimes, 0.99), "cheap-p99-ms")
	b.ReportMetric(float64(len(cheapTimes)), "cheap-ok")
	b.ReportMetric(float64(outcomes["cheap refused"]+outcomes["cheap failed"]), "cheap-not-ok")
	b.ReportMetric(float64(outcomes["expensive ok"]), "expensive-ok")
	b.ReportMetric(float64(outcomes["expensive refused"]), "expensive-refused")
	b.ReportMetric(float64(outcomes["expensive failed"]), "expensive-failed")
	b.ReportMetric(pct(floodTimes, 0.50), "expensive-ok-p50-ms")
	b.Logf("outcomes: %v", outcomes)
}

// post sends one request as the client at addr and classifies the answer: ok (200
// without errors), refused (503: admission said no), failed (anything else), or ""
// when the round ended first.
func post(ctx context.Context, c *http.Client, base, addr string, body []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "failed"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ""
		}
		return "failed"
	}
	defer resp.Body.Close()
	var r struct {
		Errors []json.RawMessage `json:"errors"`
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	switch {
	case ctx.Err() != nil:
		return ""
	case resp.StatusCode == http.StatusServiceUnavailable:
		return "refused"
	case err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0:
		return "failed"
	}
	return "ok"
}
