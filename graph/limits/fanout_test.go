package limits

import (
	"fmt"
	"strings"
	"testing"

	"github.com/amity/amity/internal/web/examples"
	"github.com/amity/amity/internal/web/explore"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// chain is a fragment on typ spreading the next fragment `width` times, `levels` deep:
// width^levels copies of leaf once expanded, in text linear in width × levels.
func chain(prefix, typ string, levels, width int, wrap func(string) string, leaf string) string {
	var b strings.Builder
	for i := range levels {
		spreads := strings.Repeat(fmt.Sprintf(" ...%s%d", prefix, i+1), width)
		fmt.Fprintf(&b, "fragment %s%d on %s { %s }\n", prefix, i, typ, wrap(spreads))
	}
	fmt.Fprintf(&b, "fragment %s%d on %s { %s }\n", prefix, levels, typ, leaf)
	return b.String()
}

func same(s string) string { return s }

// fanOuts are documents a few hundred bytes to a few KB long, within every other limit
// (depth, aliases, tokens, directives), whose fragments expand to millions of fields.
var fanOuts = []struct {
	name, query string
}{
	// The document: eight fragments on Query, each spreading the next eight times.
	{"named chain on Query", "query { ...F0 }\n" + chain("F", "Query", 8, 8, same, "__typename")},
	// Fragments on object types, each level nested under a field of the next type.
	{"chain on objects under fields", `{ city(name: "x") { ...C0 } }` + "\n" +
		chain("C", "City", 4, 10, func(s string) string { return "country { cities { nodes {" + s + " } } }" }, "name")},
	// Inline fragments, which are not named and so cannot be shared, nested inside named ones.
	{"inline fragments nested", "{ ...I0 }\n" +
		chain("I", "Query", 7, 8, func(s string) string { return "... on Query { ... on Query {" + s + " } }" }, "... on Query { __typename }")},
	// One modest fragment spread in many sibling fields (the same field repeated merges,
	// so no alias is needed).
	{"spread in sibling fields", "{" + strings.Repeat(` city(name: "x") { ...S0 }`, 200) + " }\n" +
		chain("S", "City", 4, 4, same, "name")},
	// Everything at once: aliases, inline fragments, object fragments and a Query chain.
	{"mixed", `{ a: city(name: "a") { ...M0 } b: city(name: "b") { ... on City { ...M0 } } ...Q0 }` + "\n" +
		chain("M", "City", 5, 6, func(s string) string { return "name ... on City {" + s + " }" }, "id") +
		chain("Q", "Query", 5, 6, func(s string) string { return `city(name: "q") { ...M2 }` + s }, "__typename")},
}

func TestFanOutRefused(t *testing.T) {
	cfg := Default()
	for _, tt := range fanOuts {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.query, cfg)
			got := ""
			if err != nil {
				got, _ = err.Extensions["code"].(string)
			}
			if got != CodeTooManyFields {
				t.Errorf("%d bytes: got code %q (%v), want %q", len(tt.query), got, err, CodeTooManyFields)
			}
		})
	}
}

// TestFieldCount pins the meter's arithmetic on small documents whose expansion is
// easy to count by hand.
func TestFieldCount(t *testing.T) {
	tests := []struct {
		query string
		want  int
	}{
		{`{ a b c }`, 3},
		{`{ city(name: "x") { name country { name } } }`, 4},
		{`{ ...A ...A } fragment A on Query { a b }`, 4},
		{`{ ... on Query { a ... on Query { b } } }`, 2},
		{`{ x { ...A } y { ...A } } fragment A on T { ...B ...B ...B } fragment B on T { a b }`, 2 + 2*3*2},
		{"query { ...F0 }\n" + chain("F", "Query", 8, 8, same, "__typename"), 16777216},
		{"query { ...F0 }\n" + chain("F", "Query", 30, 8, same, "__typename"), saturated},
		{`{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }`, 2},
	}
	for _, tt := range tests {
		doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		if got := newMeter(doc).measure(doc.Operations[0].SelectionSet).fields; got != tt.want {
			t.Errorf("%.60s: %d fields, want %d", tt.query, got, tt.want)
		}
	}
}

// TestShippedQueriesWithinFieldLimit logs each shipped operation's expanded field count
// (the figures behind Default's MaxFields) and checks that each passes the defaults.
func TestShippedQueriesWithinFieldLimit(t *testing.T) {
	t.Parallel()
	docs := map[string]string{"introspection": introspection, "explorer": explore.Queries}
	for _, e := range examples.All() {
		docs[e.File] = e.Query
	}
	for name, q := range docs {
		if err := Check(q, Default()); err != nil {
			t.Errorf("%s is refused: %v", name, err)
		}
		doc, _ := parser.ParseQuery(&ast.Source{Input: q})
		m := newMeter(doc)
		c := pathCounter{meter: m, limit: saturated, memo: map[string]paths{}}
		for _, op := range doc.Operations {
			sh := m.measure(op.SelectionSet)
			p, _ := c.collect(paths{}, op.SelectionSet, nil)
			t.Logf("%-28s %-26s fields %4d depth %2d merged %d", name, op.Name, sh.fields, sh.depth, mostMerged(p))
		}
	}
}

func mostMerged(p paths) int {
	most := 0
	for _, n := range p {
		most = max(most, n.fields, mostMerged(n.below))
	}
	return most
}

// BenchmarkFanOutRefusal is what refusing each fan-out costs, parsing included.
func BenchmarkFanOutRefusal(b *testing.B) {
	cfg := Default()
	for _, tt := range fanOuts {
		b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(tt.query)))
			for b.Loop() {
				if Check(tt.query, cfg) == nil {
					b.Fatal("passed")
				}
			}
		})
	}
}
