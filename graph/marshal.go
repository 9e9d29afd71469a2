package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/graph/loader"
)

// marshalSlice marshals a list of objects. The generated code calls it in place of
// graphql.MarshalSliceConcurrently (resolver.go rewrites the call after gqlgen runs;
// docs/generated-code.md says what guards that and what would retire it):
// gqlgen marshals each item in a goroutine of its own, so that items whose fields wait
// on a loader wait together. Below a field whose every relation the lookahead has
// already loaded (lookahead.go) nothing waits, and those goroutines, their stacks and
// their scheduling were a third of the CPU of a nested query (docs/benchmarks.md): the
// items are then marshalled one after the other. Anywhere else gqlgen's way is kept.
func marshalSlice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length <= 1 || !preloaded(ctx) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		ret[i] = marshalItem(childCtx, i, omitPanicHandler, marshalElement)
	}
	return ret
}

// marshalItem marshals one item; a panic, as in gqlgen, fails that item, not the request.
func marshalItem(ctx context.Context, i int, omitPanicHandler bool, marshalElement func(context.Context, int) graphql.Marshaler) (m graphql.Marshaler) {
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				m = graphql.Null
			}
		}()
	}
	return marshalElement(ctx, i)
}

// preloaded reports whether a field on the path to ctx was marked by the lookahead.
func preloaded(ctx context.Context) bool {
	l, ok := loader.From(ctx)
	if !ok {
		return false
	}
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if l.Preloaded(fc) {
			return true
		}
	}
	return false
}

// newDeferredGroup stands for graphql.NewDeferredGroup. Every object gqlgen marshals
// starts a group for its @defer'd fields, and computes its full path for it: 15 % of a
// nested query's allocations. Amity refuses @defer before anything runs
// (extension.DeferRefusal, which server.go installs), so no field is ever deferred and
// gqlgen never reads the group: the generated code calls this instead (the same rewrite
// as marshalSlice), and it builds an empty one.
func newDeferredGroup(ctx context.Context) graphql.DeferredGroup {
	return graphql.DeferredGroup{Context: ctx}
}
