package readcache

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

var (
	cityA   = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	cityB   = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	tie     = uuid.MustParse("00000000-0000-0000-0000-0000000000c1")
	pact    = uuid.MustParse("00000000-0000-0000-0000-0000000000d1")
	unknown = uuid.MustParse("00000000-0000-0000-0000-0000000000ff")
)

// Which changes drop an entry with which dependency.
func TestInvalidate(t *testing.T) {
	tests := []struct {
		name    string
		dep     Dep
		change  knowledge.Change
		dropped bool
	}{
		{"the entity itself changed", Entity(cityA), knowledge.Change{Entity: "city", ID: cityA}, true},
		{"another entity changed", Entity(cityA), knowledge.Change{Entity: "city", ID: cityB}, false},
		{"a change naming the city among its cities leaves the city's own row", Entity(cityA), knowledge.Change{Entity: "partnership", ID: tie, Cities: []uuid.UUID{cityA, cityB}}, false},
		{"a partnership of the city", City(cityA), knowledge.Change{Entity: "partnership", ID: tie, Cities: []uuid.UUID{cityA, cityB}}, true},
		{"an agreement of the other party", City(cityB), knowledge.Change{Entity: "agreement", ID: pact, Cities: []uuid.UUID{cityB}}, true},
		{"the city itself", City(cityA), knowledge.Change{Entity: "city", ID: cityA}, true},
		{"a partnership of other cities", City(cityA), knowledge.Change{Entity: "partnership", ID: tie, Cities: []uuid.UUID{cityB}}, false},
		{"cities omitted: any city may be concerned", City(cityA), knowledge.Change{Entity: "partnership", ID: tie, CitiesOmitted: true}, true},
		{"any change of the kind", Kind("city"), knowledge.Change{Entity: "city", ID: unknown}, true},
		{"a change of another kind", Kind("city"), knowledge.Change{Entity: "source", ID: unknown}, false},
		{"a bulk change empties everything", Entity(cityA), knowledge.Change{Entity: "source", Bulk: &knowledge.BulkChange{Actor: "import:x", First: 1, Last: 2, Count: 2}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(1 << 20)
			if !c.Put(c.Ticket(), "k", "v", 1, []Dep{tt.dep}) {
				t.Fatal("Put refused on a quiet cache")
			}
			c.Invalidate(tt.change)
			_, ok := c.Get("k")
			if ok == tt.dropped {
				t.Errorf("after %+v, entry with %+v present = %v, want %v", tt.change, tt.dep, ok, !tt.dropped)
			}
		})
	}
}

// A read that was running when a change arrived may hold what the change replaced: it
// is not cached if the change touches it, and is if it does not.
func TestPutRefusesAReadOverlappingAChange(t *testing.T) {
	c := New(1 << 20)
	before := c.Ticket()
	c.Invalidate(knowledge.Change{Entity: "city", ID: cityA})
	if c.Put(before, "a", "old A", 1, []Dep{Entity(cityA)}) {
		t.Error("cached a read of city A that began before A changed")
	}
	if !c.Put(before, "b", "B", 1, []Dep{Entity(cityB)}) {
		t.Error("refused a read of city B, which the change did not touch")
	}
	if !c.Put(c.Ticket(), "a", "new A", 1, []Dep{Entity(cityA)}) {
		t.Error("refused a read of A that began after the change")
	}
	if v, _ := c.Get("a"); v != "new A" {
		t.Errorf("Get(a) = %v", v)
	}
}

func TestPutRefusesAReadOlderThanAFlush(t *testing.T) {
	c := New(1 << 20)
	before := c.Ticket()
	c.Flush()
	if c.Put(before, "a", "A", 1, []Dep{Entity(cityA)}) {
		t.Error("cached a read that began before a flush")
	}
}

// The marks of changes are bounded: past maxMarks, the cache is emptied with them, and
// an entry read before is not answered.
func TestMarksAreBounded(t *testing.T) {
	c := New(1 << 20)
	c.Put(c.Ticket(), "a", "A", 1, []Dep{Entity(cityA)})
	for len(c.marks) <= maxMarks {
		c.Invalidate(knowledge.Change{Entity: "source", ID: uuid.New()})
	}
	if _, ok := c.Get("a"); !ok {
		t.Fatal("changes to other entities dropped an entry")
	}
	c.Invalidate(knowledge.Change{Entity: "source", ID: uuid.New()})
	if _, ok := c.Get("a"); ok {
		t.Error("an entry survived the flush that bounds the marks")
	}
	if n := len(c.marks); n > 8 {
		t.Errorf("%d marks kept after the flush", n)
	}
}

// Off (the change feed is down): empty, and nothing new is kept until it is on again.
func TestDisabledCacheKeepsNothing(t *testing.T) {
	c := New(1 << 20)
	c.Put(c.Ticket(), "a", "A", 1, nil)
	c.SetEnabled(false)
	if _, ok := c.Get("a"); ok {
		t.Error("turning the cache off kept an entry")
	}
	if c.Put(c.Ticket(), "a", "A", 1, nil) {
		t.Error("an off cache took an entry")
	}
	c.SetEnabled(true)
	if !c.Put(c.Ticket(), "a", "A", 1, nil) {
		t.Error("an enabled cache refused an entry")
	}
}

func TestNilCacheIsOff(t *testing.T) {
	var c *Cache = New(0)
	if c != nil {
		t.Fatal("New(0) made a cache")
	}
	if c.Put(c.Ticket(), "a", "A", 1, nil) {
		t.Error("a nil cache took an entry")
	}
	if _, ok := c.Get("a"); ok {
		t.Error("a nil cache had an entry")
	}
	c.Invalidate(knowledge.Change{ID: cityA})
	c.Flush()
	c.SetEnabled(true)
	if c.Enabled() || c.Stats() != (Stats{}) {
		t.Error("a nil cache reports itself on")
	}
}

