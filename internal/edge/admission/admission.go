// Package admission decides when a GraphQL operation may execute: by its cost and by
// who asks, not in arrival order.
//
// A bound on the operations that execute at once keeps a saturated server efficient:
// each runs on warm caches, the heap holds only what the running operations need, and
// the slowest percentile stays close to the median (docs/benchmarks.md). But a single
// first-come-first-served queue lets one caller who sends many expensive operations
// fill every slot and the queue in front of everyone else: a country look-up then
// waits behind seconds of path searches. So the scheduler
//
//   - caps the slots one caller holds at once (PerCaller, and fewer for expensive
//     operations: PerCallerExpensive), and serves the callers' queues round-robin, so
//     a caller's waiting time grows with its own backlog, not with another caller's;
//   - reserves slots for cheap operations (Reserved): expensive ones never hold more
//     than Slots-Reserved, so a cheap query finds a slot within one cheap query's time;
//   - refuses at once what it cannot serve in time: a caller's queue is bounded
//     (MaxQueue), and an operation whose estimated wait passes its deadline is refused
//     on arrival with a Retry-After rather than left to time out in the queue;
//   - may admit fewer reads while a write executes (ReadsBesideWrites, off by
//     default). A write is a dozen short statements, and on a server whose cores the
//     reads keep busy each of them waits for the scheduler to run its goroutine
//     again: a mutation that takes 6 ms on an idle server took 200–500 ms beside 64
//     readers (docs/benchmarks.md).
//
// graph/admission.go applies it to every query, mutation and subscription start, over
// HTTP and WebSocket alike; docs/operations.md ("Admission") gives the defaults.
package admission

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// DefaultCapacity is the slot count for this machine: four operations per core keep the
// cores busy while some operations wait on PostgreSQL.
func DefaultCapacity() int { return 4 * runtime.GOMAXPROCS(0) }

// DefaultCheapCost is the largest complexity (graph/complexity.go's weights) counted as
// cheap: a look-up or a page of a few dozen plain rows, not a path search or nested
// pages.
const DefaultCheapCost = 200

// Config sizes a Scheduler. Zero fields take the defaults New documents.
type Config struct {
	// Slots is how many operations execute at once (--max-concurrent-requests).
	Slots int
	// Reserved slots are for cheap operations only (default a quarter of Slots, at
	// least 1 when Slots > 1; negative: none).
	Reserved int
	// PerCaller is the most slots one caller holds at once (default half of Slots,
	// at least 1).
	PerCaller int
	// PerCallerExpensive is the most expensive operations one caller runs at once
	// (default a quarter of the slots expensive operations may take, at least 1). An
	// expensive operation keeps the CPU and its statements busy for seconds: a caller
	// running several at once only makes each of them slower, until all of them
	// outlive their deadline and none does useful work.
	PerCallerExpensive int
	// CheapCost: an operation whose cost is at most this is cheap (default
	// DefaultCheapCost). A negative cost (unknown) counts as cheap.
	CheapCost int
	// MaxQueue is the most operations one caller may have waiting; more are refused
	// at once (default 4 × PerCaller).
	MaxQueue int
	// ReadsBesideWrites is the most reads (queries, subscription starts) that start
	// while a write (a mutation) executes; those running finish as they would. Zero
	// (the default) holds no read back: it trades the reads' latency for the writes'
	// (docs/operations.md, "Admission").
	ReadsBesideWrites int
	// Now is the clock, for tests (default time.Now).
	Now func() time.Time
}

// Class is what an operation's cost makes it.
type Class int

// The classes of operations.
const (
	Cheap Class = iota
	Expensive
)

func (c Class) String() string {
	if c == Cheap {
		return "cheap"
	}
	return "expensive"
}

// Refusal is the error of an operation the scheduler will not run. RetryAfter is when
// the caller might try again (at least one second).
type Refusal struct {
	Reason     string // one of the Reason constants, a metric label
	RetryAfter time.Duration
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("the server is busy (%s); retry in %d s", r.Explain(), r.RetryAfterSeconds())
}

// Explain says why, for the client.
func (r *Refusal) Explain() string { return explanations[r.Reason] }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1: the value
// of a Retry-After header.
func (r *Refusal) RetryAfterSeconds() int {
	return max(1, int((r.RetryAfter+time.Second-1)/time.Second))
}

