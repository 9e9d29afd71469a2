package readcache

import (
	"context"
	"sync"
)

// A Recorder collects what the reads of one request depended on, cached or not, so
// that the request's whole answer can be cached with those dependencies: it is as
// true as every read it was built from, and stale as soon as any of them is.
type Recorder struct {
	ticket Ticket
	mu     sync.Mutex
	deps   []Dep
}

// NewRecorder starts recording a request that begins now. Its Ticket is taken before
// any of the request's reads, so a change that arrives while they run keeps the
// answer out of the cache.
func (c *Cache) NewRecorder() *Recorder { return &Recorder{ticket: c.Ticket()} }

// Add records dependencies of a read.
func (r *Recorder) Add(deps ...Dep) {
	if r == nil || len(deps) == 0 {
		return
	}
	r.mu.Lock()
	r.deps = append(r.deps, deps...)
	r.mu.Unlock()
}

// Ticket is the mark of the request's beginning, for Put.
func (r *Recorder) Ticket() Ticket { return r.ticket }

// Deps returns what the request's reads depended on so far.
func (r *Recorder) Deps() []Dep {
	r.mu.Lock()
	defer r.mu.Unlock()
	return dedupe(append([]Dep(nil), r.deps...))
}

type recorderKey struct{}

// WithRecorder returns a context whose cached reads record their dependencies in r.
func WithRecorder(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// RecorderFrom returns the context's recorder, or nil.
func RecorderFrom(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

// GetRecorded is Get that also records, on a hit, what the entry depends on.
func (c *Cache) GetRecorded(key any, r *Recorder) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	v, deps, ok := c.getLocked(key)
	c.mu.Unlock()
	if ok {
		r.Add(deps...)
	}
	return v, ok
}
