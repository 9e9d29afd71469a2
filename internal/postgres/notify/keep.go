package notify

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/amity/amity/internal/postgres/readcache"
)

// KeepOptions tune Keep.
type KeepOptions struct {
	// Every is how often the feed proves itself live by a ping (default 1s): a silent
	// network turns the cache off within 2 × Every.
	Every time.Duration
}

// positionPoll is how often a standby's cache asks for the positions while it waits:
// the replay delay a fresh read may wait for, at most, beyond the standby's own lag.
const positionPoll = 5 * time.Millisecond

// Keep feeds every change to the cache until ctx ends, and keeps it on only while the
// feed is known to hear every change: while the listener is connected, and has proven
// so within the last two intervals (every) by answering a ping on its connection. A
// notification is sent before any later ping's answer on the same connection, so once
// a ping is answered every change committed before it has been heard.
//
// The cache is off, and empty, from the start until the listener listens, whenever it
// loses its connection or stops answering (a network that dies silently), and after the
// feed ends; it is emptied on every gap (a reconnection or a full buffer), since
// changes may have been missed. So another replica's write reaches this cache within
// the notification's delay while the feed is healthy, and otherwise within
// 2 × every, after which the cache is off until the feed is back.
func (h *Hub) Keep(ctx context.Context, c *readcache.Cache, opts KeepOptions) {
	every := opts.Every
	if every <= 0 {
		every = time.Second
	}
	c.SetEnabled(false)
	defer c.SetEnabled(false)
	if h.opts.Standby != nil {
		// The cache's reads go to a standby: after each change heard, it caches
		// nothing until the standby has replayed the primary's position read after it.
		c.SetStandby(true)
		go followReplay(ctx, c, *h.opts.Standby)
	}
	for ctx.Err() == nil {
		s, err := h.subscribe(ctx, Filter{Resumable: true}, true)
		if err != nil {
			if err == ErrClosed {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(every):
			}
			continue
		}
		h.keep(ctx, c, s, every)
		s.Close()
	}
}

// keep follows one subscription until it ends.
func (h *Hub) keep(ctx context.Context, c *readcache.Cache, s *Subscription, every time.Duration) {
	h.mu.Lock()
	l := h.listener
	h.mu.Unlock()
	var alive atomic.Int64 // unix nanoseconds of the last answered ping
	alive.Store(time.Now().UnixNano())
	var pinging atomic.Bool
	ping := func() {
		// One ping at a time: on a stalled connection it may never return.
		if l == nil || !pinging.CompareAndSwap(false, true) {
			return
		}
		go func() {
			defer pinging.Store(false)
			if l.Ping() == nil {
				alive.Store(time.Now().UnixNano())
			}
		}()
	}
	healthy := func() bool {
		return h.connected.Load() && time.Since(time.Unix(0, alive.Load())) <= 2*every
	}
	on := healthy()
	c.SetEnabled(on)
	tick := time.NewTicker(every / 4)
	defer tick.Stop()
	lastPing := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-s.C():
			if !ok {
				c.SetEnabled(false)
				return
			}
			if IsGap(ch) {
				c.SetEnabled(false) // empties it
				on = healthy()
				c.SetEnabled(on)
				continue
			}
			c.Invalidate(ch)
		case <-tick.C:
			if time.Since(lastPing) >= every {
				ping()
				lastPing = time.Now()
			}
			switch now := healthy(); {
			case on && !now:
				h.log.Warn("read cache: the change feed is not proven live; the cache is off until it is")
				c.SetEnabled(false)
				on = false
			case !on && now:
				h.log.Info("read cache: the change feed is live again; caching")
				c.SetEnabled(true)
				on = true
			}
		}
	}
}

// followReplay gives a standby's cache what it waits for: the primary's position after
// the changes heard, then the standby's replay of it.
func followReplay(ctx context.Context, c *readcache.Cache, st Positions) {
	tick := time.NewTicker(positionPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		unpositioned, _, replaying := c.Waiting()
		if unpositioned {
			seq := c.Seq()
			if lsn, err := st.Primary(ctx); err == nil {
				c.Positioned(seq, lsn)
				replaying = true
			}
		}
		if replaying {
			if lsn, err := st.Replayed(ctx); err == nil {
				c.Replayed(lsn)
			}
		}
	}
}
