package auth

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}
	tests := []struct {
		name, remote string
		forwarded    []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies trusted: the peer", "203.0.113.5:1234", []string{"198.51.100.9"}, nil, "203.0.113.5"},
		{"an untrusted peer cannot claim another address", "203.0.113.5:1234", []string{"198.51.100.9"}, proxies, "203.0.113.5"},
		{"a trusted proxy names the client", "10.1.2.3:1234", []string{"198.51.100.9"}, proxies, "198.51.100.9"},
		{"the rightmost untrusted hop wins over what the client wrote", "10.1.2.3:1234", []string{"6.6.6.6, 198.51.100.9"}, proxies, "198.51.100.9"},
		{"chains of trusted proxies are walked", "10.1.2.3:1234", []string{"198.51.100.9, 192.0.2.1", "10.9.9.9"}, proxies, "198.51.100.9"},
		{"a malformed hop stops the walk at the last trusted one", "10.1.2.3:1234", []string{"198.51.100.9, not-an-ip"}, proxies, "10.1.2.3"},
		{"no header from a trusted proxy: the proxy", "10.1.2.3:1234", nil, proxies, "10.1.2.3"},
		{"IPv4 in IPv6 is the IPv4 address", "[::ffff:10.1.2.3]:1234", []string{"::ffff:198.51.100.9"}, proxies, "198.51.100.9"},
		{"IPv6 clients", "10.1.2.3:1234", []string{"2001:db8::7"}, proxies, "2001:db8::7"},
		{"a peer without a port", "203.0.113.5", nil, proxies, "203.0.113.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAuthenticator(nil, Config{TrustedProxies: tt.trusted})
			r := httptest.NewRequest("GET", "/graphql", nil)
			r.RemoteAddr = tt.remote
			for _, f := range tt.forwarded {
				r.Header.Add("X-Forwarded-For", f)
			}
			if got := a.ClientAddr(r); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}
