package limits

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// introspection is GraphiQL's introspection query, the deepest document the playground
// sends; it must pass the default limits.
var introspection = mustReadTestdata("introspection.graphql")

func mustReadTestdata(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func nested(depth int) string {
	return strings.Repeat("{ city(name: \"x\") ", depth-1) + "{ name }" + strings.Repeat(" }", depth-1)
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		b.WriteString(" a")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(": cities { totalCount }")
	}
	b.WriteString(" }")
	return b.String()
}

// binary is fragments A0 … A(levels) on Query, each spreading the next twice:
// 2^levels fields once expanded.
func binary(levels int) string {
	var b strings.Builder
	for i := range levels {
		fmt.Fprintf(&b, " fragment A%d on Query { ...A%d ...A%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment A%d on Query { __typename }", levels)
	return b.String()
}

func TestCheck(t *testing.T) {
	cfg := Default()
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{"simple", `{ city(name: "Shenzhen") { name } }`, ""},
		{"introspection", introspection, ""},
		{"arguments are not aliases", `query Q($n: String = "x", $f: Int) { city(name: $n) { partnerships(first: $f) { totalCount } } }`, ""},
		{"input object fields are not aliases", `{ cities(filter: {a: 1, b: 2, c: 3}) { totalCount } }`, ""},
		{"aliases at the limit", aliases(cfg.MaxAliases), ""},
		{"too many aliases", aliases(cfg.MaxAliases + 1), CodeTooManyAliases},
		{"ten thousand aliases", aliases(10000), CodeTooManyAliases},
		{"depth at the limit", nested(cfg.MaxDepth), ""},
		{"too deep", nested(cfg.MaxDepth + 1), CodeTooDeep},
		{"too deep through fragments", `{ ...A } fragment A on Query { city(name: "x") { ...B } } fragment B on City { ` +
			strings.Repeat("country { cities { nodes { ", 5) + "name" + strings.Repeat(" } } }", 5) + ` }`, CodeTooDeep},
		{"fragment cycle", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, ""},
		{"too many directives", `{ city(name: "x") @include(if: true) @skip(if: false) @include(if: true) @skip(if: false) @include(if: true) { name } }`, CodeTooManyDirectives},
		{"too many tokens", "{" + strings.Repeat(" name", cfg.MaxTokens) + " }", CodeTooManyTokens},
		{"comments count as tokens", "#\n" + strings.Repeat("# c\n", cfg.MaxTokens) + "{ name }", CodeTooManyTokens},
		{"too long", `{ city(name: "` + strings.Repeat("x", cfg.MaxQueryBytes) + `") { name } }`, CodeQueryTooLarge},
		{"syntax error is left to the parser", `{ cities { `, ""},
		{"over the field limit", "{ ...A0 }" + binary(11), CodeTooManyFields},
		{"one field merged as often as allowed", `{ city(name: "x") {` + strings.Repeat(" name", cfg.MaxMerged) + " } }", ""},
		{"one field merged too often", `{ city(name: "x") {` + strings.Repeat(" name", cfg.MaxMerged+1) + " } }", CodeTooManyFields},
		{"merged through fragments", `{ city(name: "x") { ...A ... on City { ...A country { name } } } } fragment A on City { country { name name name name name } }`, CodeTooManyFields},
		{"aliases are other paths", `{ a: city(name: "x") { ...A } b: city(name: "x") { ...A } } fragment A on City { name name name name name name }`, ""},
		{"an unused fragment is measured too", `{ name } fragment U on Query { ...V ...V ...V ...V } fragment V on Query { __typename __typename __typename }`, CodeTooManyFields},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.query, cfg)
			got := ""
			if err != nil {
				got, _ = err.Extensions["code"].(string)
			}
			if got != tt.want {
				t.Errorf("got code %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestLimitsOff(t *testing.T) {
	if err := Check(aliases(500), Config{}); err != nil {
		t.Errorf("with every limit off: %v", err)
	}
}

func BenchmarkCheckTenThousandAliases(b *testing.B) {
	q := aliases(10000)
	for b.Loop() {
		Check(q, Default())
	}
}

// BenchmarkRefuseTooLarge is the refusal of a 900 KB document, the size of the APQ
// flood's: the scan lexes all of it, to name a more specific fault if there is one.
func BenchmarkRefuseTooLarge(b *testing.B) {
	q := `{ city(name: "` + strings.Repeat("x", 900<<10) + `") { name } }`
	for b.Loop() {
		if Check(q, Default()) == nil {
			b.Fatal("passed")
		}
	}
}
