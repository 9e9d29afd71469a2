package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestImportLimits: an NDJSON file is held to the API's limits (internal/knowledge),
// each problem reported as file:line: field: message, never as PostgreSQL's text, and a
// refused file writes nothing.
func TestImportLimits(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	before := tableRows(t, db)

	src := `{"type":"source","key":"gazette","title":"Gazette","url":"https://example.org/gazette"}`
	city := func(name string) string {
		return `{"type":"city","key":"limitville","name":"` + name + `","country":"XT","sources":["gazette"]}`
	}
	cases := []struct {
		name string
		file string
		want string
	}{
		{"invalid UTF-8", src + "\n" + city("Bad\xff\xfeName"), "f.ndjson:2: not valid UTF-8 (at byte"},
		{"NUL", src + "\n" + city(`Bad\u0000Name`), "f.ndjson:2: city.name: contains a NUL character (U+0000)"},
		{"newline in a name", src + "\n" + city(`Bad\nName`), "f.ndjson:2: city.name: contains the control character U+000A"},
		{"5 MiB excerpt", `{"type":"source","key":"gazette","title":"Gazette","excerpt":"` + strings.Repeat("x", 5<<20) + `"}`,
			"f.ndjson:1: source.excerpt: is too long: 5242880 characters, at most 4000"},
		{"repeated field", src + "\n" + `{"type":"city","key":"limitville","name":"Limitville","name":"Other","country":"XT","sources":["gazette"]}`,
			"f.ndjson:2: city.name: given twice on the line"},
		{"repeated nested field", src + "\n" + `{"type":"city","key":"limitville","name":"Limitville","country":"XT","names":[{"language":"en","name":"A","name":"B"}],"sources":["gazette"]}`,
			"f.ndjson:2: city.names[0].name: given twice on the line"},
		{"population over 32 bits", src + "\n" + `{"type":"city","key":"limitville","name":"Limitville","country":"XT","population":3000000000,"sources":["gazette"]}`,
			"f.ndjson:2: city.population: 3000000000 is not between 0 and 2147483647"},
		{"NUL in a URL reference", src + "\n" + `{"type":"city","key":"limitville","name":"Limitville","country":"XT","sources":[{"url":"https://example.org/\u0000"}]}`,
			"f.ndjson:2: city.sources[0]: contains a NUL character (U+0000)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := importBytes(db, "f.ndjson", []byte(c.file), importer.FormatNDJSON)
			var ie *knowledge.FileError
			if !errors.As(err, &ie) || len(ie.Problems) != 1 {
				t.Fatalf("err = %v, want one problem", err)
			}
			if got := ie.Problems[0].String(); !strings.HasPrefix(got, c.want) || strings.Contains(got, "pq:") {
				t.Errorf("problem = %q, want %q…", got, c.want)
			}
		})
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("refused files changed the database (-got +want):\n%s", diff)
	}

	// A byte order mark at the start is skipped; text with paragraphs is an excerpt's right.
	bom := "\ufeff" + `{"type":"source","key":"gazette","title":"Gazette","excerpt":"One.\n\nTwo."}` + "\n" + city("Limitville")
	if _, err := importBytes(db, "bom.ndjson", []byte(bom), importer.FormatNDJSON); err != nil {
		t.Fatalf("a file with a byte order mark: %v", err)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM cities WHERE name = 'Limitville'`); n != 1 {
		t.Errorf("%d cities imported from the file with a byte order mark, want 1", n)
	}
}
