// Package ratelimit limits how fast each caller may send requests to the GraphQL
// endpoint: an API key at its own rate (or a configured default), an anonymous caller
// per client address. Refusals are answered with 429, Retry-After and a GraphQL error
// whose extensions.code is RATE_LIMITED.
//
// Both stores implement the generic cell rate algorithm (GCRA), which behaves exactly
// like a token bucket of Burst tokens refilled at Rate a second but keeps one number per
// caller: the theoretical arrival time of its next request. Memory keeps that number in
// process (one replica); Redis keeps it in Redis, updated by one atomic Lua script, so
// the limits hold across replicas.
package ratelimit

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/internal/edge/auth"
)

// CodeRateLimited is the extensions.code of a request refused for its rate.
const CodeRateLimited = "RATE_LIMITED"

// Limit is a rate: Rate requests a second on average, Burst of them at once.
type Limit struct {
	Rate  float64
	Burst int
}

// interval is the time one request uses up.
func (l Limit) interval() time.Duration {
	return time.Duration(float64(time.Second) / l.Rate)
}

// Decision is a store's answer for one request.
type Decision struct {
	Allowed bool
	// RetryAfter is how long a refused caller must wait before one request fits again.
	RetryAfter time.Duration
	// Remaining is how many more requests the caller may send at once, after this one.
	Remaining int
	// Reset is how long until the caller's whole burst is available again.
	Reset time.Duration
}

// decide turns a caller's theoretical arrival time after this request (tat, as an
// offset from now) into what the caller has left, for the RateLimit headers.
func decide(l Limit, untilTAT time.Duration) (remaining int, reset time.Duration) {
	interval := l.interval()
	used := int((untilTAT + interval - 1) / interval) // requests' worth still in the bucket
	return max(0, l.Burst-used), max(0, untilTAT)
}

// Store counts requests against limits.
type Store interface {
	// Allow takes one request from the key's budget, if the budget has room.
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
}

// Config sets the rates. A rate of 0 or less means unlimited.
type Config struct {
	// KeyRate is the requests a second of an API key that has no rate of its own.
	KeyRate float64
	// AnonymousRate is the requests a second of one client address without a key.
	AnonymousRate float64
	// Burst is how many seconds of its rate a caller may spend at once (at least one
	// request).
	Burst time.Duration
}

// limitFor returns the budget a principal's request draws on: its key's, or its client
// address's; ok is false when the principal is unlimited.
func (c Config) limitFor(p *auth.Principal) (key string, l Limit, ok bool) {
	rate := c.AnonymousRate
	key = "addr:" + p.Addr
	if p.Key != nil {
		rate = c.KeyRate
		if p.Key.RatePerSec != nil && *p.Key.RatePerSec > 0 {
			rate = *p.Key.RatePerSec
		}
		key = "key:" + p.Key.ID.String()
	}
	if rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return "", Limit{}, false
	}
	burst := int(math.Ceil(rate * c.Burst.Seconds()))
	return key, Limit{Rate: rate, Burst: max(1, burst)}, true
}

// Refusals is told of every refused request (internal/edge/metrics implements it).
type Refusals interface {
	ObserveRefusal(code string)
}

// Limiter is the HTTP middleware that enforces a Config over a Store.
type Limiter struct {
	store    Store
	cfg      Config
	log      *slog.Logger
	refusals Refusals

	mu         sync.Mutex
	lastWarned time.Time
}

// New returns a limiter. refusals may be nil.
func New(store Store, cfg Config, log *slog.Logger, refusals Refusals) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	return &Limiter{store: store, cfg: cfg, log: log, refusals: refusals}
}

// Middleware limits each request by its principal, which internal/edge/auth's middleware
// must have put in the context. When the store fails (Redis unreachable) requests pass:
// an outage of the limiter's store must not become an outage of the API. The failure
// is logged at most every ten seconds.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.ForContext(r.Context())
		key, limit, ok := l.cfg.limitFor(p)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		d, err := l.store.Allow(r.Context(), key, limit)
		if err != nil {
			l.warn(r.Context(), err)
			next.ServeHTTP(w, r)
			return
		}
		setBudgetHeaders(w.Header(), limit, d)
		if !d.Allowed {
			if l.refusals != nil {
				l.refusals.ObserveRefusal(CodeRateLimited)
			}
			refuse(w, p, limit, d.RetryAfter)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (l *Limiter) warn(ctx context.Context, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.lastWarned) < 10*time.Second {
		return
	}
	l.lastWarned = time.Now()
	l.log.WarnContext(ctx, "rate limit store failed: letting requests through", "err", err)
}

// RetryAfterSeconds is the Retry-After value of a wait: whole seconds, rounded up, at
// least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// setBudgetHeaders tells the caller its budget, in the RateLimit header fields of the
// IETF httpapi drafts that clients commonly read: the burst (RateLimit-Limit), what is
// left of it after this request (RateLimit-Remaining), and the seconds until all of it
// is back (RateLimit-Reset).
func setBudgetHeaders(h http.Header, l Limit, d Decision) {
	h.Set("RateLimit-Limit", strconv.Itoa(l.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(RetryAfterSeconds(d.Reset)))
}

// refusalMessage says who is over which limit, and when to retry.
func refusalMessage(p *auth.Principal, limit Limit, secs int) string {
	who := "this client address"
	if p.Key != nil {
		who = "this API key"
	}
	return "rate limit exceeded: " + who + " may send " + strconv.FormatFloat(limit.Rate, 'g', 4, 64) +
		" requests a second (bursts of " + strconv.Itoa(limit.Burst) + "); retry in " + strconv.Itoa(secs) + " s"
}

// Operation limits one GraphQL operation sent over an already open connection (a
// WebSocket), which the HTTP middleware never sees: it draws on the same budget as
// the principal's requests. It returns a RATE_LIMITED error, with retryAfter in its
// extensions, when the budget is spent; like the middleware, it lets the operation
// through when the store fails.
func (l *Limiter) Operation(ctx context.Context) *gqlerror.Error {
	p := auth.ForContext(ctx)
	key, limit, ok := l.cfg.limitFor(p)
	if !ok {
		return nil
	}
	d, err := l.store.Allow(ctx, key, limit)
	if err != nil {
		l.warn(ctx, err)
		return nil
	}
	if d.Allowed {
		return nil
	}
	if l.refusals != nil {
		l.refusals.ObserveRefusal(CodeRateLimited)
	}
	secs := RetryAfterSeconds(d.RetryAfter)
	return &gqlerror.Error{Message: refusalMessage(p, limit, secs),
		Extensions: map[string]any{"code": CodeRateLimited, "retryAfter": secs}}
}

func refuse(w http.ResponseWriter, p *auth.Principal, limit Limit, wait time.Duration) {
	secs := RetryAfterSeconds(wait)
	msg := refusalMessage(p, limit, secs)
	type gqlError struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	body, _ := json.Marshal(map[string][]gqlError{"errors": {{Message: msg,
		Extensions: map[string]any{"code": CodeRateLimited, "retryAfter": secs}}}})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write(body)
}

// Default is the binary's default: 50 requests a second per API key without a rate of
// its own, 20 per anonymous client address, and bursts of five seconds' worth.
func Default() Config {
	return Config{KeyRate: 50, AnonymousRate: 20, Burst: 5 * time.Second}
}
