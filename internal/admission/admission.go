// Package admission bounds how many GraphQL requests execute at once, and queues the
// rest in arrival order.
//
// Without a bound, a saturated server runs every request it has accepted at once: on
// two cores, 64 nested queries interleave, each holds its memory for 64 times as long,
// the garbage collector works against the memory limit, and a request that arrived
// first may finish last. With a bound of a few requests per core, the same work is done
// in order: each runs on warm caches and finishes sooner, the heap holds only what the
// running requests need, and the latency of a request is the queue ahead of it plus
// its own work, which keeps the slowest percentile close to the median
// (docs/benchmarks.md).
package admission

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
)

// Gate admits at most its capacity of requests at a time. Waiters are admitted in the
// order they arrived (a Go channel's waiting senders are served first in, first out).
type Gate struct {
	slots   chan struct{}
	waiting atomic.Int64
}

// DefaultCapacity is the bound for this machine: four requests per core keep the cores
// busy while some requests wait on PostgreSQL.
func DefaultCapacity() int { return 4 * runtime.GOMAXPROCS(0) }

// New returns a gate for n concurrent requests; n <= 0 means no bound (nil gate).
func New(n int) *Gate {
	if n <= 0 {
		return nil
	}
	return &Gate{slots: make(chan struct{}, n)}
}

// Acquire waits for a slot until ctx ends. A nil gate admits at once.
func (g *Gate) Acquire(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Waiting is how many requests are queued for a slot.
func (g *Gate) Waiting() int {
	if g == nil {
		return 0
	}
	return int(g.waiting.Load())
}

// Release frees the slot Acquire took.
func (g *Gate) Release() {
	if g != nil {
		<-g.slots
	}
}

// InFlight is how many requests hold a slot.
func (g *Gate) InFlight() int {
	if g == nil {
		return 0
	}
	return len(g.slots)
}

// Middleware runs next once the gate admits the request. The body is read first, so a
// client that sends its body slowly waits in the queue, not in a slot that others
// need. A request whose deadline passes in the queue is answered 503 with Retry-After
// and the code SERVICE_UNAVAILABLE; its work never starts. Requests that skip(r)
// (WebSocket upgrades, whose connection outlives any one operation) pass untouched.
func (g *Gate) Middleware(skip func(*http.Request) bool, next http.Handler) http.Handler {
	if g == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skip != nil && skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				// The transport reports a body that is too large or broken; give it
				// what was read and the error.
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
			} else {
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.ContentLength = int64(len(body))
			}
		}
		if err := g.Acquire(r.Context()); err != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Retry-After", strconv.Itoa(1))
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"errors":[{"message":"the server is busy and could not start the request before its deadline; retry later","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}`)
			return
		}
		defer g.Release()
		next.ServeHTTP(w, r)
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
