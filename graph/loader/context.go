package loader

import "context"

// WithLoaders returns a context carrying the loaders. Middleware does this once per
// HTTP request; a long-lived WebSocket needs it once per subscription event, so that
// no event is resolved from data cached for an earlier one.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}
