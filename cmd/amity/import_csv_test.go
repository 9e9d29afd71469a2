package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// csvWorld is a database with the test countries, the GeoNames test cities and a
// second Testville in Testland, for testdata/import/csv/partners.csv.
func csvWorld(t *testing.T) (dbURL string, db *sqlx.DB) {
	t.Helper()
	dbURL = pgtest.MustCreateDB(t)
	var out, errOut bytes.Buffer
	setup := []string{"import", "--database-url", dbURL, "--progress", "0", "../../testdata/import/countries.json",
		"../../testdata/import/cities.txt", "../../testdata/import/csv/towns.ndjson"}
	if err := run(context.Background(), setup, &out, &errOut, nil); err != nil {
		t.Fatalf("setup: %v\n%s", err, errOut.String())
	}
	db, err := sqlx.Connect("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dbURL, db
}

// copyToTemp copies a test file into a directory of the test's own, where its reject
// and report files may go.
func copyToTemp(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// reportRow is a row of a --report file, its reasons cut to what a test checks.
type reportRow struct {
	Line, Outcome, Written, City, PartnerCity, CityID, PartnerCityID, Reasons string
}

// readReport reads a --report file, keeping of each row's reasons only whether they
// contain the text the test wants (want[i].Reasons), so that a table can say which
// message a row must carry without repeating every word of it.
func readReport(t *testing.T, path string, want []reportRow) []reportRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs[0], []string{"line", "outcome", "written", "city", "partner_city", "city_id", "partner_city_id", "reasons"}); diff != "" {
		t.Errorf("report header (-got +want):\n%s", diff)
	}
	var got []reportRow
	for i, r := range recs[1:] {
		row := reportRow{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]}
		if i < len(want) && strings.Contains(row.Reasons, want[i].Reasons) {
			row.Reasons = want[i].Reasons
		}
		got = append(got, row)
	}
	return got
}

func globalCity(key string) string {
	return knowledge.GlobalID(knowledge.TypeCity, knowledge.KeyID(knowledge.KindCity, key))
}

