package persisted_test

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/kit/redistest"
)

func TestListRoundTrip(t *testing.T) {
	t.Parallel()
	l := persisted.NewList("{ a }", "{ b }")
	got, err := persisted.ParseList(l.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, l); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
}

func TestParseListRefusesWrongHash(t *testing.T) {
	t.Parallel()
	if _, err := persisted.ParseList([]byte(`{"` + persisted.Hash("{ a }") + `": "{ b }"}`)); err == nil {
		t.Error("a hash that is not its document's was accepted")
	}
	if _, err := persisted.ParseList([]byte(`["{ a }"]`)); err == nil {
		t.Error("a JSON array was accepted")
	}
}

func TestTrusted(t *testing.T) {
	t.Parallel()
	listed := "{ a }"
	tr := persisted.Trusted{List: persisted.NewList(listed)}
	ext := func(hash string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	}
	tests := []struct {
		name      string
		params    graphql.RawParams
		wantCode  string
		wantQuery string
	}{
		{"ListedText", graphql.RawParams{Query: listed}, "", listed},
		{"ListedHash", graphql.RawParams{Extensions: ext(persisted.Hash(listed))}, "", listed},
		{"ListedBoth", graphql.RawParams{Query: listed, Extensions: ext(persisted.Hash(listed))}, "", listed},
		{"UnlistedText", graphql.RawParams{Query: "{ b }"}, persisted.CodeTrustedDocumentRequired, ""},
		{"UnlistedHash", graphql.RawParams{Extensions: ext(persisted.Hash("{ b }"))}, persisted.CodeNotAllowed, ""},
		{"UnlistedTextListedHash", graphql.RawParams{Query: "{ b }", Extensions: ext(persisted.Hash(listed))}, persisted.CodeInvalid, ""},
		{"BadHash", graphql.RawParams{Extensions: ext("xyz")}, persisted.CodeInvalid, ""},
		{"Empty", graphql.RawParams{}, persisted.CodeTrustedDocumentRequired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.params
			err := tr.MutateOperationParameters(context.Background(), &p)
			code := ""
			if err != nil {
				code, _ = err.Extensions["code"].(string)
			}
			if code != tt.wantCode {
				t.Fatalf("code %q (%v), want %q", code, err, tt.wantCode)
			}
			if err == nil && p.Query != tt.wantQuery {
				t.Errorf("query %q, want %q", p.Query, tt.wantQuery)
			}
		})
	}
}

func TestRedisCache(t *testing.T) {
	t.Parallel()
	c, prefix := redistest.MustClient(t)
	ctx := context.Background()
	a := persisted.NewRedisCache(c, prefix, 0, nil)
	b := persisted.NewRedisCache(c, prefix, 0, nil)
	q := "{ shared }"
	if _, ok := b.Get(ctx, persisted.Hash(q)); ok {
		t.Fatal("found before it was added")
	}
	a.Add(ctx, persisted.Hash(q), q)
	if got, ok := b.Get(ctx, persisted.Hash(q)); !ok || got != q {
		t.Errorf("other replica: %q, %v; want %q", got, ok, q)
	}
	// Whatever else wrote under a hash, a document runs only under its own.
	c.Set(ctx, prefix+persisted.Hash("{ x }"), "{ y }", 0)
	if _, ok := b.Get(ctx, persisted.Hash("{ x }")); ok {
		t.Error("a document was served under a hash not its own")
	}
}
