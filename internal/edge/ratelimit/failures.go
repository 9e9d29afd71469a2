package ratelimit

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Failures is the budget of failed authentications per client address
// (auth.FailureLimiter): Burst failures at once, refilled at Rate a second. An address
// past it has its keys refused unread, so random keys cost no database work beyond the
// budget. It is a GCRA like Memory's, but split in two, because only a failure spends:
// Wait looks without spending, Fail spends.
//
// It lives in this replica's memory (an LRU of maxAddrs addresses): a failed-key flood
// is a cost to the replica that receives it, so that replica's budget is the one that
// matters. An address forgotten by the LRU starts with a full budget again.
type Failures struct {
	limit Limit
	now   func() time.Time

	mu  sync.Mutex
	tat *lru.Cache[string, time.Time] // when each address's budget is full again
}

// DefaultFailures is the default failed-authentication budget: 20 at once, then one a
// second. A partner with a mistyped key sees UNAUTHENTICATED twenty times before the
// first RATE_LIMITED; a key-guessing client gets one database look-up a second.
func DefaultFailures() Limit { return Limit{Rate: 1, Burst: 20} }

// NewFailures returns a failure budget per address, remembering at most maxAddrs
// addresses (DefaultMaxKeys if 0 or less). A limit with a rate of 0 or less limits
// nobody: use a nil FailureLimiter instead.
func NewFailures(l Limit, maxAddrs int) *Failures {
	if maxAddrs <= 0 {
		maxAddrs = DefaultMaxKeys
	}
	l.Burst = max(1, l.Burst)
	tat, err := lru.New[string, time.Time](maxAddrs)
	if err != nil {
		panic(err) // only for a size of 0 or less, excluded above
	}
	return &Failures{limit: l, now: time.Now, tat: tat}
}

// Wait implements auth.FailureLimiter: how long until the address may fail once more.
func (f *Failures) Wait(addr string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	tat, ok := f.tat.Peek(addr)
	if !ok {
		return 0
	}
	// The budget is spent when one more failure would put the address more than Burst
	// failures in debt.
	return max(0, tat.Sub(f.now())-time.Duration(f.limit.Burst-1)*f.limit.interval())
}

// Fail implements auth.FailureLimiter: one failure from the address.
func (f *Failures) Fail(addr string) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	tat, ok := f.tat.Get(addr)
	if !ok || tat.Before(now) {
		tat = now
	}
	f.tat.Add(addr, tat.Add(f.limit.interval()))
}
