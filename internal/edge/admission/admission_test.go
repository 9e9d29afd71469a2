package admission_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/admission"
)

const (
	cheap     = 1
	expensive = 10_000
)

// queued is an operation waiting in a goroutine; admitted receives its permit.
type queued struct {
	admitted chan *admission.Permit
	err      chan error
}

// mustQueue starts an Acquire that must wait, and returns once the scheduler counts it
// as waiting, so that tests fix the arrival order.
func mustQueue(t *testing.T, s *admission.Scheduler, ctx context.Context, caller string, cost int, label string, order chan<- string) *queued {
	t.Helper()
	before := s.Stats().Waiting
	q := &queued{admitted: make(chan *admission.Permit, 1), err: make(chan error, 1)}
	go func() {
		p, err := s.Acquire(ctx, caller, cost)
		if err != nil {
			q.err <- err
			return
		}
		if order != nil {
			order <- label
		}
		q.admitted <- p
	}()
	waitFor(t, func() bool { return s.Stats().Waiting == before+1 })
	return q
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func mustAcquire(t *testing.T, s *admission.Scheduler, caller string, cost int) *admission.Permit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := s.Acquire(ctx, caller, cost)
	if err != nil {
		t.Fatalf("%s: %v", caller, err)
	}
	return p
}

func recv[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
		panic("unreachable")
	}
}

// One caller's backlog does not delay another caller by its length: the queues are
// served in turn, not in arrival order. (The old gate served b after all of a's.)
func TestCallersAreServedInTurn(t *testing.T) {
	s := admission.New(admission.Config{Slots: 2, PerCaller: 2, Reserved: -1})
	held := []*admission.Permit{mustAcquire(t, s, "a", cheap), mustAcquire(t, s, "a", cheap)}
	order := make(chan string, 10)
	queue := map[string]*queued{}
	for _, label := range []string{"a1", "a2", "a3", "a4"} {
		queue[label] = mustQueue(t, s, context.Background(), "a", cheap, label, order)
	}
	queue["b1"] = mustQueue(t, s, context.Background(), "b", cheap, "b1", order)

	var got []string
	for range 5 {
		held[0].Release()
		held = held[1:]
		label := recv(t, order) // exactly one is admitted per release
		got = append(got, label)
		held = append(held, recv(t, queue[label].admitted))
	}
	want := []string{"a1", "b1", "a2", "a3", "a4"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("admitted %v, want %v", got, want)
		}
	}
	for _, p := range held {
		p.Release()
	}
	if st := s.Stats(); st.Running != 0 || st.Waiting != 0 || st.Callers != 0 {
		t.Errorf("left %+v", st)
	}
}

// A caller never holds more than its share of the slots, even when the others are
// free: a newcomer starts at once.
func TestOneCallerHoldsAtMostItsShare(t *testing.T) {
	s := admission.New(admission.Config{Slots: 4, PerCaller: 2, PerCallerExpensive: 2, Reserved: -1})
	a1, a2 := mustAcquire(t, s, "a", expensive), mustAcquire(t, s, "a", expensive)
	a3 := mustQueue(t, s, context.Background(), "a", expensive, "a3", nil)
	b := mustAcquire(t, s, "b", expensive) // does not queue behind a3
	if st := s.Stats(); st.Running != 3 || st.Waiting != 1 {
		t.Fatalf("%+v, want 3 running and a's third waiting", st)
	}
	a1.Release()
	recv(t, a3.admitted).Release()
	a2.Release()
	b.Release()
	if st := s.Stats(); st.Running != 0 || st.Callers != 0 {
		t.Errorf("left %+v", st)
	}
}

// A caller runs fewer expensive operations at once than cheap ones (by default a
// quarter of the expensive slots): its next expensive one waits while its cheap ones
// and other callers' expensive ones start.
func TestOneCallerRunsFewExpensiveOperations(t *testing.T) {
	s := admission.New(admission.Config{Slots: 8}) // 2 reserved, 4 per caller, 1 expensive per caller
	a1 := mustAcquire(t, s, "a", expensive)
	a2 := mustQueue(t, s, context.Background(), "a", expensive, "", nil)
	aCheap := mustAcquire(t, s, "a", cheap)
	b1 := mustAcquire(t, s, "b", expensive)
	if st := s.Stats(); st.Running != 3 || st.RunningExpensive != 2 || st.Waiting != 1 {
		t.Fatalf("%+v", st)
	}
	a1.Release()
	recv(t, a2.admitted).Release()
	aCheap.Release()
	b1.Release()
	if st := s.Stats(); st.Running != 0 || st.Callers != 0 {
		t.Errorf("left %+v", st)
	}
}

