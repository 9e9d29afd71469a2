package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/internal/edge/admission"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/graphqlhttp"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// Admission configures the gate every operation passes before it executes.
type Admission struct {
	// Scheduler admits operations by cost and caller (internal/edge/admission); nil admits
	// everything at once.
	Scheduler *admission.Scheduler
	// Statements is how many SQL statements one operation runs at once (0: no bound).
	// gqlgen resolves a query's root fields concurrently, so without it one operation
	// of 40 aliased fields would hold 40 pooled connections.
	Statements int
	// MaxWait bounds the queueing of an operation whose context has no deadline (a
	// query over a WebSocket): it also bounds that operation's run, as the HTTP
	// request timeout bounds both for HTTP.
	MaxWait time.Duration
}

// admit is the gate, as an operation interceptor, so that it sees each operation once
// it is parsed, validated and costed, whatever transport carried it: HTTP requests and
// every query, mutation and subscription over a WebSocket pass it alike. It sits
// behind the request body's arrival (the transport reads the body first), so a client
// that sends slowly never holds a slot.
//
// A query or mutation holds its slot while it executes, until its response is built.
// A subscription holds one only while it starts (its resolver checks access and opens
// the change feed); the stream that follows waits on changes, not on the CPU or the
// pool, and must not keep others out for as long as a socket stays open.
func (a Admission) admit(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if a.Statements > 0 {
		ctx = postgres.WithStatementShare(ctx, a.Statements)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		wctx, cancel := a.bounded(ctx)
		permit, err := a.Scheduler.Acquire(wctx, callerOf(ctx), 0) // starting is cheap
		cancel()
		if err != nil {
			return graphql.OneShot(refusal(err))
		}
		defer permit.Release()
		return next(ctx)
	}
	handler := next(ctx)
	started, refused := false, false
	return func(ctx context.Context) *graphql.Response {
		if refused {
			return nil // the WebSocket transport asks again until nil: never run it then
		}
		if started {
			return handler(ctx) // a one-shot operation's end of stream: nil
		}
		started = true
		ctx, cancel := a.bounded(ctx)
		defer cancel()
		acquire := a.Scheduler.Acquire
		if oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			acquire = a.Scheduler.AcquireWrite
		}
		permit, err := acquire(ctx, callerOf(ctx), costOf(ctx))
		if err != nil {
			refused = true
			return refusal(err)
		}
		defer permit.Release() // also when a resolver's panic escapes gqlgen's recovery
		return handler(ctx)
	}
}

// bounded gives a context without a deadline the gate's MaxWait.
func (a Admission) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || a.MaxWait <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, a.MaxWait)
}

// callerOf names who asks: the API key, else the client address. Keys are named by id,
// never by secret, and cannot collide with addresses.
func callerOf(ctx context.Context) string {
	p := auth.ForContext(ctx)
	if p.Key != nil {
		return "key:" + p.Key.ID.String()
	}
	return "addr:" + p.Addr
}

// costOf is the operation's complexity as gqlgen's complexity extension measured it;
// -1 (cheap, for want of a measure) when the limit is off.
func costOf(ctx context.Context) int {
	if st := extension.GetComplexityStats(ctx); st != nil {
		return st.Complexity
	}
	return -1
}

// refusal is the answer to an operation the gate did not run: SERVICE_UNAVAILABLE with
// retryAfter, and no data, which the HTTP transport turns into 503 and Retry-After.
func refusal(err error) *graphql.Response {
	e := &gqlerror.Error{
		Message:    "the server is too busy to run this operation in time; retry later",
		Extensions: map[string]any{"code": knowledge.EUNAVAILABLE, graphqlhttp.ExtRetryAfter: 1},
	}
	if r, ok := err.(*admission.Refusal); ok {
		e.Message = "the server is too busy to run this operation in time (" + r.Explain() + "); retry later"
		e.Extensions[graphqlhttp.ExtRetryAfter] = r.RetryAfterSeconds()
	}
	return &graphql.Response{Errors: gqlerror.List{e}}
}
