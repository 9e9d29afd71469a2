// Package bytelru is a least-recently-used cache bounded by the bytes its entries hold
// rather than by their count, for caches whose entries a client chooses: a count bound
// lets large entries multiply the memory held (1,000 documents of 900 KB is 900 MB), a
// byte bound does not. It implements gqlgen's graphql.Cache.
package bytelru

import (
	"container/list"
	"context"
	"sync"
)

// Cache holds at most its budget of bytes, as its size function counts them.
type Cache[V any] struct {
	budget int
	size   func(key string, v V) int

	mu    sync.Mutex
	bytes int
	order *list.List // of *entry[V], most recently used first
	index map[string]*list.Element
}

type entry[V any] struct {
	key  string
	v    V
	size int
}

// New returns a cache of budget bytes; size says what an entry holds, key included.
func New[V any](budget int, size func(key string, v V) int) *Cache[V] {
	return &Cache[V]{budget: budget, size: size, order: list.New(), index: map[string]*list.Element{}}
}

// Get returns the value under key and marks it used.
func (c *Cache[V]) Get(_ context.Context, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry[V]).v, true
}

// Add stores v under key, evicting the least recently used entries until the cache is
// within its budget. An entry larger than the whole budget is not kept.
func (c *Cache[V]) Add(_ context.Context, key string, v V) {
	e := &entry[V]{key: key, v: v, size: c.size(key, v)}
	if e.size > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[key]; ok {
		c.bytes -= el.Value.(*entry[V]).size
		c.order.Remove(el)
	}
	c.index[key] = c.order.PushFront(e)
	c.bytes += e.size
	// Bounded: each pass removes an entry, and the new one alone fits.
	for c.bytes > c.budget {
		last := c.order.Back()
		old := last.Value.(*entry[V])
		c.order.Remove(last)
		delete(c.index, old.key)
		c.bytes -= old.size
	}
}

// Bytes is what the cache holds now, as its size function counts.
func (c *Cache[V]) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Len is the number of entries held.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
