// Package redisguard keeps an unavailable Redis from slowing Amity down. Redis only
// shares rate limits and persisted queries between replicas, and both fail open (the
// request is allowed, the query misses), so a Redis that does not answer must cost a
// request at most a short timeout, and after a few failures nothing at all.
//
// Tune gives a client short timeouts and no retries. A Breaker, added to the client as
// a hook, counts failed commands: after Failures in a row it opens and fails every
// command at once with ErrOpen; after Cooldown it lets one command through as a probe,
// and closes again if Redis answered it.
package redisguard

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTimeout bounds dialing Redis, each read and write, and the wait for a pooled
// connection. Redis answers Amity's commands (a GET, a short Lua script) in well under a
// millisecond on a sound network.
const DefaultTimeout = 250 * time.Millisecond

// Tune makes a client fail fast: timeout for dialing, reads, writes and the pool wait,
// one dial attempt, no retries (a retry doubles the wait on a dead network, and a
// failed command costs a request nothing but its shared limit or a cached query), and
// the caller's context deadline honoured on the socket. Settings already in opts (from
// the Redis URL, such as read_timeout) win.
func Tune(opts *redis.Options, timeout time.Duration) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for _, d := range []*time.Duration{&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout} {
		if *d == 0 {
			*d = timeout
		}
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = -1
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	opts.ContextTimeoutEnabled = true
}

// Config sets when the breaker opens and how long it stays open.
type Config struct {
	// Failures is how many failed commands in a row open the breaker (default 3).
	Failures int
	// Cooldown is how long the breaker stays open before one command probes Redis
	// again (default 2 s).
	Cooldown time.Duration
}

// Defaults for a zero Config.
const (
	DefaultFailures = 3
	DefaultCooldown = 2 * time.Second
)

// Observer is told what the breaker sees (internal/edge/metrics implements it).
type Observer interface {
	// ObserveRedisError records a command that did not get Redis's answer.
	ObserveRedisError()
	// ObserveRedisRejected records a command failed at once by the open breaker.
	ObserveRedisRejected()
	// ObserveRedisBreaker records the breaker opening (true) or closing (false).
	ObserveRedisBreaker(open bool)
}

// ErrOpen is the error of a command the open breaker did not send.
var ErrOpen = errors.New("redis: circuit breaker open: not calling redis until a probe succeeds")

type state int

const (
	closed   state = iota
	open           // failing at once until the cool-down ends
	halfOpen       // the cool-down ended: one command probes
)

// Breaker is a circuit breaker over one Redis client; add it with client.AddHook.
type Breaker struct {
	failures int
	cooldown time.Duration
	obs      Observer

	mu        sync.Mutex
	state     state
	failed    int // failures in a row, while closed
	openUntil time.Time
	probing   bool
}

var _ redis.Hook = (*Breaker)(nil)

// New returns a closed breaker. obs may be nil.
func New(cfg Config, obs Observer) *Breaker {
	if cfg.Failures <= 0 {
		cfg.Failures = DefaultFailures
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if obs == nil {
		obs = nopObserver{}
	}
	obs.ObserveRedisBreaker(false)
	return &Breaker{failures: cfg.Failures, cooldown: cfg.Cooldown, obs: obs}
}

// Guard adds a new breaker to client and returns it.
func Guard(client redis.UniversalClient, cfg Config, obs Observer) *Breaker {
	b := New(cfg, obs)
	client.AddHook(b)
	return b
}

// Open reports whether the breaker is failing commands (open or probing).
func (b *Breaker) Open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state != closed
}

// admit decides whether a command may go to Redis, and whether it is the probe.
func (b *Breaker) admit() (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case closed:
		return true, false
	case open:
		if time.Now().Before(b.openUntil) {
			return false, false
		}
		b.state = halfOpen
	}
	if b.probing {
		return false, false
	}
	b.probing = true
	return true, true
}

// record counts a command's outcome. Only the probe's outcome moves an open breaker:
// commands sent before it opened may still be finishing.
func (b *Breaker) record(probe bool, err error) {
	outcome := classify(err)
	if outcome == failure {
		b.obs.ObserveRedisError()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
		switch outcome {
		case success:
			b.state, b.failed = closed, 0
			b.obs.ObserveRedisBreaker(false)
		case failure:
			b.state, b.openUntil = open, time.Now().Add(b.cooldown)
		}
		return
	}
	if b.state != closed {
		return
	}
	switch outcome {
	case success:
		b.failed = 0
	case failure:
		b.failed++
		if b.failed >= b.failures {
			b.state, b.openUntil = open, time.Now().Add(b.cooldown)
			b.obs.ObserveRedisBreaker(true)
		}
	}
}

type outcome int

const (
	success outcome = iota
	failure
	neutral // the caller gave up: says nothing about Redis
)

// classify tells a Redis that answered (a value, a miss, or an error reply such as
// NOSCRIPT) from one that did not (a timeout, a refused or broken connection).
func classify(err error) outcome {
	var reply redis.Error
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.As(err, &reply):
		return success
	case errors.Is(err, context.Canceled):
		return neutral
	default:
		return failure
	}
}

// DialHook implements redis.Hook: dials happen inside commands, which ProcessHook
// already guards.
func (b *Breaker) DialHook(next redis.DialHook) redis.DialHook { return next }

// admittedKey marks the context of a command the breaker let through. A command that
// needs a new connection runs the connection's handshake (HELLO, CLIENT SETINFO) through
// the same hooks, under its context: that handshake is part of the command, neither
// counted twice nor refused while the command is the probe.
type admittedKey struct{}

// guard runs one command (or pipeline) through the breaker; fail sets ErrOpen on it.
func (b *Breaker) guard(ctx context.Context, fail func(), next func(context.Context) error) error {
	if ctx.Value(admittedKey{}) != nil {
		return next(ctx)
	}
	ok, probe := b.admit()
	if !ok {
		b.obs.ObserveRedisRejected()
		fail()
		return ErrOpen
	}
	err := next(context.WithValue(ctx, admittedKey{}, true))
	b.record(probe, err)
	return err
}

// ProcessHook implements redis.Hook.
func (b *Breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return b.guard(ctx, func() { cmd.SetErr(ErrOpen) },
			func(ctx context.Context) error { return next(ctx, cmd) })
	}
}

// ProcessPipelineHook implements redis.Hook.
func (b *Breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return b.guard(ctx, func() {
			for _, cmd := range cmds {
				cmd.SetErr(ErrOpen)
			}
		}, func(ctx context.Context) error { return next(ctx, cmds) })
	}
}

type nopObserver struct{}

func (nopObserver) ObserveRedisError()       {}
func (nopObserver) ObserveRedisRejected()    {}
func (nopObserver) ObserveRedisBreaker(bool) {}
