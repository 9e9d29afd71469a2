package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var endCursor = regexp.MustCompile(`"endCursor":"([^"]*)"`)

// forgeCursor replaces the sort key of a cursor this API returned.
func forgeCursor(tb testing.TB, cursor, key string) string {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		tb.Fatal(err)
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) < 3 {
		tb.Fatalf("cursor %s: %v", b, err)
	}
	parts[1] = key
	b, _ = json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestForgedCursors sends, for every ordering, a cursor whose sort key was replaced by a
// value Go's parsers take but PostgreSQL does not: each must be the client's error on
// after (or before), never PostgreSQL's text.
func TestForgedCursors(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	MustInsertAtlas(t, a)
	dates := []string{"0000-01-01", "2024-02-30", "Infinity"}
	floats := []string{"0x1_0p0", "NaN", "Inf", "1e999"}
	ints := []string{"9223372036854775808", "1e3", "0x10"}
	texts := []string{"a\x00b"}
	const pageInfo = "{ pageInfo { endCursor } }"
	for _, tc := range []struct {
		list     string // with %s for the page arguments
		backward bool
		forged   []string
	}{
		{"cities(%s) " + pageInfo, true, texts},
		{"cities(orderBy: {field: NAME, direction: DESC}, %s) " + pageInfo, true, texts},
		{"cities(orderBy: {field: POPULATION}, %s) " + pageInfo, true, ints},
		{"cities(orderBy: {field: POPULATION, direction: DESC}, %s) " + pageInfo, true, ints},
		{"cities(near: {latitude: 50, longitude: 10, radiusKm: 500}, %s) " + pageInfo, true, floats},
		{"countries(%s) " + pageInfo, true, texts},
		{"officials(%s) " + pageInfo, true, texts},
		{"institutions(%s) " + pageInfo, true, texts},
		{"agreements(%s) " + pageInfo, true, dates},
		{"agreements(orderBy: {field: SIGNED_ON, direction: ASC}, %s) " + pageInfo, true, dates},
		{"agreements(orderBy: {field: TITLE}, %s) " + pageInfo, true, texts},
		{"sources(%s) " + pageInfo, true, dates},
		{`city(name: "Testville") { partnerships(%s) ` + pageInfo + " }", false, dates},
		{`search(query: "test", %s) ` + pageInfo, false, floats},
	} {
		for _, dir := range []struct{ page, field string }{{"first: 1, after: $c", "after"}, {"last: 1, before: $c", "before"}} {
			if dir.field == "before" && !tc.backward {
				continue
			}
			q := "query($c: String) { x: " + fmt.Sprintf(tc.list, dir.page) + " }"
			first := a.MustPost(t, q, map[string]any{"c": nil})
			m := endCursor.FindSubmatch(first.Raw)
			if len(first.Errors) > 0 || m == nil {
				t.Fatalf("%s: no cursor to forge from: %s", q, first.Raw)
			}
			for _, key := range append(tc.forged, "") {
				c := forgeCursor(t, string(m[1]), key)
				if key == "" { // a forged id instead
					b, _ := base64.RawURLEncoding.DecodeString(string(m[1]))
					var parts []string
					_ = json.Unmarshal(b, &parts)
					parts[len(parts)-1] = "0x1_0p0"
					b, _ = json.Marshal(parts)
					c = base64.RawURLEncoding.EncodeToString(b)
				}
				resp := a.MustPost(t, q, map[string]any{"c": c})
				if len(resp.Errors) != 1 {
					t.Errorf("%s with key %q: %s", q, key, resp.Raw)
					continue
				}
				e := resp.Errors[0]
				if e.code() != "BAD_USER_INPUT" || e.Extensions["field"] != dir.field || !strings.Contains(e.Message, "cursor") {
					t.Errorf("%s with key %q: got %s %v %q, want BAD_USER_INPUT on %s", q, key, e.code(), e.Extensions["field"], e.Message, dir.field)
				}
			}
		}
	}
}
