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
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/amity/amity/internal/edge/seclog"
	"github.com/amity/amity/internal/knowledge"
)

// Principal is who makes a request.
type Principal struct {
	// Key is nil for anonymous requests.
	Key *knowledge.Key
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
func (p *Principal) Has(s knowledge.Scope) bool {
	if p == nil || p.Key == nil {
		return s == knowledge.ScopeRead
	}
	for _, have := range p.Key.Scopes {
		if have == s || have == knowledge.ScopeAdmin {
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

// Require returns a FORBIDDEN error unless the request's principal has the scope. A
// refusal goes to the security log: probing for writes without the scope is a sign.
func Require(ctx context.Context, s knowledge.Scope) error {
	p := ForContext(ctx)
	if p.Has(s) {
		return nil
	}
	if p.Key == nil {
		seclog.Event(ctx, seclog.ScopeRefused, "client", p.Addr, "scope", string(s), "code", CodeUnauthenticated)
		return knowledge.Errorf(CodeUnauthenticated, "this needs an API key with the %s scope, sent as Authorization: Bearer <key>", s)
	}
	seclog.Event(ctx, seclog.ScopeRefused, "client", p.Addr, "key_id", p.Key.ID.String(), "key", p.Key.Name, "scope", string(s), "code", CodeForbidden)
	return knowledge.Errorf(CodeForbidden, "this API key lacks the %s scope", s)
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
	KeyByHash(ctx context.Context, hash []byte) (*knowledge.Key, error)
}

// Config tunes authentication.
type Config struct {
	// Anonymous lets requests without a key read.
	Anonymous bool
	// CacheTTL is how long a looked-up key is trusted before it is read again; it bounds
	// how long a revoked key keeps working on a replica, over HTTP and on open
	// WebSockets alike.
	CacheTTL time.Duration
	// CacheSize bounds the keys remembered, good ones and bad ones each
	// (DefaultCacheSize if 0 or less); past it the least recently used is forgotten.
	CacheSize int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header names the
	// client. A request from anywhere else is its own client, whatever it claims.
	TrustedProxies []netip.Prefix
	// Failures, if set, bounds failed authentications per client address: once an
	// address has spent its budget, the keys it sends are not looked up (no database
	// work) but refused with RATE_LIMITED until the budget refills. internal/edge/ratelimit's
	// Failures implements it.
	Failures FailureLimiter
}

// DefaultCacheSize is how many good keys, and how many bad ones, an Authenticator
// remembers.
const DefaultCacheSize = 10_000

// FailureLimiter keeps the budget of failed authentications of each client address.
type FailureLimiter interface {
	// Wait is how long the address must wait before a key it sends is looked up
	// again; 0 when it may be now.
	Wait(addr string) time.Duration
	// Fail charges one failed authentication to the address.
	Fail(addr string)
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
//
// Good keys and bad ones (unknown or revoked) are cached apart, each in an LRU of
// CacheSize: a flood of random keys evicts only other bad keys, never the good keys
// partners are using, and never everything at once.
type Authenticator struct {
	store KeyStore
	cfg   Config
	now   func() time.Time

	good *lru.Cache[string, cached]
	bad  *lru.Cache[string, cached]
}

type cached struct {
	key     *knowledge.Key // nil: no such key
	expires time.Time
}

// NewAuthenticator returns an authenticator over the key store.
func NewAuthenticator(store KeyStore, cfg Config) *Authenticator {
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Second
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	good, err := lru.New[string, cached](cfg.CacheSize)
	if err != nil {
		panic(err) // only for a size of 0 or less, excluded above
	}
	bad, err := lru.New[string, cached](cfg.CacheSize)
	if err != nil {
		panic(err)
	}
	return &Authenticator{store: store, cfg: cfg, now: time.Now, good: good, bad: bad}
}

// CacheTTL is how long a key's validity is trusted: the bound on revocation.
func (a *Authenticator) CacheTTL() time.Duration { return a.cfg.CacheTTL }

// errBadKey is the one answer to every bad key: unknown, revoked or malformed look the
// same, so the answer tells nothing about which keys exist.
var errBadKey = knowledge.Errorf(CodeUnauthenticated, "the API key is not valid (unknown or revoked)")

// CodeRateLimited is the code of a key refused because its client address failed to
// authenticate too often; it is internal/edge/ratelimit's code, so clients handle both alike.
const CodeRateLimited = "RATE_LIMITED"

// ThrottledError refuses a key, unread, from a client address that has spent its
// budget of failed authentications.
type ThrottledError struct {
	// RetryAfter is how long until the address may try again.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return "too many failed authentications from this client address; retry in " +
		strconv.Itoa(retrySeconds(e.RetryAfter)) + " s"
}

// retrySeconds is a wait as Retry-After gives it: whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// usable reports whether a stored key may act. Keys have no expiry of their own yet;
// this is the one place that would check one.
func usable(k *knowledge.Key) bool { return k != nil && k.RevokedAt == nil }

// Authenticate returns the principal for a request, or an UNAUTHENTICATED error, or a
// *ThrottledError when the client address has failed too often.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	p := &Principal{Addr: a.ClientAddr(r)}
	header := r.Header.Get("Authorization")
	if header == "" {
		if !a.cfg.Anonymous {
			seclog.Event(ctx, seclog.AuthFailed, "client", p.Addr, "reason", "no key", "code", CodeUnauthenticated)
			return nil, knowledge.Errorf(CodeUnauthenticated, "this server needs an API key, sent as Authorization: Bearer <key>")
		}
		return p, nil
	}
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" || len(secret) > 200 {
		a.fail(ctx, p.Addr, "malformed", nil)
		return nil, knowledge.Errorf(CodeUnauthenticated, "send the API key as Authorization: Bearer <key>")
	}
	hash := HashSecret(strings.TrimSpace(secret))
	// A good key already known costs no database work, so an address's failures never
	// lock out the keys it has been using.
	if c, ok := a.good.Get(string(hash)); ok && a.now().Before(c.expires) {
		p.Key = c.key
		return p, nil
	}
	if a.cfg.Failures != nil {
		if wait := a.cfg.Failures.Wait(p.Addr); wait > 0 {
			seclog.Event(ctx, seclog.AuthThrottled, "client", p.Addr, "code", CodeRateLimited, "retry_after_s", retrySeconds(wait))
			return nil, &ThrottledError{RetryAfter: wait}
		}
	}
	c, err := a.lookup(ctx, hash)
	if err != nil {
		return nil, err
	}
	if !usable(c.key) {
		a.fail(ctx, p.Addr, "unknown or revoked", c.key)
		return nil, errBadKey
	}
	p.Key = c.key
	return p, nil
}

// fail charges a failed authentication to the address and logs it.
func (a *Authenticator) fail(ctx context.Context, addr, reason string, k *knowledge.Key) {
	if a.cfg.Failures != nil {
		a.cfg.Failures.Fail(addr)
	}
	attrs := []any{"client", addr, "reason", reason, "code", CodeUnauthenticated}
	if k != nil {
		attrs = append(attrs, "key_id", k.ID.String(), "key", k.Name)
	}
	seclog.Event(ctx, seclog.AuthFailed, attrs...)
}

// Recheck reads a principal's key again, through the cache, for connections that
// outlive a request (WebSockets): it returns when the answer stops holding (then ask
// again), or UNAUTHENTICATED once the key is revoked or gone. Because it goes through
// the cache, a revoked key is refused within CacheTTL, as it is over HTTP.
func (a *Authenticator) Recheck(ctx context.Context, k *knowledge.Key) (time.Time, error) {
	c, err := a.lookup(ctx, k.SecretHash)
	if err != nil {
		return time.Time{}, err
	}
	if !usable(c.key) || c.key.ID != k.ID {
		return time.Time{}, errBadKey
	}
	return c.expires, nil
}

// lookup returns a key's cache entry, reading the store when the cache has none or an
// expired one.
func (a *Authenticator) lookup(ctx context.Context, hash []byte) (cached, error) {
	now := a.now()
	if c, ok := a.good.Get(string(hash)); ok && now.Before(c.expires) {
		return c, nil
	}
	if c, ok := a.bad.Get(string(hash)); ok && now.Before(c.expires) {
		return c, nil
	}
	key, err := a.store.KeyByHash(ctx, hash)
	if err != nil {
		return cached{}, err
	}
	// The store found the key by its hash; comparing again in constant time costs
	// nothing and keeps a store that matched loosely from letting a wrong key in.
	if key != nil && subtle.ConstantTimeCompare(key.SecretHash, hash) != 1 {
		key = nil
	}
	c := cached{key: key, expires: now.Add(a.cfg.CacheTTL)}
	if usable(key) {
		a.bad.Remove(string(hash))
		a.good.Add(string(hash), c)
	} else {
		a.good.Remove(string(hash))
		a.bad.Add(string(hash), c)
	}
	return c, nil
}

// Middleware authenticates each request and puts its principal in the context. A bad
// key is answered at once with 401 and a GraphQL error body.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r.Context(), r)
		var throttled *ThrottledError
		if errors.As(err, &throttled) {
			secs := retrySeconds(throttled.RetryAfter)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(errorBody(throttled.Error(), CodeRateLimited, secs))
			return
		}
		if err != nil {
			code := knowledge.ErrorCode(err)
			status := http.StatusUnauthorized
			msg := err.Error()
			if code != CodeUnauthenticated {
				status, msg = http.StatusServiceUnavailable, "the key store is unavailable; try again shortly"
				code = knowledge.EUNAVAILABLE
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="amity"`)
			}
			w.WriteHeader(status)
			w.Write(errorBody(msg, code, 0))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// errorBody is a GraphQL error answer; retryAfter, when above 0, goes into its
// extensions as the rate limiter's refusals have it.
func errorBody(msg, code string, retryAfter int) []byte {
	type gqlError struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	ext := map[string]any{"code": code}
	if retryAfter > 0 {
		ext["retryAfter"] = retryAfter
	}
	b, _ := json.Marshal(map[string][]gqlError{"errors": {{Message: msg, Extensions: ext}}})
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
	var e *knowledge.Error
	return errors.As(err, &e) && (e.Code == CodeUnauthenticated || e.Code == CodeForbidden)
}
