package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/kit/redistest"
)

// mustBurst takes requests until the first refusal and returns how many passed.
func mustBurst(t *testing.T, s ratelimit.Store, key string, l ratelimit.Limit) (int, ratelimit.Decision) {
	t.Helper()
	for n := range 1000 {
		d, err := s.Allow(context.Background(), key, l)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			return n, d
		}
	}
	t.Fatalf("no refusal in 1000 requests")
	return 0, ratelimit.Decision{}
}

func testStore(t *testing.T, s ratelimit.Store) {
	l := ratelimit.Limit{Rate: 2, Burst: 5}
	// What is left of the burst counts down, and the whole of it is back after the
	// requests' worth of time (0.5 s each).
	for want := 4; want >= 2; want-- {
		d, err := s.Allow(context.Background(), "budget", l)
		if err != nil || !d.Allowed || d.Remaining != want {
			t.Fatalf("Allow = %+v, %v; want allowed with %d remaining", d, err, want)
		}
		if full := time.Duration(5-want) * 500 * time.Millisecond; d.Reset <= full-100*time.Millisecond || d.Reset > full {
			t.Errorf("reset %v with %d remaining, want about %v", d.Reset, want, full)
		}
	}
	n, d := mustBurst(t, s, "a", l)
	if n != 5 {
		t.Errorf("burst: %d requests passed, want 5", n)
	}
	if d.RetryAfter <= 0 || d.RetryAfter > 500*time.Millisecond {
		t.Errorf("retry after %v, want (0, 500ms]", d.RetryAfter)
	}
	if d.Remaining != 0 || d.Reset <= 2*time.Second || d.Reset > 2500*time.Millisecond {
		t.Errorf("refused: %d remaining, reset %v; want 0 and about 2.5 s", d.Remaining, d.Reset)
	}
	// Another caller has a budget of its own.
	if n, _ := mustBurst(t, s, "b", l); n != 5 {
		t.Errorf("second caller: %d requests passed, want 5", n)
	}
	// Half a second later one more request fits (2 a second).
	time.Sleep(d.RetryAfter + 20*time.Millisecond)
	if n, _ := mustBurst(t, s, "a", l); n != 1 {
		t.Errorf("after waiting: %d requests passed, want 1", n)
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	testStore(t, ratelimit.NewMemory(0))
}

func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	m := ratelimit.NewMemory(100)
	for i := range 1000 {
		m.Allow(context.Background(), string(rune('a'+i%26))+string(rune(i)), ratelimit.Limit{Rate: 0.001, Burst: 1})
	}
	if m.Len() > 100 {
		t.Errorf("tracks %d callers, want at most 100", m.Len())
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	c, prefix := redistest.MustClient(t)
	testStore(t, ratelimit.NewRedis(c, prefix))
}

// TestRedisShared: two stores (two replicas) over one Redis share a caller's budget.
func TestRedisShared(t *testing.T) {
	t.Parallel()
	c, prefix := redistest.MustClient(t)
	a, b := ratelimit.NewRedis(c, prefix), ratelimit.NewRedis(c, prefix)
	l := ratelimit.Limit{Rate: 1, Burst: 4}
	for i := range 4 {
		s := a
		if i%2 == 1 {
			s = b
		}
		if d, err := s.Allow(context.Background(), "k", l); err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v, %v; want allowed", i, d, err)
		}
	}
	for _, s := range []ratelimit.Store{a, b} {
		if d, err := s.Allow(context.Background(), "k", l); err != nil || d.Allowed {
			t.Errorf("fifth request: %+v, %v; want refused", d, err)
		}
	}
}
