package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// The WebSocket transport: graphql-transport-ws (and the legacy graphql-ws) for
// subscriptions and for queries sent on an open socket, its connection_init
// authentication, and (revocation.go) the revocation of a socket's key. The change feed
// behind the Subscription resolvers is subscriptions.go.

// WebSocket keep-alive: the server sends a graphql-transport-ws "ping" this often and
// closes a connection whose client has not answered "pong" within twice the interval
// (legacy graphql-ws clients get a "ka" message instead).
const (
	wsPingInterval = 15 * time.Second
	wsInitTimeout  = 10 * time.Second
	// CloseForbidden is the WebSocket close code of a connection_init that is refused
	// (bad key, or no key when anonymous access is off), as graphql-transport-ws names
	// it, and of an open connection whose key is revoked.
	CloseForbidden = 4403
)

// addWebsocket serves subscriptions (and queries) over WebSocket, with the
// graphql-transport-ws protocol (and the legacy graphql-ws one).
func addWebsocket(srv *handler.Server, store *postgres.DB, opts Options) {
	srv.AddTransport(closableWebsocket{transport.Websocket{
		// Browsers send an Origin with a WebSocket handshake; only the server's own and
		// the CORS origins may open one.
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: originPatterns(opts.WebSocketOrigins)},
		},
		InitFunc: func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return initConnection(ctx, payload, opts.Authenticator)
		},
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsPingInterval,
		PingPongInterval:      wsPingInterval,
	}})
	srv.AroundOperations(recheckOperation(opts.Authenticator))
	if opts.OperationLimit != nil {
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			if _, overWS := ctx.Value(wsKey{}).(*wsConn); overWS {
				if err := opts.OperationLimit(ctx); err != nil {
					return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{err}})
				}
			}
			return next(ctx)
		})
	}
	// Loaders cache what they read, and the HTTP middleware makes them once per HTTP
	// request: for a WebSocket that is once per connection. Each subscription event and
	// each operation over a WebSocket gets fresh ones, so no event is resolved from
	// data cached for an earlier one.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		_, overWS := ctx.Value(wsKey{}).(*wsConn)
		subscription := false
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil {
			subscription = oc.Operation.Operation == ast.Subscription
		}
		if !overWS && !subscription {
			return next(ctx)
		}
		// A subscription event is resolved without the cross-request cache: the event
		// may arrive before the cache has heard of the change it reports.
		cache := opts.ReadCache
		if subscription {
			cache = nil
		}
		ctx = loader.WithLoaders(ctx, loader.New(store, opts.LoaderWait, cache))
		if overWS && !subscription && opts.OperationTimeout > 0 {
			// HTTP requests are bounded by the server's request timeout; a query or
			// mutation over a long-lived WebSocket gets the same bound on its own.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, opts.OperationTimeout)
			defer cancel()
		}
		return next(ctx)
	})
}

type wsKey struct{}

// wsConn marks the context of a WebSocket connection.
type wsConn struct {
	// deferredAuth: the upgrade request carried no credentials, so the HTTP middleware
	// did not authenticate it; connection_init must.
	deferredAuth bool
	remoteAddr   string
}

// WithDeferredAuth marks an upgrade request whose authentication is left to the
// connection_init message (browsers cannot set headers on a WebSocket), so that an
// anonymous-off server can still accept a key in the init payload.
func WithDeferredAuth(ctx context.Context, remoteAddr string) context.Context {
	return context.WithValue(ctx, wsKey{}, &wsConn{deferredAuth: true, remoteAddr: remoteAddr})
}

// initConnection authenticates a WebSocket connection. A key in the connection_init
// payload ({"Authorization": "Bearer <key>"}) wins; without one, the connection keeps
// the principal the HTTP middleware gave the upgrade request (its Authorization
// header, or anonymous), or — when authentication was deferred — is anonymous if the
// server allows that. A keyed connection's key is then watched for revocation for as
// long as the connection lasts (revocation.go).
func initConnection(ctx context.Context, payload transport.InitPayload, authn *auth.Authenticator) (context.Context, *transport.InitPayload, error) {
	conn, _ := ctx.Value(wsKey{}).(*wsConn)
	if conn == nil {
		conn = &wsConn{remoteAddr: auth.ForContext(ctx).Addr}
	}
	ctx = context.WithValue(ctx, wsKey{}, &wsConn{remoteAddr: conn.remoteAddr})
	header := payload.Authorization()
	if header == "" && !conn.deferredAuth {
		watch(ctx, authn, auth.ForContext(ctx))
		return ctx, nil, nil
	}
	if authn == nil {
		return refuse(ctx, knowledge.Errorf(auth.CodeUnauthenticated, "this server does not take API keys over WebSocket"))
	}
	r := &http.Request{Header: http.Header{}, RemoteAddr: conn.remoteAddr}
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	p, err := authn.Authenticate(ctx, r)
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		ctx = transport.WithWebsocketCloseCode(ctx, CloseTooManyRequests)
		ctx = transport.AppendCloseReason(ctx, auth.CodeRateLimited+": "+err.Error())
		return ctx, nil, err
	case err != nil:
		if knowledge.ErrorCode(err) != auth.CodeUnauthenticated {
			err = knowledge.Errorf(knowledge.EUNAVAILABLE, "the key store is unavailable; try again shortly")
		}
		return refuse(ctx, err)
	}
	ctx = auth.WithPrincipal(ctx, p)
	watch(ctx, authn, p)
	return ctx, nil, nil
}

// watch starts watching a keyed connection's key; ctx is the connection's.
func watch(ctx context.Context, authn *auth.Authenticator, p *auth.Principal) {
	if authn != nil && p.Key != nil {
		go watchKey(ctx, authn, p)
	}
}

// refuse rejects connection_init: the client gets the reason and close code 4403.
func refuse(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	ctx = transport.WithWebsocketCloseCode(ctx, CloseForbidden)
	ctx = transport.AppendCloseReason(ctx, "Forbidden: "+err.Error())
	return ctx, nil, err
}

// originPatterns turns CORS origins ("https://maps.example.org", or "*") into the host
// patterns the WebSocket handshake checks Origin against.
func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		if o == "*" {
			return []string{"*"}
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}
