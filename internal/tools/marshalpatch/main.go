// Command marshalpatch points gqlgen's generated executor at graph.marshalSlice, which
// marshals a list without a goroutine per item when the lookahead has loaded
// everything below it (graph/marshal.go). gqlgen has no option for this, so
// `go generate` runs this after gqlgen: it rewrites the one call, and fails if the
// generated code no longer has it, so a gqlgen upgrade cannot drop the change
// silently.
package main

import (
	"bytes"
	"fmt"
	"os"
)

const (
	from = "graphql.MarshalSliceConcurrently("
	to   = "marshalSlice("
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: marshalpatch GENERATED.go")
		os.Exit(2)
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := bytes.Count(src, []byte(from))
	if n == 0 {
		fmt.Fprintf(os.Stderr, "marshalpatch: %s has no call to %s; update graph/marshal.go for this gqlgen version\n", path, from)
		os.Exit(1)
	}
	out := bytes.ReplaceAll(src, []byte(from), []byte(to))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
