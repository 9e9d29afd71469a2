package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// A nested list comes back as PostgreSQL writes a text array of text arrays: every
// value, quoted or not, NULL or the text "NULL", reads back as it went in.
func TestParseTextRowsRoundTrip(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	str := func(s string) *string { return &s }
	values := []*string{str(""), str("NULL"), str("null"), nil, str(`a "quoted" \ back\slash`),
		str("{braces},commas, and spaces "), str("Zürich — 深圳"), str("\ttab\nnewline"), str("plain")}
	for _, n := range []int{0, 1, len(values)} {
		var want [][]*string
		if n > 0 {
			want = make([][]*string, n)
		}
		cols := make([][]sql.NullString, 3)
		for i := range n {
			for j := range cols {
				v := values[(i+j)%len(values)]
				want[i] = append(want[i], v)
				cols[j] = append(cols[j], sql.NullString{String: deref(v), Valid: v != nil})
			}
		}
		var text string
		if err := db.GetContext(context.Background(), &text, `SELECT array(SELECT array[a, b, c]
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(a, b, c, n) ORDER BY n)::text`,
			pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2])); err != nil {
			t.Fatal(err)
		}
		got, err := postgres.ParseTextRows(text, 3)
		if err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%d rows from %s (-got +want):\n%s", n, text, diff)
		}
	}
	for _, bad := range []string{"", "{", "{a,b}", "{{a,b}", `{{"a}}`, "{{a}{b}}"} {
		if _, err := postgres.ParseTextRows(bad, 3); err == nil {
			t.Errorf("ParseTextRows(%q) took a malformed array", bad)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
