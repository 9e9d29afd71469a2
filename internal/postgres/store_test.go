package postgres_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// MustFixtureDB returns a fresh database holding the fixture graph.
func MustFixtureDB(t *testing.T) (*postgres.DB, *postgres.Fixture) {
	t.Helper()
	db := pgtest.MustOpen(t)
	return db, postgres.MustLoadFixture(t, db)
}

// MustIDs runs an oracle query that selects one uuid column.
func MustIDs(t *testing.T, db *postgres.DB, q string, args ...any) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	if err := db.SelectContext(context.Background(), &ids, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return ids
}

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }
func b64(s string) string   { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// day formats a date column, nil when NULL.
func day(d *knowledge.Date) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

// idPage is a page reduced to what the pagination tests compare.
type idPage struct {
	IDs     []uuid.UUID
	Cursors []string
	HasNext bool
	HasPrev bool
}

type lister func(context.Context, knowledge.PageArgs) (idPage, error)

func toIDPage[T any](p *knowledge.Page[T], id func(*T) uuid.UUID) idPage {
	out := idPage{Cursors: p.Cursors, HasNext: p.HasNextPage, HasPrev: p.HasPreviousPage}
	for _, it := range p.Items {
		out.IDs = append(out.IDs, id(it))
	}
	return out
}

// unfiltered adapts a list method that takes a query to the lister shape, with the
// empty query: every row in the default order.
func unfiltered[Q any, T any](f func(context.Context, Q, knowledge.PageArgs) (*knowledge.Page[T], error)) func(context.Context, knowledge.PageArgs) (*knowledge.Page[T], error) {
	return func(ctx context.Context, pa knowledge.PageArgs) (*knowledge.Page[T], error) {
		var q Q
		return f(ctx, q, pa)
	}
}

// countAll adapts a count method that takes a query to count everything.
func countAll[Q any](f func(context.Context, Q) (int, error)) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		var q Q
		return f(ctx, q)
	}
}

func kindFilter(kind *knowledge.PartnershipKind) knowledge.PartnershipFilter {
	if kind == nil {
		return knowledge.PartnershipFilter{}
	}
	return knowledge.PartnershipFilter{Kind: *kind}
}

func list[T any](f func(context.Context, knowledge.PageArgs) (*knowledge.Page[T], error), id func(*T) uuid.UUID) lister {
	return func(ctx context.Context, pa knowledge.PageArgs) (idPage, error) {
		p, err := f(ctx, pa)
		if err != nil {
			return idPage{}, err
		}
		if len(p.Items) != len(p.Cursors) {
			return idPage{}, fmt.Errorf("%d items but %d cursors", len(p.Items), len(p.Cursors))
		}
		return toIDPage(p, id), nil
	}
}

// MustWalkForward pages through a list with first=size, following the end cursor, and
// returns every id in the order seen. It checks the page flags on the way.
func MustWalkForward(t *testing.T, l lister, size int) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var all []uuid.UUID
	var after *string
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatalf("walk forward: more than 100 pages; got %v so far", all)
		}
		p, err := l(ctx, knowledge.PageArgs{First: intp(size), After: after})
		if err != nil {
			t.Fatalf("walk forward, page %d: %v", i, err)
		}
		if got, want := p.HasPrev, after != nil; got != want {
			t.Errorf("walk forward, page %d: HasPreviousPage = %v, want %v", i, got, want)
		}
		if len(p.IDs) > size || (p.HasNext && len(p.IDs) != size) {
			t.Fatalf("walk forward, page %d: got %d items with HasNextPage %v, want %d", i, len(p.IDs), p.HasNext, size)
		}
		all = append(all, p.IDs...)
		if !p.HasNext {
			return all
		}
		after = &p.Cursors[len(p.Cursors)-1]
	}
}

// MustWalkBackward pages through a list from its end with last=size, following the
// start cursor, and returns every id in list order.
func MustWalkBackward(t *testing.T, l lister, size int) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var all []uuid.UUID
	var before *string
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatalf("walk backward: more than 100 pages; got %v so far", all)
		}
		p, err := l(ctx, knowledge.PageArgs{Last: intp(size), Before: before})
		if err != nil {
			t.Fatalf("walk backward, page %d: %v", i, err)
		}
		if got, want := p.HasNext, before != nil; got != want {
			t.Errorf("walk backward, page %d: HasNextPage = %v, want %v", i, got, want)
		}
		if len(p.IDs) > size || (p.HasPrev && len(p.IDs) != size) {
			t.Fatalf("walk backward, page %d: got %d items with HasPreviousPage %v, want %d", i, len(p.IDs), p.HasPrev, size)
		}
		all = append(append([]uuid.UUID{}, p.IDs...), all...)
		if !p.HasPrev {
			return all
		}
		before = &p.Cursors[0]
	}
}

// MustFail checks that err is a BAD_USER_INPUT error about field (any field when field
// is "*").
func MustFail(t *testing.T, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := knowledge.ErrorCode(err); got != code {
		t.Fatalf("got code %s (%v), want %s", got, err, code)
	}
	if field == "*" {
		return
	}
	var e *knowledge.Error
	errors.As(err, &e)
	if e.Field != field {
		t.Errorf("got field %q (%v), want %q", e.Field, err, field)
	}
}

