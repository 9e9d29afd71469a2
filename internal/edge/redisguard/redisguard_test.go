package redisguard_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/amity/amity/internal/edge/redisguard"
	"github.com/amity/amity/internal/kit/redistest"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// observer records what the breaker reports.
type observer struct {
	mu                 sync.Mutex
	errors, rejected   int
	opened, closedRuns int
}

func (o *observer) ObserveRedisError()    { o.mu.Lock(); o.errors++; o.mu.Unlock() }
func (o *observer) ObserveRedisRejected() { o.mu.Lock(); o.rejected++; o.mu.Unlock() }
func (o *observer) ObserveRedisBreaker(open bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if open {
		o.opened++
	} else {
		o.closedRuns++
	}
}

func (o *observer) counts() (errs, rejected, opened, closed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.errors, o.rejected, o.opened, o.closedRuns
}

// TestBreakerOverAStalledRedis puts a stalling TCP proxy between a tuned client and the
// real Redis. While Redis answers, misses and error replies never open the breaker;
// when it stalls, commands fail at their timeout until Failures in a row open it, then
// fail at once with ErrOpen; after the cool-down one probe finds Redis back and closes
// it.
func TestBreakerOverAStalledRedis(t *testing.T) {
	t.Parallel()
	_, prefix := redistest.MustClient(t) // skips without Redis
	proxy := pgtest.MustProxyTo(t, redistest.Addr())
	opts := &redis.Options{Addr: proxy.Addr()}
	redisguard.Tune(opts, 100*time.Millisecond)
	client := redis.NewClient(opts)
	defer client.Close()
	obs := &observer{}
	const cooldown = 300 * time.Millisecond
	b := redisguard.Guard(client, redisguard.Config{Failures: 3, Cooldown: cooldown}, obs)
	ctx := context.Background()

	for range 5 { // misses and error replies are answers
		if err := client.Get(ctx, prefix+"missing").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET of a missing key: %v", err)
		}
		if err := client.Do(ctx, "NO-SUCH-COMMAND").Err(); err == nil {
			t.Fatal("an unknown command succeeded")
		}
	}
	if b.Open() {
		t.Fatal("misses and error replies opened the breaker")
	}
	if err := client.Set(ctx, prefix+"k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}

	proxy.Stall()
	for i := range 3 {
		err := client.Get(ctx, prefix+"k").Err()
		if err == nil || errors.Is(err, redisguard.ErrOpen) {
			t.Fatalf("command %d on a stalled Redis: %v, want a timeout", i, err)
		}
	}
	if !b.Open() {
		t.Fatal("three failures in a row did not open the breaker")
	}
	for range 10 { // ErrOpen: failed without calling Redis, so without its timeout
		if err := client.Get(ctx, prefix+"k").Err(); !errors.Is(err, redisguard.ErrOpen) {
			t.Fatalf("with the breaker open: %v, want ErrOpen", err)
		}
	}
	// After the cool-down the probe meets the stall again: open for another cool-down.
	time.Sleep(cooldown + 50*time.Millisecond)
	if err := client.Get(ctx, prefix+"k").Err(); err == nil || errors.Is(err, redisguard.ErrOpen) {
		t.Fatalf("the probe: %v, want a timeout", err)
	}
	if err := client.Get(ctx, prefix+"k").Err(); !errors.Is(err, redisguard.ErrOpen) {
		t.Fatalf("after a failed probe: %v, want ErrOpen", err)
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(cooldown + 50*time.Millisecond)
	if v, err := client.Get(ctx, prefix+"k").Result(); err != nil || v != "v" {
		t.Fatalf("the probe after Redis came back: %q %v", v, err)
	}
	if b.Open() {
		t.Fatal("a successful probe did not close the breaker")
	}
	if err := client.Get(ctx, prefix+"k").Err(); err != nil {
		t.Fatalf("after the breaker closed: %v", err)
	}
	errs, rejected, opened, closed := obs.counts()
	if errs != 4 || rejected != 11 || opened != 1 || closed != 2 { // closed: at New and after the probe
		t.Errorf("observed %d errors, %d rejected, opened %d, closed %d; want 4, 11, 1, 2", errs, rejected, opened, closed)
	}
}

// TestTuneKeepsURLSettings: timeouts from the Redis URL win over the guard's.
func TestTuneKeepsURLSettings(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL("redis://127.0.0.1:6379/0?read_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	redisguard.Tune(opts, 100*time.Millisecond)
	if opts.ReadTimeout != 2*time.Second || opts.WriteTimeout != 100*time.Millisecond || opts.DialTimeout != 100*time.Millisecond ||
		opts.PoolTimeout != 100*time.Millisecond || opts.MaxRetries != -1 || !opts.ContextTimeoutEnabled {
		t.Errorf("tuned options: %+v", opts)
	}
}
