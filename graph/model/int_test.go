package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/knowledge"
)

func TestUnmarshalInt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   any
		want int
		err  string // part of the message; "" for none
	}{
		{int64(0), 0, ""},
		{int64(-2147483648), -2147483648, ""},
		{int64(2147483647), 2147483647, ""},
		{json.Number("100"), 100, ""},
		{json.Number("1.0"), 1, ""},
		{json.Number("1e3"), 1000, ""},
		{float64(7), 7, ""},
		{int64(2147483648), 0, "got 2147483648"},
		{int64(-2147483649), 0, "got -2147483649"},
		{json.Number("99999999999"), 0, "got 99999999999"},
		{json.Number("3000000000"), 0, "got 3000000000"},
		{json.Number("1.5"), 0, "got 1.5"},
		{json.Number("1e400"), 0, "got 1e400"},
		{float64(1.5), 0, "got 1.5"},
		{"10", 0, `got the string "10"`},
		{true, 0, "got true"},
		{nil, 0, "got null"},
		{map[string]any{}, 0, "got an object"},
		{[]any{int64(1)}, 0, "got a list"},
	} {
		ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("input"))
		ctx = graphql.WithPathContext(ctx, graphql.NewPathWithField("population"))
		got, err := UnmarshalInt(ctx, tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("UnmarshalInt(%#v) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			continue
		}
		var e *knowledge.Error
		if !errors.As(err, &e) || e.Code != knowledge.EINVALID || e.Field != "input.population" || !strings.Contains(e.Message, tc.err) {
			t.Errorf("UnmarshalInt(%#v): error %#v, want BAD_USER_INPUT on input.population containing %q", tc.in, err, tc.err)
		}
	}
}

func TestMarshalInt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   int
		want string
	}{
		{0, "0"}, {-2147483648, "-2147483648"}, {2147483647, "2147483647"},
		{2147483648, ""}, {-2147483649, ""}, {3000000000, ""},
	} {
		var b bytes.Buffer
		err := MarshalInt(tc.in).MarshalGQLContext(context.Background(), &b)
		if tc.want == "" {
			if err == nil || b.Len() > 0 {
				t.Errorf("MarshalInt(%d) wrote %q, %v; want an error and nothing written", tc.in, b.String(), err)
			}
		} else if err != nil || b.String() != tc.want {
			t.Errorf("MarshalInt(%d) = %q, %v; want %q", tc.in, b.String(), err, tc.want)
		}
	}
}
