// Package cors answers cross-origin requests to the GraphQL endpoint for the origins a
// deployment lists, and none by default.
//
// Amity authenticates with a bearer key in the Authorization header and never with
// cookies, so it never sends Access-Control-Allow-Credentials: a page on an allowed
// origin must hold a key itself to act as a partner; it cannot borrow a visitor's.
// Listing "*" is therefore safe for a public deployment.
package cors

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config lists who may call cross-origin.
type Config struct {
	// Origins are exact origins ("https://maps.example.org") or "*" for any. Empty turns
	// CORS off: no CORS headers are sent and browsers keep pages of other origins out.
	Origins []string
	// MaxAge is how long a browser may reuse a preflight answer.
	MaxAge time.Duration
}

// Methods, request headers and response headers that cross-origin callers may use.
const (
	AllowedMethods = "GET, POST"
	AllowedHeaders = "Authorization, Content-Type, X-Request-Id"
	ExposedHeaders = "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id"
)

// ParseOrigins reads a comma-separated origin list, dropping empty entries and
// trailing slashes.
func ParseOrigins(s string) []string {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		if o = strings.TrimSuffix(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// Middleware answers preflight requests itself, before authentication and limits (a
// preflight carries no key), and adds CORS headers to the responses for allowed
// origins.
func Middleware(cfg Config, next http.Handler) http.Handler {
	if len(cfg.Origins) == 0 {
		return next
	}
	anyOrigin := slices.Contains(cfg.Origins, "*")
	maxAge := strconv.Itoa(int(cfg.MaxAge.Seconds()))
	allowed := func(origin string) bool {
		return anyOrigin || slices.Contains(cfg.Origins, origin)
	}
	allowOrigin := func(origin string) string {
		if anyOrigin {
			return "*"
		}
		return origin
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			if origin == "" || !allowed(origin) || !methodAllowed(r.Header.Get("Access-Control-Request-Method")) ||
				!headersAllowed(r.Header.Get("Access-Control-Request-Headers")) {
				h.Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte("cross-origin request not allowed: check the origin, method (GET, POST) and headers (" + AllowedHeaders + ")\n"))
				return
			}
			h.Set("Access-Control-Allow-Origin", allowOrigin(origin))
			h.Set("Access-Control-Allow-Methods", AllowedMethods)
			h.Set("Access-Control-Allow-Headers", AllowedHeaders)
			h.Set("Access-Control-Max-Age", maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if origin != "" && allowed(origin) {
			h.Set("Access-Control-Allow-Origin", allowOrigin(origin))
			h.Set("Access-Control-Expose-Headers", ExposedHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

func methodAllowed(m string) bool {
	return m == http.MethodGet || m == http.MethodPost
}

// headersAllowed reports whether every requested header is one Amity reads, or one the
// CORS spec always allows.
func headersAllowed(list string) bool {
	for name := range strings.SplitSeq(list, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "", "authorization", "content-type", "x-request-id", "accept", "accept-language", "content-language":
		default:
			return false
		}
	}
	return true
}
