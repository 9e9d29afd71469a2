package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/postgres/notify"
	"github.com/amity/amity/internal/postgres/readcache"
)

// Server is Amity's HTTP surface. Besides serving requests it owns what outlives a
// request: the change feed of the subscriptions and the WebSocket connections that
// carry them. Close it when the HTTP server shuts down (http.Server.Shutdown does not
// touch WebSocket connections: they are hijacked, no longer the HTTP server's).
type Server struct {
	handler http.Handler
	metrics http.Handler
	changes *notify.Hub
	cache   *readcache.Cache
	// stopCommits stops the store telling the cache of this process's writes.
	stopCommits func()
	lifetime    context.Context
	stop        context.CancelFunc
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Changes is the server's change feed (its health is in Status).
func (s *Server) Changes() *notify.Hub { return s.changes }

// ReadCache is the cache of reads the server's requests share (nil when off).
func (s *Server) ReadCache() *readcache.Cache { return s.cache }

// Close ends every subscription and closes every WebSocket connection, then the change
// feed's database connection. Requests over plain HTTP are not affected. It is safe to
// call more than once.
func (s *Server) Close() error {
	s.stop()
	if s.stopCommits != nil {
		s.stopCommits()
	}
	return s.changes.Close()
}

// isUpgrade reports whether the request asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") && strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

// upgrades sends ordinary requests to authed (the API-key middleware and the rest of
// the chain). A WebSocket upgrade gets the connection's treatment:
//   - its context lasts until the client or Server.Close ends it, not a request timeout
//     (withTimeout lets upgrades through);
//   - the HTTP server's read and write deadlines are lifted from the connection, which
//     the WebSocket keeps alive with its own ping/pong;
//   - without an Authorization header, authentication waits for connection_init
//     (browsers cannot set headers on a WebSocket), which may carry
//     {"Authorization": "Bearer <key>"}; with one, the middleware checks it now, as for
//     any request, and a bad key gets its 401 before the upgrade;
//   - a keyed connection's key is read again before each operation and whenever its
//     cache entry expires, and the connection is closed with 4403 once the key is
//     revoked (graph/revocation.go).
func (s *Server) upgrades(authn *auth.Authenticator, authed, unauthed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isUpgrade(r) {
			authed.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		unbind := context.AfterFunc(s.lifetime, cancel)
		defer unbind()

		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})

		if r.Header.Get("Authorization") == "" {
			// Anonymous until connection_init says otherwise: the upgrade's rate limit is
			// its client address's, as for any anonymous request.
			addr := authn.ClientAddr(r)
			ctx = auth.WithPrincipal(ctx, &auth.Principal{Addr: addr})
			unauthed.ServeHTTP(w, r.WithContext(graph.WithDeferredAuth(ctx, addr)))
			return
		}
		authed.ServeHTTP(w, r.WithContext(ctx))
	})
}

// changeFeedStatus is the change feed's line of /readyz.
func changeFeedStatus(st notify.Status) string {
	switch {
	case !st.Started:
		return "change feed: idle (starts with the first subscription)\n"
	case st.Connected:
		return fmt.Sprintf("change feed: listening, %d subscribers\n", st.Subscribers)
	default:
		return fmt.Sprintf("change feed: reconnecting (changes are being missed), %d subscribers\n", st.Subscribers)
	}
}
