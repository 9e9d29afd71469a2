package extension

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeIntrospectionDisabled refuses __schema, __type and _service on a server run with
// --introspection=false.
const CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"

// IntrospectionRefusal refuses schema introspection before the operation runs when it
// is turned off. gqlgen's own refusal is a resolver error without a code, which Amity
// would report, log and count as an internal error: a bug alert any anonymous client
// could fire. A refusal here is the client's: no ERROR log, and the request counts as
// invalid. _service (federation's SDL) is introspection too; it is refused only when
// the server is a subgraph, since otherwise FEDERATION_DISABLED says more.
type IntrospectionRefusal struct {
	// Federation is whether the server answers federation's fields.
	Federation bool
}

var (
	_ graphql.HandlerExtension        = IntrospectionRefusal{}
	_ graphql.OperationContextMutator = IntrospectionRefusal{}
)

func (IntrospectionRefusal) ExtensionName() string                   { return "IntrospectionRefusal" }
func (IntrospectionRefusal) Validate(graphql.ExecutableSchema) error { return nil }

func (r IntrospectionRefusal) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		switch f.Name {
		case "__schema", "__type":
		case "_service":
			if !r.Federation {
				continue
			}
		default:
			continue
		}
		err := gqlerror.Errorf("schema introspection is turned off on this server (%s)", f.Name)
		errcode.Set(err, CodeIntrospectionDisabled)
		if f.Position != nil {
			err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
		}
		return err
	}
	return nil
}
