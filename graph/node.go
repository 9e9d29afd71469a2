package graph

import (
	"context"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/knowledge"
)

// loadNode finds any object by its global ID through the request's loaders, so that
// many node lookups in one request batch like any other relation.
func loadNode(ctx context.Context, id string) (model.Node, error) {
	typ, u, ok := knowledge.ParseGlobalID(id)
	if !ok {
		return nil, knowledge.FieldErrorf("id", "%q is not a valid ID", id)
	}
	l := loader.For(ctx)
	switch typ {
	case knowledge.TypeCity:
		return nodeOf(l.City.Load(ctx, u))
	case knowledge.TypeCountry:
		return nodeOf(l.Country.Load(ctx, u))
	case knowledge.TypeOfficial:
		return nodeOf(l.Official.Load(ctx, u))
	case knowledge.TypeAgreement:
		return nodeOf(l.Agreement.Load(ctx, u))
	case knowledge.TypeInstitution:
		return nodeOf(l.Institution.Load(ctx, u))
	case knowledge.TypePartnership:
		return nodeOf(l.Partnership.Load(ctx, u))
	case knowledge.TypeSource:
		return nodeOf(l.Source.Load(ctx, u))
	}
	return nil, knowledge.FieldErrorf("id", "%q is not a valid ID", id)
}

// loadNodes resolves several IDs; loaders batch them per type.
func loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > knowledge.MaxPageSize {
		return nil, knowledge.FieldErrorf("ids", "at most %d ids at once, got %d", knowledge.MaxPageSize, len(ids))
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
	if err != nil && knowledge.ErrorCode(err) == knowledge.ENOTFOUND {
		return nil, nil
	}
	return v, err
}