// A partner's spreadsheet mixing clean rows, an ambiguous name, unknown cities and
// countries, duplicate pairs (also reversed), a self-pair, a bad date, a missing
// source, a row over two lines and an unknown kind: refused as a whole by default,
// with every row's outcome; with --skip-invalid the good rows are written, the rest
// go to a CSV reject file, and importing it again changes nothing.
func TestImportCSV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL, db := csvWorld(t)
	file := copyToTemp(t, "../../testdata/import/csv/partners.csv")
	report := filepath.Join(filepath.Dir(file), "report.csv")
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Get(&n, query, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var out, errOut bytes.Buffer

	// All or nothing: the file's own problems refuse it before its cities are looked
	// up, and the report says so for each row.
	err := run(ctx, []string{"import", "--database-url", dbURL, "--progress", "0", "--report", report, file}, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 files not imported") {
		t.Fatalf("err = %v, want the file refused", err)
	}
	if want := "partners.csv: not imported; rows: 0 matched, 0 created, 0 ambiguous, 7 refused, 6 unchecked"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	if n := count(`SELECT count(*) FROM partnerships`); n != 0 {
		t.Errorf("%d partnerships written by a refused file", n)
	}
	unchecked := readReport(t, report, nil)
	for _, r := range unchecked {
		if want := map[string]string{"2": "unchecked", "4": "unchecked", "7": "refused"}[r.Line]; want != "" && (r.Outcome != want || r.Written != "no") {
			t.Errorf("report row %+v, want %s and not written", r, want)
		}
	}

	exampleford, sampleton, testville := globalCity("geonames-99000003"), globalCity("geonames-99000002"), globalCity("geonames-99000001")
	want := []reportRow{
		{"2", "matched", "yes", "Exampleford, XT", "Sampleton, XU", exampleford, sampleton, ""},
		{"3", "matched", "yes", "Testville, Testland", "Sampleton, Sampleland", testville, sampleton, ""},
		{"4", "ambiguous", "no", "Testville, XT", "Exampleford, XT", "", exampleford,
			`partnership.cities[0]: 2 cities of XT are named "Testville"; give coordinates, a division or a key to choose: GeoNames 99000001 (id ` +
				knowledge.KeyID(knowledge.KindCity, "geonames-99000001").String() + `) "Testville", division 01, population 150000, 0 partnerships; id ` +
				knowledge.KeyID(knowledge.KindCity, "testville-east").String() + ` "Testville", population 40000, 0 partnerships`},
		{"5", "refused", "no", "Nowhereville, XT", "Sampleton, XU", "", sampleton,
			`partnership.cities[0]: no city of XT is named "Nowhereville" (add "create": true to create it)`},
		{"6", "created", "yes", "Newtestville, XT", "Sampleton, XU", "", sampleton, ""}, // its id once created, below
		// A name the file repeats is decided once, for every row that writes it.
		{"7", "refused", "no", "Sampleton, XU", "Exampleford, XT", sampleton, exampleford,
			`partnership.cities: another SISTER_CITY partnership of "Exampleford" in "XT" and "Sampleton" in "XU" is on line 2`},
		{"8", "refused", "no", "Exampleford, XT", "Sampleton, XU", exampleford, sampleton, "is on line 2"},
		{"9", "refused", "no", "Exampleford, XT", "Exampleford, XT", exampleford, exampleford, "a partnership joins two different cities"},
		{"10", "refused", "no", "Sampleton, XU", "Exampleford, Testland", sampleton, "",
			`partnership.since: "2001-13-01" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no month 13`},
		{"11", "refused", "no", "Newtestville, XT", "Exampleford, XT", "", "", "partnership.sources: required"}, // Newtestville's id, below
		{"12", "refused", "no", "Exampleford, XT", "Sampleton, XU", exampleford, sampleton, "source.title: contains the control character U+000A"},
		{"14", "refused", "no", "Testville, Atlantis", "Sampleton, XU", "", sampleton, `partnership.cities[0]: unknown country "Atlantis"`},
		{"15", "refused", "no", "Exampleford, XT", "Newtestville, XT", exampleford, "", `partnership.kind: "TWINNING" is not one of`},
	}

	// --skip-invalid: the three good rows written, the ambiguous one with its
	// candidates, every other row refused with its reason.
	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"import", "--database-url", dbURL, "--progress", "0", "--skip-invalid", "--report", report, file}, &out, &errOut, nil); err != nil {
		t.Fatalf("import --skip-invalid: %v\n%s", err, errOut.String())
	}
	for _, w := range []string{"source 1 0 0", "city 1 0 0", "partnership 3 0 0",
		"rows: 2 matched, 1 created, 1 ambiguous, 9 refused, 0 unchecked", "each row's outcome: " + report,
		"10 lines rejected, with their reasons: " + file + ".rejects"} {
		if !strings.Contains(flat(out.String()), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	want[4].CityID = knowledge.GlobalID(knowledge.TypeCity, mustCityID(t, db, "Newtestville"))
	want[9].CityID = want[4].CityID
	if diff := cmp.Diff(readReport(t, report, want), want); diff != "" {
		t.Errorf("report (-got +want):\n%s", diff)
	}
	if n := count(`SELECT count(*) FROM partnerships p JOIN partnership_sources ps ON ps.partnership_id = p.id
        JOIN sources s ON s.id = ps.source_id WHERE s.url = 'https://example.org/partners/twin-towns-2024'
        AND s.title = 'Twin towns of Example Partners (synthetic)'`); n != 3 {
		t.Errorf("%d partnerships cite the list, want 3 (its source defined on a rejected row)", n)
	}
	if n := count(`SELECT count(*) FROM partnerships WHERE (kind, since) IN (('SISTER_CITY', '2001-05-01'), ('FRIENDLY_EXCHANGE', '2010-06-15'), ('SISTER_CITY', '2020-02-02'))`); n != 3 {
		t.Errorf("%d partnerships with the rows' kinds and dates, want 3", n)
	}
	if n := count(`SELECT count(*) FROM cities WHERE name = 'Newtestville' AND latitude = 11 AND longitude = 21`); n != 1 {
		t.Errorf("%d Newtestvilles, want the one created", n)
	}

	// The reject file is a CSV file of the rejected rows, the one over two lines too.
	rejects, err := os.ReadFile(file + ".rejects")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(rejects)).ReadAll()
	if err != nil {
		t.Fatalf("reject file: %v\n%s", err, rejects)
	}
	if len(recs) != 11 || recs[0][len(recs[0])-1] != "reasons" || recs[8][13] != "Another list\n(synthetic)" ||
		!strings.HasPrefix(recs[8][15], "line 12: ") {
		t.Errorf("reject file, want a header and 10 rows with their reasons, line 12 as it was:\n%s", rejects)
	}

	// Again: nothing changes, and the created city is now found by name.
	audit := count(`SELECT count(*) FROM audit_log`)
	out.Reset()
	if err := run(ctx, []string{"import", "--database-url", dbURL, "--progress", "0", "--skip-invalid", "--report", report, file}, &out, &errOut, nil); err != nil {
		t.Fatalf("import again: %v\n%s", err, errOut.String())
	}
	for _, w := range []string{"source 0 0 1", "partnership 0 0 3", "rows: 3 matched, 0 created, 1 ambiguous, 9 refused, 0 unchecked"} {
		if !strings.Contains(flat(out.String()), w) {
			t.Errorf("second import: output lacks %q:\n%s", w, out.String())
		}
	}
	if n := count(`SELECT count(*) FROM audit_log`); n != audit {
		t.Errorf("the second import wrote %d audit entries, want none", n-audit)
	}
	if n := count(`SELECT count(*) FROM cities WHERE name = 'Newtestville'`); n != 1 {
		t.Errorf("%d Newtestvilles after the second import, want 1", n)
	}
}

