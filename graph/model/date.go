// Package model holds the GraphQL-only types: connections, edges, page info, the Date
// and Int scalars, and the GraphQL encoding of the knowledge enums (enums.go). The
// knowledge types themselves come from internal/knowledge, which knows nothing of how
// GraphQL writes them.
package model

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/knowledge"
)

// DateLayout is the ISO 8601 calendar date format of the Date scalar.
const DateLayout = "2006-01-02"

// MarshalDate writes a date as "YYYY-MM-DD".
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(DateLayout)))
	})
}

// UnmarshalDate reads "YYYY-MM-DD" and refuses anything else, including dates that do
// not exist such as 2023-02-29.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, knowledge.Errorf(knowledge.EINVALID, "a Date is a string like \"2024-03-07\", not %T", v)
	}
	t, err := ParseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// ParseDate parses an ISO 8601 calendar date.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || len(s) != len(DateLayout) {
		return time.Time{}, knowledge.Errorf(knowledge.EINVALID, "%q is not a calendar date in the form YYYY-MM-DD", s)
	}
	return t, nil
}
