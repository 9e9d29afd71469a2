package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/amity/amity/internal/postgres/pgtest"
)

func TestImportCommand(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.MustCreateDB(t)
	files := []string{"../../testdata/import/countries.json", "../../testdata/import/cities.txt", "../../testdata/import/knowledge.ndjson"}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"import", "--database-url", dbURL}, files...), &out, &errOut, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"countries.json (iso3166): 2 rows", "cities.txt (geonames): 4 rows", "partnership 2 0 0"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	errOut.Reset()
	err := run(context.Background(), []string{"import", "--database-url", dbURL, "../../testdata/import/bad.ndjson", files[2]}, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 files not imported") {
		t.Errorf("err = %v, want one of two files refused", err)
	}
	if !strings.Contains(errOut.String(), "bad.ndjson:6: agreement.kind:") {
		t.Errorf("stderr lacks the bad line:\n%s", errOut.String())
	}
	if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "agreement 0 0 1") {
		t.Errorf("second import of knowledge.ndjson not unchanged:\n%s", out.String())
	}
}
