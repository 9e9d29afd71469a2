package ratelimit

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the callers a Memory store tracks.
const DefaultMaxKeys = 100_000

// Memory is an in-process Store for a single replica. Its memory is bounded: past
// maxKeys callers it first forgets callers whose budget is full again (forgetting them
// changes nothing), then arbitrary ones (which hands those a fresh budget).
type Memory struct {
	maxKeys int
	now     func() time.Time

	mu  sync.Mutex
	tat map[string]time.Time // theoretical arrival time of each caller's next request
}

// NewMemory returns an in-memory store tracking at most maxKeys callers
// (DefaultMaxKeys if maxKeys is 0 or less).
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Memory{maxKeys: maxKeys, now: time.Now, tat: map[string]time.Time{}}
}

// Allow implements Store.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (Decision, error) {
	now := m.now()
	interval := l.interval()
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	if allowAt := next.Add(-time.Duration(l.Burst) * interval); allowAt.After(now) {
		_, reset := decide(l, tat.Sub(now))
		return Decision{RetryAfter: allowAt.Sub(now), Reset: reset}, nil
	}
	if !ok && len(m.tat) >= m.maxKeys {
		m.evict(now)
	}
	m.tat[key] = next
	remaining, reset := decide(l, next.Sub(now))
	return Decision{Allowed: true, Remaining: remaining, Reset: reset}, nil
}

// evict makes room for a tenth of maxKeys new callers.
func (m *Memory) evict(now time.Time) {
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
	for k := range m.tat {
		if len(m.tat) < m.maxKeys-m.maxKeys/10 {
			break
		}
		delete(m.tat, k)
	}
}

// Len is how many callers the store tracks.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}
