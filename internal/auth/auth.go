// Package auth identifies who is calling: an API key sent as "Authorization: Bearer
// <key>", or an anonymous reader. Keys are random secrets of which the server keeps only
// a SHA-256 hash; a request's key is hashed and looked up by that hash.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/relations"
)

// Scope is what a key may do.
type Scope string

// Scopes.
const (
	Read  Scope = "read"
	Write Scope = "write"
	Admin Scope = "admin"
)

// ParseScopes reads a comma-separated scope list such as "read,write".
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, part := range strings.Split(s, ",") {
		switch sc := Scope(strings.ToLower(strings.TrimSpace(part))); sc {
		case Read, Write, Admin:
			out = append(out, sc)
		case "":
		default:
			return nil, relations.FieldErrorf("scopes", "unknown scope %q: use read, write and admin", part)
		}
	}
	if len(out) == 0 {
		return nil, relations.FieldErrorf("scopes", "give at least one scope: read, write or admin")
	}
	return out, nil
}

// Key is a stored API key: never the secret, only its hash.
type Key struct {
	ID         uuid.UUID
	Name       string
	SecretHash []byte
	Scopes     []Scope
	RatePerSec *float64
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// Principal is who makes a request.
type Principal struct {
	// Key is nil for anonymous requests.
	Key *Key
	// Addr is the client's IP address, which keys anonymous rate limits.
	Addr string
}

// Name is how the audit log and the request log name the caller.
func (p *Principal) Name() string {
	if p == nil || p.Key == nil {
		return "anonymous"
	}
	return p.Key.Name
}

// Has reports whether the principal may act with the scope. Anonymous callers may read.
func (p *Principal) Has(s Scope) bool {
	if p == nil || p.Key == nil {
		return s == Read
	}
	for _, have := range p.Key.Scopes {
		if have == s || have == Admin {
			return true
		}
	}
	return false
}

// Error codes of authentication and authorisation, as extensions.code.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
)

// Require returns a FORBIDDEN error unless the request's principal has the scope.
func Require(ctx context.Context, s Scope) error {
	if ForContext(ctx).Has(s) {
		return nil
	}
	if ForContext(ctx).Key == nil {
		return relations.Errorf(CodeUnauthenticated, "this needs an API key with the %s scope, sent as Authorization: Bearer <key>", s)
	}
	return relations.Errorf(CodeForbidden, "this API key lacks the %s scope", s)
}

// keyPrefix marks Amity keys, so that a leaked key is recognisable in logs and scanners.
const keyPrefix = "amity_"

// NewSecret returns a new random key and the hash to store.
func NewSecret() (secret string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	secret = keyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret), nil
}

// HashSecret is the stored form of a key.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// KeyStore finds stored keys by the hash of their secret.
type KeyStore interface {
	// KeyByHash returns the key with the hash, revoked or not, or nil if there is none.
	KeyByHash(ctx context.Context, hash []byte) (*Key, error)
}

// Config tunes authentication.
type Config struct {
	// Anonymous lets requests without a key read.
	Anonymous bool
	// CacheTTL is how long a looked-up key is trusted before it is read again; it bounds
	// how long a revoked key keeps working on a replica.
	CacheTTL time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header names the
	// client. A request from anywhere else is its own client, whatever it claims.
	TrustedProxies []netip.Prefix
}

type ctxKey struct{}

// ForContext returns the request's principal (an anonymous one outside a request).
func ForContext(ctx context.Context) *Principal {
	if p, ok := ctx.Value(ctxKey{}).(*Principal); ok {
		return p
	}
	return &Principal{}
}

// WithPrincipal returns a context carrying the principal, for tests and background work.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Authenticator resolves request credentials to principals, caching keys briefly.
type Authenticator struct {
	store KeyStore
	cfg   Config

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	key     *Key // nil: no such key
	expires time.Time
}

// NewAuthenticator returns an authenticator over the key store.
func NewAuthenticator(store KeyStore, cfg Config) *Authenticator {
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Second
	}
	return &Authenticator{store: store, cfg: cfg, cache: map[string]cached{}}
}

// errBadKey is the one answer to every bad key: unknown, revoked or malformed look the
// same, so the answer tells nothing about which keys exist.
var errBadKey = relations.Errorf(CodeUnauthenticated, "the API key is not valid (unknown or revoked)")

// Authenticate returns the principal for a request, or an UNAUTHENTICATED error.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	p := &Principal{Addr: a.ClientAddr(r)}
	header := r.Header.Get("Authorization")
	if header == "" {
		if !a.cfg.Anonymous {
			return nil, relations.Errorf(CodeUnauthenticated, "this server needs an API key, sent as Authorization: Bearer <key>")
		}
		return p, nil
	}
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" || len(secret) > 200 {
		return nil, relations.Errorf(CodeUnauthenticated, "send the API key as Authorization: Bearer <key>")
	}
	key, err := a.lookup(ctx, HashSecret(strings.TrimSpace(secret)))
	if err != nil {
		return nil, err
	}
	if key == nil || key.RevokedAt != nil {
		return nil, errBadKey
	}
	p.Key = key
	return p, nil
}

func (a *Authenticator) lookup(ctx context.Context, hash []byte) (*Key, error) {
	now := time.Now()
	a.mu.Lock()
	c, ok := a.cache[string(hash)]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.key, nil
	}
	key, err := a.store.KeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	// The store found the key by its hash; comparing again in constant time costs
	// nothing and keeps a store that matched loosely from letting a wrong key in.
	if key != nil && subtle.ConstantTimeCompare(key.SecretHash, hash) != 1 {
		key = nil
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		clear(a.cache) // bounded: random keys from an attacker cannot grow it without end
	}
	a.cache[string(hash)] = cached{key: key, expires: now.Add(a.cfg.CacheTTL)}
	a.mu.Unlock()
	return key, nil
}

// Middleware authenticates each request and puts its principal in the context. A bad
// key is answered at once with 401 and a GraphQL error body.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r.Context(), r)
		if err != nil {
			code := relations.ErrorCode(err)
			status := http.StatusUnauthorized
			msg := err.Error()
			if code != CodeUnauthenticated {
				status, msg = http.StatusServiceUnavailable, "the key store is unavailable; try again shortly"
				code = relations.EUNAVAILABLE
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="amity"`)
			}
			w.WriteHeader(status)
			w.Write(errorBody(msg, code))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func errorBody(msg, code string) []byte {
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	b, _ := json.Marshal(map[string][]gqlError{"errors": {{Message: msg, Extensions: map[string]string{"code": code}}}})
	return b
}

// ClientAddr is the address the request comes from, which anonymous rate limits key
// on. It is the connection's peer, unless that peer is a trusted proxy: then it is the
// nearest address in X-Forwarded-For that is not itself a trusted proxy, read from the
// right, since each proxy appends the peer it saw and only the trusted ones' entries
// cannot be forged by the client.
func (a *Authenticator) ClientAddr(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	if !a.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		ip, err := netip.ParseAddr(hop)
		if err != nil {
			break // a malformed entry: nothing left of it can be trusted
		}
		if !a.trusted(hop) {
			return ip.Unmap().String()
		}
		peer = hop
	}
	return peer
}

func (a *Authenticator) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// IsAuthError reports whether err is an authentication or authorisation refusal.
func IsAuthError(err error) bool {
	var e *relations.Error
	return errors.As(err, &e) && (e.Code == CodeUnauthenticated || e.Code == CodeForbidden)
}
