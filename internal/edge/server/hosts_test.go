package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The default policy (no --allowed-hosts) serves loopback names and IP literals, which
// DNS rebinding cannot forge, and refuses any other name; the list adds names,
// wildcards and "*".
func TestHostPolicy(t *testing.T) {
	def := HostPolicy{Check: true}
	listed := HostPolicy{Check: true, Allowed: ParseHosts("API.example.org:443, *.amity.example ,")}
	anyHost := HostPolicy{Check: true, Allowed: ParseHosts("*")}
	for _, tt := range []struct {
		policy HostPolicy
		host   string
		want   bool
	}{
		{def, "localhost:8080", true},
		{def, "LOCALHOST.", true},
		{def, "app.localhost:8080", true},
		{def, "127.0.0.1:8080", true},
		{def, "[::1]:8080", true},
		{def, "10.1.2.3", true},
		{def, "evil.example:8080", false},
		{def, "localhost.evil.example", false},
		{def, "", false},
		{listed, "api.example.org", true},
		{listed, "api.example.org.:8443", true},
		{listed, "eu.amity.example", true},
		{listed, "amity.example", false},
		{listed, "evil.example", false},
		{anyHost, "evil.example", true},
		{HostPolicy{}, "evil.example", true},
	} {
		if got := tt.policy.allows(tt.host); got != tt.want {
			t.Errorf("%+v allows %q: %v, want %v", tt.policy, tt.host, got, tt.want)
		}
	}
}

// A refused Host gets 421 with a GraphQL error body; the health endpoints answer any
// Host.
func TestCheckHosts(t *testing.T) {
	h := checkHosts(HostPolicy{Check: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tt := range []struct {
		host, path string
		want       int
	}{
		{"evil.example", "/graphql", http.StatusMisdirectedRequest},
		{"evil.example", "/metrics", http.StatusMisdirectedRequest},
		{"evil.example", "/", http.StatusMisdirectedRequest},
		{"evil.example", "/healthz", http.StatusOK},
		{"amity-0.amity.svc", "/readyz", http.StatusOK},
		{"127.0.0.1:8080", "/graphql", http.StatusOK},
	} {
		r := httptest.NewRequest(http.MethodGet, tt.path, nil)
		r.Host = tt.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.host, tt.path, rec.Code, tt.want)
		}
		if tt.want == http.StatusMisdirectedRequest && !strings.Contains(rec.Body.String(), `"code":"HOST_NOT_ALLOWED"`) {
			t.Errorf("%s %s: body %s", tt.host, tt.path, rec.Body)
		}
	}
}
