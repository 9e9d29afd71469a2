package importer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/knowledge"
)

// problemsOf returns the problems of a parse as "line: field: message" strings.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []string
	for _, p := range mustFileError(t, err).All() {
		out = append(out, strings.TrimPrefix(p.String(), p.File+":"))
	}
	return out
}

func TestParseCSVRows(t *testing.T) {
	t.Parallel()
	// A spreadsheet as a locale with a decimal comma exports it: a byte order mark,
	// ';', CRLF, headers in words, and a quoted field over two lines.
	const file = "\ufeffCity;Country;Admin1;Latitude;Longitude;Partner City;PARTNER_COUNTRY;Kind;Since;Source URL;Source Title;Create\r\n" +
		"Testville;XT;01;10,5;20,25;Sampleton;XU;sister city;2001-05-01;https://example.org/a;A list (synthetic);\r\n" +
		"\"Sample\r\nton\";XU;;;;Testville;XT;friendly-exchange;;https://example.org/a;;yes\r\n" +
		";;;;;;;;;;;\r\n" +
		"Sampleton;XU;;;;Testville;XT;SISTER_CITY;;https://example.org/b;;\r\n"
	b, err := ParseCSV("p.csv", strings.NewReader(file), CSVOptions{}, nil)
	// A name is one line: the field over two lines is refused, at the line it starts.
	if diff := cmp.Diff(problemsOf(t, err), []string{
		"3: partnership.cities[0].name: contains the control character U+000A (line breaks and tabs are not allowed here)",
	}); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	a := knowledge.Ref{Name: "Testville", Country: "XT", Admin1: "01", Lat: 10.5, Lon: 20.25, Located: true}
	s := knowledge.Ref{Name: "Sampleton", Country: "XU"}
	src := []knowledge.Ref{{URL: "https://example.org/a"}}
	key := csvKey("SISTER_CITY", a, s)
	want := []knowledge.PartnershipRecord{
		{Entry: knowledge.Entry{Line: 2}, Key: key, Kind: "SISTER_CITY", Cities: []knowledge.Ref{a, s}, Since: "2001-05-01", Sources: src},
		{Entry: knowledge.Entry{Line: 3}, Key: csvKey("FRIENDLY_EXCHANGE", knowledge.Ref{Name: "Sample\nton", Country: "XU"}, knowledge.Ref{Name: "Testville", Country: "XT"}),
			Kind: "FRIENDLY_EXCHANGE", Cities: []knowledge.Ref{{Name: "Sample\nton", Country: "XU", Create: true}, {Name: "Testville", Country: "XT", Create: true}},
			Sources: src},
		// Line 6, not 5: the quoted field spans two lines; line 5 is an empty row.
		{Entry: knowledge.Entry{Line: 6}, Key: csvKey("SISTER_CITY", s, knowledge.Ref{Name: "Testville", Country: "XT"}), Kind: "SISTER_CITY",
			Cities: []knowledge.Ref{s, {Name: "Testville", Country: "XT"}}, Sources: []knowledge.Ref{{URL: "https://example.org/b"}}},
	}
	if diff := cmp.Diff(b.Partnerships, want, cmp.Comparer(func(x, y knowledge.Ref) bool { return x == y })); diff != "" {
		t.Errorf("partnerships (-got +want):\n%s", diff)
	}
	if len(b.Sources) != 1 || b.Sources[0].URL != "https://example.org/a" || b.Sources[0].Title != "A list (synthetic)" || b.Sources[0].Line != 2 {
		t.Errorf("sources = %+v, want one, https://example.org/a from line 2", b.Sources)
	}
}

