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
	"strings"
	"testing"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/bench"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// costScale is the network the complexity weights are calibrated on: the 300
// cities and 3,000 partnerships (20 per city on average, skewed as in the bench data).
var costScale = bench.Scale{Name: "cost", Countries: 30, Cities: 300, Partnerships: 3000, Agreements: 1000,
	OfficialsPer: 3, Institutions: 100, Sources: 300, NamedFraction: 0.5}

// costCase is one operation timed by BenchmarkCost.
type costCase struct {
	name, query string
	vars        map[string]any
}

// mustCostNetwork seeds costScale into a database of the benchmark's own (internal/bench's
// generator) and returns a handler over it, with federation on and no complexity limit
// (so that every case runs), the global IDs of the cities, hubs first, and the country
// codes.
func mustCostNetwork(b *testing.B) (h http.Handler, ids, codes []string) {
	url := pgtest.MustCreateDB(b)
	ctx := context.Background()
	if _, err := bench.Seed(ctx, bench.SeedOptions{URL: url, Scale: costScale, Workers: 2}); err != nil {
		b.Fatal(err)
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cfg := server.DefaultConfig()
	cfg.GraphQL.MaxComplexity = 0
	cfg.GraphQL.Federation = true
	cfg.GraphQL.Limits.MaxAliases = 0
	h = server.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := db.Select(&codes, `SELECT code FROM countries ORDER BY code`); err != nil {
		b.Fatal(err)
	}
	var rows []string
	err = db.Select(&rows, `SELECT c.name FROM cities c
		JOIN partnerships p ON c.id IN (p.city_a_id, p.city_b_id)
		GROUP BY c.id, c.name ORDER BY count(*) DESC, c.name`)
	if err != nil {
		b.Fatal(err)
	}
	ids = make([]string, 0, len(rows))
	for _, name := range rows {
		var data struct {
			City struct{ ID string } `json:"city"`
		}
		mustCostPost(b, h, `query($n: String) { city(name: $n) { id } }`, map[string]any{"n": name}, &data)
		ids = append(ids, data.City.ID)
	}
	return h, ids, codes
}

func mustCostPost(b testing.TB, h http.Handler, query string, vars map[string]any, into any) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) > 0 {
		b.Fatalf("%.80s: status %d: %.300s", query, rec.Code, rec.Body.Bytes())
	}
	if into != nil {
		if err := json.Unmarshal(resp.Data, into); err != nil {
			b.Fatal(err)
		}
	}
}

// costCases are the expensive fields at a few argument values each.
func costCases(ids, codes []string) []costCase {
	hub, mid, leaf := ids[0], ids[len(ids)/2], ids[len(ids)-1]
	var cs []costCase
	for _, h := range []int{1, 2, 3, 4, 5, 6} {
		for _, f := range []int{1, 20} {
			for _, pair := range [][2]string{{hub, leaf}, {mid, leaf}, {ids[1], ids[2]}} {
				cs = append(cs, costCase{fmt.Sprintf("connections/maxHops=%d/first=%d/%s", h, f, pairName(ids, pair)),
					`query($a: ID!, $b: ID!, $h: Int, $f: Int) { connections(from: $a, to: $b, maxHops: $h, first: $f) { length cities { name } hops { partnership { kind } } } }`,
					map[string]any{"a": pair[0], "b": pair[1], "h": h, "f": f}})
			}
		}
	}
	for _, f := range []int{1, 20, 100} {
		for _, q := range []string{"Testville", "Testville 0001", "Official"} {
			cs = append(cs, costCase{fmt.Sprintf("search/first=%d/%s", f, strings.ReplaceAll(q, " ", "_")),
				`query($q: String!, $f: Int) { search(query: $q, first: $f) { totalCount nodes { __typename ... on City { name } ... on Official { name } } } }`,
				map[string]any{"q": q, "f": f}})
		}
	}
	for _, f := range []int{1, 20, 100} {
		cs = append(cs, costCase{fmt.Sprintf("cities/first=%d", f),
			`query($f: Int) { cities(first: $f) { nodes { name } } }`, map[string]any{"f": f}})
		cs = append(cs, costCase{fmt.Sprintf("cities/first=100/partnerships/first=%d", f),
			`query($f: Int) { cities(first: 100) { nodes { name partnerships(first: $f) { nodes { kind partner { name } } } } } }`, map[string]any{"f": f}})
	}
	for _, field := range []string{"names { name language }", "sources { title }", "statements { property value }", "reportedFigures { metric value }"} {
		cs = append(cs, costCase{"cities/first=100/" + strings.Fields(field)[0],
			`{ cities(first: 100) { nodes { ` + field + ` } } }`, nil})
	}
	for _, n := range []int{1, 10, 100} {
		reps := make([]map[string]any, n)
		for i := range reps {
			reps[i] = map[string]any{"__typename": "City", "id": ids[i%len(ids)]}
		}
		cs = append(cs, costCase{fmt.Sprintf("_entities/representations=%d", n),
			`query($r: [_Any!]!) { _entities(representations: $r) { ... on City { name } } }`, map[string]any{"r": reps}})
		byCode := make([]map[string]any, n)
		for i := range byCode {
			byCode[i] = map[string]any{"__typename": "Country", "code": codes[i%len(codes)]}
		}
		cs = append(cs, costCase{fmt.Sprintf("_entities/by-code/representations=%d", n),
			`query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { name } } }`, map[string]any{"r": byCode}})
		cs = append(cs, costCase{fmt.Sprintf("nodes/ids=%d", n),
			`query($ids: [ID!]!) { nodes(ids: $ids) { ... on City { name } } }`, map[string]any{"ids": idsOf(ids, n)}})
	}
	return cs
}

func idsOf(ids []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = ids[i%len(ids)]
	}
	return out
}

func pairName(ids []string, pair [2]string) string {
	switch pair[0] {
	case ids[0]:
		return "hub-leaf"
	case ids[1]:
		return "hub-hub"
	}
	return "mid-leaf"
}

// BenchmarkCost times each expensive field at a few argument values over costScale,
// one request at a time through the whole HTTP handler, and reports the cost the
// complexity model gives it (cost/op), so that weights can be set in proportion to
// time: docs/operations.md ("Query cost and limits") lists the figures and the weights
// derived from them.
//
//	go test ./graph -run '^$' -bench Cost -benchtime 5x
func BenchmarkCost(b *testing.B) {
	h, ids, codes := mustCostNetwork(b)
	for _, c := range costCases(ids, codes) {
		cost, err := graph.Complexity(c.query, "", c.vars)
		if err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				mustCostPost(b, h, c.query, c.vars, nil)
			}
			b.ReportMetric(float64(cost), "cost/op")
		})
	}
}
