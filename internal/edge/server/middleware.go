package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/amity/amity/internal/edge/metrics"
)

// recoverPanics turns a panic outside gqlgen's own recovery (in a middleware, the
// playground, a transport) into a 500 for that request alone, logged with its stack,
// and never shown to the client. http.ErrAbortHandler keeps its meaning.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil || p == http.ErrAbortHandler {
				if p != nil {
					panic(p)
				}
				return
			}
			log.ErrorContext(r.Context(), "panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`))
		}()
		next.ServeHTTP(w, r)
	})
}

// routes are the label values of amity_http_requests_total: a fixed list, so no client
// can add series by inventing paths.
var routes = map[string]string{
	"/graphql": "/graphql", "/healthz": "/healthz", "/readyz": "/readyz", "/metrics": "/metrics", "/": "/",
}

func route(path string) string {
	if r, ok := routes[path]; ok {
		return r
	}
	return "other"
}

// observeHTTP counts responses by route and status code.
func observeHTTP(m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		m.ObserveHTTP(route(r.URL.Path), rec.status, time.Since(start))
	})
}