// A pair's key is the same whichever way round and however capitalised a row writes
// it, so that a re-import finds it; a pair listed again is a duplicate of the earlier
// line, reported with both lines by the batch's rule.
func TestParseCSVDuplicatePairs(t *testing.T) {
	t.Parallel()
	const file = "city,country,partner_city,partner_country,kind,source_url,source_title\n" +
		"Testville,XT,Sampleton,XU,SISTER_CITY,https://example.org/a,A list\n" +
		"Sampleton,XU,Testville,XT,SISTER_CITY,https://example.org/a,\n" +
		"TESTVILLE,xt,Sampleton,XU,SISTER_CITY,https://example.org/a,\n" +
		"Testville,XT,Sampleton,XU,FRIENDLY_EXCHANGE,https://example.org/a,\n" +
		"Testville,XT,Testville,XT,FRIENDLY_EXCHANGE,https://example.org/a,Another title\n"
	b, err := ParseCSV("p.csv", strings.NewReader(file), CSVOptions{}, nil)
	want := []string{
		`3: partnership.cities: another SISTER_CITY partnership of "Sampleton" in "XU" and "Testville" in "XT" is on line 2`,
		`6: source_title: line 2 gives this source_url the title "A list": one URL is one source, with one title`,
		`6: partnership.cities: a partnership joins two different cities, got "Testville" in "XT" twice`,
	}
	if diff := cmp.Diff(problemsOf(t, err), want); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	keys := make([]string, len(b.Partnerships))
	for i, p := range b.Partnerships {
		keys[i] = p.Key
	}
	// Line 4 differs from line 2 only in case: the same key again, so the store,
	// which folds names, reports it once both are resolved.
	if k := keys[0]; keys[1] != k+"-2" || keys[2] != k+"-3" || keys[3] == k || !strings.HasPrefix(k, "csv-") {
		t.Errorf("keys = %q, want one key for lines 2-4 (with -2, -3) and another for the other kind", keys)
	}
}

func TestParseCSVRowProblems(t *testing.T) {
	t.Parallel()
	const file = "city,country,latitude,longitude,partner_city,partner_country,kind,since,until,source_url,create\n" +
		"Testville,XT,10,,Sampleton,XU,SISTER_CITY,,,https://example.org/a,\n" +
		"Testville,XT,north,20,Samplecity,XU,SISTER_CITY,2001-13-01,,https://example.org/a,\n" +
		"Testville,XT,NaN,20,Sampleburg,XU,SISTER_CITY,,,https://example.org/a,maybe\n" +
		",,,,Sampleton,XU,FRIENDLY_EXCHANGE,,,,\n" +
		"Testville,XT,1,2\n" +
		"Testville,XT,,,Sampleton,XU,twinning,2001-01-01,2000-01-01,https://example.org/a,\n"
	_, err := ParseCSV("p.csv", strings.NewReader(file), CSVOptions{}, nil)
	want := []string{
		"2: latitude: latitude and longitude go together: give both or neither",
		`3: latitude: "north" is not a number of decimal degrees`,
		`3: partnership.since: "2001-13-01" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no month 13`,
		`4: create: "maybe" is not yes or no (also true/false, 1/0, y/n, x or empty)`,
		`4: latitude: "NaN" is not a number of decimal degrees`,
		"5: city: required: a city's name and country",
		`5: partnership.sources: required: cite at least one source (a source key or {"url": ...})`,
		"6: 4 fields, but the header names 11 columns",
		`7: partnership.kind: "TWINNING" is not one of SISTER_CITY, FRIENDLY_EXCHANGE`,
		"7: partnership.until: 2000-01-01 is before since 2001-01-01",
	}
	if diff := cmp.Diff(problemsOf(t, err), want); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
}

