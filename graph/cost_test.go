package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/postgres/pgtest"
	"github.com/amity/amity/internal/web/examples"
	"github.com/amity/amity/internal/web/explore"
)

// fanOut is the document: eight fragments on Query, each spreading the next
// eight times, 8^8 fields once expanded, in 636 bytes.
func fanOut() string {
	var b strings.Builder
	b.WriteString("query { ...F0 }")
	for i := range 8 {
		fmt.Fprintf(&b, " fragment F%d on Query {%s }", i, strings.Repeat(fmt.Sprintf(" ...F%d", i+1), 8))
	}
	b.WriteString(" fragment F8 on Query { __typename }")
	return b.String()
}

// TestFragmentFanOutRefusedByLimits checks that the fan-out is refused by the limits,
// before validation and gqlgen's complexity walk (which refused it as
// COMPLEXITY_LIMIT_EXCEEDED only after expanding all 16.8 million fields).
func TestFragmentFanOutRefusedByLimits(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	resp := a.MustPost(t, fanOut(), nil)
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "TOO_MANY_FIELDS" {
		t.Fatalf("status %d: %s", resp.Status, resp.Raw)
	}
	if resp.Statements != 0 {
		t.Errorf("%d SQL statements for a refused document", resp.Statements)
	}
}

// shippedOperations are the documents Amity's own clients send, with variables that
// make each run: GraphiQL's introspection query, the playground's examples and the
// explorer's operations.
func shippedOperations(t *testing.T) []costCase {
	var cs []costCase
	for _, e := range examples.All() {
		cs = append(cs, costCase{e.File, e.Query, nil})
	}
	vars := map[string]map[string]any{
		"ExploreSearch":  {"query": "Shenzhen"},
		"ExploreCity":    {"name": "Shenzhen"},
		"ExploreNetwork": {"id": "Q2l0eTo1Yjc4NTNiMS1mYzA0LTVjNjgtODczMy05NDU3N2Q5ZWZjMmM"},
	}
	for op, v := range vars {
		cs = append(cs, costCase{"explorer " + op, explore.Queries, v})
	}
	return append(cs, costCase{"introspection", introspectionQuery, nil})
}

// TestShippedQueriesWithinComplexity: every query Amity's own clients send costs less
// than the default limit, and each figure is logged (docs/operations.md quotes them).
func TestShippedQueriesWithinComplexity(t *testing.T) {
	t.Parallel()
	limit := graph.DefaultOptions().MaxComplexity
	for _, c := range shippedOperations(t) {
		op := ""
		if name, ok := strings.CutPrefix(c.name, "explorer "); ok {
			op = name
		}
		cost, err := graph.Complexity(c.query, op, c.vars)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%-32s cost %5d", c.name, cost)
		if cost > limit {
			t.Errorf("%s costs %d, over the default limit %d", c.name, cost, limit)
		}
	}
}

