package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// CodeHostNotAllowed refuses a request whose Host header names no allowed host.
const CodeHostNotAllowed = "HOST_NOT_ALLOWED"

// HostPolicy says which Host headers the server answers. It stops DNS rebinding: a page
// of evil.example whose name an attacker re-points at 127.0.0.1 (or at an address on
// the victim's network) is same-origin with Amity as far as the browser can tell, so
// the WebSocket origin check and CORS let it read anonymous answers and /metrics. Its
// requests still say Host: evil.example, and that is refused here.
type HostPolicy struct {
	// Check turns the policy on. Off (the zero value, as in tests and embeddings that
	// check hosts in front), any Host is served; the amity binary always turns it on.
	Check bool
	// Allowed are the names served besides loopback names (localhost, *.localhost) and
	// IP literals, which rebinding cannot forge: "api.example.org", "*.example.org"
	// (any name under it), or "*" (any Host: the check is off).
	Allowed []string
}

// ParseHosts reads a comma-separated host list, as --allowed-hosts takes it; ports are
// ignored.
func ParseHosts(list string) []string {
	var out []string
	for _, h := range strings.Split(list, ",") {
		if h = normalHost(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// normalHost lowercases a host and drops its port and a trailing dot.
func normalHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), ".")
	return h
}

// allows reports whether the policy serves a request for host (a Host header).
func (p HostPolicy) allows(host string) bool {
	if !p.Check {
		return true
	}
	h := normalHost(host)
	if h == "" {
		return false
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	for _, a := range p.Allowed {
		switch {
		case a == "*" || a == h:
			return true
		case strings.HasPrefix(a, "*.") && strings.HasSuffix(h, a[1:]):
			return true
		}
	}
	return false
}

// checkHosts answers 421 Misdirected Request, code HOST_NOT_ALLOWED, to a request for a
// host the policy does not serve. The health endpoints answer any Host: orchestrators
// probe them by whatever name they know, and they tell nothing.
func checkHosts(p HostPolicy, next http.Handler) http.Handler {
	if !p.Check {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.allows(r.Host) || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		w.Write([]byte(`{"errors":[{"message":"this server does not serve the host named in the Host header (see --allowed-hosts)","extensions":{"code":"` + CodeHostNotAllowed + `"}}]}`))
	})
}

// noSniff tells browsers to trust every answer's Content-Type and never guess another
// (a JSON answer holding client text must not be run as a script or rendered as HTML).
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
