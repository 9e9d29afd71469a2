package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/ingest/seed"
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

// The shipped knowledge is an import file like any other: `amity import` reads it, and
// a server that starts over what it wrote finds nothing to write.
func TestImportShippedKnowledge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	var out, errOut bytes.Buffer
	if err := importFile(ctx, db, "../../"+seed.ShippedPath, importer.FormatAuto, 0, &out, &errOut); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"knowledge.ndjson (ndjson): 17 rows", "agreement 1 0 0", "institution 3 0 0", "figure 4 0 0"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	var statements int
	if err := db.Get(&statements, `SELECT count(*) FROM statements`); err != nil {
		t.Fatal(err)
	}
	if statements != 18 {
		t.Errorf("%d statements imported, want the shipped 18", statements)
	}
	var log bytes.Buffer
	if err := loadShipped(ctx, db, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "loaded shipped knowledge") || !strings.Contains(log.String(), "created=0 updated=0 entities=17") {
		t.Errorf("the start after the import wrote something: %s", log.String())
	}
}
