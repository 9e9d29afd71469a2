package server

import (
	"encoding/json"
	"net/http"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/seclog"
	"github.com/amity/amity/internal/knowledge"
)

// MetricsAccess says who may read /metrics on the API's own listener.
type MetricsAccess int

const (
	// MetricsOpen serves /metrics to anyone: the zero value, for tests and for a
	// listener that is private anyway.
	MetricsOpen MetricsAccess = iota
	// MetricsAdmin serves /metrics to API keys with the admin scope only (Prometheus
	// sends one with `authorization: {credentials_file: …}`); the amity binary's default.
	MetricsAdmin
	// MetricsElsewhere leaves /metrics off the API's listener: Server.Metrics serves
	// them, on a listener of their own (amity serve --metrics-addr).
	MetricsElsewhere
)

// Metrics is the Prometheus endpoint, for a listener of its own (MetricsElsewhere): the
// metrics of this server, under the same Host policy as the API, since DNS rebinding
// reaches a loopback listener as easily as any. It is nil when metrics are off.
func (s *Server) Metrics() http.Handler { return s.metrics }

// metricsRoute is /metrics on the API's listener, as the access asks; nil when it is
// not served there.
func metricsRoute(access MetricsAccess, authn *auth.Authenticator, h http.Handler) http.Handler {
	switch access {
	case MetricsOpen:
		return h
	case MetricsAdmin:
		return authn.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := auth.ForContext(r.Context())
			if !p.Has(knowledge.ScopeAdmin) {
				status := http.StatusForbidden
				if p.Key == nil {
					status = http.StatusUnauthorized
					w.Header().Set("WWW-Authenticate", `Bearer realm="amity"`)
				}
				err := auth.Require(r.Context(), knowledge.ScopeAdmin)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(status)
				w.Write(errorJSON(err))
				return
			}
			h.ServeHTTP(w, r)
		}))
	}
	return nil
}

// withSecurityLog puts the security log in every request's context, WebSockets
// included, so that authentication, scope checks and writes can reach it.
func withSecurityLog(l *seclog.Log, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(seclog.WithLog(r.Context(), l)))
	})
}

// errorJSON is the GraphQL error answer of a refusal with a knowledge.Error's code.
func errorJSON(err error) []byte {
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	b, _ := json.Marshal(map[string][]gqlError{"errors": {{Message: err.Error(), Extensions: map[string]string{"code": knowledge.ErrorCode(err)}}}})
	return b
}