// The budget bounds the bytes held; the least recently used entries go first, and
// their dependencies with them.
func TestEvictionKeepsTheBudget(t *testing.T) {
	const value = 1000
	const each = value + entryOverhead + depSize
	c := New(10 * each)
	for i := range 10 {
		c.Put(c.Ticket(), i, i, value, []Dep{Entity(uuid.New())})
	}
	c.Get(0) // 0 is now the most recently used
	c.Put(c.Ticket(), 10, 10, value, []Dep{Entity(uuid.New())})
	st := c.Stats()
	if st.Entries != 10 || st.Bytes > 10*each || st.Evictions != 1 {
		t.Errorf("after an 11th entry: %+v", st)
	}
	if _, ok := c.Get(1); ok {
		t.Error("the least recently used entry was kept")
	}
	if _, ok := c.Get(0); !ok {
		t.Error("a recently used entry was evicted")
	}
	if c.Put(c.Ticket(), "huge", 0, 13*value, nil) {
		t.Error("kept an entry larger than the whole budget")
	}
}

func TestReplacingAKeyDropsItsOldDependencies(t *testing.T) {
	c := New(1 << 20)
	c.Put(c.Ticket(), "k", "v1", 1, []Dep{Entity(cityA)})
	c.Put(c.Ticket(), "k", "v2", 1, []Dep{Entity(cityB)})
	c.Invalidate(knowledge.Change{Entity: "city", ID: cityA})
	if v, ok := c.Get("k"); !ok || v != "v2" {
		t.Errorf("Get(k) = %v, %v; a change to A dropped an entry that no longer depends on it", v, ok)
	}
	if st := c.Stats(); st.Entries != 1 || st.Bytes != 1+entryOverhead+depSize {
		t.Errorf("stats %+v", st)
	}
}

// Readers and a writer at once (run with -race): a reader never gets a value older than
// the last change announced before its read began, which is what the writing request
// waits for before it answers.
func TestConcurrentReadersNeverSeeAStaleValue(t *testing.T) {
	c := New(1 << 20)
	var db, announced atomic.Int64 // the database's value of city A; the last announced
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := int64(1); v <= 2000; v++ {
			db.Store(v) // commit
			c.Invalidate(knowledge.Change{Entity: "city", ID: cityA})
			announced.Store(v)
			runtime.Gosched()
		}
	}()
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20000 {
				floor := announced.Load()
				v, ok := c.Get("a")
				if !ok {
					tk := c.Ticket()
					v = db.Load()
					// Let the writer commit and announce between the read and the Put,
					// as a slow query would.
					runtime.Gosched()
					c.Put(tk, "a", v, 8, []Dep{Entity(cityA)})
				}
				if v.(int64) < floor {
					errs <- fmt.Errorf("read %d after %d was announced", v, floor)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Hits == 0 {
		t.Errorf("no read was served from the cache: %+v", st)
	}
}

// On a standby, a change is heard before the standby has replayed it: a read that
// begins before the change's position is known, or before the standby has replayed
// it, may return what the change replaced, and is not cached; a read that begins after
// both is.
func TestReadsBehindTheReplayAreNotCached(t *testing.T) {
	c := New(1 << 20)
	c.SetStandby(true)
	c.Invalidate(knowledge.Change{Entity: "city", ID: cityA})
	unknown := c.Ticket()
	if u, _, _ := c.Waiting(); !u {
		t.Error("Waiting() does not report a change without a position")
	}
	c.Positioned(c.Seq(), 200)
	c.Replayed(100)
	behind := c.Ticket()
	if u, lsn, r := c.Waiting(); u || lsn != 200 || !r {
		t.Errorf("Waiting() = %v, %d, %v; want false, 200, true", u, lsn, r)
	}
	c.Replayed(250)
	for name, tk := range map[string]Ticket{"before the position was known": unknown, "before the replay": behind} {
		if c.Put(tk, "a", "old A", 1, []Dep{Entity(cityA)}) {
			t.Errorf("cached a read of A that began %s", name)
		}
		if c.Put(tk, "b", "B", 1, []Dep{Entity(cityB)}) {
			t.Errorf("cached a read of B that began %s (it cannot know what it missed)", name)
		}
	}
	if !c.Put(c.Ticket(), "a", "new A", 1, []Dep{Entity(cityA)}) {
		t.Error("refused a read that began after the replay")
	}
	c.Positioned(c.Seq(), 150) // an older position changes nothing
	if _, _, r := c.Waiting(); r {
		t.Error("waiting again for a position already replayed")
	}
	c.Flush() // a gap: what was missed has no position yet
	if c.Put(c.Ticket(), "a", "A", 1, nil) {
		t.Error("cached a read that began after a gap, before its position was known")
	}
}

// What was read yesterday about today is gone at midnight UTC.
func TestFlushDaily(t *testing.T) {
	c := New(1 << 20)
	c.Put(c.Ticket(), "network as of today", 1, 8, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	almostMidnight := time.Date(2026, 12, 2, 23, 59, 59, 900_000_000, time.UTC)
	go c.FlushDaily(ctx, func() time.Time { return almostMidnight.Add(time.Since(start)) })
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := c.Get("network as of today"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache was not emptied at midnight")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("emptied after %v, before midnight", waited)
	}
}
