package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
)

// The store's reads scan their rows here rather than through sqlx.SelectContext. sqlx
// finds each column's field by reflection on every row, allocates every nil pointer on
// the way, a nullable column's value included (which the scan then throws away), and
// appends each row by reflection, copying it: 5-6 % of the CPU of Q2 and Q4 in process
// (docs/benchmarks.md, "Rows without reflection"). Here a statement's columns are
// mapped to field offsets once per row type and column list, with sqlx's own mapper so
// that the names mean what they mean to sqlx, and every row is scanned in place.

// rowPlan says where each column of a result lands in a row struct.
type rowPlan struct {
	fields []fieldPlace
}

// fieldPlace is a field's place: through pointers to nested structs (hops, allocated
// when nil, as sqlx does), then at offset in the last struct.
type fieldPlace struct {
	hops   []pointerHop
	offset uintptr
	typ    reflect.Type
}

type pointerHop struct {
	offset uintptr
	elem   reflect.Type
}

type planKey struct {
	row     reflect.Type
	columns string
}

var rowPlans sync.Map // planKey → *rowPlan

// planFor maps columns onto row, or says why it cannot: a column without a field, or a
// field reached through something other than structs and pointers to them.
func planFor(m *reflectx.Mapper, row reflect.Type, columns []string) (*rowPlan, error) {
	key := planKey{row, strings.Join(columns, "\x00")}
	if p, ok := rowPlans.Load(key); ok {
		return p.(*rowPlan), nil
	}
	plan := &rowPlan{fields: make([]fieldPlace, len(columns))}
	for i, path := range m.TraversalsByName(row, columns) {
		if len(path) == 0 {
			return nil, fmt.Errorf("missing destination name %s in %s", columns[i], row)
		}
		var place fieldPlace
		t := row
		for k, index := range path {
			f := t.Field(index)
			place.offset += f.Offset
			if k == len(path)-1 {
				if f.Type.Kind() == reflect.Map {
					return nil, fmt.Errorf("column %s lands in a map", columns[i])
				}
				place.typ = f.Type
				break
			}
			switch {
			case f.Type.Kind() == reflect.Struct:
				t = f.Type
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
				place.hops = append(place.hops, pointerHop{offset: place.offset, elem: f.Type.Elem()})
				place.offset = 0
				t = f.Type.Elem()
			default:
				return nil, fmt.Errorf("column %s passes through %s", columns[i], f.Type)
			}
		}
		plan.fields[i] = place
	}
	rowPlans.Store(key, plan)
	return plan, nil
}

// destinations points dests at the fields of the row at base.
func (p *rowPlan) destinations(base unsafe.Pointer, dests []any) {
	for i, f := range p.fields {
		at := base
		for _, h := range f.hops {
			next := (*unsafe.Pointer)(unsafe.Add(at, h.offset))
			if *next == nil {
				*next = reflect.New(h.elem).UnsafePointer()
			}
			at = *next
		}
		dests[i] = reflect.NewAt(f.typ, unsafe.Add(at, f.offset)).Interface()
	}
}

var scannerType = reflect.TypeFor[sql.Scanner]()

// scansInPlace says whether scanRows takes dest: a pointer to a slice of structs that are
// not themselves one column's value.
func scansInPlace(dest any) (reflect.Value, bool) {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Slice {
		return v, false
	}
	row := v.Elem().Type().Elem()
	return v.Elem(), row.Kind() == reflect.Struct && !reflect.PointerTo(row).Implements(scannerType)
}

// scanRows reads rows into slice (a settable slice of structs), growing it by doubling
// and scanning each row where it lies.
func scanRows(rows *sql.Rows, m *reflectx.Mapper, slice reflect.Value) error {
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	rowType := slice.Type().Elem()
	plan, err := planFor(m, rowType, columns)
	if err != nil {
		return err
	}
	size := rowType.Size()
	out := reflect.MakeSlice(slice.Type(), 0, 8)
	dests := make([]any, len(columns))
	n := 0
	for rows.Next() {
		if n == out.Cap() {
			grown := reflect.MakeSlice(slice.Type(), n, 2*n)
			reflect.Copy(grown, out)
			out = grown
		}
		out = out.Slice(0, n+1)
		plan.destinations(unsafe.Add(out.UnsafePointer(), uintptr(n)*size), dests)
		if err := rows.Scan(dests...); err != nil {
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		slice.SetLen(0) // as sqlx: a nil slice stays nil
		return nil
	}
	slice.Set(out)
	return nil
}

// mapperOf is the field mapper sqlx would use for q.
func mapperOf(q sqlx.QueryerContext) *reflectx.Mapper {
	switch q := q.(type) {
	case *DB:
		return q.Mapper
	case *sqlx.DB:
		return q.Mapper
	case *sqlx.Tx:
		return q.Mapper
	}
	return nil
}

// selectRows is sqlx.SelectContext, scanning slices of structs in place.
func selectRows(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	slice, ok := scansInPlace(dest)
	m := mapperOf(q)
	if !ok || m == nil {
		return sqlx.SelectContext(ctx, q, dest, query, args...)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return scanRows(rows, m, slice)
}