// Expensive operations, from however many callers, never take the reserved slots: a
// cheap one starts at once while expensive ones wait.
func TestCheapOperationsHaveReservedSlots(t *testing.T) {
	s := admission.New(admission.Config{Slots: 4, Reserved: 1, PerCaller: 4, CheapCost: 100})
	var held []*admission.Permit
	for _, c := range []string{"a", "b", "c"} {
		held = append(held, mustAcquire(t, s, c, expensive))
	}
	d := mustQueue(t, s, context.Background(), "d", expensive, "d", nil) // a slot is free, but reserved
	cheapOne := mustAcquire(t, s, "e", 100)
	if cheapOne.Class() != admission.Cheap || s.Stats().RunningExpensive != 3 {
		t.Fatalf("cheap admitted as %v; %+v", cheapOne.Class(), s.Stats())
	}
	// Within one caller too: a cheap operation passes the caller's own expensive one
	// held back by the reservation.
	cheapOne.Release()
	dCheap, err := s.Acquire(context.Background(), "d", cheap)
	if err != nil {
		t.Fatal(err)
	}
	dCheap.Release()
	held[0].Release()
	held = append(held[1:], recv(t, d.admitted))
	for _, p := range held {
		p.Release()
	}
	if st := s.Stats(); st.Running != 0 || st.Waiting != 0 {
		t.Errorf("left %+v", st)
	}
}

// A caller with MaxQueue operations waiting is refused at once, not queued.
func TestFullQueueIsRefusedAtOnce(t *testing.T) {
	s := admission.New(admission.Config{Slots: 1, MaxQueue: 2})
	held := mustAcquire(t, s, "a", cheap)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q1 := mustQueue(t, s, ctx, "a", cheap, "", nil)
	q2 := mustQueue(t, s, ctx, "a", cheap, "", nil)
	_, err := s.Acquire(context.Background(), "a", cheap)
	var r *admission.Refusal
	if !errors.As(err, &r) || r.Reason != admission.ReasonQueueFull || r.RetryAfterSeconds() < 1 {
		t.Fatalf("got %v, want a queue-full refusal", err)
	}
	// Another caller's queue is its own.
	q3 := mustQueue(t, s, ctx, "b", cheap, "", nil)
	cancel()
	for _, q := range []*queued{q1, q2, q3} {
		recv(t, q.err)
	}
	held.Release()
	if st := s.Stats(); st.Running != 0 || st.Waiting != 0 || st.Refusals[admission.ReasonQueueFull] != 1 {
		t.Errorf("left %+v", st)
	}
}

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// An operation whose estimated wait (the operations ahead of it times their mean
// time) ends after its deadline is refused on arrival, with that wait as Retry-After;
// one whose deadline leaves room queues.
func TestHopelessOperationIsRefusedEarly(t *testing.T) {
	clk := &clock{now: time.Now()}
	s := admission.New(admission.Config{Slots: 1, Now: clk.Now})
	first := mustAcquire(t, s, "a", expensive)
	clk.advance(2 * time.Second) // expensive operations take 2 s
	first.Release()
	holder := mustAcquire(t, s, "a", expensive)

	soon, cancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Second))
	defer cancel()
	_, err := s.Acquire(soon, "b", expensive)
	var r *admission.Refusal
	if !errors.As(err, &r) || r.Reason != admission.ReasonTooLate || r.RetryAfterSeconds() != 2 {
		t.Fatalf("got %v, want refused as too late, retry in 2 s", err)
	}

	later, cancelLater := context.WithDeadline(context.Background(), clk.Now().Add(10*time.Second))
	defer cancelLater()
	q := mustQueue(t, s, later, "b", expensive, "", nil)
	holder.Release()
	recv(t, q.admitted).Release()
}

// An operation whose turn comes when its deadline no longer leaves its class's mean
// time is refused then, not started; the slot goes to the next in line.
func TestTurnTooLateIsRefused(t *testing.T) {
	clk := &clock{now: time.Now()}
	s := admission.New(admission.Config{Slots: 1, Now: clk.Now})
	first := mustAcquire(t, s, "a", expensive)
	clk.advance(2 * time.Second)
	first.Release() // expensive operations take 2 s
	holder := mustAcquire(t, s, "a", expensive)
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(3*time.Second))
	defer cancel()
	late := mustQueue(t, s, ctx, "b", expensive, "", nil) // 2 s of wait estimated: queued
	next := mustQueue(t, s, context.Background(), "c", expensive, "", nil)
	clk.advance(1500 * time.Millisecond) // b has 1.5 s left when its turn comes
	holder.Release()
	var r *admission.Refusal
	if err := recv(t, late.err); !errors.As(err, &r) || r.Reason != admission.ReasonTooLate {
		t.Fatalf("got %v, want refused as too late", err)
	}
	recv(t, next.admitted).Release()
	if st := s.Stats(); st.Running != 0 || st.Waiting != 0 || st.Callers != 0 {
		t.Errorf("left %+v", st)
	}
}

