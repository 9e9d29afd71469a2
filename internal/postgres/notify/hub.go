// Package notify delivers the changes that writes announce (postgres.NotifyChange) to
// the subscriptions of this server process.
//
// One Hub per process holds one PostgreSQL connection that LISTENs on
// postgres.ChangesChannel (lib/pq's Listener, which reconnects by itself) and fans each
// notification out to its subscribers. Every replica has its own Hub, so every replica
// hears every committed write, whichever replica took it.
//
// A bulk write (an import file, the shipped knowledge) announces each entity kind it
// changed with one bulk change (knowledge.Change.Bulk) instead of one per entity; the
// hub passes it on like any other, and the subscriber reads the entities it stands for
// from the audit log (postgres.DB.LogChanges), at its own pace.
//
// Notifications arrive in commit order, which is the order of their sequences
// (knowledge.Change.Seq): every write appends its audit log entry under one lock, so the
// audit log is the change log, and the hub's notifications are wake-ups that a
// subscriber may complete from it:
//   - PostgreSQL only delivers a notification to connections that are listening when
//     the writing transaction commits. While the listener is disconnected (a database
//     restart, a network cut), notifications are lost. After it reconnects, the hub
//     puts a gap marker (IsGap) on the feed of every resumable subscriber
//     (Filter.Resumable), in order with the notifications that follow: the subscriber
//     reads what it missed from the audit log (postgres.DB.LogChanges). Other
//     subscribers are not told; Status reports the outage.
//   - Each subscriber has a bounded buffer. A subscriber that falls behind by a whole
//     buffer is dropped (its channel is closed and Err says why) rather than slowing
//     the other subscribers or growing memory without bound; a resumable one has its
//     buffer emptied and replaced by a gap marker instead, and reads from the log.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// Errors a subscription ends with.
var (
	// ErrClosed: the hub was closed (the server is shutting down).
	ErrClosed = errors.New("notify: the change feed is closed")
	// ErrSlowConsumer: the subscriber did not keep up and was dropped.
	ErrSlowConsumer = errors.New("notify: the subscriber fell behind and was dropped")
	// ErrUnavailable: the listener could not connect to the database in time.
	ErrUnavailable = errors.New("notify: the change feed is unavailable (database unreachable)")
)

// Options tune a Hub. The zero value gives the defaults.
type Options struct {
	// Buffer is how many changes a subscriber may fall behind before it is dropped
	// (default 64).
	Buffer int
	// ConnectWait is how long the first Subscribe waits for the listener to connect
	// before it gives up with ErrUnavailable (default 5s).
	ConnectWait time.Duration
	// MinReconnect and MaxReconnect bound the listener's reconnection backoff
	// (defaults 100ms and 10s).
	MinReconnect, MaxReconnect time.Duration
	// PingInterval is how often an idle listener checks that its connection is still
	// alive (default 30s); a dead one is replaced.
	PingInterval time.Duration
	Logger       *slog.Logger
	// Standby, when set, says the hub listens on the primary while the server reads a
	// standby: a change is given to subscribers only once the standby has replayed it,
	// so that what they read of it is there (the read cache's own subscription still
	// gets it at once, to drop what it makes stale).
	Standby *Positions
}

// Positions read the WAL positions a standby's replica waits on.
type Positions struct {
	// Primary is the primary's WAL position, flushed (postgres.DB.WALFlushedPosition on
	// the primary): read after a notification arrives, it is at or after the commit.
	Primary func(context.Context) (uint64, error)
	// Replayed is the position the standby has replayed (postgres.DB.ReplayPosition).
	Replayed func(context.Context) (uint64, error)
}