func TestTopLevelLists(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	s, a := f.Sources, f.Agreements

	cityID := func(c *knowledge.City) uuid.UUID { return c.ID }
	tests := []struct {
		name string
		list lister
		want []uuid.UUID
		// keyCursor is a cursor whose key does not parse as this list's sort key type,
		// or "" when every string is a valid key.
		keyCursor string
	}{
		{
			name: "cities",
			list: list(unfiltered(db.Cities), cityID),
			want: MustIDs(t, db, `SELECT id FROM cities ORDER BY name, id`),
		},
		{
			name: "countries",
			list: list(db.Countries, func(c *knowledge.Country) uuid.UUID { return c.ID }),
			want: []uuid.UUID{f.Countries["CN"], f.Countries["DE"], f.Countries["FR"], f.Countries["RU"]},
		},
		{
			name: "officials",
			list: list(unfiltered(db.Officials), func(o *knowledge.Official) uuid.UUID { return o.ID }),
			want: MustIDs(t, db, `SELECT id FROM officials ORDER BY name, id`),
		},
		{
			name:      "agreements",
			list:      list(unfiltered(db.Agreements), func(a *knowledge.Agreement) uuid.UUID { return a.ID }),
			want:      []uuid.UUID{a["a03"], a["a02"], a["a07"], a["a01"], a["a06"], a["a05"], a["a04"]},
			keyCursor: b64(fmt.Sprintf(`["Moscow",%q]`, a["a01"])),
		},
		{
			name: "institutions",
			list: list(unfiltered(db.Institutions), func(i *knowledge.Institution) uuid.UUID { return i.ID }),
			want: MustIDs(t, db, `SELECT id FROM institutions ORDER BY name, id`),
		},
		{
			name:      "sources",
			list:      list(db.Sources, func(s *knowledge.Source) uuid.UUID { return s.ID }),
			want:      []uuid.UUID{s["s01"], s["s06"], s["s04"], s["s02"], s["s05"], s["s03"]},
			keyCursor: b64(fmt.Sprintf(`["2022-02-30",%q]`, s["s01"])),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			total := len(tt.want)
			if total < 4 {
				t.Fatalf("fixture has %d rows, want at least 4", total)
			}
			for _, size := range []int{1, 2, 3} {
				if got := MustWalkForward(t, tt.list, size); !cmp.Equal(got, tt.want) {
					t.Errorf("forward first=%d: got %v, want %v", size, got, tt.want)
				}
				if got := MustWalkBackward(t, tt.list, size); !cmp.Equal(got, tt.want) {
					t.Errorf("backward last=%d: got %v, want %v", size, got, tt.want)
				}
			}
			// The default page holds everything here.
			if p, err := tt.list(ctx, knowledge.PageArgs{}); err != nil || !cmp.Equal(p.IDs, tt.want) || p.HasNext || p.HasPrev {
				t.Errorf("default page: got %+v, %v, want all %d rows and no more", p, err, total)
			}

			all, err := tt.list(ctx, knowledge.PageArgs{First: intp(total)})
			if err != nil {
				t.Fatal(err)
			}
			cursor := func(i int) *string { return &all.Cursors[i] }

			pages := []struct {
				name string
				pa   knowledge.PageArgs
				want idPage
			}{
				{"first=0", knowledge.PageArgs{First: intp(0)}, idPage{}},
				{"first=0 after", knowledge.PageArgs{First: intp(0), After: cursor(1)}, idPage{HasPrev: true}},
				{"last=0", knowledge.PageArgs{Last: intp(0)}, idPage{}},
				{"exact page", knowledge.PageArgs{First: intp(total)}, idPage{IDs: tt.want}},
				{"one short", knowledge.PageArgs{First: intp(total - 1)}, idPage{IDs: tt.want[:total-1], HasNext: true}},
				{"more than all", knowledge.PageArgs{First: intp(100)}, idPage{IDs: tt.want}},
				{"last page", knowledge.PageArgs{First: intp(2), After: cursor(total - 2)}, idPage{IDs: tt.want[total-1:], HasPrev: true}},
				{"after the last row", knowledge.PageArgs{First: intp(2), After: cursor(total - 1)}, idPage{HasPrev: true}},
				{"middle", knowledge.PageArgs{First: intp(2), After: cursor(0)}, idPage{IDs: tt.want[1:3], HasNext: true, HasPrev: true}},
				{"last=2", knowledge.PageArgs{Last: intp(2)}, idPage{IDs: tt.want[total-2:], HasPrev: true}},
				{"last=2 before", knowledge.PageArgs{Last: intp(2), Before: cursor(total - 1)}, idPage{IDs: tt.want[total-3 : total-1], HasNext: true, HasPrev: true}},
				{"before the first row", knowledge.PageArgs{Last: intp(2), Before: cursor(0)}, idPage{HasNext: true}},
				{"before without last", knowledge.PageArgs{Before: cursor(2)}, idPage{IDs: tt.want[:2], HasNext: true}},
			}
			for _, pt := range pages {
				got, err := tt.list(ctx, pt.pa)
				if err != nil {
					t.Errorf("%s: %v", pt.name, err)
					continue
				}
				got.Cursors = nil
				if diff := cmp.Diff(pt.want, got, cmp.Comparer(func(a, b []uuid.UUID) bool {
					return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b))
				})); diff != "" {
					t.Errorf("%s: page mismatch (-want +got):\n%s", pt.name, diff)
				}
			}

			valid := *cursor(0)
			errs := []struct {
				name  string
				pa    knowledge.PageArgs
				field string
			}{
				{"first=101", knowledge.PageArgs{First: intp(101)}, "first"},
				{"first=-1", knowledge.PageArgs{First: intp(-1)}, "first"},
				{"last=101", knowledge.PageArgs{Last: intp(101)}, "last"},
				{"last=-1", knowledge.PageArgs{Last: intp(-1)}, "last"},
				{"first and last", knowledge.PageArgs{First: intp(1), Last: intp(1)}, "last"},
				{"after with last", knowledge.PageArgs{Last: intp(1), After: &valid}, "after"},
				{"before with first", knowledge.PageArgs{First: intp(1), Before: &valid}, "before"},
				{"not base64", knowledge.PageArgs{After: strp("%%% not base64 %%%")}, "after"},
				{"padded base64", knowledge.PageArgs{After: strp(base64.URLEncoding.EncodeToString([]byte(`["a","b"]`)) + "==")}, "after"},
				{"garbage json", knowledge.PageArgs{After: strp(b64(`{"k":`))}, "after"},
				{"json object", knowledge.PageArgs{After: strp(b64(`{"k":"a","i":"b"}`))}, "after"},
				{"json null", knowledge.PageArgs{After: strp(b64(`null`))}, "after"},
				{"one part", knowledge.PageArgs{After: strp(b64(`["a"]`))}, "after"},
				{"three parts", knowledge.PageArgs{After: strp(b64(fmt.Sprintf(`["a",%q,"c"]`, tt.want[0])))}, "after"},
				{"numbers", knowledge.PageArgs{After: strp(b64(`[1,2]`))}, "after"},
				{"id not a uuid", knowledge.PageArgs{After: strp(b64(`["a","not-a-uuid"]`))}, "after"},
				{"empty id", knowledge.PageArgs{After: strp(b64(`["a",""]`))}, "after"},
				{"empty cursor json", knowledge.PageArgs{After: strp("")}, "after"},
				{"bad before", knowledge.PageArgs{Last: intp(2), Before: strp(b64(`["a","zz"]`))}, "before"},
				// Caught by the database rather than by the cursor decoder: the code is
				// right but the error names no field.
				{"key with NUL byte", knowledge.PageArgs{After: strp(b64(fmt.Sprintf(`["a\u0000b",%q]`, tt.want[0])))}, "*"},
				{"urn uuid", knowledge.PageArgs{After: strp(b64(fmt.Sprintf(`["a","urn:uuid:%s"]`, tt.want[0])))}, "*"},
			}
			if tt.keyCursor != "" {
				errs = append(errs, struct {
					name  string
					pa    knowledge.PageArgs
					field string
				}{"key of the wrong type", knowledge.PageArgs{First: intp(2), After: &tt.keyCursor}, "*"})
			}
			for _, et := range errs {
				_, err := tt.list(ctx, et.pa)
				t.Run(et.name, func(t *testing.T) { MustFail(t, err, knowledge.EINVALID, et.field) })
			}
		})
	}
}

