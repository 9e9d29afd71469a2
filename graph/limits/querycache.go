package limits

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amity/amity/internal/kit/bytelru"
)

// DefaultQueryCacheBytes is the budget of NewQueryCache: about 500 documents of 1 KB,
// the size of a typical query, or 16 of the largest the limits allow.
const DefaultQueryCacheBytes = 16 << 20

// astBytesPerByte estimates the memory of a parsed document from its text: the AST of
// a document at the token limit holds 10 (long field lists) to 33 (long lists of
// values) times the text's bytes (measured with runtime.ReadMemStats); the text itself,
// the cache's key, adds one more.
const astBytesPerByte = 34

// NewQueryCache returns a cache for gqlgen's parsed documents (handler.Server's
// SetQueryCache) bounded by the memory its documents hold rather than by their count:
// with 1,000 entries, distinct valid documents at the token limit (868 KB parsed each)
// could hold 850 MB. budget 0 or less means DefaultQueryCacheBytes.
func NewQueryCache(budget int) *bytelru.Cache[*ast.QueryDocument] {
	if budget <= 0 {
		budget = DefaultQueryCacheBytes
	}
	return bytelru.New(budget, func(query string, _ *ast.QueryDocument) int { return astBytesPerByte*len(query) + 200 })
}

var _ graphql.Cache[*ast.QueryDocument] = (*bytelru.Cache[*ast.QueryDocument])(nil)
