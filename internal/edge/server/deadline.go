package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/amity/amity/internal/edge/metrics"
)

// AnswerGrace is how long after its deadline a GraphQL request is answered at the
// latest. The handler normally answers first: its context ends at the deadline, and
// PostgreSQL cancels the statement at once. When something below it does not return (a
// stalled database holds a connection until its socket gives up a second after the
// deadline, internal/postgres/deadline.go), the guard answers in its place, so the
// client is not left waiting for the server's write timeout to close its connection.
const AnswerGrace = 500 * time.Millisecond

// unavailableBody is the guard's answer, a GraphQL error like every other refusal.
const unavailableBody = `{"errors":[{"message":"the request did not finish within its deadline; retry later","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}`

// withTimeout bounds a request, but not a WebSocket: its subscriptions live as long as
// the connection (see Server.upgrades). The handler runs with the deadline in its
// context; a handler still silent AnswerGrace after it is answered 503
// SERVICE_UNAVAILABLE with Retry-After, and whatever it writes later is discarded. An
// answer the handler has started is left to finish: cutting it short would corrupt it,
// and the server's write timeout bounds it.
func withTimeout(d time.Duration, log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		dw := &deadlineWriter{w: w, header: w.Header().Clone()}
		done := make(chan *handlerPanic, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- &handlerPanic{value: p, stack: debug.Stack()}
					return
				}
				done <- nil
			}()
			next.ServeHTTP(dw, r.WithContext(ctx))
		}()
		timer := time.NewTimer(d + AnswerGrace)
		defer timer.Stop()
		select {
		case p := <-done:
			p.repanic()
			return
		case <-timer.C:
		}
		if !dw.takeOver() {
			(<-done).repanic()
			return
		}
		log.WarnContext(r.Context(), "request answered at its deadline: the handler did not return", "path", r.URL.Path, "timeout", d)
		m.ObserveDeadlineAnswer()
		go func() {
			// Nobody waits for the handler any more: a panic of its would otherwise go
			// unnoticed.
			if p := <-done; p != nil && p.value != http.ErrAbortHandler {
				log.Error("panic in handler after its deadline answer", "panic", fmt.Sprint(p.value), "stack", string(p.stack))
			}
		}()
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Retry-After", "1")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, unavailableBody)
	})
}

// handlerPanic carries a panic of the handler's goroutine to the request's, where
// recoverPanics answers and logs it.
type handlerPanic struct {
	value any
	stack []byte
}

func (p *handlerPanic) repanic() {
	switch {
	case p == nil:
	case p.value == http.ErrAbortHandler:
		panic(p.value)
	default:
		panic(fmt.Sprintf("%v\n\nin the handler's goroutine:\n%s", p.value, p.stack))
	}
}

// deadlineWriter is the handler's ResponseWriter under withTimeout. It writes through
// to the client until the guard takes the answer over; from then on the handler's
// writes go nowhere. The handler gets a header map of its own, so the guard's answer
// never carries half of the handler's headers.
type deadlineWriter struct {
	w      http.ResponseWriter
	header http.Header

	mu      sync.Mutex
	started bool // the handler's answer is under way: the guard keeps out
	taken   bool // the guard answered: the handler is ignored
}

func (d *deadlineWriter) Header() http.Header { return d.header }

func (d *deadlineWriter) WriteHeader(code int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken || d.started {
		return
	}
	d.start(code)
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken {
		return 0, http.ErrHandlerTimeout
	}
	if !d.started {
		d.start(http.StatusOK)
	}
	return d.w.Write(b)
}

// Flush sends what the handler wrote so far, which starts its answer.
func (d *deadlineWriter) Flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken {
		return
	}
	if !d.started {
		d.start(http.StatusOK)
	}
	http.NewResponseController(d.w).Flush()
}

// start sends the handler's status and headers; d.mu is held.
func (d *deadlineWriter) start(code int) {
	d.started = true
	dst := d.w.Header()
	clear(dst)
	maps.Copy(dst, d.header)
	d.w.WriteHeader(code)
}

// takeOver reports whether the guard may answer: the handler has not started its own
// answer, and now never will.
func (d *deadlineWriter) takeOver() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return false
	}
	d.taken = true
	return true
}
