package limits

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestQueryCacheBoundsParsedDocuments fills the cache with 1,000 distinct documents at
// the token limit (valid ones: a list of ids), as a client can: the memory they hold
// after a GC stays within a few times the budget, where a cache of 1,000 entries held
// about 850 MB of them.
func TestQueryCacheBoundsParsedDocuments(t *testing.T) {
	ctx := context.Background()
	cache := NewQueryCache(0)
	var ids strings.Builder
	for i := range Default().MaxTokens - 15 {
		fmt.Fprintf(&ids, ` "%d"`, i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 1000 {
		q := fmt.Sprintf(`query Q%d { nodes(ids: [%s]) { id } }`, i, ids.String())
		if err := Check(q, Default()); err != nil {
			t.Fatalf("the document is refused: %v", err)
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		cache.Add(ctx, q, doc)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d documents cached, %d bytes by estimate, heap grew %.1f MiB", cache.Len(), cache.Bytes(), float64(held)/(1<<20))
	if cache.Bytes() > DefaultQueryCacheBytes {
		t.Errorf("the cache counts %d bytes, over its budget %d", cache.Bytes(), DefaultQueryCacheBytes)
	}
	if held > 2*DefaultQueryCacheBytes {
		t.Errorf("the heap grew %.0f MiB, over twice the %d MiB budget: the estimate is too low", float64(held)/(1<<20), DefaultQueryCacheBytes>>20)
	}
	runtime.KeepAlive(cache)
}