// A header that would misread every row refuses the file, naming the known columns.
func TestParseCSVHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       string
	}{
		{"unknown", "city,country,partner_city,partner_country,kind,source_url,notes\n", `unknown column "notes" (the columns are city, country, admin1,`},
		{"missing", "city,country,partner_city,kind,source_url\n", `missing column "partner_country" (required: city, country, partner_city, partner_country, kind, source_url)`},
		{"twice", "city,country,partner_city,partner_country,kind,source_url,City\n", `column "city" given twice (columns 1 and 7)`},
		{"empty", "", "empty file: want a header row"},
		{"stray quote", "city,country,partner_city,partner_country,kind,source_url\na\"b,XT,c,XU,SISTER_CITY,https://example.org\n", `p.csv:2: not CSV: bare " in non-quoted-field`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := ParseCSV("p.csv", strings.NewReader(tc.file), CSVOptions{}, nil)
			if b != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("batch %v, err = %v; want no batch and %q", b != nil, err, tc.want)
			}
		})
	}
}

func TestParseCSVCreateCities(t *testing.T) {
	t.Parallel()
	const file = "city,country,partner_city,partner_country,kind,source_url\nTestville,XT,Sampleton,XU,SISTER_CITY,https://example.org/a\n"
	b, err := ParseCSV("p.csv", strings.NewReader(file), CSVOptions{CreateCities: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := b.Partnerships[0].Cities; !c[0].Create || !c[1].Create {
		t.Errorf("cities %+v, want both to be created when unknown", c)
	}
}

func TestDetectCSV(t *testing.T) {
	t.Parallel()
	for name, head := range map[string]string{
		"partners.csv":   "anything",
		"partners.txt":   "\ufeffCity;Country;Partner_City;Partner_Country\n",
		"export (1).dat": "city,country,partner city,partner_country\n",
	} {
		if f, err := Detect(name, []byte(head)); err != nil || f != FormatCSV {
			t.Errorf("Detect(%q) = %v, %v; want csv", name, f, err)
		}
	}
}

// The reject file of a CSV file is a CSV file: the header, each rejected row as it was
// (a row over two lines too), and its reasons in a last column.
func TestWriteCSVRejects(t *testing.T) {
	t.Parallel()
	const file = "\ufeffcity;country;partner_city;partner_country;kind;source_url\n" +
		"Testville;XT;Sampleton;XU;SISTER_CITY;https://example.org/a\n" +
		"\"Test\nville\";XT;Sampleton;XU;SISTER_CITY;https://example.org/a\n" +
		"Testville;XT;Testville;XT;SISTER_CITY;https://example.org/a\n"
	var out bytes.Buffer
	n, err := WriteRejects(&out, strings.NewReader(file), FormatCSV, []Rejection{
		{Line: 3, Reasons: []string{"a: b"}}, {Line: 5, Reasons: []string{"c", "d"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "city;country;partner_city;partner_country;kind;source_url;reasons\n" +
		"\"Test\nville\";XT;Sampleton;XU;SISTER_CITY;https://example.org/a;line 3: a: b\n" +
		"Testville;XT;Testville;XT;SISTER_CITY;https://example.org/a;\"line 5: c; d\"\n"
	if n != 2 || out.String() != want {
		t.Errorf("%d rows:\n%s\nwant 2:\n%s", n, out.String(), want)
	}
}

// The command's test file: the rows the file itself shows to be wrong, and none of
// those only the store can judge (ambiguous and unknown cities, unknown countries).
func TestParseCSVTestdata(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "import", "csv", "partners.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseCSV("partners.csv", bytes.NewReader(data), CSVOptions{}, nil)
	var lines []int
	for _, rj := range Rejections(mustFileError(t, err).All()) {
		lines = append(lines, rj.Line)
	}
	if diff := cmp.Diff(lines, []int{7, 8, 9, 10, 11, 12, 15}); diff != "" {
		t.Errorf("lines with problems (-got +want):\n%s", diff)
	}
	if b == nil || len(b.Partnerships) != 13 || len(b.Sources) != 2 {
		t.Fatalf("batch %+v, want 13 partnerships and 2 sources", b)
	}
}

func mustFileError(t *testing.T, err error) *knowledge.FileError {
	t.Helper()
	var fe *knowledge.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *knowledge.FileError", err)
	}
	return fe
}