// Reasons of refusals.
const (
	// ReasonQueueFull: the caller already has MaxQueue operations waiting.
	ReasonQueueFull = "queue_full"
	// ReasonTooLate: the estimated wait ends after the operation's deadline, or its
	// turn came with less time left than operations of its class take.
	ReasonTooLate = "too_late"
	// ReasonDeadline: the deadline passed (or the client left) while it waited.
	ReasonDeadline = "deadline"
)

// Reasons lists every reason, for metrics.
var Reasons = []string{ReasonQueueFull, ReasonTooLate, ReasonDeadline}

var explanations = map[string]string{
	ReasonQueueFull: "too many of this caller's operations are waiting",
	ReasonTooLate:   "the operation could not run before its deadline",
	ReasonDeadline:  "the operation waited until its deadline",
}

// Scheduler admits operations by cost and caller. A nil Scheduler admits everything at
// once.
type Scheduler struct {
	cfg Config

	mu        sync.Mutex
	running   int
	expensive int // running expensive operations
	writes    int // running writes
	callers   map[string]*caller
	ring      []*caller // callers with waiting operations, served round-robin
	next      int       // ring index of the caller served next
	mean      [2]time.Duration
	observed  [2]bool
	refusals  map[string]int64
}

type caller struct {
	name      string
	running   int
	expensive int       // of which expensive
	queue     []*waiter // arrival order
	inRing    bool
}

type waiter struct {
	class    Class
	write    bool
	deadline time.Time     // zero: none
	ready    chan struct{} // closed on admission or refusal
	admitted bool
	permit   *Permit
	refusal  *Refusal // set instead of permit when refused from the queue
}

// New returns a scheduler; cfg.Slots <= 0 means no bound (a nil Scheduler).
func New(cfg Config) *Scheduler {
	if cfg.Slots <= 0 {
		return nil
	}
	if cfg.Reserved <= 0 && cfg.Slots > 1 {
		cfg.Reserved = max(1, cfg.Slots/4)
	}
	cfg.Reserved = max(0, min(cfg.Reserved, cfg.Slots-1)) // expensive operations keep one slot
	if cfg.PerCaller <= 0 {
		cfg.PerCaller = max(1, cfg.Slots/2)
	}
	cfg.PerCaller = min(cfg.PerCaller, cfg.Slots)
	if cfg.PerCallerExpensive <= 0 {
		cfg.PerCallerExpensive = max(1, (cfg.Slots-cfg.Reserved)/4)
	}
	cfg.PerCallerExpensive = min(cfg.PerCallerExpensive, cfg.PerCaller, cfg.Slots-cfg.Reserved)
	if cfg.CheapCost == 0 {
		cfg.CheapCost = DefaultCheapCost
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 4 * cfg.PerCaller
	}
	if cfg.ReadsBesideWrites <= 0 || cfg.ReadsBesideWrites > cfg.Slots {
		cfg.ReadsBesideWrites = cfg.Slots
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{cfg: cfg, callers: map[string]*caller{}, refusals: map[string]int64{}}
}

// Config is the scheduler's configuration, defaults filled in.
func (s *Scheduler) Config() Config { return s.cfg }

// Classify says whether a cost is cheap.
func (s *Scheduler) Classify(cost int) Class {
	if cost <= s.cfg.CheapCost {
		return Cheap
	}
	return Expensive
}

// Permit is a held slot. Release it exactly when the operation ends; releasing twice
// is harmless, so a deferred Release also covers panics.
type Permit struct {
	s     *Scheduler
	c     *caller
	class Class
	write bool
	start time.Time
	once  sync.Once
}

// Class is the class the operation was admitted as.
func (p *Permit) Class() Class {
	if p == nil {
		return Cheap
	}
	return p.class
}

// Release frees the slot. A nil Permit (from a nil Scheduler) releases nothing.
func (p *Permit) Release() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		s := p.s
		s.mu.Lock()
		defer s.mu.Unlock()
		s.observe(p.class, s.cfg.Now().Sub(p.start))
		s.free(p)
		s.dispatch()
	})
}

