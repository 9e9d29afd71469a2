package extension

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/internal/knowledge"
)

// maxKeyLength bounds a key value in a representation; the longest real one, a global
// ID, is 64 characters.
const maxKeyLength = 256

// EntityGuard checks _entities' representations before anything runs: at most
// knowledge.MaxPageSize of them (as nodes(ids:)), each an object naming an entity type
// and carrying one of its keys with values of the key fields' types. gqlgen's generated
// federation code would otherwise meet these mistakes mid-execution and report them as
// internal errors (or fail a whole type's batch for one bad representation); here they
// are the client's BAD_USER_INPUT, refused as an invalid request.
type EntityGuard struct {
	// keys are each entity type's @key field sets, in the schema's order.
	keys map[string][][]string
	// fieldTypes are the named types of the key fields, by entity type and field.
	fieldTypes map[string]map[string]string
}

var (
	_ graphql.HandlerExtension        = EntityGuard{}
	_ graphql.OperationContextMutator = EntityGuard{}
)

// NewEntityGuard reads the entity keys from the schema's @key directives. Keys are
// plain field lists in Amity's schema; a nested key would need a deeper check, so it
// stops the server at start rather than pass unchecked.
func NewEntityGuard(schema *ast.Schema) EntityGuard {
	g := EntityGuard{keys: map[string][][]string{}, fieldTypes: map[string]map[string]string{}}
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

func (EntityGuard) ExtensionName() string                   { return "EntityRepresentations" }
func (EntityGuard) Validate(graphql.ExecutableSchema) error { return nil }
func (g EntityGuard) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
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
func (g EntityGuard) check(v any) *gqlerror.Error {
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

func (g EntityGuard) checkOne(i int, v any) *gqlerror.Error {
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

func (g EntityGuard) typeNames() []string {
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
