package persisted

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// DefaultMemoryBytes is the budget of the in-memory APQ cache: 4 MiB holds the
// explorer's and playground's documents many times over (each is a few KB; the query
// limit allows 32 KiB), and stays small beside the 72 MiB memory limit.
const DefaultMemoryBytes = 4 << 20

// entryOverhead is what one entry costs beyond its document: the 64-byte hash key, the
// list element and the map slot, roughly.
const entryOverhead = 200

// MemoryCache is an APQ cache bounded by the bytes it holds rather than by a count of
// entries, so that large documents cannot multiply its size: least recently used
// documents go first, and a document larger than the whole budget is not kept.
type MemoryCache struct {
	budget int

	mu    sync.Mutex
	bytes int
	order *list.List // of *memoryEntry, most recently used first
	index map[string]*list.Element
}

type memoryEntry struct {
	hash, query string
}

var _ graphql.Cache[string] = (*MemoryCache)(nil)

// NewMemoryCache returns a cache holding at most budget bytes of documents (with their
// keys and bookkeeping); DefaultMemoryBytes if budget is 0 or less.
func NewMemoryCache(budget int) *MemoryCache {
	if budget <= 0 {
		budget = DefaultMemoryBytes
	}
	return &MemoryCache{budget: budget, order: list.New(), index: map[string]*list.Element{}}
}

func size(e *memoryEntry) int { return len(e.hash) + len(e.query) + entryOverhead }

// Get implements graphql.Cache.
func (c *MemoryCache) Get(_ context.Context, hash string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[hash]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(el)
	return el.Value.(*memoryEntry).query, true
}

// Add implements graphql.Cache.
func (c *MemoryCache) Add(_ context.Context, hash, query string) {
	e := &memoryEntry{hash: hash, query: query}
	if size(e) > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[hash]; ok {
		c.bytes -= size(el.Value.(*memoryEntry))
		c.order.Remove(el)
	}
	c.index[hash] = c.order.PushFront(e)
	c.bytes += size(e)
	// Bounded: each pass removes an entry, and the new one alone fits.
	for c.bytes > c.budget {
		last := c.order.Back()
		old := last.Value.(*memoryEntry)
		c.order.Remove(last)
		delete(c.index, old.hash)
		c.bytes -= size(old)
	}
}

// Bytes is what the cache holds now, documents, keys and bookkeeping.
func (c *MemoryCache) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Len is the number of documents held.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
