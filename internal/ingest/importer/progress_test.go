package importer

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		name          string
		rows, moved   int64
		over, inPhase time.Duration
		want          string
	}{
		{"rows moved", 30000, 10000, time.Second, 3 * time.Second, "f: reading: 30000 rows, 10000 rows/s"},
		{"half an interval in a new phase", 500, 500, 500 * time.Millisecond, 500 * time.Millisecond, "f: reading: 500 rows, 1000 rows/s"},
		// A long statement moves no row it can count: no "0 rows/s".
		{"waiting on the database", 0, 0, time.Second, 7 * time.Second, "f: reading: 7s so far"},
		{"rows, then none in the interval", 200, 0, time.Second, 3 * time.Second, "f: reading: 200 rows, 3s in this phase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := progressLine("f", "reading", tc.rows, tc.moved, tc.over, tc.inPhase); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// syncBuffer hands each line Report writes to the test.
type syncBuffer struct {
	ch chan string
}

func (b syncBuffer) Write(p []byte) (int, error) {
	b.ch <- string(p)
	return len(p), nil
}

func TestProgressReport(t *testing.T) {
	p := new(Progress)
	out := syncBuffer{ch: make(chan string, 100)}
	p.Phase("reading")
	stop := p.Report(out, "f", 20*time.Millisecond)
	p.Add(1000)
	first := <-out.ch
	p.Phase("storing cities")
	var waiting string
	for waiting == "" || !strings.Contains(waiting, "storing cities") {
		waiting = <-out.ch
	}
	stop()
	if !strings.Contains(first, "f: reading: 1000 rows, ") || strings.Contains(first, " 0 rows/s") {
		t.Errorf("first line %q: want the rows read and a rate", first)
	}
	if !strings.Contains(waiting, "so far") || strings.Contains(waiting, "rows/s") {
		t.Errorf("line of a phase without rows %q: want its duration, not a rate", waiting)
	}
}