// TestCursorOfOneListInAnother checks that a cursor of a name-ordered list given to a
// date-ordered one is refused, and so is the other way round: a cursor names its list.
func TestCursorOfOneListInAnother(t *testing.T) {
	t.Parallel()
	db, _ := MustFixtureDB(t)
	ctx := context.Background()
	cities, err := db.Cities(ctx, knowledge.CityQuery{}, knowledge.PageArgs{First: intp(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Agreements(ctx, knowledge.AgreementQuery{}, knowledge.PageArgs{First: intp(2), After: &cities.Cursors[0]})
	MustFail(t, err, knowledge.EINVALID, "*")
	_, err = db.Sources(ctx, knowledge.PageArgs{Last: intp(2), Before: &cities.Cursors[0]})
	MustFail(t, err, knowledge.EINVALID, "*")

	agreements, err := db.Agreements(ctx, knowledge.AgreementQuery{}, knowledge.PageArgs{First: intp(1)})
	if err != nil {
		t.Fatal(err)
	}
	// The cursor names its list and ordering, so even a key that would cast is refused.
	_, err = db.Cities(ctx, knowledge.CityQuery{}, knowledge.PageArgs{First: intp(2), After: &agreements.Cursors[0]})
	MustFail(t, err, knowledge.EINVALID, "after")
}

// TestOrderTies checks the documented orders directly, apart from the walks.
func TestOrderTies(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx := context.Background()

	cities, err := db.Cities(ctx, knowledge.CityQuery{}, knowledge.PageArgs{First: intp(100)})
	if err != nil {
		t.Fatal(err)
	}
	var springfields []uuid.UUID
	for _, c := range cities.Items {
		if c.Name == "Springfield" {
			springfields = append(springfields, c.ID)
		}
	}
	if want := []uuid.UUID{f.Cities["springfield-fr"], f.Cities["springfield-ru"]}; !cmp.Equal(springfields, want) {
		t.Errorf("cities of the same name: got %v, want %v (by id)", springfields, want)
	}

	agreements, err := db.Agreements(ctx, knowledge.AgreementQuery{}, knowledge.PageArgs{})
	if err != nil {
		t.Fatal(err)
	}
	var dates []string
	for _, a := range agreements.Items {
		if d := day(a.SignedOn); d != nil {
			dates = append(dates, *d)
		} else {
			dates = append(dates, "-")
		}
	}
	if want := []string{"2022-03-15", "2019-09-09", "2016-05-01", "2016-05-01", "2001-01-01", "-", "-"}; !cmp.Equal(dates, want) {
		t.Errorf("agreement dates: got %v, want %v", dates, want)
	}
}

// nestedLister reads the same page of a nested list for many parents.
type nestedLister func(context.Context, []uuid.UUID, knowledge.PageArgs) (map[uuid.UUID]idPage, error)

func nestedList[T any](f func(context.Context, []uuid.UUID, knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[T], error), id func(*T) uuid.UUID) nestedLister {
	return func(ctx context.Context, parents []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]idPage, error) {
		pages, err := f(ctx, parents, pa)
		if err != nil {
			return nil, err
		}
		out := make(map[uuid.UUID]idPage, len(pages))
		for k, p := range pages {
			if p == nil {
				return nil, fmt.Errorf("nil page for %v", k)
			}
			out[k] = toIDPage(p, id)
		}
		return out, nil
	}
}

func TestNestedLists(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	c, a, o, in, k := f.Cities, f.Agreements, f.Officials, f.Institutions, f.Countries
	missing := uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")
	agreementID := func(a *knowledge.Agreement) uuid.UUID { return a.ID }

	tests := []struct {
		name  string
		list  nestedLister
		count func(context.Context, []uuid.UUID) (map[uuid.UUID]int, error)
		// want maps each parent to its full list, in order; parents with none included.
		want map[uuid.UUID][]uuid.UUID
	}{
		{
			name:  "agreements of cities",
			list:  nestedList(db.AgreementsOfCities, agreementID),
			count: db.CountAgreementsOfCities,
			want: map[uuid.UUID][]uuid.UUID{
				c["shenzhen"]:   {a["a03"], a["a02"], a["a07"], a["a01"], a["a04"]},
				c["moscow"]:     {a["a01"], a["a06"]},
				c["petersburg"]: {a["a02"], a["a06"]},
				c["guangzhou"]:  {a["a05"]},
				c["kazan"]:      nil,
				missing:         nil,
			},
		},
		{
			name:  "officials of cities",
			list:  nestedList(db.OfficialsOfCities, func(o *knowledge.Official) uuid.UUID { return o.ID }),
			count: db.CountOfficialsOfCities,
			want: map[uuid.UUID][]uuid.UUID{
				c["moscow"]:     {o["o03"], o["o01"]},
				c["petersburg"]: {o["o04"], o["o06"]},
				c["shenzhen"]:   {o["o02"]},
				c["kazan"]:      nil,
				missing:         nil,
			},
		},
		{
			name:  "institutions of cities",
			list:  nestedList(db.InstitutionsOfCities, func(i *knowledge.Institution) uuid.UUID { return i.ID }),
			count: db.CountInstitutionsOfCities,
			want: map[uuid.UUID][]uuid.UUID{
				c["shenzhen"]: {in["i05"], in["i04"], in["i01"]},
				c["moscow"]:   {in["i02"]},
				c["lyon"]:     {in["i03"]},
				c["kazan"]:    nil,
				missing:       nil,
			},
		},
		{
			name:  "cities of countries",
			list:  nestedList(db.CitiesOfCountries, func(c *knowledge.City) uuid.UUID { return c.ID }),
			count: db.CountCitiesOfCountries,
			want: map[uuid.UUID][]uuid.UUID{
				k["CN"]: {c["guangzhou"], c["shenzhen"], c["zhuhai"]},
				k["RU"]: {c["kazan"], c["moscow"], c["petersburg"], c["springfield-ru"]},
				k["FR"]: MustIDs(t, db, `SELECT id FROM cities WHERE country_id = $1 ORDER BY name, id`, k["FR"]),
				k["DE"]: nil,
				missing: nil,
			},
		},
		{
			name:  "agreements of officials",
			list:  nestedList(db.AgreementsOfOfficials, agreementID),
			count: db.CountAgreementsOfOfficials,
			want: map[uuid.UUID][]uuid.UUID{
				o["o02"]: {a["a03"], a["a02"], a["a07"], a["a01"], a["a04"]},
				o["o01"]: {a["a01"], a["a06"]},
				o["o04"]: {a["a02"], a["a06"]},
				o["o05"]: {a["a03"]},
				o["o03"]: nil,
				missing:  nil,
			},
		},
		{
			name:  "agreements of institutions",
			list:  nestedList(db.AgreementsOfInstitutions, agreementID),
			count: db.CountAgreementsOfInstitutions,
			want: map[uuid.UUID][]uuid.UUID{
				in["i01"]: {a["a03"], a["a02"]},
				in["i02"]: {a["a01"]},
				in["i03"]: {a["a03"]},
				in["i04"]: nil,
				missing:   nil,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustCheckNested(t, tt.list, tt.want)
			var parents []uuid.UUID
			for p := range tt.want {
				parents = append(parents, p)
			}
			counts, err := tt.count(context.Background(), parents)
			if err != nil {
				t.Fatal(err)
			}
			for p, ids := range tt.want {
				if got, ok := counts[p]; !ok || got != len(ids) {
					t.Errorf("count of %v: got %d (present %v), want %d", p, got, ok, len(ids))
				}
			}
		})
	}
}

// MustCheckNested checks a nested list against the full lists in want, asking for all
// parents at once: pages of every size, forwards and backwards, and the errors.
func MustCheckNested(t *testing.T, l nestedLister, want map[uuid.UUID][]uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	var parents []uuid.UUID
	for p := range want {
		parents = append(parents, p)
	}
	get := func(pa knowledge.PageArgs) map[uuid.UUID]idPage {
		t.Helper()
		pages, err := l(ctx, parents, pa)
		if err != nil {
			t.Fatalf("%+v: %v", pa, err)
		}
		if len(pages) != len(parents) {
			t.Errorf("%+v: got %d pages, want one for each of %d parents", pa, len(pages), len(parents))
		}
		return pages
	}

	for _, size := range []int{0, 1, 2, 3, 100} {
		pages := get(knowledge.PageArgs{First: intp(size)})
		for p, all := range want {
			page, ok := pages[p]
			if !ok {
				t.Errorf("first=%d: no page for %v", size, p)
				continue
			}
			n := min(size, len(all))
			// first=0 reads nothing, so it cannot tell whether more rows exist.
			if !cmp.Equal(page.IDs, all[:n], cmp.Comparer(sameIDs)) || (size > 0 && page.HasNext != (len(all) > size)) || page.HasPrev {
				t.Errorf("first=%d, parent %v: got %v next=%v prev=%v, want %v next=%v", size, p, page.IDs, page.HasNext, page.HasPrev, all[:n], len(all) > size)
			}
			if len(page.Cursors) != len(page.IDs) {
				t.Errorf("first=%d, parent %v: got %d cursors, want %d", size, p, len(page.Cursors), len(page.IDs))
			}
		}
		pages = get(knowledge.PageArgs{Last: intp(size)})
		for p, all := range want {
			n := min(size, len(all))
			page := pages[p]
			if !cmp.Equal(page.IDs, all[len(all)-n:], cmp.Comparer(sameIDs)) || (size > 0 && page.HasPrev != (len(all) > size)) || page.HasNext {
				t.Errorf("last=%d, parent %v: got %v next=%v prev=%v, want %v prev=%v", size, p, page.IDs, page.HasNext, page.HasPrev, all[len(all)-n:], len(all) > size)
			}
		}
	}

	// Walk each parent with after/before; the list is asked for one parent at a time
	// since a cursor belongs to one parent's list.
	for p, all := range want {
		one := func(ctx context.Context, pa knowledge.PageArgs) (idPage, error) {
			pages, err := l(ctx, []uuid.UUID{p}, pa)
			if err != nil {
				return idPage{}, err
			}
			return pages[p], nil
		}
		if got := MustWalkForward(t, one, 2); !cmp.Equal(got, all, cmp.Comparer(sameIDs)) {
			t.Errorf("parent %v, forward: got %v, want %v", p, got, all)
		}
		if got := MustWalkBackward(t, one, 2); !cmp.Equal(got, all, cmp.Comparer(sameIDs)) {
			t.Errorf("parent %v, backward: got %v, want %v", p, got, all)
		}
	}

	for _, et := range []struct {
		name  string
		pa    knowledge.PageArgs
		field string
	}{
		{"first=101", knowledge.PageArgs{First: intp(101)}, "first"},
		{"first=-1", knowledge.PageArgs{First: intp(-1)}, "first"},
		{"last=101", knowledge.PageArgs{Last: intp(101)}, "last"},
		{"first and last", knowledge.PageArgs{First: intp(1), Last: intp(1)}, "last"},
		{"bad after", knowledge.PageArgs{First: intp(1), After: strp("!!")}, "after"},
		{"bad before", knowledge.PageArgs{Last: intp(1), Before: strp(b64(`["x"]`))}, "before"},
	} {
		_, err := l(ctx, parents, et.pa)
		t.Run(et.name, func(t *testing.T) { MustFail(t, err, knowledge.EINVALID, et.field) })
	}
}

// sameIDs treats nil and empty lists as equal.
func sameIDs(a, b []uuid.UUID) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
}

func TestPartnershipsOfCities(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx := context.Background()
	c, p := f.Cities, f.Partnerships
	sister, friendly := knowledge.SisterCity, knowledge.FriendlyExchange
	missing := uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")

	for _, tt := range []struct {
		name string
		kind *knowledge.PartnershipKind
		want map[uuid.UUID][]uuid.UUID
	}{
		{
			name: "all kinds",
			want: map[uuid.UUID][]uuid.UUID{
				c["shenzhen"]:   {p["p07"], p["p04"], p["p05"], p["p02"], p["p03"], p["p08"], p["p06"], p["p01"]},
				c["moscow"]:     {p["p02"], p["p03"], p["p09"]},
				c["paris"]:      {p["p10"], p["p06"]}, // both undated: by id, descending
				c["petersburg"]: {p["p04"], p["p09"]},
				c["zhuhai"]:     {p["p01"]},
				c["kazan"]:      nil,
				missing:         nil,
			},
		},
		{
			name: "sister cities",
			kind: &sister,
			want: map[uuid.UUID][]uuid.UUID{
				c["shenzhen"]:  {p["p05"], p["p02"], p["p08"], p["p06"]},
				c["moscow"]:    {p["p02"], p["p09"]},
				c["paris"]:     {p["p06"]},
				c["zhuhai"]:    nil,
				c["guangzhou"]: nil,
			},
		},
		{
			name: "friendly exchange",
			kind: &friendly,
			want: map[uuid.UUID][]uuid.UUID{
				c["shenzhen"]:  {p["p07"], p["p04"], p["p03"], p["p01"]},
				c["moscow"]:    {p["p03"]},
				c["paris"]:     {p["p10"]},
				c["guangzhou"]: {p["p10"]},
				c["nice"]:      nil,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := nestedList(func(ctx context.Context, parents []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Partnership], error) {
				return db.PartnershipsOfCities(ctx, parents, kindFilter(tt.kind), pa)
			}, func(p *knowledge.Partnership) uuid.UUID { return p.ID })
			MustCheckNested(t, l, tt.want)
			var parents []uuid.UUID
			for id := range tt.want {
				parents = append(parents, id)
			}
			counts, err := db.CountPartnershipsOfCities(ctx, parents, kindFilter(tt.kind))
			if err != nil {
				t.Fatal(err)
			}
			for id, ids := range tt.want {
				if got := counts[id]; got != len(ids) {
					t.Errorf("count of %v: got %d, want %d", id, got, len(ids))
				}
			}
		})
	}

	t.Run("seen from the hub", func(t *testing.T) {
		pages, err := db.PartnershipsOfCities(ctx, []uuid.UUID{c["shenzhen"]}, knowledge.PartnershipFilter{}, knowledge.PageArgs{})
		if err != nil {
			t.Fatal(err)
		}
		type seen struct {
			Kind    knowledge.PartnershipKind
			Partner uuid.UUID
			Viewer  uuid.UUID
			Since   *string
		}
		var got []seen
		for _, x := range pages[c["shenzhen"]].Items {
			got = append(got, seen{x.Kind, x.PartnerID(), x.ViewerID, day(x.Since)})
			if x.CityAID.String() >= x.CityBID.String() {
				t.Errorf("partnership %v: city_a %v is not before city_b %v", x.ID, x.CityAID, x.CityBID)
			}
		}
		hub := c["shenzhen"]
		want := []seen{
			{knowledge.FriendlyExchange, c["lyon"], hub, strp("2022-03-15")},
			{knowledge.FriendlyExchange, c["petersburg"], hub, strp("2019-09-09")},
			{knowledge.SisterCity, c["nice"], hub, strp("2016-05-01")},
			{knowledge.SisterCity, c["moscow"], hub, strp("2016-05-01")},
			{knowledge.FriendlyExchange, c["moscow"], hub, strp("2010-01-01")},
			{knowledge.SisterCity, c["evry"], hub, strp("1999-12-31")},
			{knowledge.SisterCity, c["paris"], hub, nil},
			{knowledge.FriendlyExchange, c["zhuhai"], hub, nil},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("hub partnerships (-want +got):\n%s", diff)
		}
	})

	t.Run("from both cities", func(t *testing.T) {
		all, err := db.PartnershipsByID(ctx, []uuid.UUID{p["p01"], p["p02"], p["p03"], p["p04"], p["p05"], p["p06"], p["p07"], p["p08"], p["p09"], p["p10"]})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(p) {
			t.Fatalf("PartnershipsByID: got %d, want %d", len(all), len(p))
		}
		for id, x := range all {
			if x.ViewerID != uuid.Nil {
				t.Errorf("PartnershipsByID(%v): got viewer %v, want none", id, x.ViewerID)
			}
			pages, err := db.PartnershipsOfCities(ctx, []uuid.UUID{x.CityAID, x.CityBID}, knowledge.PartnershipFilter{Kind: x.Kind}, knowledge.PageArgs{First: intp(100)})
			if err != nil {
				t.Fatal(err)
			}
			for viewer, partner := range map[uuid.UUID]uuid.UUID{x.CityAID: x.CityBID, x.CityBID: x.CityAID} {
				var found int
				for _, y := range pages[viewer].Items {
					if y.ID != id {
						continue
					}
					found++
					if y.ViewerID != viewer || y.PartnerID() != partner {
						t.Errorf("%v from %v: got viewer %v partner %v, want %v, %v", id, viewer, y.ViewerID, y.PartnerID(), viewer, partner)
					}
				}
				if found != 1 {
					t.Errorf("%v from %v: found %d times, want once", id, viewer, found)
				}
			}
		}
	})

	t.Run("bad kind matches nothing", func(t *testing.T) {
		bogus := knowledge.PartnershipKind("BOGUS")
		pages, err := db.PartnershipsOfCities(ctx, []uuid.UUID{c["shenzhen"]}, knowledge.PartnershipFilter{Kind: bogus}, knowledge.PageArgs{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(pages[c["shenzhen"]].Items); got != 0 {
			t.Errorf("got %d partnerships, want 0", got)
		}
	})
}

func TestPartnershipsOfAgreements(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	got, err := db.PartnershipsOfAgreements(context.Background(), []uuid.UUID{f.Agreements["a01"], f.Agreements["a05"]})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[f.Agreements["a01"]]) != 1 || got[f.Agreements["a01"]][0].ID != f.Partnerships["p02"] || got[f.Agreements["a01"]][0].ViewerID != uuid.Nil {
		t.Errorf("partnerships of a01: got %+v, want p02 with no viewer", got[f.Agreements["a01"]])
	}
	if n := len(got[f.Agreements["a05"]]); n != 0 {
		t.Errorf("partnerships of a05: got %d, want 0", n)
	}
}

func TestCityByName(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	c := f.Cities
	tests := []struct {
		name  string
		input string
		want  uuid.UUID // uuid.Nil: NOT_FOUND
	}{
		{"english", "Shenzhen", c["shenzhen"]},
		{"lower case", "shenzhen", c["shenzhen"]},
		{"upper case", "SHENZHEN", c["shenzhen"]},
		{"chinese", "深圳", c["shenzhen"]},
		{"russian", "Москва", c["moscow"]},
		{"russian any case", "КАЗАНЬ", c["kazan"]},
		{"chinese moscow", "莫斯科", c["moscow"]},
		{"other language", "qazan", c["kazan"]},
		{"accented", "Orléans", c["orleans"]},
		{"accented upper case", "ORLÉANS", c["orleans"]},
		{"accented first letter", "évry", c["evry"]},
		{"english alias", "canton", c["guangzhou"]},
		// Lyon (520,000) is also known as "Nice" in the fixture: importance decides
		// between a city's own name and another city's alias (docs/cities.md).
		{"importance beats a city's own name", "nice", c["lyon"]},
		{"shared name: most populous", "springfield", c["springfield-ru"]},
		{"unknown", "Atlantis", uuid.Nil},
		{"accents are ignored", "Orleans", c["orleans"]},
		{"empty", "", uuid.Nil},
		{"like pattern is not a pattern", "Sh%", uuid.Nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.CityByName(context.Background(), tt.input, "")
			if tt.want == uuid.Nil {
				MustFail(t, err, knowledge.ENOTFOUND, "")
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if got.ID != tt.want {
				t.Errorf("got %v (%s), want %v", got.ID, got.Name, tt.want)
			}
		})
	}
}

func TestCountryByCode(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	tests := []struct {
		input string
		want  uuid.UUID
	}{
		{"CN", f.Countries["CN"]},
		{"cn", f.Countries["CN"]},
		{" ru ", f.Countries["RU"]},
		{"Fr", f.Countries["FR"]},
		{"XX", uuid.Nil},
		{"", uuid.Nil},
		{"CHN", uuid.Nil},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			got, err := db.CountryByCode(context.Background(), tt.input)
			if tt.want == uuid.Nil {
				MustFail(t, err, knowledge.ENOTFOUND, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.want {
				t.Errorf("got %v, want %v", got.ID, tt.want)
			}
		})
	}
	got, err := db.CountryByCode(context.Background(), "cn")
	if err != nil {
		t.Fatal(err)
	}
	want := &knowledge.Country{ID: f.Countries["CN"], Code: "CN", Name: "China", WikidataID: strp("Q148")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("country (-want +got):\n%s", diff)
	}
}

func TestByID(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx := context.Background()
	missing := uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")
	c := f.Cities

	t.Run("cities", func(t *testing.T) {
		got, err := db.CitiesByID(ctx, []uuid.UUID{c["shenzhen"], c["kazan"], missing, c["shenzhen"]})
		if err != nil {
			t.Fatal(err)
		}
		want := map[uuid.UUID]*knowledge.City{
			c["shenzhen"]: {ID: c["shenzhen"], Version: 1, CountryID: f.Countries["CN"], Name: "Shenzhen", Population: intp(17_560_000),
				Location: &knowledge.Location{Latitude: 22.54, Longitude: 114.06}, WikidataID: strp("Q15174"), GeonamesID: intp(1005)},
			c["kazan"]: {ID: c["kazan"], Version: 1, CountryID: f.Countries["RU"], Name: "Kazan", GeonamesID: intp(1004)},
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(knowledge.City{}, "Country")); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		// Each city comes with its country, read in the same statement.
		for id, city := range got {
			if city.Country == nil || city.Country.ID != want[id].CountryID {
				t.Errorf("%s: country not read with the city: %+v", city.Name, city.Country)
			}
		}
		empty, err := db.CitiesByID(ctx, nil)
		if err != nil || len(empty) != 0 {
			t.Errorf("no ids: got %v, %v, want empty", empty, err)
		}
	})

	t.Run("other kinds", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			ids  []uuid.UUID
			get  func([]uuid.UUID) (int, error)
		}{
			{"countries", []uuid.UUID{f.Countries["DE"]}, func(ids []uuid.UUID) (int, error) { m, err := db.CountriesByID(ctx, ids); return len(m), err }},
			{"officials", []uuid.UUID{f.Officials["o07"], f.Officials["o01"]}, func(ids []uuid.UUID) (int, error) { m, err := db.OfficialsByID(ctx, ids); return len(m), err }},
			{"agreements", []uuid.UUID{f.Agreements["a04"]}, func(ids []uuid.UUID) (int, error) { m, err := db.AgreementsByID(ctx, ids); return len(m), err }},
			{"institutions", []uuid.UUID{f.Institutions["i01"], f.Institutions["i05"]}, func(ids []uuid.UUID) (int, error) {
				m, err := db.InstitutionsByID(ctx, ids)
				return len(m), err
			}},
			{"sources", []uuid.UUID{f.Sources["s03"]}, func(ids []uuid.UUID) (int, error) { m, err := db.SourcesByID(ctx, ids); return len(m), err }},
			{"partnerships", []uuid.UUID{f.Partnerships["p10"]}, func(ids []uuid.UUID) (int, error) { m, err := db.PartnershipsByID(ctx, ids); return len(m), err }},
		} {
			got, err := tt.get(append(tt.ids, missing, c["shenzhen"]))
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else if got != len(tt.ids) {
				t.Errorf("%s: got %d rows, want %d", tt.name, got, len(tt.ids))
			}
		}
	})

	t.Run("agreement and official fields", func(t *testing.T) {
		ags, err := db.AgreementsByID(ctx, []uuid.UUID{f.Agreements["a01"], f.Agreements["a04"]})
		if err != nil {
			t.Fatal(err)
		}
		a01 := ags[f.Agreements["a01"]]
		if a01.Kind != knowledge.SisterCityAgreement || *day(a01.SignedOn) != "2016-05-01" || *a01.SignedInID != c["moscow"] || *a01.Summary != "Summary of a01" {
			t.Errorf("a01: got %+v", a01)
		}
		if a04 := ags[f.Agreements["a04"]]; a04.SignedOn != nil || a04.SignedInID != nil {
			t.Errorf("a04: got signed %v in %v, want neither", a04.SignedOn, a04.SignedInID)
		}
		offs, err := db.OfficialsByID(ctx, []uuid.UUID{f.Officials["o07"]})
		if err != nil {
			t.Fatal(err)
		}
		if o := offs[f.Officials["o07"]]; o.CityID != nil || o.Title != nil || o.Name != "Wang Wei" {
			t.Errorf("o07: got %+v", o)
		}
		srcs, err := db.SourcesByID(ctx, []uuid.UUID{f.Sources["s02"], f.Sources["s03"]})
		if err != nil {
			t.Fatal(err)
		}
		if got := srcs[f.Sources["s02"]].Languages; !cmp.Equal(got, []string{"ru", "en"}) {
			t.Errorf("s02 languages: got %v, want [ru en]", got)
		}
		if s := srcs[f.Sources["s03"]]; s.URL != nil || s.PublishedOn != nil || len(s.Languages) != 0 {
			t.Errorf("s03: got %+v, want no url, date or languages", s)
		}
	})
}

