// Command marshalpatch points gqlgen's generated executor at two functions of
// graph/marshal.go: marshalSlice, which marshals a list without a goroutine per item
// when the lookahead has loaded everything below it, and newDeferredGroup, which skips
// the @defer bookkeeping of operations that defer nothing. gqlgen has no option for
// either, so `go generate` runs this after gqlgen: it rewrites the calls, and fails if
// the generated code no longer has one, so a gqlgen upgrade cannot drop a change
// silently. Its tests fail as soon as gqlgen's templates stop emitting a call, before
// anyone regenerates; docs/generated-code.md says what to do then, and which upstream
// change would retire this command.
package main

import (
	"bytes"
	"fmt"
	"os"
)

// A rewrite replaces gqlgen's call of upstream by one of local, a function of
// graph/marshal.go with the same signature that explains why.
type rewrite struct {
	upstream, local string
	// from and to are the call as gqlgen writes it and as it is rewritten.
	from, to string
}

var rewrites = []rewrite{
	{"graphql.MarshalSliceConcurrently", "marshalSlice", "graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"graphql.NewDeferredGroup", "newDeferredGroup", "graphql.NewDeferredGroup(ctx)", "newDeferredGroup(ctx)"},
}

// stale explains what to do when gqlgen's output no longer has a call to rewrite.
func stale(where string, r rewrite) error {
	return fmt.Errorf("marshalpatch: %s has no call %s…): gqlgen changed the shape of its output, and the "+
		"generated code would silently lose graph/marshal.go's %s. Find what gqlgen emits now in its place, "+
		"update the rewrites in internal/tools/marshalpatch and %s in graph/marshal.go, and run make generate; "+
		"if gqlgen now offers this itself, remove the rewrite (docs/generated-code.md)", where, r.from, r.local, r.local)
}

// patch rewrites the calls in a generated executor.
func patch(path string, src []byte) ([]byte, error) {
	for _, r := range rewrites {
		if !bytes.Contains(src, []byte(r.from)) {
			return nil, stale(path, r)
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	return src, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: marshalpatch GENERATED.go")
		os.Exit(2)
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err == nil {
		src, err = patch(path, src)
	}
	if err == nil {
		err = os.WriteFile(path, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
