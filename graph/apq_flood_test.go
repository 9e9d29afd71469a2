package graph_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/edge/server"
)

// TestAPQFloodStaysWithinMemory sends the flood: 1,000 anonymous 900 KB
// documents, each with its correct SHA-256 as an automatic persisted query. Each is
// refused (QUERY_TOO_LARGE) and none is stored, so the process heap stays far under
// 72 MiB, below the server's memory limit (it reached 901 MiB when APQ stored before the
// limits ran).
// Not parallel: it reads the whole process's heap.
func TestAPQFloodStaysWithinMemory(t *testing.T) {
	const (
		documents = 1000
		docBytes  = 900 << 10
		heapLimit = 72 << 20
	)
	cfg := server.DefaultConfig()
	cache := persisted.NewMemoryCache(persisted.DefaultMemoryBytes)
	cfg.GraphQL.PersistedQueries = cache
	a := MustAPIWith(t, cfg)

	filler := strings.Repeat("x", docBytes)
	for i := range documents {
		// Built by hand: the document needs no JSON escaping but its two quotes.
		name := fmt.Sprint(i) + filler
		doc := `{ city(name: "` + name + `") { name } }`
		body := `{"query":"{ city(name: \"` + name + `\") { name } }",` +
			`"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + persisted.Hash(doc) + `"}}}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp := a.MustDo(t, req)
		if len(resp.Errors) != 1 || resp.Errors[0].code() != "QUERY_TOO_LARGE" {
			t.Fatalf("document %d: status %d: %.300s", i, resp.Status, resp.Raw)
		}
	}
	if cache.Len() != 0 || cache.Bytes() > persisted.DefaultMemoryBytes {
		t.Errorf("the APQ cache holds %d documents, %d bytes (budget %d)", cache.Len(), cache.Bytes(), persisted.DefaultMemoryBytes)
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("heap after the flood and a GC: %.1f MiB", float64(m.HeapAlloc)/(1<<20))
	if m.HeapAlloc > heapLimit/2 {
		t.Errorf("heap %.0f MiB after the flood; the memory limit is %d MiB", float64(m.HeapAlloc)/(1<<20), heapLimit>>20)
	}
}
