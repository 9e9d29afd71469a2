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
//
// A phase either moves rows (reading a file, copying it to the database) or waits on
// one long statement that moves none it can count (the store writing a staged table):
// the line then says how long the phase has taken rather than a rate of 0 rows/s,
// which is what a rate over an interval without counted rows would say.
type Progress struct {
	rows    atomic.Int64
	mu      sync.Mutex
	phase   string
	started time.Time // of the phase
}

// Add counts n more rows in the current phase.
func (p *Progress) Add(n int) {
	if p != nil {
		p.rows.Add(int64(n))
	}
}

// Phase starts a new phase ("reading", "writing", "storing cities"), whose rows count
// from zero.
func (p *Progress) Phase(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.phase = name
	p.started = time.Now()
	p.rows.Store(0)
	p.mu.Unlock()
}

// progressLine is one line of Report: the rate over the part of the interval spent in
// the current phase, or, when no row moved in it, the phase's duration so far.
func progressLine(file, phase string, rows, moved int64, over, inPhase time.Duration) string {
	if moved > 0 && over > 0 {
		return fmt.Sprintf("%s: %s: %d rows, %.0f rows/s", file, phase, rows, float64(moved)/over.Seconds())
	}
	if rows == 0 {
		return fmt.Sprintf("%s: %s: %s so far", file, phase, inPhase.Round(time.Second))
	}
	return fmt.Sprintf("%s: %s: %d rows, %s in this phase", file, phase, rows, inPhase.Round(time.Second))
}

// Report writes a progress line to w every interval until the returned stop is
// called (stop may be called more than once): the file, the phase, rows so far and
// the rate over the last interval (see Progress). Nothing is written for an import
// that finishes within the first interval.
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
				phase, started := p.phase, p.started
				n := p.rows.Load()
				p.mu.Unlock()
				from := lastAt
				if phase != lastPhase || started.After(lastAt) {
					// A new phase began in the interval: its rows count from its start.
					last, from = 0, started
				}
				fmt.Fprintln(w, progressLine(file, phase, n, n-last, now.Sub(from), now.Sub(started)))
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
