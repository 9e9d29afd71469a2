package graph

import (
	"context"

	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/loader"
	"github.com/amity/amity/internal/relations"
	"github.com/amity/amity/internal/relay"
)

// loadNode finds any object by its global ID through the request's loaders, so that
// many node lookups in one request batch like any other relation.
func loadNode(ctx context.Context, id string) (model.Node, error) {
	typ, u, ok := relay.Parse(id)
	if !ok {
		return nil, relations.FieldErrorf("id", "%q is not a valid ID", id)
	}
	l := loader.For(ctx)
	switch typ {
	case relay.City:
		return nodeOf(l.City.Load(ctx, u))
	case relay.Country:
		return nodeOf(l.Country.Load(ctx, u))
	case relay.Official:
		return nodeOf(l.Official.Load(ctx, u))
	case relay.Agreement:
		return nodeOf(l.Agreement.Load(ctx, u))
	case relay.Institution:
		return nodeOf(l.Institution.Load(ctx, u))
	case relay.Partnership:
		return nodeOf(l.Partnership.Load(ctx, u))
	case relay.Source:
		return nodeOf(l.Source.Load(ctx, u))
	}
	return nil, relations.FieldErrorf("id", "%q is not a valid ID", id)
}

// loadNodes resolves several IDs; loaders batch them per type.
func loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > relations.MaxPageSize {
		return nil, relations.FieldErrorf("ids", "at most %d ids at once, got %d", relations.MaxPageSize, len(ids))
	}
	type result struct {
		node model.Node
		err  error
	}
	results := make([]chan result, len(ids))
	for i, id := range ids {
		results[i] = make(chan result, 1)
		go func() {
			n, err := loadNode(ctx, id)
			results[i] <- result{n, err}
		}()
	}
	nodes := make([]model.Node, len(ids))
	for i := range ids {
		r := <-results[i]
		if r.err != nil {
			return nil, r.err
		}
		nodes[i] = r.node
	}
	return nodes, nil
}

// nodeOf turns a typed nil (nothing found) into an untyped nil, so the field reads null
// instead of an empty object.
func nodeOf[T any](v *T, err error) (model.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

// nullIfNotFound reads a NOT_FOUND lookup as null: asking for something that is not
// there is a question with an answer, not an error.
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	if err != nil && relations.ErrorCode(err) == relations.ENOTFOUND {
		return nil, nil
	}
	return v, err
}
