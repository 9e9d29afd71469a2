package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// Every list is ordered by a sort key and then the id, both in the same direction, and
// paged by keyset: a cursor holds the last row's (key, id), and the next page starts
// strictly after it. Sort keys are never NULL (nullable columns are wrapped in coalesce),
// so the row comparison (key, id) > (k, i) is exact and uses the matching index.

// listing describes one ordered list of rows.
type listing struct {
	// order names the ordering. Cursors carry it, so a cursor of one ordering is refused
	// by another instead of seeking to a meaningless place.
	order string
	// from is the FROM clause, with the alias the other fields use.
	from string
	// cols are the selected columns, named after the row struct's db tags.
	cols string
	// key is the sort expression; keyType its SQL type, used to read the cursor back.
	key, keyType string
	// id is the tie-breaking unique column.
	id   string
	desc bool
	// noCursors leaves out the sort key when no cursor of the page is shown.
	noCursors bool
}

// pageCols are the extra columns of a paged query: which parent a row belongs to
// (for nested lists) and its sort key as text, for its cursor.
type pageCols struct {
	ParentID uuid.UUID `db:"parent_id"`
	SortKey  string    `db:"sort_key"`
	SortID   string    `db:"sort_id"`
}

func (p *pageCols) page() *pageCols { return p }

// pagedRow is a row struct that embeds pageCols and converts to a domain type.
type pagedRow[T any] interface {
	page() *pageCols
	domain() *T
}

// args numbers SQL parameters as they are added.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

type cursor struct {
	Key string
	ID  string
}

