package importer

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Progress counts the rows of one import as it reads and writes them, for a periodic
// progress line. All methods are safe on a nil *Progress, so callers that want no
// progress pass nil.
type Progress struct {
	rows  atomic.Int64
	mu    sync.Mutex
	phase string
}

// Add counts n more rows in the current phase.
func (p *Progress) Add(n int) {
	if p != nil {
		p.rows.Add(int64(n))
	}
}

// Phase starts a new phase ("reading", "writing"), whose rows count from zero.
func (p *Progress) Phase(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.phase = name
	p.rows.Store(0)
	p.mu.Unlock()
}

// Report writes a progress line to w every interval until the returned stop is
// called (stop may be called more than once): the file, the phase, rows so far and the rate over the last interval.
// Nothing is written for an import that finishes within the first interval.
func (p *Progress) Report(w io.Writer, file string, every time.Duration) (stop func()) {
	if p == nil || every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		last, lastPhase, lastAt := int64(0), "", time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				p.mu.Lock()
				phase := p.phase
				n := p.rows.Load()
				p.mu.Unlock()
				if phase != lastPhase {
					last = 0
				}
				rate := float64(n-last) / now.Sub(lastAt).Seconds()
				fmt.Fprintf(w, "%s: %s: %d rows, %.0f rows/s\n", file, phase, n, rate)
				last, lastPhase, lastAt = n, phase, now
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}
