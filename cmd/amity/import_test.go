package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/postgres/pgtest"
	"github.com/jmoiron/sqlx"
)

func TestImportCommand(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.MustCreateDB(t)
	files := []string{"../../testdata/import/countries.json", "../../testdata/import/cities.txt", "../../testdata/import/knowledge.ndjson"}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"import", "--database-url", dbURL}, files...), &out, &errOut, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"countries.json (iso3166): 4 rows", "cities.txt (geonames): 4 rows", "partnership 2 0 0"} {
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
	if err := importFile(ctx, db, "../../"+seed.ShippedPath, importOptions{format: importer.FormatAuto}, &out, &errOut); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"knowledge.ndjson (ndjson): 18 rows", "agreement 1 0 0", "institution 3 0 0", "figure 4 0 0"} {
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
	if !strings.Contains(log.String(), "loaded shipped knowledge") || !strings.Contains(log.String(), "created=0 updated=0 entities=18") {
		t.Errorf("the start after the import wrote something: %s", log.String())
	}
}

// --skip-invalid writes every valid line and puts each invalid one, as it was, with its
// reasons in a reject file; without it the same file changes nothing.
func TestImportSkipInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(t)
	var out, errOut bytes.Buffer
	base := []string{"../../testdata/import/countries.json", "../../testdata/import/cities.txt"}
	if err := run(ctx, append([]string{"import", "--database-url", dbURL}, base...), &out, &errOut, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	src, err := os.ReadFile("../../testdata/import/skip/mixed.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "mixed.ndjson")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sqlx.Connect("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.Get(&n, query); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const skipCities = `SELECT count(*) FROM cities WHERE name LIKE 'Skipton%'`

	// All or nothing: refused, every problem counted, nothing written.
	out.Reset()
	errOut.Reset()
	err = run(ctx, []string{"import", "--database-url", dbURL, file}, &out, &errOut, nil)
	if err == nil {
		t.Fatal("a file with invalid lines was imported without --skip-invalid")
	}
	if !strings.Contains(errOut.String(), "mixed.ndjson:5: city.key: duplicate city") {
		t.Errorf("stderr lacks the duplicate key with file:line:field:\n%s", errOut.String())
	}
	if n := count(skipCities); n != 0 {
		t.Errorf("%d cities written by a refused file", n)
	}

	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"import", "--database-url", dbURL, "--skip-invalid", file}, &out, &errOut, nil); err != nil {
		t.Fatalf("import --skip-invalid: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "9 lines rejected, with their reasons: "+file+".rejects") {
		t.Errorf("output lacks the rejects:\n%s", out.String())
	}
	if n := count(skipCities); n != 1 {
		t.Errorf("%d Skipton cities, want 1", n)
	}
	if n := count(`SELECT count(*) FROM partnerships p JOIN cities c ON c.id IN (p.city_a_id, p.city_b_id) WHERE c.name = 'Skipton Example'`); n != 2 {
		t.Errorf("%d partnerships of Skipton, want the 2 valid ones", n)
	}
	rejects, err := os.ReadFile(file + ".rejects")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(rejects), "\n"), "\n")
	srcLines := strings.Split(string(src), "\n")
	want := []struct {
		line   int
		reason string
	}{
		{1, "unknown field"},
		{4, "city.name: "},
		{5, "city.key: duplicate city \"skipton-example\" (first on line 3)"},
		{6, "partnership.cities[1]: refers to city \"badville\", which is on a rejected line"},
		{8, "partnership.cities: another SISTER_CITY partnership"},
		{9, "a partnership joins two different cities"},
		{10, "unknown city with GeoNames id 99000999"},
		{11, "partnership.since: \"2001-13-01\" is not a calendar date"},
		{13, "partnership.cities: another SISTER_CITY partnership of these two cities is on line 7"},
	}
	if len(lines) != len(want) {
		t.Fatalf("reject file has %d lines, want %d:\n%s", len(lines), len(want), rejects)
	}
	for i, w := range want {
		text, reasons, ok := strings.Cut(lines[i], "\t")
		if !ok || text != srcLines[w.line-1] {
			t.Errorf("reject %d is not line %d as it was:\n%s", i, w.line, lines[i])
		}
		if !strings.HasPrefix(reasons, fmt.Sprintf("line %d: ", w.line)) || !strings.Contains(reasons, w.reason) {
			t.Errorf("reject %d: reasons %q, want line %d and %q", i, reasons, w.line, w.reason)
		}
	}
}

// A refusal counts every problem: twelve rows naming a country the database lacks are
// twelve problems (the store once listed ten places of one unknown reference and
// counted only those).
func TestImportCountsEveryProblem(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.MustCreateDB(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"import", "--database-url", dbURL, "../../testdata/import/skip/cities-xk.txt"}, &out, &errOut, nil)
	if err == nil {
		t.Fatal("cities of an unknown country imported")
	}
	if !strings.Contains(errOut.String(), "not imported, 12 problems:") || !strings.Contains(errOut.String(), "cities-xk.txt:12: city.country: unknown country \"XK\"") {
		t.Errorf("stderr does not count and list all 12:\n%s", errOut.String())
	}
}