func aliased(n int, field string) string {
	var b strings.Builder
	if strings.Contains(field, "$a") {
		b.WriteString("query($a: ID!, $b: ID!)")
	}
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " p%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

// TestCostWeighsWhatIsExpensive pins the model's proportions: the cases are the
// issue's, and each weight's reason is in graph/complexity.go.
func TestCostWeighsWhatIsExpensive(t *testing.T) {
	t.Parallel()
	limit := graph.DefaultOptions().MaxComplexity
	path := func(hops, first int) string {
		return fmt.Sprintf(`connections(from: $a, to: $b, maxHops: %d, first: %d) { length cities { name } hops { partnership { kind } } }`, hops, first)
	}
	ab := map[string]any{"a": "x", "b": "y"}
	cost := func(q string, vars map[string]any) int {
		t.Helper()
		c, err := graph.Complexity(q, "", vars)
		if err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
		return c
	}
	over := []struct {
		name, query string
		vars        map[string]any
	}{
		// 3.5 s on 300 cities and 3,000 partnerships; it scored 4,800.
		{"40 paths of 6 hops", aliased(40, path(6, 20)), ab},
		{"1 path of 6 hops", aliased(1, path(6, 1)), ab},
		{"2 paths of 5 hops", aliased(2, path(5, 1)), ab},
		{"6 searches", aliased(6, `search(query: "a", first: 1) { totalCount }`), nil},
		// Plain lists count by their caps: 100 × 50 names of each of 20 partners.
		{"names of partners", `{ cities(first: 100) { nodes { partnerships(first: 20) { nodes { partner { names { name } } } } } } }`, nil},
		{"22,000 representations", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { name } } }`, map[string]any{"r": representations(22000)}},
	}
	for _, c := range over {
		if got := cost(c.query, c.vars); got <= limit {
			t.Errorf("%s costs %d, within the limit %d", c.name, got, limit)
		}
	}
	within := []struct {
		name, query string
		vars        map[string]any
	}{
		{"1 path of 5 hops", aliased(1, path(5, 20)), ab},
		{"10 paths of 4 hops", aliased(10, path(4, 10)), ab},
		{"5 searches", aliased(5, `search(query: "a", first: 20) { totalCount nodes { __typename } }`), nil},
		{"a city's names", `{ city(name: "x") { names { name language } } }`, nil},
		{"100 representations", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { name } } }`, map[string]any{"r": representations(100)}},
	}
	for _, c := range within {
		if got := cost(c.query, c.vars); got > limit {
			t.Errorf("%s costs %d, over the limit %d", c.name, got, limit)
		}
	}
	// Paths grow with maxHops; representations cost each what one costs.
	for h := 2; h <= 6; h++ {
		if lo, hi := cost(aliased(1, path(h-1, 5)), ab), cost(aliased(1, path(h, 5)), ab); hi <= lo {
			t.Errorf("a path of %d hops costs %d, no more than one of %d hops (%d)", h, hi, h-1, lo)
		}
	}
	entities := func(n int) int {
		return cost(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { name } } }`, map[string]any{"r": representations(n)})
	}
	if one, many := entities(1), entities(1000); many != 1000*one {
		t.Errorf("1,000 representations cost %d, not 1,000 × %d", many, one)
	}
}

func representations(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"__typename": "Country", "code": "CN"}
	}
	return out
}

// TestExpensiveOperationsRefusedOverHTTP: the 40 paths and 22,000
// representations are refused before any SQL runs: the paths by their cost, the
// representations by the cap on their count (as nodes(ids:)), and 100 representations
// with nested pages by their cost, each what one costs.
func TestExpensiveOperationsRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.GraphQL.Federation = true
	a := MustAPIWith(t, cfg)
	var ids struct {
		A struct{ ID string } `json:"a"`
		B struct{ ID string } `json:"b"`
	}
	a.MustPost(t, `{ a: city(name: "Shenzhen") { id } b: city(name: "Moscow") { id } }`, nil).MustData(t, &ids)
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"40 paths of 6 hops", aliased(40, `connections(from: $a, to: $b, maxHops: 6, first: 20) { length cities { name } hops { partnership { kind } } }`),
			map[string]any{"a": ids.A.ID, "b": ids.B.ID}, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"22,000 representations", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { name cities(first: 100) { nodes { name } } } } }`,
			map[string]any{"r": representations(22000)}, "BAD_USER_INPUT"},
		{"100 representations with nested pages", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { cities(first: 100) { nodes { partnerships(first: 45) { nodes { kind } } } } } } }`,
			map[string]any{"r": representations(100)}, "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, c := range cases {
		resp := a.MustPost(t, c.query, c.vars)
		if len(resp.Errors) != 1 || resp.Errors[0].code() != c.want {
			t.Errorf("%s: status %d: %.300s", c.name, resp.Status, resp.Raw)
		}
		if resp.Statements != 0 {
			t.Errorf("%s: %d SQL statements", c.name, resp.Statements)
		}
	}
}

// introspectionQuery is GraphiQL's introspection query, kept with the limits' tests.
var introspectionQuery = func() string {
	b, err := os.ReadFile("../graph/limits/testdata/introspection.graphql")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestOperationCostVisibleToInterceptors: an AroundOperations interceptor (admission
// control) reads the cost the limit computed, the same figure Complexity gives.
func TestOperationCostVisibleToInterceptors(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	const q = `{ countries(first: 5) { nodes { name } } search(query: "x", first: 2) { totalCount } }`
	want, err := graph.Complexity(q, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{graph.DefaultOptions().MaxComplexity, 0} {
		opts := graph.DefaultOptions()
		opts.MaxComplexity = limit
		h := graph.NewHandler(db, opts)
		var got int
		var ok bool
		h.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			got, ok = graph.OperationCost(ctx)
			// The cost is all this test needs; nothing runs (no loaders here).
			return graphql.OneShot(graphql.ErrorResponse(ctx, "stopped"))
		})
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(fmt.Sprintf(`{"query": %q}`, q)))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if limit > 0 && (!ok || got != want) {
			t.Errorf("limit %d: OperationCost = %d, %v; want %d", limit, got, ok, want)
		}
		if limit == 0 && ok {
			t.Errorf("no limit: OperationCost = %d, true", got)
		}
	}
}
