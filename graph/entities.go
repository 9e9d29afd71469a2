package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/amity/amity/graph/loader"
)

// keyLookups find entities of one type by each external @key (all but id), many values
// in one statement.
type keyLookups[T any] map[string]func(context.Context, []string) (map[string]*T, error)

// findEntities resolves all of one type's representations in _entities at once: those
// keyed by id through the request's loader (one statement for them all, shared with
// node lookups), the others in one statement per key, so a gateway's batch costs a
// statement per type and key, never one per representation. key returns the @key a
// representation matched and its value. A malformed id fails its own representation
// only; a representation that names nothing reads null.
func findEntities[T any](ctx context.Context, typ string, n int, key func(i int) (string, *string),
	byID *loader.Loader[uuid.UUID, *T], byKey keyLookups[T]) ([]*T, error) {
	out := make([]*T, n)
	errs := make(graphql.BatchErrorList, n)
	failed := false
	var idAt []int
	var ids []uuid.UUID
	keyed := map[string][]int{}
	for i := range n {
		matched, v := key(i)
		switch {
		case v == nil:
		case matched == "id":
			u, err := parseID("id", typ, *v)
			if err != nil {
				errs[i], failed = err, true
				continue
			}
			idAt, ids = append(idAt, i), append(ids, u)
		default:
			keyed[matched] = append(keyed[matched], i)
		}
	}
	if len(ids) > 0 {
		found, err := byID.LoadAll(ctx, ids)
		if err != nil {
			return nil, err
		}
		for j, i := range idAt {
			out[i] = found[j]
		}
	}
	for matched, at := range keyed {
		lookup, ok := byKey[matched]
		if !ok {
			return nil, fmt.Errorf("no lookup of %s by %s", typ, matched)
		}
		values := make([]string, len(at))
		for j, i := range at {
			_, v := key(i)
			values[j] = *v
		}
		found, err := lookup(ctx, values)
		if err != nil {
			return nil, err
		}
		for j, i := range at {
			out[i] = found[values[j]]
		}
	}
	if failed {
		return out, errs
	}
	return out, nil
}