// A cursor is base64url of the JSON array [ordering, sort key, id].
func encodeCursor(order, key, id string) string {
	b, _ := json.Marshal([]string{order, key, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(field string, l listing, s string) (cursor, error) {
	bad := knowledge.FieldErrorf(field, "%s is not a valid cursor; pass back a cursor this API returned", field)
	if len(s) > 1024 {
		return cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 3 {
		return cursor{}, bad
	}
	if parts[0] != l.order {
		return cursor{}, knowledge.FieldErrorf(field, "%s is a cursor of another ordering or list; pass back a cursor from this one", field)
	}
	id, err := uuid.Parse(parts[2])
	if err != nil || !validKey(l.keyType, parts[1]) {
		return cursor{}, bad
	}
	return cursor{Key: parts[1], ID: id.String()}, nil
}

// validKey checks a cursor's sort key against the type the database will cast it to,
// so that a tampered cursor is the client's error and never reaches SQL. Go's parsers
// accept more than PostgreSQL does (year 0, hexadecimal floats with underscores,
// "Inf"), so each value is held to what PostgreSQL itself prints for the type.
func validKey(keyType, key string) bool {
	if strings.ContainsRune(key, 0) || !utf8.ValidString(key) {
		return false
	}
	switch keyType {
	case "date":
		return validDate(key)
	case "bigint":
		_, err := strconv.ParseInt(key, 10, 64)
		return err == nil
	case "float8":
		_, ok := parseDecimal(key)
		return ok
	}
	return true
}

// validDate accepts what a date sort key can hold: a calendar date PostgreSQL takes
// (years 1 to 9999; PostgreSQL has no year 0) or one of the infinities that stand in
// for a missing date.
func validDate(key string) bool {
	if key == "infinity" || key == "-infinity" {
		return true
	}
	t, err := time.Parse(time.DateOnly, key)
	return err == nil && len(key) == len(time.DateOnly) && t.Year() >= 1
}

// decimalSyntax is a float8 as PostgreSQL prints it: decimal digits, an optional
// fraction and exponent; never hexadecimal, underscores, NaN or the infinities.
var decimalSyntax = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$`)

// parseDecimal reads a finite float8 in PostgreSQL's own notation.
func parseDecimal(s string) (float64, bool) {
	if len(s) > 64 || !decimalSyntax.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// plan is the shape of one page query, worked out from the page arguments.
type plan struct {
	limit    int
	backward bool
	after    *cursor
}

func planPage(l listing, pa knowledge.PageArgs) (plan, error) {
	n, backward, err := pa.Limit()
	if err != nil {
		return plan{}, err
	}
	p := plan{limit: n, backward: backward}
	field, raw := "after", pa.After
	if backward {
		field, raw = "before", pa.Before
	}
	if raw != nil {
		c, err := decodeCursor(field, l, *raw)
		if err != nil {
			return plan{}, err
		}
		p.after = &c
	}
	return p, nil
}

// orderAndSeek returns the keyset condition (or "true") and the ORDER BY clause.
func (l listing) orderAndSeek(p plan, a *args) (seek, order string) {
	desc := l.desc != p.backward
	dir, op := "ASC", ">"
	if desc {
		dir, op = "DESC", "<"
	}
	seek = "true"
	if p.after != nil {
		seek = fmt.Sprintf("(%s, %s) %s (%s::%s, %s::uuid)", l.key, l.id, op,
			a.add(p.after.Key), l.keyType, a.add(p.after.ID))
	}
	return seek, fmt.Sprintf("%s %s, %s %s", l.key, dir, l.id, dir)
}

// selectCols are the listing's columns and, unless its cursors go unshown, the sort
// key they encode.
func (l listing) selectCols() string {
	if l.noCursors {
		return l.cols
	}
	return fmt.Sprintf("%s, (%s)::text AS sort_key, (%s)::text AS sort_id", l.cols, l.key, l.id)
}

// pageSQL is the statement of one page of a top-level list; it adds its parameters to a.
func (l listing) pageSQL(where string, a *args, p plan) string {
	seek, order := l.orderAndSeek(p, a)
	return fmt.Sprintf("SELECT %s FROM %s WHERE (%s) AND %s ORDER BY %s LIMIT %s",
		l.selectCols(), l.from, where, seek, order, a.add(p.limit+1))
}

// listPage reads one page of a top-level list. where filters the rows; its parameters
// are already in a.
func listPage[R any, PR interface {
	*R
	pagedRow[T]
}, T any](ctx context.Context, db sqlx.QueryerContext, l listing, where string, a args, pa knowledge.PageArgs) (*knowledge.Page[T], error) {
	p, err := planPage(l, pa)
	if err != nil {
		return nil, err
	}
	if p.limit == 0 {
		return &knowledge.Page[T]{HasPreviousPage: !p.backward && pa.After != nil, HasNextPage: p.backward && pa.Before != nil}, nil
	}
	l.noCursors = !ColumnsOf(ctx).has(Cursors)
	q := l.pageSQL(where, &a, p)
	var rows []R
	if err := selectContext(ctx, db, &rows, q, a...); err != nil {
		return nil, mapError(err)
	}
	return toPage[R, PR](l, rows, p, pa), nil
}

// toPage makes a page of the rows of l; without their sort keys (l.noCursors), its
// cursors are empty.
func toPage[R any, PR interface {
	*R
	pagedRow[T]
}, T any](l listing, rows []R, p plan, pa knowledge.PageArgs) *knowledge.Page[T] {
	more := len(rows) > p.limit
	if more {
		rows = rows[:p.limit]
	}
	if p.backward {
		slices.Reverse(rows)
	}
	page := &knowledge.Page[T]{
		Items:   make([]*T, len(rows)),
		Cursors: make([]string, len(rows)),
	}
	for i := range rows {
		r := PR(&rows[i])
		page.Items[i] = r.domain()
		if !l.noCursors {
			page.Cursors[i] = encodeCursor(l.order, r.page().SortKey, r.page().SortID)
		}
	}
	if p.backward {
		page.HasPreviousPage, page.HasNextPage = more, pa.Before != nil
	} else {
		page.HasNextPage, page.HasPreviousPage = more, pa.After != nil
	}
	return page
}

// nested describes a list that hangs off a parent row, such as a city's agreements.
type nested struct {
	listing
	// parent is the condition that ties a row to its parent; %[1]s stands for the
	// parent's id.
	parent string
}

// nestedPages reads the same page of a nested list for many parents in one statement:
// a LATERAL subquery per parent, each using the (parent, key, id) index.
func nestedPages[R any, PR interface {
	*R
	pagedRow[T]
}, T any](ctx context.Context, db sqlx.QueryerContext, n nested, where string, a args, parents []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[T], error) {
	p, err := planPage(n.listing, pa)
	if err != nil {
		return nil, err
	}
	pages := make(map[uuid.UUID]*knowledge.Page[T], len(parents))
	n.noCursors = !ColumnsOf(ctx).has(Cursors)
	if p.limit == 0 {
		for _, id := range parents {
			pages[id] = toPage[R, PR](n.listing, nil, p, pa)
		}
		return pages, nil
	}
	parentsArg := a.add(pq.Array(uuidStrings(parents)))
	q := fmt.Sprintf(`SELECT par.id AS parent_id, x.* FROM (SELECT DISTINCT unnest(%s::uuid[])) AS par(id)
CROSS JOIN %s`, parentsArg, n.lateral(where, &a, p))
	var rows []R
	if err := selectContext(ctx, db, &rows, q, a...); err != nil {
		return nil, mapError(err)
	}
	byParent := make(map[uuid.UUID][]R, len(parents))
	for _, r := range rows {
		id := PR(&r).page().ParentID
		byParent[id] = append(byParent[id], r)
	}
	for _, id := range parents {
		pages[id] = toPage[R, PR](n.listing, byParent[id], p, pa)
	}
	return pages, nil
}

// lateral is the page of the rows of the parent par.id, as the LATERAL subquery x; it
// adds its parameters to a.
func (n nested) lateral(where string, a *args, p plan) string {
	seek, order := n.orderAndSeek(p, a)
	return fmt.Sprintf(`LATERAL (SELECT %s FROM %s WHERE %s AND (%s) AND %s ORDER BY %s LIMIT %s) x`,
		n.selectCols(), n.from, fmt.Sprintf(n.parent, "par.id"), where, seek, order, a.add(p.limit+1))
}

// nestedCounts counts a nested list for many parents in one statement.
func nestedCounts(ctx context.Context, db sqlx.QueryerContext, n nested, where string, a args, parents []uuid.UUID) (map[uuid.UUID]int, error) {
	parentsArg := a.add(pq.Array(uuidStrings(parents)))
	q := fmt.Sprintf(`SELECT par.id AS parent_id, (SELECT count(*) FROM %s WHERE %s AND (%s)) AS n
FROM (SELECT DISTINCT unnest(%s::uuid[])) AS par(id)`, n.from, fmt.Sprintf(n.parent, "par.id"), where, parentsArg)
	var rows []struct {
		ParentID uuid.UUID `db:"parent_id"`
		N        int       `db:"n"`
	}
	if err := selectContext(ctx, db, &rows, q, a...); err != nil {
		return nil, mapError(err)
	}
	counts := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		counts[r.ParentID] = r.N
	}
	return counts, nil
}

// count counts a top-level list.
func count(ctx context.Context, db sqlx.QueryerContext, l listing, where string, a args) (int, error) {
	var n int
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", l.from, where)
	if err := getContext(ctx, db, &n, q, a...); err != nil {
		return 0, mapError(err)
	}
	return n, nil
}

// byIDs reads rows whose id column is in ids; cols and from as in a listing.
func byIDs[R any](ctx context.Context, db sqlx.QueryerContext, cols, from, idCol string, ids []uuid.UUID) ([]R, error) {
	var rows []R
	if len(ids) == 0 {
		return rows, nil
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s = ANY($1::uuid[])", cols, from, idCol)
	if err := selectContext(ctx, db, &rows, q, pq.Array(uuidStrings(ids))); err != nil {
		return nil, mapError(err)
	}
	return rows, nil
}

// notFound lists the ids that found has no value for: the ones a merge may have
// replaced, looked up again in its table.
func notFound[V any](ids []uuid.UUID, found map[uuid.UUID]V) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

func uuidStrings(ids []uuid.UUID) []string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return s
}

// joinNonEmpty ANDs the conditions that are not empty; "true" when none are.
func joinNonEmpty(conds ...string) string {
	var out []string
	for _, c := range conds {
		if c != "" {
			out = append(out, "("+c+")")
		}
	}
	if len(out) == 0 {
		return "true"
	}
	return strings.Join(out, " AND ")
}
