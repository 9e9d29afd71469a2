package bench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// freshness records what the mixed cell's writer changed and checks every read answer
// against it. The check is exact, not statistical: each write sets a field that Q1–Q4
// return (a city's population, an agreement's title, the set of a city's partnerships the
// writer made), and one writer sends one write at a time, so the states of each field
// form a sequence in commit order. An answer read after write w's response arrived must
// show w's state of the field or a later one, and a later one only if its write was
// sent before the answer arrived. A value may recur (a partnership created, then
// retracted), which is why the check looks for the observed value among the allowed
// states rather than deciding from the value alone.
//
// A key names one such field ("pop/<city>", "title/<agreement>", "ps/<city>").
type freshness struct {
	mu   sync.RWMutex
	hist map[string][]fstate
	// Counted under mu.
	checked    int
	violations []string
	nViolation int // stale fields
	staleReads int // answers with at least one stale field
}

// fstate is one state of a field: its value and, once known, when the write that made
// it committed (its HTTP response arrived). The initial state counts as committed long ago.
type fstate struct {
	value string
	seq   int       // the write's number; -1 for the initial state
	sent  time.Time // when the write was sent; zero for the initial state
	done  time.Time // response arrival; zero while in flight or when uncertain
	// uncertain: the write's outcome is unknown (a transport error), so the state may
	// be seen but is never required.
	uncertain bool
}

const maxViolationReports = 20

func newFreshness() *freshness { return &freshness{hist: map[string][]fstate{}} }

// initial registers a field's state before the writer first changes it. It does nothing
// when the field already has a history.
func (f *freshness) initial(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.hist[key]; !ok {
		f.hist[key] = []fstate{{value: value, seq: -1}}
	}
}

// sent records that write seq, sent at t, sets key to value; call it before sending.
func (f *freshness) sent(key, value string, seq int, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hist[key] = append(f.hist[key], fstate{value: value, seq: seq, sent: t})
}

// committed records that write seq's response arrived at t and said the write was done.
func (f *freshness) committed(seq int, t time.Time) { f.finish(seq, t, false) }

// failed records that write seq did not happen (its answer refused it): its states go.
func (f *freshness) failed(seq int) { f.finish(seq, time.Time{}, true) }

// uncertain records that write seq's outcome is unknown.
func (f *freshness) uncertain(seq int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, h := range f.hist {
		for i := range h {
			if h[i].seq == seq {
				h[i].uncertain = true
			}
		}
		f.hist[k] = h
	}
}

func (f *freshness) finish(seq int, t time.Time, drop bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, h := range f.hist {
		// The writer's last write is at the end of each history it touched.
		n := len(h)
		if n == 0 || h[n-1].seq != seq {
			continue
		}
		if drop {
			f.hist[k] = h[:n-1]
		} else {
			h[n-1].done = t
		}
	}
}

// check compares what an answer showed for key with the states committed more than lag
// before the read began (readStart) and those sent before its answer arrived (readEnd).
// lag is 0 on the replica the writes go through (read-your-writes) and the promised
// bound on another replica. It reports whether the answer was fresh, and counts it.
func (f *freshness) check(server, op, key, observed string, readStart, readEnd time.Time, lag time.Duration) bool {
	f.mu.RLock()
	h := f.hist[key]
	// The last state whose write had committed more than lag before the read began: the
	// answer may show it or any later one (later writes may or may not have been seen yet).
	cutoff := readStart.Add(-lag)
	k := 0
	for i := len(h) - 1; i > 0; i-- {
		if !h[i].uncertain && !h[i].done.IsZero() && h[i].done.Before(cutoff) {
			k = i
			break
		}
	}
	ok := len(h) == 0
	// States are appended in the order their writes were sent.
	for j := k; j < len(h) && !ok && (j == 0 || h[j].sent.Before(readEnd)); j++ {
		ok = h[j].value == observed
	}
	var msg string
	if !ok {
		want := h[k]
		msg = fmt.Sprintf("%s %s: %s read %s showed %q, but write #%d, whose response arrived %v before the read began (allowed lag %v), had made it %q",
			server, op, key, readStart.Format("15:04:05.000000"), observed, want.seq, readStart.Sub(want.done).Round(time.Microsecond), lag, want.value)
	}
	f.mu.RUnlock()
	f.mu.Lock()
	f.checked++
	if !ok {
		f.nViolation++
		if len(f.violations) < maxViolationReports {
			f.violations = append(f.violations, msg)
		}
	}
	f.mu.Unlock()
	return ok
}

// tracked reports whether the writer has touched key.
func (f *freshness) tracked(key string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	_, ok := f.hist[key]
	return ok
}

func (f *freshness) counts() (checked, violations int, first []string) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.checked, f.nViolation, append([]string(nil), f.violations...)
}

// staleAnswers counts the answers that had at least one stale field.
func (f *freshness) staleAnswers() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.staleReads
}

// Writer partnerships start on or after this date, later than any in the data set, so
// they sort first in every newest-first list and are told apart from the data set's.
const writerSinceFrom = "2100-01-01"

// partnershipSet is the value of a "ps/<city>" key: the writer's partnerships of the
// city as "partner@since", sorted.
func partnershipSet(sigs []string) string {
	s := append([]string(nil), sigs...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

// titleRevSep separates an agreement's original title from the writer's revision
// number; titleBase returns the original title.
const titleRevSep = " rev "

func titleBase(title string) string {
	if i := strings.LastIndex(title, titleRevSep); i >= 0 {
		if _, err := strconv.Atoi(title[i+len(titleRevSep):]); err == nil {
			return title[:i]
		}
	}
	return title
}

// checkAnswer checks the fields of one normalized answer (n1, n2, n4 for a city, []n3a)
// and returns how many were fresh and stale. city is the city the request asked for
// (and the key prefix its fields go under); Q3 takes none.
func (f *freshness) checkAnswer(server, op, city string, norm any, readStart, readEnd time.Time, lag time.Duration) (stale int) {
	bad := func(ok bool) {
		if !ok {
			stale++
		}
	}
	titles := func(ts []string) {
		for _, t := range ts {
			key := "title/" + titleBase(t)
			if f.tracked(key) {
				bad(f.check(server, op, key, t, readStart, readEnd, lag))
			}
		}
	}
	partners := func(sig []string) {
		key := "ps/" + city
		if f.tracked(key) {
			bad(f.check(server, op, key, partnershipSet(sig), readStart, readEnd, lag))
		}
	}
	switch a := norm.(type) {
	case n1:
		if key := "pop/" + city; f.tracked(key) {
			bad(f.check(server, op, key, a.Population, readStart, readEnd, lag))
		}
	case n2:
		var sig []string
		for _, p := range a.Partnerships {
			if p.Since >= writerSinceFrom {
				sig = append(sig, p.Partner+"@"+p.Since)
			}
		}
		partners(sig)
	case n4:
		var sig, ts []string
		for _, p := range a.Partnerships {
			if p.Since >= writerSinceFrom {
				sig = append(sig, p.Partner+"@"+p.Since)
			}
			for _, ag := range p.Agreements {
				ts = append(ts, ag.Title)
			}
		}
		partners(sig)
		titles(ts)
	case []n3a:
		var ts []string
		for _, ag := range a {
			ts = append(ts, ag.Title)
		}
		titles(ts)
	}
	if stale > 0 {
		f.mu.Lock()
		f.staleReads++
		f.mu.Unlock()
	}
	return stale
}
