package extension

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeReadOnly refuses a mutation on a replica that takes no writes: its database is
// a standby, or it was started read-only.
const CodeReadOnly = "READ_ONLY"

// ReadOnlyRefusal is the gqlgen extension that refuses mutations while ReadOnly says
// so, before anything runs; queries and subscriptions are served as usual. ReadOnly is
// asked for every mutation, so a replica that follows its database (--read-only=auto)
// takes writes once the standby is promoted. WritesTo, if set, says where to send them.
type ReadOnlyRefusal struct {
	ReadOnly func() bool
	WritesTo string
}

func (ReadOnlyRefusal) ExtensionName() string                   { return "ReadOnlyRefusal" }
func (ReadOnlyRefusal) Validate(graphql.ExecutableSchema) error { return nil }

func (r ReadOnlyRefusal) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation || !r.ReadOnly() {
		return nil
	}
	msg := "this replica is read-only (its database is a standby, or it was started with --read-only): send writes to a replica of the primary"
	if r.WritesTo != "" {
		msg = "this replica is read-only (its database is a standby, or it was started with --read-only): send writes to " + r.WritesTo
	}
	err := &gqlerror.Error{Message: msg}
	errcode.Set(err, CodeReadOnly)
	return err
}