func TestNames(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx := context.Background()
	c, o, s := f.Cities, f.Officials, f.Sources
	missing := uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")
	n := func(lang, name string, source *uuid.UUID) *knowledge.LocalizedName {
		return &knowledge.LocalizedName{Language: lang, Name: name, SourceID: source}
	}
	src := func(k string) *uuid.UUID { id := s[k]; return &id }

	cityNames, err := db.CityNames(ctx, []uuid.UUID{c["shenzhen"], c["moscow"], c["lyon"], c["nice"], missing})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID][]*knowledge.LocalizedName{
		// The stored English name (with its source) comes first and only once.
		c["shenzhen"]: {n("en", "Shenzhen", src("s01")), n("ru", "Шэньчжэнь", nil), n("zh", "深圳", src("s01"))},
		c["moscow"]:   {n("en", "Moscow", nil), n("ru", "Москва", nil), n("zh", "莫斯科", nil)},
		// Another English spelling comes after the main name.
		c["lyon"]: {n("en", "Lyon", nil), n("en", "Nice", nil)},
		c["nice"]: {n("en", "Nice", nil)},
	}
	if diff := cmp.Diff(want, cityNames); diff != "" {
		t.Errorf("CityNames (-want +got):\n%s", diff)
	}

	officialNames, err := db.OfficialNames(ctx, []uuid.UUID{o["o01"], o["o02"], o["o07"], missing})
	if err != nil {
		t.Fatal(err)
	}
	wantOfficials := map[uuid.UUID][]*knowledge.LocalizedName{
		o["o01"]: {n("en", "Sergey Sobyanin", nil), n("ru", "Сергей Собянин", src("s02"))},
		o["o02"]: {n("en", "Qin Weizhong", nil), n("zh", "覃伟中", nil)},
		o["o07"]: {n("en", "Wang Wei", nil)},
	}
	if diff := cmp.Diff(wantOfficials, officialNames); diff != "" {
		t.Errorf("OfficialNames (-want +got):\n%s", diff)
	}
}