func (o Options) withDefaults() Options {
	if o.Buffer <= 0 {
		o.Buffer = 64
	}
	if o.ConnectWait <= 0 {
		o.ConnectWait = 5 * time.Second
	}
	if o.MinReconnect <= 0 {
		o.MinReconnect = 100 * time.Millisecond
	}
	if o.MaxReconnect <= 0 {
		o.MaxReconnect = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Filter picks the changes a subscriber wants.
type Filter struct {
	// Entity keeps changes of one entity kind (postgres.ChangeAgreement, …); "" keeps all.
	Entity string
	// Actions keeps changes with one of these actions; empty keeps all.
	Actions []string
	// City keeps changes that concern the city; uuid.Nil keeps all. A change whose
	// cities were omitted (knowledge.Change.CitiesOmitted) and a bulk change
	// (knowledge.Change.Bulk: many changes, read with postgres.DB.LogChanges) are
	// kept: the subscriber must check them.
	City uuid.UUID
	// Resumable: the subscriber completes its feed from the audit log, so instead of
	// losing changes silently (a listener outage) or being dropped (a full buffer) it
	// is given a gap marker (IsGap) after which it must re-read the log from the last
	// sequence it delivered.
	Resumable bool
}

// IsGap reports whether a change on a resumable subscriber's feed is the gap marker:
// changes may have been missed before it (every change has an entity; the marker has
// none). Changes after it arrive as usual.
func IsGap(c knowledge.Change) bool { return c.Entity == "" }

// Match reports whether the filter keeps the change.
func (f Filter) Match(c knowledge.Change) bool {
	if f.Entity != "" && c.Entity != f.Entity {
		return false
	}
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, c.Action) {
		return false
	}
	if f.City != uuid.Nil && !c.CitiesOmitted && c.Bulk == nil && !slices.Contains(c.Cities, f.City) {
		return false
	}
	return true
}

// Status is the health of a hub.
type Status struct {
	// Started: a subscription has started the listener (it starts on first use).
	Started bool
	// Connected: the listener's connection is up. While it is down, notifications are
	// lost (resumable subscribers catch up from the log once it is back).
	Connected bool
	// Listening: the first LISTEN has run, so a change committed from now on reaches
	// the subscribers (Connected alone may be seen before LISTEN has run).
	Listening bool
	// Subscribers is the number of live subscriptions of clients (the read cache's own
	// is not counted).
	Subscribers int
	// Dropped counts subscribers dropped for falling behind.
	Dropped int64
	// Reconnects counts reconnections of the listener (each a possible gap, which
	// resumable subscribers close from the log).
	Reconnects int64
}

// Hub fans the changes of one LISTEN connection out to subscribers. The listener
// starts with the first subscription, so a server that nobody subscribes to holds no
// extra connection. Close stops it.
type Hub struct {
	dsn  string
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	subs     map[*Subscription]struct{}
	listener *pq.Listener
	ready    chan struct{} // closed once the first LISTEN is in effect
	closed   bool
	closing  chan struct{} // closed by Close: a wait for the standby's replay ends
	done     chan struct{} // closed when the dispatch loop has ended

	connected  atomic.Bool
	dropped    atomic.Int64
	reconnects atomic.Int64
}

// New returns a hub that will listen with its own connection to the database at dsn
// (postgres.DB.ListenDSN).
func New(dsn string, opts Options) *Hub {
	opts = opts.withDefaults()
	return &Hub{dsn: dsn, opts: opts, log: opts.Logger, subs: map[*Subscription]struct{}{}, closing: make(chan struct{})}
}

// Subscription is one subscriber's feed.
type Subscription struct {
	hub    *Hub
	filter Filter
	ch     chan knowledge.Change
	// internal: the server's own (the read cache's, Keep), not a client's; Status does
	// not count it.
	internal bool

	once sync.Once
	err  error // why the feed ended; set before ch is closed
}

// C delivers the changes the filter keeps, in the order they were committed, and on a
// resumable feed gap markers (IsGap). It is closed when the subscription ends: Err then
// says why.
func (s *Subscription) C() <-chan knowledge.Change { return s.ch }

// Err is why C was closed: nil after Close, ErrSlowConsumer or ErrClosed. Read it only
// after C is closed.
func (s *Subscription) Err() error { return s.err }

// Close ends the subscription. It is safe to call more than once and concurrently
// with delivery.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.endLocked(nil)
}

// endLocked removes the subscription and closes its channel; the hub's lock is held.
func (s *Subscription) endLocked(err error) {
	s.once.Do(func() {
		delete(s.hub.subs, s)
		s.err = err
		close(s.ch)
	})
}

// gapLocked puts a gap marker on a resumable subscriber's feed; the hub's lock is held,
// so the hub is the only sender. A full buffer is emptied first: the changes in it are
// in the log, after the sequence the subscriber has delivered.
func (s *Subscription) gapLocked() {
	select {
	case s.ch <- knowledge.Change{}:
		return
	default:
	}
	for len(s.ch) > 0 {
		select {
		case <-s.ch:
		default:
		}
	}
	s.ch <- knowledge.Change{}
}

// Subscribe starts a feed of the changes f keeps. The first call starts the listener
// and waits (up to Options.ConnectWait, or until ctx ends) until it listens, so a
// change committed after Subscribe returns is delivered. The subscription ends when
// ctx ends, when Close is called, or when the hub closes.
func (h *Hub) Subscribe(ctx context.Context, f Filter) (*Subscription, error) {
	return h.subscribe(ctx, f, false)
}

func (h *Hub) subscribe(ctx context.Context, f Filter, internal bool) (*Subscription, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	if h.listener == nil {
		h.startLocked()
	}
	ready := h.ready
	s := &Subscription{hub: h, filter: f, ch: make(chan knowledge.Change, h.opts.Buffer), internal: internal}
	h.subs[s] = struct{}{}
	h.mu.Unlock()

	wait := time.NewTimer(h.opts.ConnectWait)
	defer wait.Stop()
	select {
	case <-ready:
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	case <-wait.C:
		s.Close()
		return nil, ErrUnavailable
	}
	context.AfterFunc(ctx, s.Close)
	return s, nil
}

