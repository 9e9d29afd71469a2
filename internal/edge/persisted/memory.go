package persisted

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/kit/bytelru"
)

// DefaultMemoryBytes is the budget of the in-memory APQ cache: 4 MiB holds the
// explorer's and playground's documents many times over (each is a few KB; the query
// limit allows 32 KiB), and stays small beside the 96 MiB memory limit.
const DefaultMemoryBytes = 4 << 20

// entryOverhead is what one entry costs beyond its document: the 64-byte hash key, the
// list element and the map slot, roughly.
const entryOverhead = 200

// MemoryCache is an APQ cache bounded by the bytes it holds rather than by a count of
// entries, so that large documents cannot multiply its size: least recently used
// documents go first, and a document larger than the whole budget is not kept.
type MemoryCache = bytelru.Cache[string]

var _ graphql.Cache[string] = (*MemoryCache)(nil)

// NewMemoryCache returns a cache holding at most budget bytes of documents (with their
// keys and bookkeeping); DefaultMemoryBytes if budget is 0 or less.
func NewMemoryCache(budget int) *MemoryCache {
	if budget <= 0 {
		budget = DefaultMemoryBytes
	}
	return bytelru.New(budget, func(hash, query string) int { return len(hash) + len(query) + entryOverhead })
}
