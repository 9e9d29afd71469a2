package postgres

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// A statement share bounds how many of the store's statements one operation runs at
// once. gqlgen resolves a query's root fields concurrently, so without it one
// operation of 40 aliased path searches holds 40 pooled connections and everyone
// else waits for the pool; with it, the operation's statements queue among
// themselves. The share is taken before a connection is, and held until the statement's
// rows are read, which is exactly the time a pooled connection is held.
//
// It covers the read paths a query fans out to (SelectContext, GetContext, the list
// helpers, search's transaction). Mutations run their root fields one after another,
// each in one transaction, so they need none.

type shareKey struct{}

// WithStatementShare returns a context under which at most n of the store's statements
// run at once; n <= 0 leaves ctx unbounded. A context that already has a share keeps
// it: the outer bound is the operation's.
func WithStatementShare(ctx context.Context, n int) context.Context {
	if n <= 0 {
		return ctx
	}
	if _, ok := ctx.Value(shareKey{}).(chan struct{}); ok {
		return ctx
	}
	return context.WithValue(ctx, shareKey{}, make(chan struct{}, n))
}

// takeShare waits for a place in the context's share; release gives it back.
func takeShare(ctx context.Context) (release func(), err error) {
	share, ok := ctx.Value(shareKey{}).(chan struct{})
	if !ok {
		return func() {}, nil
	}
	select {
	case share <- struct{}{}:
		return func() { <-share }, nil
	default:
	}
	select {
	case share <- struct{}{}:
		return func() { <-share }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SelectContext is sqlx's (its rows scanned in place, scan.go), within the context's
// statement share.
func (db *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return selectContext(ctx, db.DB, dest, query, args...)
}

// GetContext is sqlx's, within the context's statement share.
func (db *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return getContext(ctx, db.DB, dest, query, args...)
}

func selectContext(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	release, err := takeShare(ctx)
	if err != nil {
		return err
	}
	defer release()
	return selectRows(ctx, q, dest, query, args...)
}

func getContext(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	release, err := takeShare(ctx)
	if err != nil {
		return err
	}
	defer release()
	return sqlx.GetContext(ctx, q, dest, query, args...)
}
