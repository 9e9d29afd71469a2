package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/graph/limits"
)

// largestAllowed are documents at the edge of the default limits (fields, merged
// fields, tokens, aliases, depth), shaped to make gqlparser's validation work hardest:
// its OverlappingFieldsCanBeMerged rule compares the fields answering one response path
// pair by pair, descending into their selections and fragments.
func largestAllowed() map[string]string {
	cfg := limits.Default()
	m := cfg.MaxMerged
	leaves := func(names ...string) string {
		var b strings.Builder
		for _, n := range names {
			b.WriteString(strings.Repeat(" "+n, m))
		}
		return b.String()
	}
	// Identical fragments: each pair of them is compared field by field.
	var frags, spreads strings.Builder
	for i := range m {
		fmt.Fprintf(&frags, "fragment P%d on City { id name population wikidataId geonamesId version country { id code name wikidataId cities(first: 1) { totalCount nodes { id name population } } } }\n", i)
		fmt.Fprintf(&spreads, " ...P%d", i)
	}
	return map[string]string{
		// Every alias a city whose leaves each repeat as often as allowed.
		"merged leaves under aliases": "{" + repeatAliased(cfg.MaxAliases, `city(name: "x") {`+leaves("id", "name", "population", "version")+" }") + " }",
		// The same field with a nested selection, merged as often as allowed, under aliases.
		// The same field with a nested selection, merged as often as allowed, under as
		// many aliases as the token limit leaves room for.
		"merged selections under aliases": "{" + repeatAliased(cfg.MaxTokens/(17*m+8), `city(name: "x") {`+strings.Repeat(` country { cities(first: 1) { totalCount } }`, m)+" }") + " }",
		// Identical fragments spread together, under as many aliases as fit the field limit.
		"identical fragments under aliases": "{" + repeatAliased(cfg.MaxFields/(18*m), `city(name: "x") {`+spreads.String()+" }") + " }\n" + frags.String(),
	}
}

// repeatAliased is n copies of a field, each under an alias of its own.
func repeatAliased(n int, field string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " c%d: %s", i, field)
	}
	return b.String()
}

// BenchmarkValidateLargestAllowed measures parsing and validating, against Amity's
// schema, the costliest documents the default limits let through: what a hostile
// client can make the server do per request before any resolver runs.
func BenchmarkValidateLargestAllowed(b *testing.B) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	for name, q := range largestAllowed() {
		if err := limits.Check(q, limits.Default()); err != nil {
			b.Fatalf("%s is refused by the limits: %v", name, err)
		}
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				doc, err := parser.ParseQuery(&ast.Source{Input: q})
				if err != nil {
					b.Fatal(err)
				}
				if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
					b.Fatal(errs)
				}
			}
		})
	}
}
