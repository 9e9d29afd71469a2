package graph_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

// TestInt32 holds Int to GraphQL's rule: a signed 32-bit integer, never a string or a
// fraction, on literals, variables and input objects alike, and never an output beyond
// 32 bits passed off as a number.
func TestInt32(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	const cities = `query($n: Int) { cities(first: $n) { totalCount } }`
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		code, field string
		message     string
	}{
		{"literal over 32 bits", `{ cities(first: 2147483648) { totalCount } }`, nil, "BAD_USER_INPUT", "first", "got 2147483648"},
		{"literal string", `{ cities(first: "10") { totalCount } }`, nil, "GRAPHQL_VALIDATION_FAILED", "", `Int cannot represent non-integer value: "10"`},
		{"literal fraction", `{ cities(first: 1.5) { totalCount } }`, nil, "GRAPHQL_VALIDATION_FAILED", "", "Int cannot represent non-integer value: 1.5"},
		{"variable over 32 bits", cities, map[string]any{"n": 2147483648}, "BAD_USER_INPUT", "first", "got 2147483648"},
		{"variable string", cities, map[string]any{"n": "10"}, "BAD_USER_INPUT", "first", `got the string "10"`},
		{"variable fraction", cities, map[string]any{"n": 1.5}, "BAD_USER_INPUT", "$n", "$n must be a whole number"},
		{"variable boolean", cities, map[string]any{"n": true}, "BAD_USER_INPUT", "$n", "$n must be a whole number"},
		{"input object variable fraction", `query($f: CityFilter) { cities(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"populationMin": 1.5}}, "BAD_USER_INPUT", "$f.populationMin", "$f.populationMin must be a whole number"},
		{"input object literal over 32 bits", `{ cities(filter: {populationMin: 3000000000}) { totalCount } }`, nil,
			"BAD_USER_INPUT", "filter.populationMin", "got 3000000000"},
	} {
		resp := a.MustPost(t, tc.query, tc.vars)
		if len(resp.Errors) != 1 || resp.Errors[0].code() != tc.code || !strings.Contains(resp.Errors[0].Message, tc.message) ||
			(tc.field != "" && resp.Errors[0].Extensions["field"] != tc.field) {
			t.Errorf("%s: got %s, want %s on %q with %q", tc.name, resp.Raw, tc.code, tc.field, tc.message)
		}
	}

	// Writes: refused before anything is stored.
	before := a.MustTableCounts(t)
	resp := a.MustPostAs(t, writer, createCity, cityInput("Bigville", map[string]any{"population": 3000000000}))
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != "input.population" {
		t.Errorf("createCity with population 3000000000: %s", resp.Raw)
	}
	var shenzhen struct{ City struct{ ID string } }
	a.MustPost(t, `{ city(name: "Shenzhen") { id } }`, nil).MustData(t, &shenzhen)
	resp = a.MustPostAs(t, writer, `mutation($input: UpdateCityInput!) { updateCity(input: $input) { city { version } } }`,
		map[string]any{"input": map[string]any{"id": shenzhen.City.ID, "version": 99999999999, "population": 1,
			"sources": map[string]any{"new": []any{map[string]any{"title": "Gazette", "url": "https://example.test/g"}}}}})
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != "input.version" {
		t.Errorf("updateCity with version 99999999999: %s", resp.Raw)
	}
	if after := a.MustTableCounts(t); !reflect.DeepEqual(before, after) {
		t.Errorf("refused writes changed the tables: %v, then %v", before, after)
	}

	// Output: a population beyond 32 bits (as an import could store) is a field error,
	// not a number emitted silently.
	mustExec(t, a, `UPDATE cities SET population = 3000000000 WHERE name = 'Shenzhen'`)
	resp = a.MustPost(t, `{ city(name: "Shenzhen") { name population } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "INTERNAL_SERVER_ERROR" ||
		!reflect.DeepEqual(resp.Errors[0].Path, []any{"city", "population"}) ||
		!strings.Contains(string(resp.Data), `"population":null`) || strings.Contains(string(resp.Raw), "3000000000") {
		t.Errorf("population 3000000000 out: %s", resp.Raw)
	}
}