// startLocked opens the listener and starts the dispatch loop; the lock is held.
func (h *Hub) startLocked() {
	h.ready = make(chan struct{})
	h.done = make(chan struct{})
	h.listener = pq.NewListener(h.dsn, h.opts.MinReconnect, h.opts.MaxReconnect, h.event)
	l, ready := h.listener, h.ready
	go func() {
		// Listen blocks until the connection is up and LISTEN has run (or the
		// listener is closed); afterwards the listener re-LISTENs on every reconnect.
		if err := l.Listen(postgres.ChangesChannel); err != nil && !errors.Is(err, pq.ErrChannelAlreadyOpen) {
			if !errors.Is(err, net.ErrClosed) && !h.isClosed() {
				h.log.Error("change feed: LISTEN failed", "err", err)
			}
			return
		}
		close(ready)
	}()
	go h.dispatch(l, h.done)
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// event follows the listener's connection state.
func (h *Hub) event(ev pq.ListenerEventType, err error) {
	switch ev {
	case pq.ListenerEventConnected:
		h.connected.Store(true)
		h.log.Info("change feed: listening", "channel", postgres.ChangesChannel)
	case pq.ListenerEventReconnected:
		h.connected.Store(true)
		h.reconnects.Add(1)
		h.log.Warn("change feed: reconnected; subscribers catch up from the audit log")
	case pq.ListenerEventDisconnected:
		h.connected.Store(false)
		if !h.isClosed() {
			h.log.Warn("change feed: lost the database connection; reconnecting", "err", err)
		}
	case pq.ListenerEventConnectionAttemptFailed:
		h.connected.Store(false)
		if !h.isClosed() {
			h.log.Warn("change feed: cannot connect to the database; retrying", "err", err)
		}
	}
}

// dispatch reads notifications until the listener closes, and fans them out.
func (h *Hub) dispatch(l *pq.Listener, done chan struct{}) {
	defer close(done)
	ping := time.NewTicker(h.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case n, ok := <-l.NotificationChannel():
			if !ok {
				return // closed
			}
			if n == nil {
				// A reconnection (event() has logged it), after LISTEN is in effect
				// again: what was committed in between is only in the log.
				h.gap(true)
				h.awaitReplay()
				h.gap(false)
				continue
			}
			c, err := postgres.ParseChange(n.Extra)
			if err != nil {
				h.log.Warn("change feed: ignoring a malformed notification", "err", err)
				continue
			}
			h.publish(c, true)
			h.awaitReplay()
			h.publish(c, false)
		case <-ping.C:
			// pq only notices a dead connection when it reads; a ping makes it read.
			go l.Ping()
		}
	}
}

// publish hands the change to every subscriber that wants it (the server's own, or its
// clients'), without ever waiting: a subscriber whose buffer is full is dropped.
func (h *Hub) publish(c knowledge.Change, internal bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.internal != internal || !s.filter.Match(c) {
			continue
		}
		select {
		case s.ch <- c:
		default:
			if s.filter.Resumable {
				s.gapLocked()
				continue
			}
			h.dropped.Add(1)
			h.log.Warn("change feed: dropping a subscriber that fell behind", "buffer", h.opts.Buffer)
			s.endLocked(ErrSlowConsumer)
		}
	}
}

// gap tells every resumable subscriber (the server's own, or its clients') that
// changes may have been missed.
func (h *Hub) gap(internal bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.internal == internal && s.filter.Resumable {
			s.gapLocked()
		}
	}
}

// replayPoll is how often a standby's replay position is read while a change waits.
const replayPoll = 5 * time.Millisecond

// awaitReplay waits, on a standby, until it has replayed what the primary had written
// when the notifications so far arrived. A position that cannot be read is asked again:
// giving a change to subscribers before the standby has it would let them read what
// it replaced.
func (h *Hub) awaitReplay() {
	st := h.opts.Standby
	if st == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-h.closing
		cancel()
	}()
	var target uint64
	for ctx.Err() == nil {
		pos, err := st.Primary(ctx)
		if err == nil {
			target = pos
			break
		}
		h.log.Warn("change feed: cannot read the primary's WAL position; retrying", "err", err)
		sleep(ctx, h.opts.MinReconnect)
	}
	for ctx.Err() == nil {
		if pos, err := st.Replayed(ctx); err == nil && pos >= target {
			return
		}
		sleep(ctx, replayPoll)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Status reports the hub's health.
func (h *Hub) Status() Status {
	h.mu.Lock()
	st := Status{Started: h.listener != nil && !h.closed}
	for s := range h.subs {
		if !s.internal {
			st.Subscribers++
		}
	}
	if st.Started {
		select {
		case <-h.ready:
			st.Listening = true
		default:
		}
	}
	h.mu.Unlock()
	st.Connected = st.Started && h.connected.Load()
	st.Dropped = h.dropped.Load()
	st.Reconnects = h.reconnects.Load()
	return st
}

// Close ends every subscription with ErrClosed and closes the listener's connection.
// It waits for the dispatch loop to end.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	close(h.closing)
	for s := range h.subs {
		s.endLocked(ErrClosed)
	}
	l, done := h.listener, h.done
	h.mu.Unlock()
	if l == nil {
		return nil
	}
	h.connected.Store(false)
	err := l.Close()
	<-done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
