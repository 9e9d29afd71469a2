// Package model holds the GraphQL-only types: connections, edges, page info, the Date
// and Int scalars, and the GraphQL encoding of the knowledge enums (enums.go). The
// knowledge types themselves come from internal/knowledge, which knows nothing of how
// GraphQL writes them.
package model

import (
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/knowledge"
)

// MarshalDate writes a date as its source gave it: "1994", "1994-05" or "1994-05-12"
// (knowledge.Date.String), so a full date reads exactly as it always has.
func MarshalDate(d knowledge.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDate reads a date by the one rule of every way in, knowledge.ParseDate: a
// year, a year and month or a calendar date, and nothing that does not exist, such as
// 2023-02-29 or 1994-13.
func UnmarshalDate(v any) (knowledge.Date, error) {
	s, ok := v.(string)
	if !ok {
		return knowledge.Date{}, knowledge.Errorf(knowledge.EINVALID, "a Date is a string like \"2024-03-07\", \"2024-03\" or \"2024\", not %T", v)
	}
	d, err := knowledge.ParseDate(s)
	if err != nil {
		return knowledge.Date{}, knowledge.Errorf(knowledge.EINVALID, "%s", err)
	}
	return d, nil
}
