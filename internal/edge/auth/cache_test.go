package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/knowledge"
)

// store is a key store in memory that counts its look-ups.
type store struct {
	mu      sync.Mutex
	keys    map[string]*knowledge.Key
	lookups map[string]int
	total   int
}

func newStore() *store { return &store{keys: map[string]*knowledge.Key{}, lookups: map[string]int{}} }

func (s *store) KeyByHash(_ context.Context, hash []byte) (*knowledge.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups[string(hash)]++
	s.total++
	if k, ok := s.keys[string(hash)]; ok {
		c := *k
		return &c, nil
	}
	return nil, nil
}

func (s *store) add(t *testing.T, name string) (string, *knowledge.Key) {
	t.Helper()
	secret, hash, err := auth.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	k := &knowledge.Key{ID: uuid.New(), Name: name, SecretHash: hash, Scopes: []knowledge.Scope{knowledge.ScopeRead}}
	s.mu.Lock()
	s.keys[string(hash)] = k
	s.mu.Unlock()
	return secret, k
}

func (s *store) revoke(k *knowledge.Key) {
	now := time.Now()
	s.mu.Lock()
	s.keys[string(k.SecretHash)].RevokedAt = &now
	s.mu.Unlock()
}

func (s *store) count(hash []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups[string(hash)]
}

func request(addr, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.RemoteAddr = addr + ":4000"
	if secret != "" {
		r.Header.Set("Authorization", "Bearer "+secret)
	}
	return r
}

// A flood of random keys, twice the cache's size, never evicts a good key in use: the
// partner's key is read from the store once, however many bad keys arrive. (The cache
// used to be cleared whole every 10,000 keys, good ones included.)
func TestRandomKeysDoNotEvictGoodKeys(t *testing.T) {
	s := newStore()
	secret, key := s.add(t, "partner")
	a := auth.NewAuthenticator(s, auth.Config{CacheTTL: time.Hour})
	ctx := context.Background()
	for i := range 2*auth.DefaultCacheSize + 1 {
		if i%1000 == 0 {
			if p, err := a.Authenticate(ctx, request("198.51.100.1", secret)); err != nil || p.Key.ID != key.ID {
				t.Fatalf("good key after %d bad ones: %v", i, err)
			}
		}
		if _, err := a.Authenticate(ctx, request("203.0.113.9", fmt.Sprintf("amity_random%d", i))); err == nil {
			t.Fatal("a random key was accepted")
		}
	}
	if n := s.count(key.SecretHash); n != 1 {
		t.Errorf("the good key was read %d times, want once", n)
	}
	// The bad keys' cache is an LRU too: the most recent bad key is still known, the
	// oldest forgotten, so it was not cleared at once either.
	before := s.total
	a.Authenticate(ctx, request("203.0.113.9", fmt.Sprintf("amity_random%d", 2*auth.DefaultCacheSize)))
	if s.total != before {
		t.Errorf("the most recent bad key was looked up again")
	}
	a.Authenticate(ctx, request("203.0.113.9", "amity_random0"))
	if s.total != before+1 {
		t.Errorf("the least recently used bad key was not forgotten")
	}
}

// Past its budget of failed authentications, a client address gets 429 RATE_LIMITED
// with Retry-After, and its keys are not looked up; other addresses, and the good keys
// it already used, are not affected.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	s := newStore()
	secret, _ := s.add(t, "partner")
	other, _ := s.add(t, "another partner")
	a := auth.NewAuthenticator(s, auth.Config{CacheTTL: time.Hour, Failures: ratelimit.NewFailures(ratelimit.Limit{Rate: 0.01, Burst: 5}, 0)})
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	do := func(addr, secret string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, request(addr, secret))
		return rec
	}
	const attacker = "203.0.113.9"
	if rec := do(attacker, secret); rec.Code != http.StatusOK {
		t.Fatalf("good key: %d", rec.Code)
	}
	for i := range 5 {
		if rec := do(attacker, fmt.Sprint("amity_guess", i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d within the budget: %d %s", i, rec.Code, rec.Body)
		}
	}
	lookups := s.total
	for i := range 1000 {
		rec := do(attacker, fmt.Sprint("amity_flood", i))
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("key %d past the budget: %d %s", i, rec.Code, rec.Body)
		}
		if i == 0 {
			var body struct {
				Errors []struct {
					Extensions map[string]any
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 ||
				body.Errors[0].Extensions["code"] != ratelimit.CodeRateLimited || body.Errors[0].Extensions["retryAfter"] == nil {
				t.Errorf("refusal body %s", rec.Body)
			}
			if rec.Header().Get("Retry-After") == "" {
				t.Errorf("refusal without Retry-After")
			}
		}
	}
	if s.total != lookups {
		t.Errorf("%d look-ups past the budget, want none", s.total-lookups)
	}
	if rec := do(attacker, secret); rec.Code != http.StatusOK {
		t.Errorf("the address's known good key: %d %s", rec.Code, rec.Body)
	}
	if rec := do(attacker, ""); rec.Code != http.StatusUnauthorized && rec.Code != http.StatusOK {
		t.Errorf("no key: %d", rec.Code)
	}
	if rec := do("198.51.100.1", other); rec.Code != http.StatusOK {
		t.Errorf("another address: %d %s", rec.Code, rec.Body)
	}
	if rec := do("198.51.100.1", "amity_typo"); rec.Code != http.StatusUnauthorized {
		t.Errorf("another address's bad key: %d, want 401", rec.Code)
	}
}

// Recheck refuses a revoked key once its cache entry expires, and not before: the
// cache TTL is the revocation bound.
func TestRecheckSeesRevocation(t *testing.T) {
	s := newStore()
	secret, _ := s.add(t, "partner")
	a := auth.NewAuthenticator(s, auth.Config{CacheTTL: 50 * time.Millisecond})
	p, err := a.Authenticate(context.Background(), request("198.51.100.1", secret))
	if err != nil {
		t.Fatal(err)
	}
	until, err := a.Recheck(context.Background(), p.Key)
	if err != nil || until.IsZero() {
		t.Fatalf("good key: %v %v", until, err)
	}
	s.revoke(p.Key)
	time.Sleep(time.Until(until) + 10*time.Millisecond)
	if _, err := a.Recheck(context.Background(), p.Key); !auth.IsAuthError(err) {
		t.Errorf("revoked key past the TTL: %v, want UNAUTHENTICATED", err)
	}
	if _, err := a.Authenticate(context.Background(), request("198.51.100.1", secret)); !auth.IsAuthError(err) {
		t.Errorf("revoked key over HTTP: %v", err)
	}
}
