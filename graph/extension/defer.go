package extension

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeDeferNotSupported refuses @defer: the HTTP transport sends one answer per request
// (no incremental delivery), so gqlgen would leave every deferred field null and never
// send the rest. A client is told so instead of getting silently partial data.
const CodeDeferNotSupported = "DEFER_NOT_SUPPORTED"

// DeferRefusal is the gqlgen extension that refuses operations using @defer, as the
// validation errors are refused: before anything runs. graph's generated code builds
// no deferred groups (graph/marshal.go's newDeferredGroup), which is right only because
// this refusal runs.
type DeferRefusal struct{}

func (DeferRefusal) ExtensionName() string                   { return "DeferRefusal" }
func (DeferRefusal) Validate(graphql.ExecutableSchema) error { return nil }

func (DeferRefusal) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if !usesDefer(oc.Doc) {
		return nil
	}
	err := &gqlerror.Error{Message: "@defer is not supported: this server answers each request at once; drop the directive to get the deferred fields in the same answer"}
	errcode.Set(err, CodeDeferNotSupported)
	return err
}

// usesDefer reports whether any selection of the document carries @defer.
func usesDefer(doc *ast.QueryDocument) bool {
	if doc == nil {
		return false
	}
	var walk func(ast.SelectionSet) bool
	walk = func(sel ast.SelectionSet) bool {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if s.Directives.ForName("defer") != nil || walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if s.Directives.ForName("defer") != nil || walk(s.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if s.Directives.ForName("defer") != nil {
					return true
				}
			}
		}
		return false
	}
	for _, op := range doc.Operations {
		if walk(op.SelectionSet) {
			return true
		}
	}
	for _, f := range doc.Fragments {
		if walk(f.SelectionSet) {
			return true
		}
	}
	return false
}
