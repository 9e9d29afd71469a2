// Command marshalpatch points gqlgen's generated executor at two functions of
// graph/marshal.go: marshalSlice, which marshals a list without a goroutine per item
// when the lookahead has loaded everything below it, and newDeferredGroup, which skips
// the @defer bookkeeping of operations that defer nothing. gqlgen has no option for
// either, so `go generate` runs this after gqlgen: it rewrites the calls, and fails if
// the generated code no longer has one, so a gqlgen upgrade cannot drop a change
// silently.
package main

import (
	"bytes"
	"fmt"
	"os"
)

// rewrites are the calls replaced, each by the function of graph/marshal.go that
// explains why.
var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"graphql.NewDeferredGroup(ctx)", "newDeferredGroup(ctx)"},
}

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
	for _, r := range rewrites {
		if !bytes.Contains(src, []byte(r.from)) {
			fmt.Fprintf(os.Stderr, "marshalpatch: %s has no call to %s; update graph/marshal.go for this gqlgen version\n", path, r.from)
			os.Exit(1)
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
