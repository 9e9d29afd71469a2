package graph_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// @defer is refused with its own code, before anything runs, over both media types:
// the transport has no incremental delivery, and a deferred field would otherwise read
// null.
func TestDeferIsRefused(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	for _, q := range []string{
		`{ city(name: "Moscow") { name ... @defer { population } } }`,
		`{ city(name: "Moscow") { name ... @ defer(label: "later") { population } } }`,
		`{ cities(first: 2) { nodes { ...P @defer } } } fragment P on City { population }`,
		`{ cities(first: 2) { nodes { name ... on City { country { ... @defer { name } } } } } }`,
	} {
		r := a.MustPost(t, q, nil)
		if len(r.Errors) != 1 || r.Errors[0].code() != "DEFER_NOT_SUPPORTED" || r.Data != nil && string(r.Data) != "null" {
			t.Errorf("%s: %d %s", q, r.Status, r.Raw)
		}
		if r.Statements != 0 {
			t.Errorf("%s: ran %d statements", q, r.Statements)
		}
	}
	// The same over application/graphql-response+json: 400, like a validation error.
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": "{ city(name: \"Moscow\") { ... @defer { name } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	resp := a.MustDo(t, req)
	if resp.Status != http.StatusBadRequest || !strings.Contains(string(resp.Raw), "DEFER_NOT_SUPPORTED") {
		t.Errorf("graphql-response+json: %d %s", resp.Status, resp.Raw)
	}
	// Without @defer, the same selections answer.
	r := a.MustPost(t, `{ city(name: "Moscow") { name ... { country { name } } } }`, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"country":{"name":`) {
		t.Errorf("without @defer: %s", r.Raw)
	}
}
