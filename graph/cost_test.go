package graph_test

import (
	"fmt"
	"strings"
	"testing"
)

// fanOut is the document: eight fragments on Query, each spreading the next
// eight times, 8^8 fields once expanded, in 636 bytes.
func fanOut() string {
	var b strings.Builder
	b.WriteString("query { ...F0 }")
	for i := range 8 {
		fmt.Fprintf(&b, " fragment F%d on Query {%s }", i, strings.Repeat(fmt.Sprintf(" ...F%d", i+1), 8))
	}
	b.WriteString(" fragment F8 on Query { __typename }")
	return b.String()
}

// TestFragmentFanOutRefusedByLimits checks that the fan-out is refused by the limits,
// before validation and gqlgen's complexity walk (which refused it as
// COMPLEXITY_LIMIT_EXCEEDED only after expanding all 16.8 million fields).
func TestFragmentFanOutRefusedByLimits(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	resp := a.MustPost(t, fanOut(), nil)
	if len(resp.Errors) != 1 || resp.Errors[0].code() != "TOO_MANY_FIELDS" {
		t.Fatalf("status %d: %s", resp.Status, resp.Raw)
	}
	if resp.Statements != 0 {
		t.Errorf("%d SQL statements for a refused document", resp.Statements)
	}
}
