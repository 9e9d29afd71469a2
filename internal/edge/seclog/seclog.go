// Package seclog is Amity's security log: one structured line per failed
// authentication, refused scope or refused write, marked security=true, so an operator
// can see an attack (grep security=true, or filter the JSON field). An attacker controls
// how many such events there are, so the log is rate-limited: at most PerSecond lines a
// second, and the first line after a suppressed stretch says how many were left out.
package seclog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// Events, the value of the event attribute.
const (
	// AuthFailed: a request or WebSocket carried a key that is malformed, unknown or
	// revoked, or none where one is needed.
	AuthFailed = "auth_failed"
	// AuthThrottled: a client address spent its budget of failed authentications; its
	// keys are not looked up until the budget refills.
	AuthThrottled = "auth_throttled"
	// KeyRevoked: an open WebSocket's key was revoked; the socket was closed.
	KeyRevoked = "key_revoked"
	// ScopeRefused: a field needed a scope the caller lacks (FORBIDDEN, UNAUTHENTICATED).
	ScopeRefused = "scope_refused"
	// WriteRefused: a mutation's input was refused (its payload's errors: INVALID,
	// NOT_FOUND, CONFLICT, STALE_VERSION, …).
	WriteRefused = "write_refused"
)

// DefaultPerSecond is how many security lines a second a server writes at most.
const DefaultPerSecond = 20

// Log writes security events. A nil *Log writes nothing.
type Log struct {
	log       *slog.Logger
	perSecond int
	now       func() time.Time

	mu         sync.Mutex
	window     time.Time // start of the current one-second window
	written    int       // lines written in the window
	suppressed int64     // events left out since the last line written
}

// New returns a security log writing to log at most perSecond lines a second
// (DefaultPerSecond if perSecond is 0 or less).
func New(log *slog.Logger, perSecond int) *Log {
	if perSecond <= 0 {
		perSecond = DefaultPerSecond
	}
	return &Log{log: log, perSecond: perSecond, now: time.Now}
}

type ctxKey struct{}

// WithLog returns a context whose events go to l.
func WithLog(ctx context.Context, l *Log) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the context's security log, nil (writing nothing) if it has none.
func FromContext(ctx context.Context) *Log {
	l, _ := ctx.Value(ctxKey{}).(*Log)
	return l
}

// Event logs one security event with its attributes (key_id, key, client, code, …),
// adding the GraphQL operation's name when ctx is inside one.
func Event(ctx context.Context, event string, attrs ...any) {
	FromContext(ctx).Event(ctx, event, attrs...)
}

// Event logs one security event, unless this second's lines are spent.
func (l *Log) Event(ctx context.Context, event string, attrs ...any) {
	if l == nil {
		return
	}
	suppressed, ok := l.take()
	if !ok {
		return
	}
	args := make([]any, 0, len(attrs)+8)
	args = append(args, "security", true, "event", event)
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil {
			args = append(args, "operation", oc.Operation.Name, "operation_type", string(oc.Operation.Operation))
		}
	}
	args = append(args, attrs...)
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.WarnContext(ctx, "security", args...)
}

// take reserves a line in the current second; it returns how many events were left out
// before this one, and false when this one must be left out too.
func (l *Log) take() (int64, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.window) >= time.Second || now.Before(l.window) {
		l.window, l.written = now, 0
	}
	if l.written >= l.perSecond {
		l.suppressed++
		return 0, false
	}
	l.written++
	s := l.suppressed
	l.suppressed = 0
	return s, true
}