func TestAgreementDetails(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx := context.Background()
	a, c, o := f.Agreements, f.Cities, f.Officials
	missing := uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")
	ids := []uuid.UUID{a["a01"], a["a03"], a["a05"], a["a06"], missing}

	parties, err := db.AgreementParties(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	gotParties := map[uuid.UUID][]uuid.UUID{}
	for k, cs := range parties {
		for _, x := range cs {
			gotParties[k] = append(gotParties[k], x.ID)
		}
	}
	wantParties := map[uuid.UUID][]uuid.UUID{
		a["a01"]: {c["moscow"], c["shenzhen"]},
		a["a03"]: {c["shenzhen"], c["lyon"]},
		a["a05"]: {c["guangzhou"], c["paris"]},
		a["a06"]: {c["moscow"], c["petersburg"]},
	}
	if diff := cmp.Diff(wantParties, gotParties); diff != "" {
		t.Errorf("AgreementParties (-want +got):\n%s", diff)
	}

	areas, err := db.AgreementAreas(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	wantAreas := map[uuid.UUID][]knowledge.CooperationArea{
		a["a01"]: {knowledge.Trade, knowledge.Education, knowledge.Culture},
		a["a03"]: {knowledge.Investment, knowledge.OtherArea},
	}
	if diff := cmp.Diff(wantAreas, areas); diff != "" {
		t.Errorf("AgreementAreas (-want +got):\n%s", diff)
	}

	sigs, err := db.Signatories(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(ag, off, party string, role *string) *knowledge.Signatory {
		return &knowledge.Signatory{AgreementID: a[ag], OfficialID: o[off], PartyID: c[party], Role: role}
	}
	wantSigs := map[uuid.UUID][]*knowledge.Signatory{
		a["a01"]: {sig("a01", "o01", "moscow", strp("Mayor")), sig("a01", "o02", "shenzhen", strp("Mayor"))},
		a["a03"]: {sig("a03", "o05", "lyon", strp("Mayor")), sig("a03", "o02", "shenzhen", strp("Mayor"))},
		a["a06"]: {sig("a06", "o01", "moscow", nil), sig("a06", "o04", "petersburg", nil)},
	}
	if diff := cmp.Diff(wantSigs, sigs, cmpopts.IgnoreFields(knowledge.Signatory{}, "Official")); diff != "" {
		t.Errorf("Signatories (-want +got):\n%s", diff)
	}
	// Each signature comes with its official, read in the same statement.
	for _, list := range sigs {
		for _, s := range list {
			if s.Official == nil || s.Official.ID != s.OfficialID || s.Official.Name == "" {
				t.Errorf("signatory %s: official not read with it: %+v", s.OfficialID, s.Official)
			}
		}
	}

	insts, err := db.InstitutionsOfAgreements(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var gotInst []uuid.UUID
	for _, i := range insts[a["a03"]] {
		gotInst = append(gotInst, i.ID)
	}
	// By name: Lyon Chamber of Commerce, Shenzhen University.
	if want := []uuid.UUID{f.Institutions["i03"], f.Institutions["i01"]}; !cmp.Equal(gotInst, want) {
		t.Errorf("institutions of a03: got %v, want %v", gotInst, want)
	}
}

func TestProvenance(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	ctx := context.Background()
	s := f.Sources
	missing := uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")

	sourceIDs := func(m map[uuid.UUID][]*knowledge.Source) map[uuid.UUID][]uuid.UUID {
		out := map[uuid.UUID][]uuid.UUID{}
		for k, ss := range m {
			for _, x := range ss {
				out[k] = append(out[k], x.ID)
			}
		}
		return out
	}
	tests := []struct {
		name    string
		subject knowledge.Subject
		ids     []uuid.UUID
		want    map[uuid.UUID][]uuid.UUID
	}{
		{
			// s01 is cited and also the source of a statement: listed once. s03 and s05
			// have no date, so they come last, by title.
			name: "city", subject: knowledge.CitySubject,
			ids:  []uuid.UUID{f.Cities["shenzhen"], f.Cities["kazan"], missing},
			want: map[uuid.UUID][]uuid.UUID{f.Cities["shenzhen"]: {s["s01"], s["s03"], s["s05"]}},
		},
		{
			// Only statements cite s04; s02 is cited twice.
			name: "agreement", subject: knowledge.AgreementSubject,
			ids:  []uuid.UUID{f.Agreements["a01"], f.Agreements["a02"]},
			want: map[uuid.UUID][]uuid.UUID{f.Agreements["a01"]: {s["s04"], s["s02"]}},
		},
		{
			name: "official", subject: knowledge.OfficialSubject,
			ids:  []uuid.UUID{f.Officials["o01"]},
			want: map[uuid.UUID][]uuid.UUID{f.Officials["o01"]: {s["s02"]}},
		},
		{
			name: "institution", subject: knowledge.InstitutionSubject,
			ids:  []uuid.UUID{f.Institutions["i01"], f.Institutions["i02"]},
			want: map[uuid.UUID][]uuid.UUID{f.Institutions["i01"]: {s["s06"]}},
		},
		{
			name: "partnership", subject: knowledge.PartnershipSubject,
			ids:  []uuid.UUID{f.Partnerships["p02"], f.Partnerships["p01"]},
			want: map[uuid.UUID][]uuid.UUID{f.Partnerships["p02"]: {s["s02"]}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.SourcesOf(ctx, tt.subject, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sourceIDs(got)); diff != "" {
				t.Errorf("SourcesOf (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unknown subject", func(t *testing.T) {
		if _, err := db.SourcesOf(ctx, knowledge.Subject("cities; DROP TABLE sources"), []uuid.UUID{missing}); err == nil {
			t.Error("SourcesOf: got no error, want one")
		}
		if _, err := db.StatementsOf(ctx, knowledge.Subject("country"), []uuid.UUID{missing}); err == nil {
			t.Error("StatementsOf: got no error, want one")
		}
	})

	t.Run("statements", func(t *testing.T) {
		got, err := db.StatementsOf(ctx, knowledge.AgreementSubject, []uuid.UUID{f.Agreements["a01"], f.Agreements["a02"], missing})
		if err != nil {
			t.Fatal(err)
		}
		want := map[uuid.UUID][]*knowledge.Statement{
			f.Agreements["a01"]: {
				{ID: f.Statements["st02"], Property: "signedOn", Value: "2016-05-01", SourceID: s["s02"], Quote: strp("signed on 1 May 2016")},
				{ID: f.Statements["st01"], Property: "title", Value: "Agreement on sister city relations", SourceID: s["s04"]},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("StatementsOf (-want +got):\n%s", diff)
		}
		cities, err := db.StatementsOf(ctx, knowledge.CitySubject, []uuid.UUID{f.Cities["shenzhen"]})
		if err != nil {
			t.Fatal(err)
		}
		var ids []uuid.UUID
		for _, x := range cities[f.Cities["shenzhen"]] {
			ids = append(ids, x.ID)
		}
		if want := []uuid.UUID{f.Statements["st03"], f.Statements["st04"]}; !cmp.Equal(ids, want) {
			t.Errorf("statements of shenzhen: got %v, want %v", ids, want)
		}
	})

	t.Run("reported figures", func(t *testing.T) {
		got, err := db.ReportedFigures(ctx, []uuid.UUID{f.Cities["shenzhen"], f.Cities["kazan"], missing})
		if err != nil {
			t.Fatal(err)
		}
		type fig struct {
			ID     uuid.UUID
			Metric knowledge.FigureMetric
			Value  int
			AsOf   *string
			Source uuid.UUID
		}
		var gotFigs []fig
		for _, x := range got[f.Cities["shenzhen"]] {
			if x.CityID != f.Cities["shenzhen"] {
				t.Errorf("figure %v: got city %v, want shenzhen", x.ID, x.CityID)
			}
			gotFigs = append(gotFigs, fig{x.ID, x.Metric, x.Value, day(x.AsOf), x.SourceID})
		}
		// By metric in enum order, then newest first, undated last.
		want := []fig{
			{f.Figures["f03"], knowledge.FriendlyCities, 93, strp("2023-01-01"), s["s01"]},
			{f.Figures["f04"], knowledge.FriendlyCities, 88, strp("2020-01-01"), s["s03"]},
			{f.Figures["f02"], knowledge.FriendlyCities, 80, nil, s["s05"]},
			{f.Figures["f01"], knowledge.SisterCities, 25, strp("2023-01-01"), s["s01"]},
		}
		if diff := cmp.Diff(want, gotFigs); diff != "" {
			t.Errorf("ReportedFigures (-want +got):\n%s", diff)
		}
		if len(got) != 1 {
			t.Errorf("got figures for %d cities, want only shenzhen", len(got))
		}
	})
}

func TestCounts(t *testing.T) {
	t.Parallel()
	db, _ := MustFixtureDB(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		count func(context.Context) (int, error)
		want  int
	}{
		{"cities", countAll(db.CountCities), 13},
		{"countries", db.CountCountries, 4},
		{"officials", countAll(db.CountOfficials), 7},
		{"agreements", countAll(db.CountAgreements), 7},
		{"institutions", countAll(db.CountInstitutions), 5},
		{"sources", db.CountSources, 6},
	} {
		got, err := tt.count(ctx)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		} else if got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestConstraintErrors checks how mapError reports the constraints the schema enforces.
func TestConstraintErrors(t *testing.T) {
	t.Parallel()
	db, f := MustFixtureDB(t)
	c, a := f.Cities, f.Agreements
	tests := []struct {
		name  string
		query string
		args  []any
		code  string
		field string
	}{
		{
			name:  "duplicate partnership",
			query: `INSERT INTO partnerships (kind, city_a_id, city_b_id) VALUES ('SISTER_CITY', $1, $2)`,
			args:  []any{c["moscow"], c["shenzhen"]},
			code:  knowledge.ECONFLICT, field: "partnerships_cities_kind_key",
		},
		{
			name:  "partnership cities in the wrong order",
			query: `INSERT INTO partnerships (kind, city_a_id, city_b_id) VALUES ('SISTER_CITY', $1, $2)`,
			args:  []any{c["shenzhen"], c["moscow"]},
			code:  knowledge.EINVALID, field: "partnerships_cities_check",
		},
		{
			name:  "partnership ends before it starts",
			query: `INSERT INTO partnerships (kind, city_a_id, city_b_id, since, until) VALUES ('SISTER_CITY', $1, $2, '2020-01-01', '2019-01-01')`,
			args:  []any{c["kazan"], c["nice"]},
			code:  knowledge.EINVALID, field: "partnerships_period_check",
		},
		{
			name:  "signatory for a city that is not a party",
			query: `INSERT INTO signatories (agreement_id, official_id, party_city_id) VALUES ($1, $2, $3)`,
			args:  []any{a["a01"], f.Officials["o04"], c["petersburg"]},
			code:  knowledge.EINVALID, field: "signatories_party_fkey",
		},
		{
			name:  "signatory twice",
			query: `INSERT INTO signatories (agreement_id, official_id, party_city_id) VALUES ($1, $2, $3)`,
			args:  []any{a["a01"], f.Officials["o01"], c["moscow"]},
			code:  knowledge.ECONFLICT, field: "signatories_pkey",
		},
		{
			name:  "duplicate country code",
			query: `INSERT INTO countries (code, name) VALUES ('CN', 'China again')`,
			code:  knowledge.ECONFLICT, field: "countries_code_key",
		},
		{
			name:  "bad country code",
			query: `INSERT INTO countries (code, name) VALUES ('cn', 'China')`,
			code:  knowledge.EINVALID, field: "countries_code_check",
		},
		{
			name:  "city of an unknown country",
			query: `INSERT INTO cities (country_id, name) VALUES ($1, 'Nowhere')`,
			args:  []any{uuid.MustParse("ffffffff-ffff-4fff-bfff-ffffffffffff")},
			code:  knowledge.EINVALID, field: "cities_country_id_fkey",
		},
		{
			name:  "statement about two things",
			query: `INSERT INTO statements (city_id, agreement_id, property, value, source_id) VALUES ($1, $2, 'x', 'y', $3)`,
			args:  []any{c["moscow"], a["a01"], f.Sources["s01"]},
			code:  knowledge.EINVALID, field: "statements_subject_check",
		},
		{
			name:  "undated figure twice",
			query: `INSERT INTO reported_figures (city_id, metric, value, source_id) VALUES ($1, 'FRIENDLY_CITIES', 1, $2)`,
			args:  []any{c["shenzhen"], f.Sources["s05"]},
			code:  knowledge.ECONFLICT, field: "reported_figures_key",
		},
		{
			name:  "duplicate source url",
			query: `INSERT INTO sources (title, url) VALUES ('again', 'https://mos.ru/news/1')`,
			code:  knowledge.ECONFLICT, field: "sources_url_key",
		},
		{
			name:  "source url not http",
			query: `INSERT INTO sources (title, url) VALUES ('bad', 'ftp://example.org')`,
			code:  knowledge.EINVALID, field: "sources_url_check",
		},
		{
			name:  "value that does not fit its type",
			query: `SELECT 'not a date'::date`,
			code:  knowledge.EINVALID, field: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ExecContext(context.Background(), tt.query, tt.args...)
			if err == nil {
				t.Fatal("got no database error, want one")
			}
			MustFail(t, postgres.MapError(err), tt.code, tt.field)
		})
	}

	t.Run("not database errors", func(t *testing.T) {
		if err := postgres.MapError(nil); err != nil {
			t.Errorf("nil: got %v, want nil", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
		defer cancel()
		<-ctx.Done()
		if got := knowledge.ErrorCode(postgres.MapError(ctx.Err())); got != knowledge.EUNAVAILABLE {
			t.Errorf("deadline: got %s, want %s", got, knowledge.EUNAVAILABLE)
		}
		if got := knowledge.ErrorCode(postgres.MapError(errors.New("boom"))); got != knowledge.EINTERNAL {
			t.Errorf("other: got %s, want %s", got, knowledge.EINTERNAL)
		}
	})
}

// TestShippedKnowledge walks every list over the shipped knowledge, which is larger
// and less regular than the fixture: every row once, in the documented order, and the
// counts agree with the lists.
func TestShippedKnowledge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	b, err := seed.Shipped()
	if err != nil {
		t.Fatalf("seed.Shipped: %v", err)
	}
	if _, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName); err != nil {
		t.Fatalf("ApplyBundle: %v", err)
	}

	for _, tt := range []struct {
		name  string
		list  lister
		count func(context.Context) (int, error)
		order string
	}{
		{"cities", list(unfiltered(db.Cities), func(c *knowledge.City) uuid.UUID { return c.ID }), countAll(db.CountCities),
			`SELECT id FROM cities ORDER BY name, id`},
		{"countries", list(db.Countries, func(c *knowledge.Country) uuid.UUID { return c.ID }), db.CountCountries,
			`SELECT id FROM countries ORDER BY code, id`},
		{"officials", list(unfiltered(db.Officials), func(o *knowledge.Official) uuid.UUID { return o.ID }), countAll(db.CountOfficials),
			`SELECT id FROM officials ORDER BY name, id`},
		{"agreements", list(unfiltered(db.Agreements), func(a *knowledge.Agreement) uuid.UUID { return a.ID }), countAll(db.CountAgreements),
			`SELECT id FROM agreements ORDER BY signed_on DESC NULLS LAST, id DESC`},
		{"institutions", list(unfiltered(db.Institutions), func(i *knowledge.Institution) uuid.UUID { return i.ID }), countAll(db.CountInstitutions),
			`SELECT id FROM institutions ORDER BY name, id`},
		{"sources", list(db.Sources, func(s *knowledge.Source) uuid.UUID { return s.ID }), db.CountSources,
			`SELECT id FROM sources ORDER BY published_on DESC NULLS LAST, id DESC`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := MustIDs(t, db, tt.order)
			if len(want) == 0 {
				t.Fatal("the shipped knowledge has none")
			}
			if got := MustWalkForward(t, tt.list, 7); !cmp.Equal(got, want, cmp.Comparer(sameIDs)) {
				t.Errorf("forward: got %d ids %v, want %d ids %v", len(got), got, len(want), want)
			}
			if got := MustWalkBackward(t, tt.list, 7); !cmp.Equal(got, want, cmp.Comparer(sameIDs)) {
				t.Errorf("backward: got %d ids %v, want %d ids %v", len(got), got, len(want), want)
			}
			if n, err := tt.count(ctx); err != nil || n != len(want) {
				t.Errorf("count: got %d, %v, want %d", n, err, len(want))
			}
		})
	}

	t.Run("partnerships", func(t *testing.T) {
		cities := MustIDs(t, db, `SELECT id FROM cities ORDER BY id`)
		pages, err := db.PartnershipsOfCities(ctx, cities, knowledge.PartnershipFilter{}, knowledge.PageArgs{First: intp(knowledge.MaxPageSize)})
		if err != nil {
			t.Fatal(err)
		}
		counts, err := db.CountPartnershipsOfCities(ctx, cities, knowledge.PartnershipFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uuid.UUID]int{}
		for _, c := range cities {
			page := pages[c]
			if page == nil {
				t.Fatalf("no page for city %v", c)
			}
			if page.HasNextPage {
				t.Fatalf("city %v has more than %d partnerships; the test needs a walk", c, knowledge.MaxPageSize)
			}
			if len(page.Items) != counts[c] {
				t.Errorf("city %v: got %d partnerships, count %d", c, len(page.Items), counts[c])
			}
			for i, p := range page.Items {
				seen[p.ID]++
				if p.ViewerID != c || (p.CityAID != c && p.CityBID != c) || p.PartnerID() == c {
					t.Errorf("city %v: partnership %v seen from %v with partner %v", c, p.ID, p.ViewerID, p.PartnerID())
				}
				if i > 0 {
					prev := page.Items[i-1]
					if newer(p.Since, prev.Since) || (sameDay(p.Since, prev.Since) && p.ID.String() > prev.ID.String()) {
						t.Errorf("city %v: %v (since %v) after %v (since %v)", c, p.ID, day(p.Since), prev.ID, day(prev.Since))
					}
				}
			}
		}
		total := MustIDs(t, db, `SELECT id FROM partnerships`)
		if len(total) == 0 {
			t.Fatal("the shipped knowledge has no partnerships")
		}
		if len(seen) != len(total) {
			t.Errorf("got %d partnerships from the cities, want %d", len(seen), len(total))
		}
		for id, n := range seen {
			if n != 2 {
				t.Errorf("partnership %v: seen from %d cities, want 2", id, n)
			}
		}
	})
}

// newer reports whether date a sorts before b newest first, undated last.
// newer compares dates as lists order them: by the first day of their period.
func newer(a, b *knowledge.Date) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	}
	return a.First().After(b.First())
}

func sameDay(a, b *knowledge.Date) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.First().Equal(b.First())
}
