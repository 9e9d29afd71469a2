package postgres

import (
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx/reflectx"
)

// A list nested in its parent's row travels as a text array of text arrays, one per
// row of the list (array(SELECT array[...]) cast to text): one statement then reads a
// page and the lists of its rows, where one statement per list costs PostgreSQL more
// than the lists themselves (docs/benchmarks.md, "Dates inlined"). Text, not JSON:
// building JSON cost PostgreSQL twice what the separate statements did.

// nestedRows is the SQL of the nested list: the columns as a text array per row of
// what from joins where, in no order. A nested list has a few rows, which its reader
// puts in order: a Sort for each row of the page cost PostgreSQL more than the rest of
// the list (docs/benchmarks.md, "Lists put in order by their reader").
func nestedRows(list []namedCol, from, where, as string) string {
	exprs := make([]string, len(list))
	for i, c := range list {
		exprs[i] = c.expr + "::text"
	}
	return fmt.Sprintf("array(SELECT array[%s] FROM %s WHERE %s)::text AS %s",
		strings.Join(exprs, ", "), from, where, as)
}

// prefixed is list with its names under the prefix.
func prefixed(list []namedCol, prefix string) []namedCol {
	out := make([]namedCol, len(list))
	for i, c := range list {
		out[i] = namedCol{c.expr, prefix + c.name}
	}
	return out
}

// parseTextRows reads the text form of a two-dimensional text array ("{}" when the
// list is empty): one slice of fields per row, nil for NULL. A field is a substring of s
// unless it has escapes, and a row's fields share one allocation (a row has at most
// width fields without growing): a page's nested lists hold a few hundred fields.
func parseTextRows(s string, width int) ([][]*string, error) {
	bad := func(why string) error { return fmt.Errorf("nested rows %.60q: %s", s, why) }
	if s == "{}" {
		return nil, nil
	}
	if len(s) < 4 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, bad("not a two-dimensional array")
	}
	var rows [][]*string
	i, end := 1, len(s)-1
	for i < end {
		if s[i] != '{' {
			return nil, bad("a row does not start with {")
		}
		i++
		values := make([]string, 0, width)
		row := make([]*string, 0, width)
		for {
			var field *string
			if s[i] == '"' {
				i++
				from, escaped := i, false
				for ; i < end && s[i] != '"'; i++ {
					if s[i] == '\\' {
						escaped = true
						i++
					}
				}
				if i >= end {
					return nil, bad("an unterminated quote")
				}
				v := s[from:i]
				if escaped {
					v = unescapeArrayText(v)
				}
				i++
				values = append(values, v)
				field = &values[len(values)-1]
			} else {
				j := i
				for j < end && s[j] != ',' && s[j] != '}' {
					j++
				}
				if v := s[i:j]; v != "NULL" {
					values = append(values, v)
					field = &values[len(values)-1]
				}
				i = j
			}
			row = append(row, field)
			if i >= end {
				return nil, bad("a row does not end with }")
			}
			if s[i] == '}' {
				i++
				break
			}
			i++ // the comma
		}
		rows = append(rows, row)
		if i < end {
			if s[i] != ',' {
				return nil, bad("rows not separated by commas")
			}
			i++
		}
	}
	return rows, nil
}

// unescapeArrayText drops the backslashes of a quoted array element: each escapes the
// byte after it.
func unescapeArrayText(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for k := 0; k < len(v); k++ {
		if v[k] == '\\' && k+1 < len(v) {
			k++
		}
		b.WriteByte(v[k])
	}
	return b.String()
}

// nestedList reads a nested list of some columns into rows of type T, each column into
// the field its name gives it, as scanRows maps the columns of a statement (the same
// plans, so a nested list's names mean what a row's do). One serves every row of a
// page, one at a time.
type nestedList[T any] struct {
	plan  *rowPlan
	names []string
	dests []any
}

func newNestedList[T any](m *reflectx.Mapper, list []namedCol) (*nestedList[T], error) {
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.name
	}
	plan, err := planFor(m, reflect.TypeFor[T](), names)
	if err != nil {
		return nil, err
	}
	return &nestedList[T]{plan: plan, names: names, dests: make([]any, len(list))}, nil
}

// read reads one row's list (nil: not read).
func (n *nestedList[T]) read(text *string) ([]T, error) {
	if text == nil {
		return nil, nil
	}
	rows, err := parseTextRows(*text, len(n.names))
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	out := make([]T, len(rows))
	for k, row := range rows {
		if len(row) != len(n.names) {
			return nil, fmt.Errorf("nested row of %d fields, want %d", len(row), len(n.names))
		}
		n.plan.destinations(unsafe.Pointer(&out[k]), n.dests)
		for i, d := range n.dests {
			if err := assignText(d, row[i]); err != nil {
				return nil, fmt.Errorf("nested %s: %w", n.names[i], err)
			}
		}
	}
	return out, nil
}

// assignText sets *dest from a nested list's text value. NULL leaves a value zero and
// sets a pointer nil: the columns of a LEFT JOIN that found nothing are all NULL, and
// the reader tells that case by the zero id.
func assignText(dest any, v *string) error {
	switch d := dest.(type) {
	case *string:
		if v != nil {
			*d = *v
		}
		return nil
	case **string:
		*d = v // the parsed row's own value: no copy
		return nil
	case *int:
		if v == nil {
			return nil
		}
		n, err := strconv.Atoi(*v)
		*d = n
		return err
	case *float64:
		if v == nil {
			return nil
		}
		f, err := strconv.ParseFloat(*v, 64)
		*d = f
		return err
	case *uuid.UUID: // not through Scan, which would box the text
		if v == nil {
			return nil
		}
		id, err := uuid.Parse(*v)
		*d = id
		return err
	case sql.Scanner:
		if v == nil {
			return nil
		}
		return d.Scan(*v)
	}
	p := reflect.ValueOf(dest).Elem()
	if p.Kind() != reflect.Pointer {
		return fmt.Errorf("no text conversion into %s", p.Type())
	}
	if v == nil {
		p.SetZero()
		return nil
	}
	value := reflect.New(p.Type().Elem())
	if err := assignText(value.Interface(), v); err != nil {
		return err
	}
	p.Set(value)
	return nil
}
