package graph

import (
	"context"
	"crypto/sha256"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/readcache"
)

// Answers. The read cache keeps entities and pages, so a repeated query runs no SQL;
// but building its answer (resolvers, the lookahead, marshalling) still costs more CPU
// than the reads did. So a query's whole answer is cached too, in the same cache and
// under the same rule: it is kept with the union of what its reads depended on, taken
// from the request's start, and a change to any of them drops it. Only an answer built
// from declared reads alone is kept (every statement it ran was a read cache's, whose
// dependencies are recorded; postgres.DeclaredRead): a read path that does not say what
// it depends on makes its answers uncacheable, never stale.
//
// An answer is shared only between callers who would get the same one: all anonymous
// callers, or one key with itself (what a key may see depends on its scopes). Answers
// with errors or extensions are not kept. A cached answer skips admission and
// execution, not the rate limit, the document's validation or its limits, which run
// before. Mutations and subscriptions are never cached.

// answerKey names an answer: the caller, the document, the operation and its variables.
type answerKey [sha256.Size]byte

func answerKeyOf(ctx context.Context, oc *graphql.OperationContext) (answerKey, bool) {
	vars, err := json.Marshal(oc.Variables) // map keys sorted: one encoding per value
	if err != nil {
		return answerKey{}, false
	}
	caller := "anonymous"
	if k := auth.ForContext(ctx).Key; k != nil {
		caller = "key:" + k.ID.String()
	}
	h := sha256.New()
	for _, part := range []string{caller, oc.RawQuery, oc.OperationName, string(vars)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	var key answerKey
	h.Sum(key[:0])
	return key, true
}

// cacheAnswers serves a query's answer from c when a fresh one is there, and keeps the
// answer of a query it runs when it may.
func cacheAnswers(c *readcache.Cache) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if c == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
			return next(ctx)
		}
		key, ok := answerKeyOf(ctx, oc)
		if !ok {
			return next(ctx)
		}
		v, hit := c.Get(key)
		c.CountAnswer(hit)
		if hit {
			return graphql.OneShot(&graphql.Response{Data: v.(json.RawMessage)})
		}
		rec := c.NewRecorder()
		ctx = readcache.WithRecorder(ctx, rec)
		ctx, undeclared := postgres.WithUndeclaredCounter(ctx)
		handler := next(ctx)
		first := true
		return func(ctx context.Context) *graphql.Response {
			resp := handler(ctx)
			if first && resp != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 && len(resp.Data) > 0 &&
				undeclared.Load() == 0 {
				c.Put(rec.Ticket(), key, resp.Data, int64(len(resp.Data)), rec.Deps())
			}
			first = false
			return resp
		}
	}
}