// A file whose rows pass their own checks but name a city ambiguously is refused by
// the store as a whole; the report still says what was decided for every row.
func TestImportCSVRefusedByTheStore(t *testing.T) {
	t.Parallel()
	dbURL, db := csvWorld(t)
	src, err := os.ReadFile("../../testdata/import/csv/partners.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	file := filepath.Join(t.TempDir(), "three.csv")
	if err := os.WriteFile(file, []byte(strings.Join(lines[:4], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	report := file + ".report"
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"import", "--database-url", dbURL, "--progress", "0", "--report", report, file}, &out, &errOut, nil)
	if err == nil || !strings.Contains(errOut.String(), `three.csv:4: partnership.cities[0]: 2 cities of XT are named "Testville"`) {
		t.Fatalf("err = %v, want the ambiguous name refused:\n%s", err, errOut.String())
	}
	want := []reportRow{
		{"2", "matched", "no", "Exampleford, XT", "Sampleton, XU", globalCity("geonames-99000003"), globalCity("geonames-99000002"), ""},
		{"3", "matched", "no", "Testville, Testland", "Sampleton, Sampleland", globalCity("geonames-99000001"), globalCity("geonames-99000002"), ""},
		{"4", "ambiguous", "no", "Testville, XT", "Exampleford, XT", "", globalCity("geonames-99000003"), "give coordinates, a division or a key to choose"},
	}
	if diff := cmp.Diff(readReport(t, report, want), want); diff != "" {
		t.Errorf("report (-got +want):\n%s", diff)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM partnerships`); err != nil || n != 0 {
		t.Errorf("%d partnerships written (%v), want none", n, err)
	}
}

// mustCityID is the id of the one city of the name.
func mustCityID(t *testing.T, db *sqlx.DB, name string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := db.Get(&id, `SELECT id FROM cities WHERE name = $1`, name); err != nil {
		t.Fatalf("city %s: %v", name, err)
	}
	return id
}
