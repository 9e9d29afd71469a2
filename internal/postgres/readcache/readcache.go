// Package readcache keeps the store's recent reads in memory, across requests, and
// never hands out one that a committed write has made stale.
//
// Every entry names what it depends on (Dep): an entity, everything that concerns a
// city, or every entity of a kind. Every committed change (knowledge.Change, as the
// writer announces it and the change feed delivers it) marks what it touches, before
// the writing request returns on the writing replica (the writer calls Invalidate
// itself) and when its notification arrives on the others; an entry read before a mark
// on one of its dependencies is stale, and Get drops it instead of answering it. Marks
// rather than an index of entries by dependency: a page of 50 partnerships depends on
// some 100 entities, and an index of them held twice the memory of the pages.
//
// A read that was already running when a change arrived may have read the database
// before that change committed; its result is refused rather than cached (Put checks
// the changes that arrived since its Ticket). When the change feed is down, changes may
// be missed, so the owner empties the cache and turns it off (SetEnabled) until the
// feed is back.
//
// Cached values are shared by every request that reads them: they must never be
// modified after Put.
package readcache

import (
	"container/list"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// Dep is something a cached read depends on.
type Dep struct {
	scope  scope
	id     uuid.UUID
	entity string
}

type scope uint8

const (
	scopeEntity scope = iota + 1
	scopeCity
	scopeKind
)

// Entity is a dependency on one entity's own row and what is written with it (its
// names, citations, an agreement's parties): a change to that entity drops the entry.
func Entity(id uuid.UUID) Dep { return Dep{scope: scopeEntity, id: id} }

// City is a dependency on everything that concerns a city: a change to the city, or a
// change to an entity whose cities include it (its partnerships, agreements, officials,
// institutions), drops the entry. A city's pages of partnerships depend on it.
func City(id uuid.UUID) Dep { return Dep{scope: scopeCity, id: id} }

// Kind is a dependency on every entity of a kind (knowledge.Change.Entity, such as
// "city"): any change of that kind drops the entry. Lists, counts and searches over
// all entities depend on their kinds.
func Kind(entity string) Dep { return Dep{scope: scopeKind, entity: entity} }

// Stats are the cache's counters since it was made.
type Stats struct {
	Hits, Misses int64
	// Evictions counts entries dropped to stay within the byte budget.
	Evictions int64
	// Invalidations counts entries dropped because a change made them stale (found
	// stale by Get, or emptied by a flush).
	Invalidations int64
	// Refused counts reads not cached because a change arrived while they ran, or
	// because the cache was off.
	Refused int64
	Entries int
	Bytes   int64
	// AnswerHits and AnswerMisses count the queries answered whole from the cache and
	// those that were not (CountAnswer); their lookups are in Hits and Misses too.
	AnswerHits, AnswerMisses int64
}

// maxMarks bounds the marks kept: past it, the cache is emptied and the marks with it
// (at 20 writes a second touching 3 dependencies each, about once in half an hour).
const maxMarks = 1 << 17

// entryOverhead is what an entry costs besides its value and its dependencies: the
// list element and the index slot; depSize is what each dependency costs.
const (
	entryOverhead = 200
	depSize       = 40
)

type entry struct {
	key   any
	value any
	size  int64
	deps  []Dep
	read  uint64 // the seq its read began at (its Ticket)
}

// Cache is a least-recently-used cache bounded by bytes. A nil *Cache is a cache that
// is always off: every Get misses and every Put is refused.
type Cache struct {
	budget int64

	mu      sync.Mutex
	enabled bool
	order   *list.List // of *entry, most recently used first
	index   map[any]*list.Element
	bytes   int64
	seq     uint64         // changes seen (and flushes), in arrival order
	marks   map[Dep]uint64 // the seq of the last change that touched each dependency
	// allCities is the seq of the last change that may touch any city (its cities
	// omitted); flushedAt the seq of the last flush.
	allCities, flushedAt uint64
	stats                Stats

	// On a standby (SetStandby), a change is heard from the primary before the standby
	// has replayed it. positioned is the last change (seq) whose WAL position on the
	// primary is known, awaited the highest such position, replayed the position the
	// standby has replayed. A read that begins while a change heard has no position yet,
	// or before the standby has replayed it, may miss it, and is not cached.
	standby           bool
	positioned        uint64
	awaited, replayed uint64
}

// New returns a cache that holds at most budget bytes of values (as Put's size counts
// them, plus an overhead per entry), or nil when budget is 0 or less.
func New(budget int64) *Cache {
	if budget <= 0 {
		return nil
	}
	return &Cache{budget: budget, enabled: true, order: list.New(), index: map[any]*list.Element{}, marks: map[Dep]uint64{}}
}

// Ticket marks when a read began. Take it before reading the database, and give it to
// Put with what was read.
type Ticket struct {
	seq uint64
	// behind: the database the read goes to had not replayed every change heard.
	behind bool
}

// Ticket returns the mark of a read that begins now.
func (c *Cache) Ticket() Ticket {
	if c == nil {
		return Ticket{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return Ticket{seq: c.seq, behind: c.behindLocked()}
}

func (c *Cache) behindLocked() bool {
	return c.standby && (c.positioned < c.seq || c.replayed < c.awaited)
}

// SetStandby tells the cache that its reads go to a standby, whose replay may lag the
// changes it hears: from now on a read is cached only if it began once every change
// heard had a WAL position (Positioned) that the standby had replayed (Replayed).
func (c *Cache) SetStandby(on bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.standby = on
}

// Seq is the count of changes (and flushes) heard so far, for Positioned.
func (c *Cache) Seq() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// Positioned records that every change up to seq (Seq) is committed on the primary at
// or before WAL position lsn: read the position after taking seq, so that it is at or
// after those commits.
func (c *Cache) Positioned(seq, lsn uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.positioned = max(c.positioned, seq)
	c.awaited = max(c.awaited, lsn)
}

// Replayed records the WAL position the standby has replayed.
func (c *Cache) Replayed(lsn uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replayed = max(c.replayed, lsn)
}

// Waiting reports what a standby's cache waits for before it caches again: a position
// for changes heard (unpositioned), or the replay of position lsn.
func (c *Cache) Waiting() (unpositioned bool, lsn uint64, replaying bool) {
	if c == nil {
		return false, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.standby && c.positioned < c.seq, c.awaited, c.standby && c.replayed < c.awaited
}

// Get returns the value cached under key, and marks it used.
func (c *Cache) Get(key any) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, _, ok := c.getLocked(key)
	return v, ok
}

// getLocked is Get with the lock held; it also returns what the entry depends on
// (shared: not to be modified).
func (c *Cache) getLocked(key any) (any, []Dep, bool) {
	el, ok := c.index[key]
	if !ok {
		c.stats.Misses++
		return nil, nil, false
	}
	e := el.Value.(*entry)
	if !c.freshLocked(e.read, e.deps) {
		c.removeLocked(el)
		c.stats.Invalidations++
		c.stats.Misses++
		return nil, nil, false
	}
	c.stats.Hits++
	c.order.MoveToFront(el)
	return e.value, e.deps, true
}

// Put caches what a read that began at t returned, under key, with its size in bytes
// and what it depends on. It refuses (and reports false) when the cache is off, when a
// change that arrived since t touches deps, or when the read began on a standby that
// had not yet replayed every change heard (SetStandby).
func (c *Cache) Put(t Ticket, key, value any, size int64, deps []Dep) bool {
	if c == nil {
		return false
	}
	deps = dedupe(deps)
	size += entryOverhead + int64(len(deps))*depSize
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled || t.behind || size > c.budget || !c.freshLocked(t.seq, deps) {
		c.stats.Refused++
		return false
	}
	if el, ok := c.index[key]; ok {
		c.removeLocked(el)
	}
	c.index[key] = c.order.PushFront(&entry{key: key, value: value, size: size, deps: deps, read: t.seq})
	c.bytes += size
	// Bounded: each pass removes one entry, and the new one alone fits.
	for c.bytes > c.budget {
		c.removeLocked(c.order.Back())
		c.stats.Evictions++
	}
	return true
}

// freshLocked reports whether a read that began at seq read is still true: no change
// since touched what it depends on. The lock is held.
func (c *Cache) freshLocked(read uint64, deps []Dep) bool {
	if read < c.flushedAt {
		return false
	}
	if read >= c.seq {
		return true
	}
	for _, d := range deps {
		if c.marks[d] > read || d.scope == scopeCity && c.allCities > read {
			return false
		}
	}
	return true
}

// dedupe drops repeated dependencies. Most values depend on a handful (a list of
// signatures: the agreement, its officials and their cities), which a scan dedupes
// without the map that was a tenth of the cost of keeping a read.
func dedupe(deps []Dep) []Dep {
	if len(deps) < 2 {
		return deps
	}
	if len(deps) <= 16 {
		out := make([]Dep, 0, len(deps))
		for _, d := range deps {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
		return out
	}
	seen := make(map[Dep]struct{}, len(deps))
	out := deps[:0:0]
	for _, d := range deps {
		if _, ok := seen[d]; !ok {
			seen[d] = struct{}{}
			out = append(out, d)
		}
	}
	return out
}

// Invalidate marks what the committed change touches: the entries that depend on it
// are stale from now on. A bulk change (an import file: many entities, read from the
// log) empties the whole cache.
func (c *Cache) Invalidate(ch knowledge.Change) {
	if c == nil {
		return
	}
	if ch.Bulk != nil {
		c.Flush()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.marks) > maxMarks {
		c.flushLocked()
	}
	c.seq++
	if ch.CitiesOmitted {
		c.allCities = c.seq
	}
	c.marks[Entity(ch.ID)] = c.seq
	c.marks[City(ch.ID)] = c.seq
	for _, city := range ch.Cities {
		c.marks[City(city)] = c.seq
	}
	c.marks[Kind(ch.Entity)] = c.seq
}

// Flush empties the cache, and refuses every read that began before it.
func (c *Cache) Flush() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

func (c *Cache) flushLocked() {
	c.seq++
	c.flushedAt = c.seq
	clear(c.marks)
	c.stats.Invalidations += int64(c.order.Len())
	c.order.Init()
	clear(c.index)
	c.bytes = 0
}

// SetEnabled turns the cache on or off. Turning it off empties it: while the change
// feed is down, changes may go unheard, and nothing cached may outlive them.
func (c *Cache) SetEnabled(on bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !on {
		c.flushLocked()
	}
	c.enabled = on
}

// Enabled reports whether the cache takes new entries.
func (c *Cache) Enabled() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enabled
}

// CountAnswer counts a query's lookup of its whole answer (graph/answers.go).
func (c *Cache) CountAnswer(hit bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit {
		c.stats.AnswerHits++
	} else {
		c.stats.AnswerMisses++
	}
}

// Stats returns the counters and the current size.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries, s.Bytes = c.order.Len(), c.bytes
	return s
}

// removeLocked takes an entry out of the list and the index.
func (c *Cache) removeLocked(el *list.Element) {
	e := el.Value.(*entry)
	c.order.Remove(el)
	delete(c.index, e.key)
	c.bytes -= e.size
}
