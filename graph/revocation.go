package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/seclog"
	"github.com/amity/amity/internal/knowledge"
)

// A WebSocket's principal is fixed at connection_init, and the socket may stay open for
// days; without more, a revoked key would keep working on it. So a keyed socket's key
// is read again, through the Authenticator's cache (whose TTL is the revocation bound,
// as for HTTP requests):
//   - before each operation sent on it: a revoked key's operation is refused with
//     UNAUTHENTICATED, and the socket is then closed with CloseForbidden;
//   - whenever the key's cache entry expires, for as long as the socket is open: a
//     revoked key closes the socket with CloseForbidden, ending its subscriptions.
// Either way a revoked key stops within the cache TTL of its revocation.

// Close codes of a WebSocket that Amity ends, besides CloseForbidden.
const (
	// CloseTooManyRequests: connection_init came from a client address that failed to
	// authenticate too often; retry after a while (graphql-ws uses 4429 alike).
	CloseTooManyRequests = 4429
)

// revokedReason is the close reason of a socket whose key was revoked (at most 123
// bytes, as close reasons must be).
const revokedReason = "Forbidden: the API key was revoked"

// closableWebsocket is gqlgen's WebSocket transport with a handle on each connection,
// so that Amity can close one with a code of its own after connection_init (gqlgen
// offers a close code only when connection_init is refused).
type closableWebsocket struct{ transport.Websocket }

type socketKey struct{}

// socket is a WebSocket connection, known once the upgrade is accepted.
type socket struct {
	mu     sync.Mutex
	conn   transport.WebsocketConn
	closed bool
}

// close starts the closing handshake with the code; gqlgen's read loop then ends, and
// with it every operation on the connection. It is safe to call more than once.
func (s *socket) close(code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || s.closed {
		return
	}
	s.closed = true
	s.conn.WriteClose(code, reason)
}

func socketOf(ctx context.Context) *socket {
	s, _ := ctx.Value(socketKey{}).(*socket)
	return s
}

// Do implements graphql.Transport.
func (t closableWebsocket) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	s := &socket{}
	ws := t.Websocket
	inner := ws.Implementation
	if inner == nil {
		inner = transport.CoderWebsocketImplementation{}
	}
	ws.Implementation = acceptor{inner: inner, s: s}
	ws.Do(w, r.WithContext(context.WithValue(r.Context(), socketKey{}, s)), exec)
}

// acceptor notes the connection it accepts in its socket.
type acceptor struct {
	inner transport.WebsocketImplementation
	s     *socket
}

func (a acceptor) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := a.inner.Accept(w, r, opts)
	if err == nil {
		a.s.mu.Lock()
		a.s.conn = c
		a.s.mu.Unlock()
	}
	return c, err
}

// recheckOperation refuses an operation on a socket whose key is no longer valid, and
// then closes the socket. Operations of anonymous sockets, and over HTTP (authenticated
// by their own request), pass.
func recheckOperation(authn *auth.Authenticator) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		p := auth.ForContext(ctx)
		if _, overWS := ctx.Value(wsKey{}).(*wsConn); !overWS || p.Key == nil || authn == nil {
			return next(ctx)
		}
		_, err := authn.Recheck(ctx, p.Key)
		switch {
		case err == nil:
			return next(ctx)
		case auth.IsAuthError(err):
			answered := false
			return func(ctx context.Context) *graphql.Response {
				if !answered {
					answered = true
					return &graphql.Response{Errors: gqlerror.List{{Message: "the API key was revoked; the connection closes",
						Extensions: map[string]any{"code": auth.CodeUnauthenticated}}}}
				}
				// gqlgen asks again once the refusal is written: close only now, so the
				// client reads why before the socket goes.
				revoked(ctx, p)
				return nil
			}
		default:
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: "the key store is unavailable; try again shortly",
				Extensions: map[string]any{"code": knowledge.EUNAVAILABLE}}}})
		}
	}
}

// revoked closes the socket of a principal whose key was revoked.
func revoked(ctx context.Context, p *auth.Principal) {
	seclog.Event(ctx, seclog.KeyRevoked, "client", p.Addr, "key_id", p.Key.ID.String(), "key", p.Key.Name, "code", auth.CodeUnauthenticated)
	socketOf(ctx).close(CloseForbidden, revokedReason)
}

// minRecheck keeps watchKey from spinning should the cache hand back an entry that is
// already due.
const minRecheck = 10 * time.Millisecond

// watchKey reads an open socket's key again each time its cache entry expires, and
// closes the socket once the key is revoked. It returns when ctx, the connection's,
// ends. While the key store is unavailable the key keeps working (nobody can revoke
// through a database that is down, and a blip should not drop every partner's
// socket); it is asked again every second or TTL, whichever is shorter.
func watchKey(ctx context.Context, authn *auth.Authenticator, p *auth.Principal) {
	retry := min(time.Second, authn.CacheTTL())
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		until, err := authn.Recheck(ctx, p.Key)
		wait := retry
		switch {
		case err == nil:
			wait = time.Until(until)
		case auth.IsAuthError(err):
			revoked(ctx, p)
			return
		}
		timer.Reset(max(wait, minRecheck))
	}
}
