package graph

import (
	"context"
	"errors"
	"sync"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/knowledge"
)

// The cost model. A unit of cost is about 7.5 µs of server and database time: the time
// one item of a nested page costs (BenchmarkCost: 100 cities × 20 partnerships with
// their partner, cost 8,200, 62 ms). Each field costs 1 plus what it selects (gqlgen's
// default); the functions below weight the fields whose time grows with their
// arguments or their lists, in proportion to what BenchmarkCost measured on a network
// of 300 cities and 3,000 partnerships. docs/operations.md ("Query cost and limits")
// has the table and the figures behind it.
//
// Every product saturates (mul), so that nesting pages fifteen deep cannot overflow an
// int into a negative cost, which gqlgen would read as cheap.

// pathWeight is the cost of the path search of connections by maxHops, before the
// chains it returns: the two recursive walks grow as the degree to the power maxHops/2,
// and first barely changes their time (the walks run in full before the sort keeps the
// best rows). Measured, mean of three city pairs (hub–leaf, middle–leaf, hub–hub) and
// first 1 and 20, in ms: 1 hop 0.4, 2: 2.7, 3: 10.5, 4: 12.0, 5: 85, 6: 499 (137 to
// 1,238). A search of 6 hops alone costs more than the default limit of 20,000.
var pathWeight = [knowledge.MaxPathHops + 1]int{0, 50, 400, 1400, 1600, 11000, 65000}

// searchWeight is the cost of one search, before its page: the trigram match and its
// count take 18 to 37 ms (mean 26) whatever the page size.
const searchWeight = 3500

// entityWeight is the cost of resolving one Federation representation: lookups by
// code or Wikidata id run one SQL statement each, 85 to 150 µs.
const entityWeight = 15

// listCaps are the lengths assumed of plain (unpaged) lists: the most entries a list
// holds (an enum's size, a path's length), or the cap on the writes that fill it. A
// list costs its cap times its items.
var listCaps = struct {
	names, figures, sources, statements, parties, signatories, institutions,
	partnerships, areas, languages, years, auditSources int
}{
	names: 20, figures: 10, sources: 10, statements: 20, parties: 5, signatories: 10, institutions: 10,
	partnerships: 10, areas: 15, languages: 5, years: 50, auditSources: 10,
}

// weigh sets the cost model on a schema configuration.
func weigh(c *ComplexityRoot) {
	weighPages(c)
	weighLists(c)

	// The path search, then each chain (up to first) with its cities and hops.
	c.Query.Connections = func(child int, _, _ string, maxHops, first *int) int {
		h := knowledge.MaxPathHops
		if maxHops != nil {
			h = *maxHops
		}
		if h < 1 || h > knowledge.MaxPathHops {
			// Refused as BAD_USER_INPUT before any SQL runs: the client should hear
			// why, not that a search it may not run would cost too much.
			return 1
		}
		n := knowledge.MaxPathCount
		if first != nil {
			n = min(max(*first, 1), knowledge.MaxPathCount)
		}
		return add(pathWeight[h], mul(n, child))
	}
	c.CityPath.Cities = func(child int) int { return mul(knowledge.MaxPathHops+1, child) }
	c.CityPath.Hops = func(child int) int { return mul(knowledge.MaxPathHops, child) }
	c.Query.Search = func(child int, _ string, _ []model.SearchType, first *int, _ *string) int {
		return add(searchWeight, mul(child, pageCost(first)))
	}
	// Objects fetched by ID cost each what one costs; Federation's representations also
	// cost their lookup, so that 22,000 of them cost 22,000 times as much as one.
	c.Query.Nodes = func(child int, ids []string) int { return mul(child, max(1, len(ids))) }
	c.Query.__resolve_entities = func(child int, representations []map[string]any) int {
		return mul(add(entityWeight, child), max(1, len(representations)))
	}
}

