package persisted_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph/limits"
	"github.com/amity/amity/internal/edge/persisted"
)

func apqParams(query, hash string) *graphql.RawParams {
	return &graphql.RawParams{Query: query, Extensions: map[string]any{
		"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash},
	}}
}

func codeOf(err *gqlerror.Error) string {
	if err == nil {
		return ""
	}
	c, _ := err.Extensions["code"].(string)
	return c
}

func TestMemoryCacheIsBoundedByBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := persisted.NewMemoryCache(10_000)
	doc := func(i int) string { return fmt.Sprintf("{ a%d %s }", i, strings.Repeat("b ", 1000)) }
	for i := range 20 {
		c.Add(ctx, persisted.Hash(doc(i)), doc(i))
		if c.Bytes() > 10_000 {
			t.Fatalf("after %d documents the cache holds %d bytes, over its 10,000", i+1, c.Bytes())
		}
	}
	if _, ok := c.Get(ctx, persisted.Hash(doc(0))); ok {
		t.Error("the oldest document is still held")
	}
	if got, ok := c.Get(ctx, persisted.Hash(doc(19))); !ok || got != doc(19) {
		t.Errorf("the newest document: %q, %v", got, ok)
	}
	// A document used recently outlives one used earlier.
	n := c.Len()
	c.Get(ctx, persisted.Hash(doc(20-n)))
	c.Add(ctx, persisted.Hash(doc(99)), doc(99))
	if _, ok := c.Get(ctx, persisted.Hash(doc(20-n))); !ok {
		t.Error("a recently read document was evicted before older ones")
	}
	big := strings.Repeat("x", 20_000)
	c.Add(ctx, persisted.Hash(big), big)
	if _, ok := c.Get(ctx, persisted.Hash(big)); ok {
		t.Error("a document larger than the whole budget was kept")
	}
}

// TestAPQStoresOnlyWhatPasses: a document the limits refuse is never stored, and one
// read back by hash is checked again.
func TestAPQStoresOnlyWhatPasses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cache := persisted.NewMemoryCache(0)
	lim := limits.New(limits.Default())
	apq := persisted.APQ{Cache: cache, Check: lim.CheckQuery}

	tooLarge := `{ city(name: "` + strings.Repeat("x", limits.Default().MaxQueryBytes) + `") { name } }`
	fanOut := `{ ...A } fragment A on Query { ...B ...B ...B } fragment B on Query {` + strings.Repeat(" a", 1000) + ` }`
	for _, q := range []string{tooLarge, fanOut} {
		h := persisted.Hash(q)
		if err := apq.MutateOperationParameters(ctx, apqParams(q, h)); err == nil {
			t.Errorf("%.40s… passed", q)
		}
		if err := apq.MutateOperationParameters(ctx, apqParams("", h)); codeOf(err) != persisted.CodeNotFound {
			t.Errorf("%.40s… by hash after a refusal: %v, want %s", q, err, persisted.CodeNotFound)
		}
	}
	if cache.Len() != 0 {
		t.Errorf("%d refused documents stored", cache.Len())
	}

	ok := `{ city(name: "x") { name } }`
	if err := apq.MutateOperationParameters(ctx, apqParams(ok, persisted.Hash(ok))); err != nil {
		t.Fatal(err)
	}
	p := apqParams("", persisted.Hash(ok))
	if err := apq.MutateOperationParameters(ctx, p); err != nil || p.Query != ok {
		t.Fatalf("by hash: %q, %v", p.Query, err)
	}
	// Stricter limits (another replica, or after a restart) refuse what is stored.
	strict := limits.Default()
	strict.MaxFields = 1
	apq.Check = limits.New(strict).CheckQuery
	if err := apq.MutateOperationParameters(ctx, apqParams("", persisted.Hash(ok))); codeOf(err) != limits.CodeTooManyFields {
		t.Errorf("a stored document over today's limits, by hash: %v", err)
	}
}
