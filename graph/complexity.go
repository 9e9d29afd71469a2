package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/relations"
)

// weighConnections makes a connection cost its page size times its items' cost, so a
// query that nests pages multiplies its cost the way it multiplies its rows.
func weighConnections(c *ComplexityRoot) {
	nested := func(child int, first *int) int { return child * pageCost(first) }
	top := func(child int, first, last *int) int {
		if last != nil {
			return child * pageCost(last)
		}
		return child * pageCost(first)
	}
	c.City.Partnerships = func(child int, _ *relations.PartnershipKind, _ *time.Time, first *int, _ *string) int {
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
	c.Query.Search = func(child int, _ string, _ []model.SearchType, first *int, _ *string) int {
		return nested(child, first)
	}
	// A path query costs its chains times their length in cities and hops.
	c.Query.Connections = func(child int, _, _ string, maxHops, first *int) int {
		return child * pageCost(first) * max(1, pageCost(maxHops))
	}
	c.Query.Sources = func(child int, first *int, _ *string, last *int, _ *string) int { return top(child, first, last) }
	c.Query.Nodes = func(child int, ids []string) int { return child * max(1, len(ids)) }
}

func pageCost(n *int) int {
	if n == nil {
		return relations.DefaultPageSize
	}
	return max(1, min(*n, relations.MaxPageSize))
}

// weighted is the executable schema with the cost model, for Complexity.
var weighted = sync.OnceValue(func() *executableSchema {
	cfg := Config{Resolvers: &Resolver{}}
	weighConnections(&cfg.Complexity)
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
	if errs := validator.Validate(es.Schema(), doc); len(errs) > 0 {
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
