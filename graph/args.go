package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/knowledge"
)

// parseID reads a global ID that must name an object of type want. A malformed ID or
// one of another type is the client's mistake and gets an error; a well-formed ID of
// the right type that names nothing is not an error, and the field reads null.
func parseID(field, want, id string) (uuid.UUID, error) {
	typ, u, ok := knowledge.ParseGlobalID(id)
	if !ok {
		return uuid.Nil, knowledge.FieldErrorf(field, "%q is not a valid ID", id)
	}
	if typ != want {
		return uuid.Nil, knowledge.FieldErrorf(field, "%q is the ID of a %s, not of a %s", id, typ, want)
	}
	return u, nil
}

// nestedPage checks the page arguments of a nested connection before anything loads,
// and returns the loader key for the parent.
func nestedPage(parent uuid.UUID, first *int, after *string) (loader.PageKey, error) {
	pa := knowledge.PageArgs{First: first, After: after}
	n, _, err := pa.Limit()
	if err != nil {
		return loader.PageKey{}, err
	}
	key := loader.PageKey{Parent: parent, First: n}
	if after != nil {
		if *after == "" {
			return loader.PageKey{}, knowledge.FieldErrorf("after", "after is not a valid cursor; pass back a cursor this API returned")
		}
		key.After = *after
	}
	return key, nil
}

// partnershipPageKey checks the arguments of City.partnerships and returns the loader
// key for the city.
func partnershipPageKey(city uuid.UUID, kind *knowledge.PartnershipKind, asOf *knowledge.Date, first *int, after *string) (loader.PartnershipPageKey, error) {
	key, err := nestedPage(city, first, after)
	if err != nil {
		return loader.PartnershipPageKey{}, err
	}
	f := loader.PartnershipFilter{AsOf: dateKey(asOf)}
	if kind != nil {
		f.Kind = *kind
	}
	return loader.PartnershipPageKey{PageKey: key, PartnershipFilter: f}, nil
}

func pageArgs(first *int, after *string, last *int, before *string) knowledge.PageArgs {
	return knowledge.PageArgs{First: first, After: after, Last: last, Before: before}
}

// countOf adapts a per-parent count loader to a connection's lazy total.
func countOf[K comparable](l interface {
	Load(context.Context, K) (int, error)
}, key K) model.Counter {
	return func(ctx context.Context) (int, error) { return l.Load(ctx, key) }
}

// loadOptional loads an object by an optional id.
func loadOptional[T any](ctx context.Context, l interface {
	Load(context.Context, uuid.UUID) (*T, error)
}, id *uuid.UUID) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return l.Load(ctx, *id)
}

// optionalAnyID reads a global ID of any type.
func optionalAnyID(field string, id *string) (*uuid.UUID, error) {
	if id == nil {
		return nil, nil
	}
	_, u, ok := knowledge.ParseGlobalID(*id)
	if !ok {
		return nil, knowledge.FieldErrorf(field, "%q is not a valid ID", *id)
	}
	return &u, nil
}

// fetchOne reads one object for a top-level field by calling its loader's batch
// function at once (through the cross-request cache, when there is one): a single key
// has nothing to batch with, so waiting for the batch window would only add latency.
// It primes the request's loader, so nested fields that meet the same object find it.
func fetchOne[T any](ctx context.Context, l *loader.Loader[uuid.UUID, *T], id uuid.UUID) (*T, error) {
	got, err := l.Fetch(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	return got[0], nil
}

// lookupArgs checks the text arguments of a top-level lookup (city(name:),
// country(code:), …), given as field name and value pairs (nil when absent), before
// anything reaches the database: a value the rule of lookups refuses (a NUL, a control
// character, invalid UTF-8, more than 200 characters) could match nothing stored, and
// the database's error text would otherwise reach the client.
func lookupArgs(args ...any) error {
	for i := 0; i+1 < len(args); i += 2 {
		field, _ := args[i].(string)
		if v, _ := args[i+1].(*string); v != nil {
			if err := knowledge.CheckLookup(field, *v); err != nil {
				return err
			}
		}
	}
	return nil
}

// explicitNull reports whether the current field's argument arg is an input object
// whose field is given as null, by literal or by variable, as opposed to left out.
// gqlgen decodes both to a nil pointer; an update tells them apart because null clears
// an optional reference while leaving it out keeps it.
func explicitNull(ctx context.Context, arg, field string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return false
	}
	a := fc.Field.Arguments.ForName(arg)
	if a == nil || a.Value == nil {
		return false
	}
	vars := graphql.GetOperationContext(ctx).Variables
	switch a.Value.Kind {
	case ast.Variable:
		obj, ok := vars[a.Value.Raw].(map[string]any)
		if !ok {
			return false
		}
		v, present := obj[field]
		return present && v == nil
	case ast.ObjectValue:
		child := a.Value.Children.ForName(field)
		if child == nil {
			return false
		}
		switch child.Kind {
		case ast.NullValue:
			return true
		case ast.Variable:
			v, present := vars[child.Raw]
			return present && v == nil
		}
	}
	return false
}