// The documented order, ISO 3166 then a GeoNames cities file, works with a file that
// has rows in Kosovo (XK, which GeoNames uses and iso-codes lacks); countries are
// named by iso-codes' common_name where it has one.
func TestImportCountriesAsUsersKnowThem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		countries string
		names     map[string]string
		source    int
	}{
		{"countries.json", map[string]string{"XT": "Testland", "XU": "Sampleland", "XK": "Kosovo"}, 1},
		{"countries-common.json", map[string]string{"XT": "Testland", "XU": "Sampleland", "XK": "Kosovo (as the file gives it)"}, 0},
	} {
		t.Run(tc.countries, func(t *testing.T) {
			dbURL := pgtest.MustCreateDB(t)
			var out, errOut bytes.Buffer
			files := []string{"../../testdata/import/" + tc.countries, "../../testdata/import/skip/cities-xk.txt"}
			if err := run(ctx, append([]string{"import", "--database-url", dbURL}, files...), &out, &errOut, nil); err != nil {
				t.Fatalf("import: %v\n%s", err, errOut.String())
			}
			db, err := sqlx.Connect("postgres", dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var rows []struct {
				Code string `db:"code"`
				Name string `db:"name"`
			}
			if err := db.Select(&rows, `SELECT code, name FROM countries`); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range rows {
				got[r.Code] = r.Name
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.names) {
				t.Errorf("countries %v, want %v", got, tc.names)
			}
			var cities, sources int
			if err := db.Get(&cities, `SELECT count(*) FROM cities c JOIN countries k ON k.id = c.country_id WHERE k.code = 'XK'`); err != nil {
				t.Fatal(err)
			}
			if cities != 12 {
				t.Errorf("%d cities in XK, want 12", cities)
			}
			if err := db.Get(&sources, `SELECT count(*) FROM sources WHERE url = 'https://download.geonames.org/export/dump/countryInfo.txt'`); err != nil {
				t.Fatal(err)
			}
			if sources != tc.source {
				t.Errorf("%d sources for GeoNames' countryInfo.txt, want %d", sources, tc.source)
			}
		})
	}
}

// --skip-invalid on a GeoNames file: rows the store refuses (a country the database
// lacks) are rejected with their reason as a 20th column, the rest written.
func TestImportSkipInvalidGeoNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(t)
	src, err := os.ReadFile("../../testdata/import/skip/cities-xk.txt")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.SplitAfter(string(src), "\n")
	// Two rows in a country the database has, then the twelve in XK, then a row
	// without a name.
	extra := "99200001\tTestville North\tTestville North\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t10\t\t\t\t2024-01-01\n" +
		"99200002\tTestville South\tTestville South\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t10\t\t\t\t2024-01-01\n"
	bad := "99200003\t\t\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t10\t\t\t\t2024-01-01\n"
	file := filepath.Join(t.TempDir(), "cities.txt")
	if err := os.WriteFile(file, []byte(extra+strings.Join(rows, "")+bad), 0o644); err != nil {
		t.Fatal(err)
	}
	rejectsDir := t.TempDir()
	var out, errOut bytes.Buffer
	args := []string{"import", "--database-url", dbURL, "../../testdata/import/countries-common.json"}
	if err := run(ctx, args, &out, &errOut, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	db, err := sqlx.Connect("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM countries WHERE code = 'XK'`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	args = []string{"import", "--database-url", dbURL, "--skip-invalid", "--rejects", rejectsDir, file}
	if err := run(ctx, args, &out, &errOut, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "city 2 0 0") ||
		!strings.Contains(out.String(), "13 lines rejected") {
		t.Errorf("output:\n%s", out.String())
	}
	rejects, err := os.ReadFile(filepath.Join(rejectsDir, "cities.txt.rejects"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(rejects), "\n"), "\n")
	if len(lines) != 13 {
		t.Fatalf("%d reject lines, want 13:\n%s", len(lines), rejects)
	}
	if cols := strings.Split(lines[0], "\t"); len(cols) != 20 || cols[19] != `line 3: city.country: unknown country "XK"` ||
		strings.Join(cols[:19], "\t") != strings.TrimSuffix(rows[0], "\n") {
		t.Errorf("first reject line %q: want row 3 as it was and its reason as a 20th column", lines[0])
	}
	if !strings.HasSuffix(lines[12], "\tline 15: city.name: required") {
		t.Errorf("last reject line %q: want the nameless row 15", lines[12])
	}
	if err := run(ctx, []string{"import", "--database-url", dbURL, "--rejects", rejectsDir, file}, &out, &errOut, nil); err == nil ||
		!strings.Contains(err.Error(), "--rejects goes with --skip-invalid") {
		t.Errorf("--rejects without --skip-invalid: err = %v", err)
	}
}
