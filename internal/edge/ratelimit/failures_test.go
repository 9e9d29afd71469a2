package ratelimit

import (
	"testing"
	"time"
)

// An address may fail Burst times at once, then once per refill interval; other
// addresses are not affected, and a forgotten address starts afresh.
func TestFailureBudget(t *testing.T) {
	f := NewFailures(Limit{Rate: 2, Burst: 3}, 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.now = func() time.Time { return now }
	for i := range 3 {
		if w := f.Wait("192.0.2.1"); w != 0 {
			t.Fatalf("failure %d within the burst: wait %v", i, w)
		}
		f.Fail("192.0.2.1")
	}
	if w := f.Wait("192.0.2.1"); w != 500*time.Millisecond {
		t.Fatalf("after the burst: wait %v, want 500ms", w)
	}
	if w := f.Wait("192.0.2.2"); w != 0 {
		t.Errorf("another address waits %v", w)
	}
	now = now.Add(500 * time.Millisecond)
	if w := f.Wait("192.0.2.1"); w != 0 {
		t.Fatalf("after one interval: wait %v, want 0", w)
	}
	f.Fail("192.0.2.1")
	if w := f.Wait("192.0.2.1"); w != 500*time.Millisecond {
		t.Fatalf("after one more failure: wait %v, want 500ms", w)
	}
	// Two other addresses push the first out of an LRU of two.
	f.Fail("192.0.2.2")
	f.Fail("192.0.2.3")
	if w := f.Wait("192.0.2.1"); w != 0 {
		t.Errorf("forgotten address waits %v", w)
	}
}
