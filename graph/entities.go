package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/internal/knowledge"
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

// maxKeyLength bounds a key value in a representation; the longest real one, a global
// ID, is 64 characters.
const maxKeyLength = 256

// entityGuard checks _entities' representations before anything runs: at most
// knowledge.MaxPageSize of them (as nodes(ids:)), each an object naming an entity type
// and carrying one of its keys with values of the key fields' types. gqlgen's generated
// federation code would otherwise meet these mistakes mid-execution and report them as
// internal errors (or fail a whole type's batch for one bad representation); here they
// are the client's BAD_USER_INPUT, refused as an invalid request.
type entityGuard struct {
	// keys are each entity type's @key field sets, in the schema's order.
	keys map[string][][]string
	// fieldTypes are the named types of the key fields, by entity type and field.
	fieldTypes map[string]map[string]string
}

var (
	_ graphql.HandlerExtension        = entityGuard{}
	_ graphql.OperationContextMutator = entityGuard{}
)

// newEntityGuard reads the entity keys from the schema's @key directives. Keys are
// plain field lists in Amity's schema; a nested key would need a deeper check, so it
// stops the server at start rather than pass unchecked.
func newEntityGuard(schema *ast.Schema) entityGuard {
	g := entityGuard{keys: map[string][][]string{}, fieldTypes: map[string]map[string]string{}}
	for name, def := range schema.Types {
		for _, d := range def.Directives.ForNames("key") {
			fields := strings.Fields(d.Arguments.ForName("fields").Value.Raw)
			if g.fieldTypes[name] == nil {
				g.fieldTypes[name] = map[string]string{}
			}
			for _, f := range fields {
				fd := def.Fields.ForName(f)
				if fd == nil || strings.ContainsAny(f, "{}") {
					panic(fmt.Sprintf("entityGuard: @key(fields: %q) on %s is not a list of plain fields", d.Arguments.ForName("fields").Value.Raw, name))
				}
				g.fieldTypes[name][f] = fd.Type.Name()
			}
			g.keys[name] = append(g.keys[name], fields)
		}
	}
	return g
}

func (entityGuard) ExtensionName() string                   { return "EntityRepresentations" }
func (entityGuard) Validate(graphql.ExecutableSchema) error { return nil }
func (g entityGuard) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Name != "_entities" {
			continue
		}
		if err := g.check(f.ArgumentMap(oc.Variables)["representations"]); err != nil {
			err.Path = ast.Path{ast.PathName(f.Alias)}
			if f.Position != nil {
				err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
			}
			return err
		}
	}
	return nil
}

// check reports the first problem with a list of representations.
func (g entityGuard) check(v any) *gqlerror.Error {
	reps, ok := v.([]any)
	if !ok {
		reps = []any{v} // a single value stands for a list of one (input coercion)
	}
	if len(reps) > knowledge.MaxPageSize {
		return representationError("representations", "at most %d representations at once, got %d", knowledge.MaxPageSize, len(reps))
	}
	for i, r := range reps {
		if err := g.checkOne(i, r); err != nil {
			return err
		}
	}
	return nil
}

func (g entityGuard) checkOne(i int, v any) *gqlerror.Error {
	at := fmt.Sprintf("representations[%d]", i)
	rep, ok := v.(map[string]any)
	if !ok {
		return representationError(at, "%s must be an object with __typename and a key", at)
	}
	typ, ok := rep["__typename"].(string)
	keys := g.keys[typ]
	if !ok || keys == nil {
		return representationError(at+".__typename", "%s.__typename must name an entity type: %s", at, strings.Join(g.typeNames(), ", "))
	}
	// Every key field sent is read, whichever key matches, so each must have its type.
	for field, scalar := range g.fieldTypes[typ] {
		if val, sent := rep[field]; sent && val != nil && !keyValue(scalar, val) {
			return representationError(at+"."+field, "%s.%s must be %s: at most %d characters, no NUL", at, field, article(scalar), maxKeyLength)
		}
	}
	for _, key := range keys {
		if !slices.ContainsFunc(key, func(f string) bool { return rep[f] == nil }) {
			return nil
		}
	}
	names := make([]string, len(keys))
	for j, key := range keys {
		names[j] = strings.Join(key, " ")
	}
	return representationError(at, "%s has none of %s's keys: %s", at, typ, strings.Join(names, ", "))
}

// keyValue reports whether v is a value of the key field's scalar: a String is a
// string; an ID is a string or an integer (as the ID scalar takes them).
func keyValue(scalar string, v any) bool {
	switch v := v.(type) {
	case string:
		return len(v) <= maxKeyLength && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
	case json.Number:
		_, err := v.Int64()
		return scalar == "ID" && err == nil
	case int, int64:
		return scalar == "ID"
	}
	return false
}

func article(scalar string) string {
	if scalar == "ID" {
		return "an ID (a string)"
	}
	return "a " + scalar
}

func (g entityGuard) typeNames() []string {
	names := make([]string, 0, len(g.keys))
	for n := range g.keys {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func representationError(field, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, knowledge.EINVALID)
	err.Extensions["field"] = field
	return err
}