// Acquire waits until the read of caller with the given cost may run, and returns
// its permit. It fails with a *Refusal when the caller's queue is full, when the
// estimated wait ends after ctx's deadline, or when ctx ends while it waits.
func (s *Scheduler) Acquire(ctx context.Context, callerName string, cost int) (*Permit, error) {
	return s.acquire(ctx, callerName, cost, false)
}

// AcquireWrite is Acquire for a write, while which fewer reads start.
func (s *Scheduler) AcquireWrite(ctx context.Context, callerName string, cost int) (*Permit, error) {
	return s.acquire(ctx, callerName, cost, true)
}

func (s *Scheduler) acquire(ctx context.Context, callerName string, cost int, write bool) (*Permit, error) {
	if s == nil {
		return nil, nil
	}
	class := s.Classify(cost)
	s.mu.Lock()
	c := s.callers[callerName]
	if c == nil {
		c = &caller{name: callerName}
		s.callers[callerName] = c
	}
	if s.canRun(c, class, write) && !c.waitingAhead(class) {
		p := s.admit(c, class, write)
		s.mu.Unlock()
		return p, nil
	}
	if len(c.queue) >= s.cfg.MaxQueue {
		r := &Refusal{Reason: ReasonQueueFull, RetryAfter: s.estimate(c, class)}
		s.refuse(c, r)
		s.mu.Unlock()
		return nil, r
	}
	if deadline, ok := ctx.Deadline(); ok {
		if wait := s.estimate(c, class); s.cfg.Now().Add(wait).After(deadline) {
			r := &Refusal{Reason: ReasonTooLate, RetryAfter: wait}
			s.refuse(c, r)
			s.mu.Unlock()
			return nil, r
		}
	}
	w := &waiter{class: class, write: write, ready: make(chan struct{})}
	w.deadline, _ = ctx.Deadline()
	c.queue = append(c.queue, w)
	if !c.inRing {
		c.inRing = true
		s.ring = append(s.ring, c)
	}
	s.mu.Unlock()

	select {
	case <-w.ready:
		if w.refusal != nil {
			return nil, w.refusal
		}
		return w.permit, nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.refusal != nil {
		return nil, w.refusal
	}
	if w.admitted {
		// Admitted as the context ended: hand the slot on rather than run work whose
		// answer nobody waits for.
		s.free(w.permit)
		s.dispatch()
	} else {
		c.remove(w)
		s.forget(c)
	}
	r := &Refusal{Reason: ReasonDeadline, RetryAfter: s.estimate(c, class)}
	s.refusals[r.Reason]++
	return nil, r
}

// waitingAhead reports whether the caller already has a queued operation that an
// arrival of the class must not overtake: any of its own class (arrival order within a
// caller), or any at all for an expensive arrival.
func (c *caller) waitingAhead(class Class) bool {
	for _, w := range c.queue {
		if w.class == class || class == Expensive {
			return true
		}
	}
	return false
}

func (c *caller) remove(w *waiter) {
	for i, x := range c.queue {
		if x == w {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			return
		}
	}
}

// canRun: a free slot, the caller under its caps, an expensive operation outside
// the reserved slots, and a read within ReadsBesideWrites while a write runs.
func (s *Scheduler) canRun(c *caller, class Class, write bool) bool {
	return s.running < s.cfg.Slots && c.running < s.cfg.PerCaller &&
		(class == Cheap || s.expensive < s.cfg.Slots-s.cfg.Reserved && c.expensive < s.cfg.PerCallerExpensive) &&
		(write || s.writes == 0 || s.running-s.writes < s.cfg.ReadsBesideWrites)
}

func (s *Scheduler) admit(c *caller, class Class, write bool) *Permit {
	s.running++
	c.running++
	if class == Expensive {
		s.expensive++
		c.expensive++
	}
	if write {
		s.writes++
	}
	return &Permit{s: s, c: c, class: class, write: write, start: s.cfg.Now()}
}

func (s *Scheduler) free(p *Permit) {
	s.running--
	p.c.running--
	if p.write {
		s.writes--
	}
	if p.class == Expensive {
		s.expensive--
		p.c.expensive--
	}
	s.forget(p.c)
}

// forget drops a caller that holds and waits for nothing, so the map stays as small as
// the set of active callers.
func (s *Scheduler) forget(c *caller) {
	if c.running > 0 || len(c.queue) > 0 {
		return
	}
	delete(s.callers, c.name)
	if c.inRing {
		s.dropFromRing(c)
	}
}

func (s *Scheduler) dropFromRing(c *caller) {
	for i, x := range s.ring {
		if x == c {
			s.ring = append(s.ring[:i], s.ring[i+1:]...)
			if i < s.next {
				s.next--
			}
			break
		}
	}
	c.inRing = false
	if s.next >= len(s.ring) {
		s.next = 0
	}
}

// dispatch admits waiting operations while slots allow, one per caller in turn: the
// ring is walked from where the last admission left off, and each caller's first
// operation that may run now goes (a cheap one passes the caller's own expensive ones
// blocked by the reservation). It stops after a whole turn admits nothing, so it ends
// after at most (admissions + 1) turns.
func (s *Scheduler) dispatch() {
	for idle := 0; idle < len(s.ring); {
		if s.running >= s.cfg.Slots {
			return
		}
		c := s.ring[s.next]
		var picked *waiter
		for _, w := range c.queue {
			if s.canRun(c, w.class, w.write) {
				picked = w
				break
			}
			if w.class == Cheap {
				break // a cheap one that cannot run: none behind it can either
			}
		}
		if picked == nil {
			idle++
			s.next = (s.next + 1) % len(s.ring)
			continue
		}
		idle = 0
		c.remove(picked)
		if s.tooLate(picked) {
			// Its turn came, but not the time it needs: refuse it now rather than
			// start work that its deadline would cut short.
			picked.refusal = &Refusal{Reason: ReasonTooLate, RetryAfter: s.mean[picked.class]}
			s.refusals[ReasonTooLate]++
		} else {
			picked.permit = s.admit(c, picked.class, picked.write)
			picked.admitted = true
		}
		close(picked.ready)
		if len(c.queue) == 0 {
			s.dropFromRing(c) // moves s.next to the caller after c
			s.forget(c)
		} else {
			s.next = (s.next + 1) % len(s.ring)
		}
	}
}

// tooLate reports whether a waiter's deadline leaves less than its class's mean time.
func (s *Scheduler) tooLate(w *waiter) bool {
	return !w.deadline.IsZero() && s.observed[w.class] && s.cfg.Now().Add(s.mean[w.class]).After(w.deadline)
}

// observe updates the class's mean operation time (exponentially weighted, so it
// follows load within a few dozen operations).
func (s *Scheduler) observe(class Class, d time.Duration) {
	if !s.observed[class] {
		s.mean[class], s.observed[class] = d, true
		return
	}
	s.mean[class] += (d - s.mean[class]) / 8
}

// estimate is how long an operation of the class that caller c queues now will wait:
// the caller's own operations ahead of it, served as many at a time as the caller may
// hold (fewer when other callers with queues share the class's slots), each taking the
// class's mean time. It is zero until an operation of the class has finished, so a
// fresh server never refuses on a guess.
func (s *Scheduler) estimate(c *caller, class Class) time.Duration {
	ahead := 1 // the operation itself waits for one slot to end
	for _, w := range c.queue {
		if w.class == class || class == Expensive {
			ahead++
		}
	}
	slots, mine := s.cfg.Slots, s.cfg.PerCaller
	if class == Expensive {
		slots, mine = slots-s.cfg.Reserved, s.cfg.PerCallerExpensive
	}
	competing := 1
	for _, o := range s.ring {
		if o != c {
			competing++
		}
	}
	parallel := max(1, min(mine, slots/competing))
	rounds := (ahead + parallel - 1) / parallel
	return time.Duration(rounds) * s.mean[class]
}

func (s *Scheduler) refuse(c *caller, r *Refusal) {
	s.refusals[r.Reason]++
	s.forget(c)
}

// Stats is a snapshot of the scheduler, for metrics and tests.
type Stats struct {
	Running, RunningExpensive, Waiting, Callers int
	// Refusals counts refused operations by reason since the start.
	Refusals map[string]int64
}

// Stats returns the scheduler's state now.
func (s *Scheduler) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Running: s.running, RunningExpensive: s.expensive, Callers: len(s.callers), Refusals: map[string]int64{}}
	for _, c := range s.callers {
		st.Waiting += len(c.queue)
	}
	for k, v := range s.refusals {
		st.Refusals[k] = v
	}
	return st
}