// An operation still waiting at its deadline gets a refusal and leaves the queue; it
// never takes a slot, and the next waiter gets the slot it would have had.
func TestDeadlineInTheQueue(t *testing.T) {
	s := admission.New(admission.Config{Slots: 1})
	holder := mustAcquire(t, s, "a", cheap)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Acquire(ctx, "b", cheap)
	var r *admission.Refusal
	if !errors.As(err, &r) || r.Reason != admission.ReasonDeadline {
		t.Fatalf("got %v, want a deadline refusal", err)
	}
	if st := s.Stats(); st.Waiting != 0 || st.Running != 1 {
		t.Fatalf("%+v after the deadline", st)
	}
	next := mustQueue(t, s, context.Background(), "c", cheap, "", nil)
	holder.Release()
	recv(t, next.admitted).Release()
	if st := s.Stats(); st.Running != 0 || st.Callers != 0 {
		t.Errorf("left %+v", st)
	}
}

// A slot is given back when its operation panics (a deferred Release) or is cancelled,
// and releasing twice frees it once.
func TestReleaseOnPanicAndTwice(t *testing.T) {
	s := admission.New(admission.Config{Slots: 1})
	func() {
		defer func() { _ = recover() }()
		p := mustAcquire(t, s, "a", cheap)
		defer p.Release()
		panic("resolver bug")
	}()
	if s.Stats().Running != 0 {
		t.Fatal("the panicking operation kept its slot")
	}
	p := mustAcquire(t, s, "a", cheap)
	waiter := mustQueue(t, s, context.Background(), "b", cheap, "", nil)
	p.Release()
	p.Release() // must not free b's slot too
	next := recv(t, waiter.admitted)
	if st := s.Stats(); st.Running != 1 {
		t.Fatalf("%+v after a double release", st)
	}
	next.Release()
}

// Many callers acquiring and cancelling at random leave nothing behind.
func TestCancelledWaitersLeakNothing(t *testing.T) {
	s := admission.New(admission.Config{Slots: 2, PerCaller: 1})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*time.Millisecond)
			defer cancel()
			p, err := s.Acquire(ctx, string(rune('a'+i%4)), []int{cheap, expensive}[i%2])
			if err == nil {
				time.Sleep(time.Millisecond)
				p.Release()
			}
		}()
	}
	wg.Wait()
	if st := s.Stats(); st.Running != 0 || st.Waiting != 0 || st.Callers != 0 {
		t.Errorf("left %+v", st)
	}
}

func TestNoBound(t *testing.T) {
	s := admission.New(admission.Config{Slots: 0})
	if s != nil {
		t.Fatal("Slots 0 should mean no bound")
	}
	p, err := s.Acquire(context.Background(), "a", expensive)
	if err != nil {
		t.Fatal(err)
	}
	p.Release()
}

// While a write executes, reads start only within ReadsBesideWrites; those running
// finish. The write takes the first free slot, before waiting reads.
func TestReadsYieldToWrites(t *testing.T) {
	s := admission.New(admission.Config{Slots: 4, ReadsBesideWrites: 2})
	var reads []*admission.Permit
	for _, c := range []string{"a", "b", "c", "d"} {
		reads = append(reads, mustAcquire(t, s, c, cheap))
	}
	wrote := make(chan *admission.Permit, 1)
	go func() {
		p, err := s.AcquireWrite(context.Background(), "writer", cheap)
		if err != nil {
			t.Error(err)
		}
		wrote <- p
	}()
	waitFor(t, func() bool { return s.Stats().Waiting == 1 })
	reads[0].Release()
	write := recv(t, wrote)
	// Three reads run beside the write: a new one waits until fewer than two do.
	e := mustQueue(t, s, context.Background(), "e", cheap, "e", nil)
	reads[1].Release()
	select {
	case <-e.admitted:
		t.Fatal("a read started beside a write with two reads running")
	case <-time.After(20 * time.Millisecond):
	}
	reads[2].Release()
	eRead := recv(t, e.admitted)
	if st := s.Stats(); st.Running != 3 {
		t.Errorf("running %d, want the write and two reads", st.Running)
	}
	reads[3].Release()
	write.Release()
	// The write done, reads take every slot again.
	more := []*admission.Permit{eRead}
	for _, c := range []string{"f", "g", "h"} {
		more = append(more, mustAcquire(t, s, c, cheap))
	}
	for _, p := range more {
		p.Release()
	}
	if st := s.Stats(); st.Running != 0 || st.Waiting != 0 {
		t.Errorf("left %+v", st)
	}
}
