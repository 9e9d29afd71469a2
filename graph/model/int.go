package model

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/knowledge"
)

// GraphQL's Int is a signed 32-bit integer (spec §3.5.1). gqlgen's own Int takes any Go
// int and coerces strings, so Amity binds Int to these functions instead.
const (
	MinInt = math.MinInt32
	MaxInt = math.MaxInt32
)

// MarshalInt writes an Int. A value beyond 32 bits is a field error, as the spec asks,
// rather than a number a client may read wrongly: the field is null and the error says
// why (its text goes to the log as an internal error).
func MarshalInt(i int) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		if i < MinInt || i > MaxInt {
			return fmt.Errorf("the Int value %d is outside the 32-bit range and cannot be returned", i)
		}
		_, err := io.WriteString(w, strconv.Itoa(i))
		return err
	})
}

// UnmarshalInt reads an Int as the spec's input coercion does: integers in 32 bits
// only, never a string, a fraction or a boolean. The error is BAD_USER_INPUT naming the
// argument or input field (as "input.population"). Literals in the document never reach
// here mistyped (the validator refuses "10" or 1.5 written as an Int); variables and
// out-of-range literals do.
func UnmarshalInt(ctx context.Context, v any) (int, error) {
	n, ok := intValue(v)
	if ok && n >= MinInt && n <= MaxInt {
		return int(n), nil
	}
	field := argumentPath(ctx)
	name := field
	if name == "" {
		name = "an Int"
	}
	if ok {
		return 0, knowledge.FieldErrorf(field, "%s must be between %d and %d (a 32-bit Int), got %d", name, MinInt, MaxInt, n)
	}
	return 0, knowledge.FieldErrorf(field, "%s must be a whole number between %d and %d (a 32-bit Int), got %s", name, MinInt, MaxInt, describe(v))
}

// intValue returns v as an integer if it is one: a Go integer, or a JSON number or float
// with no fractional part (1.0 is the integer 1; JSON does not tell them apart).
func intValue(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
		f, err := v.Float64()
		if err != nil {
			return 0, false
		}
		return floatInt(f)
	case float64:
		return floatInt(v)
	}
	return 0, false
}

func floatInt(f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// describe names a refused value for the error message, briefly.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 20 {
			v = v[:20] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return string(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}

// argumentPath is where in the field's arguments the value sits, as "first" or
// "input.population": gqlgen keeps it as the path contexts below the field being
// resolved.
func argumentPath(ctx context.Context) string {
	pc := graphql.GetPathContext(ctx)
	if pc == nil {
		return ""
	}
	var parts []string
	for it := pc; it != nil && it.ParentField == pc.ParentField; it = it.Parent {
		switch {
		case it.Index != nil:
			parts = append(parts, "["+strconv.Itoa(*it.Index)+"]")
		case it.Field != nil:
			parts = append(parts, "."+*it.Field)
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}