// weighPages makes a connection cost its page size times its items' cost, so a query
// that nests pages multiplies its cost the way it multiplies its rows.
func weighPages(c *ComplexityRoot) {
	nested := func(child int, first *int) int { return mul(child, pageCost(first)) }
	top := func(child int, first, last *int) int {
		if last != nil {
			return mul(child, pageCost(last))
		}
		return mul(child, pageCost(first))
	}
	c.City.Partnerships = func(child int, _ *knowledge.PartnershipKind, _ *knowledge.Date, first *int, _ *string) int {
		return nested(child, first)
	}
	c.City.Agreements = func(child int, first *int, _ *string) int { return nested(child, first) }
	c.City.Officials = func(child int, first *int, _ *string) int { return nested(child, first) }
	c.City.Institutions = func(child int, first *int, _ *string) int { return nested(child, first) }
	c.Country.Cities = func(child int, first *int, _ *string) int { return nested(child, first) }
	c.Official.Agreements = func(child int, first *int, _ *string) int { return nested(child, first) }
	c.Institution.Agreements = func(child int, first *int, _ *string) int { return nested(child, first) }
	c.Query.Cities = func(child int, _ *model.CityFilter, _ *model.NearInput, _ *model.CityOrder, first *int, _ *string, last *int, _ *string) int {
		return top(child, first, last)
	}
	c.Query.Countries = func(child int, first *int, _ *string, last *int, _ *string) int { return top(child, first, last) }
	c.Query.Officials = func(child int, _ *model.OfficialFilter, first *int, _ *string, last *int, _ *string) int {
		return top(child, first, last)
	}
	c.Query.Agreements = func(child int, _ *model.AgreementFilter, _ *model.AgreementOrder, first *int, _ *string, last *int, _ *string) int {
		return top(child, first, last)
	}
	c.Query.Institutions = func(child int, _ *model.InstitutionFilter, first *int, _ *string, last *int, _ *string) int {
		return top(child, first, last)
	}
	c.Query.Sources = func(child int, first *int, _ *string, last *int, _ *string) int { return top(child, first, last) }
	c.Query.AuditLog = func(child int, _ *string, first *int, _ *string) int { return mul(child, pageCost(first)) }
}

// weighLists makes a plain list cost its cap times its items (a list of scalars or
// enums, whose items gqlgen counts as nothing, costs its cap).
func weighLists(c *ComplexityRoot) {
	list := func(limit int) func(int) int {
		return func(child int) int { return mul(limit, max(1, child)) }
	}
	l := listCaps
	c.City.Names, c.Official.Names = list(l.names), list(l.names)
	c.City.ReportedFigures = list(l.figures)
	c.City.Sources, c.Partnership.Sources, c.Official.Sources = list(l.sources), list(l.sources), list(l.sources)
	c.Agreement.Sources, c.Institution.Sources = list(l.sources), list(l.sources)
	c.City.Statements, c.Partnership.Statements, c.Official.Statements = list(l.statements), list(l.statements), list(l.statements)
	c.Agreement.Statements, c.Institution.Statements = list(l.statements), list(l.statements)
	c.Partnership.Cities = list(2)
	c.Agreement.Areas = list(l.areas)
	c.Agreement.Parties = list(l.parties)
	c.Agreement.Signatories = list(l.signatories)
	c.Agreement.Institutions = list(l.institutions)
	c.Agreement.Partnerships = list(l.partnerships)
	c.Source.Languages = list(l.languages)
	c.NetworkStats.ByYear = list(l.years)
	c.AuditEntry.Sources = list(l.auditSources)
}

func pageCost(n *int) int {
	if n == nil {
		return knowledge.DefaultPageSize
	}
	return max(1, min(*n, knowledge.MaxPageSize))
}

// saturated bounds every cost: far above any limit, far below overflow.
const saturated = 1 << 40

func mul(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0 // gqlgen falls back to its default (1 + children) below 1
	}
	if a > saturated/b {
		return saturated
	}
	return a * b
}

func add(a, b int) int { return min(saturated, a+b) }

// weighted is the executable schema with the cost model, for Complexity.
var weighted = sync.OnceValue(func() *executableSchema {
	cfg := Config{Resolvers: &Resolver{}}
	weigh(&cfg.Complexity)
	return NewExecutableSchema(cfg).(*executableSchema)
})

// Complexity returns the cost the complexity limit gives the operation of query named
// operationName (or its only operation) with vars: the figure the server compares with
// --max-complexity, and that extension.GetComplexityStats(ctx).Complexity reports to
// interceptors. The query is parsed and validated first, as the server does.
func Complexity(query, operationName string, vars map[string]any) (int, error) {
	es := weighted()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return 0, err
	}
	if errs := validator.ValidateWithRules(es.Schema(), doc, nil); len(errs) > 0 {
		return 0, errs
	}
	op := doc.Operations.ForName(operationName)
	if op == nil {
		return 0, errors.New("no such operation")
	}
	coerced, err := validator.VariableValues(es.Schema(), op, vars)
	if err != nil {
		return 0, err
	}
	return complexity.Calculate(context.Background(), es, op, coerced), nil
}

// OperationCost is the cost of the running operation as the complexity limit computed
// it, for an AroundOperations (or later) interceptor such as admission control; ok is
// false when no complexity limit is configured (--max-complexity 0).
func OperationCost(ctx context.Context) (cost int, ok bool) {
	s := extension.GetComplexityStats(ctx)
	if s == nil {
		return 0, false
	}
	return s.Complexity, true
}
