package importer_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
)

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want importer.Format
	}{
		{"knowledge.ndjson", "", importer.FormatNDJSON},
		{"x.jsonl", "", importer.FormatNDJSON},
		{"iso_3166-1.json", "{\n  \"3166-1\": [", importer.FormatISO3166},
		{"facts.txt", `{"type":"city"}`, importer.FormatNDJSON},
		{"cities15000.txt", "1\ta\ta\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t0\t\t\t\t2024-01-01\n", importer.FormatGeoNames},
		{"admin1CodesASCII.txt", "XT.01\tAlphaprovince\tAlphaprovince\t99100001\n", importer.FormatAdmin1},
	}
	for _, tt := range tests {
		got, err := importer.Detect(tt.name, []byte(tt.head))
		if err != nil || got != tt.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := importer.Detect("notes.txt", []byte("hello")); err == nil {
		t.Error("Detect(notes.txt) found a format in plain text")
	}
}

func TestParseGeoNames(t *testing.T) {
	b, err := importer.ParseGeoNames("cities.txt", mustOpen(t, "cities.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Cities) != 3 {
		t.Fatalf("%d cities, want 3", len(b.Cities))
	}
	c := b.Cities[0]
	var names []string
	for _, n := range c.Names {
		names = append(names, n.Language+":"+n.Name)
	}
	if diff := cmp.Diff(names, []string{"und:Testburg", "und:Тествиль", "und:テストヴィル"}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
	if c.Key != "geonames-99000001" || *c.GeoNames != 99000001 || c.Country.Code != "XT" || *c.Population != 150000 || *c.Longitude != 20.25 ||
		c.Admin1 != "01" {
		t.Errorf("city = %+v", c)
	}
	if b.Cities[2].Population != nil {
		t.Errorf("population 0 parsed as %d, want unknown", *b.Cities[2].Population)
	}
}

// TestParseGeoNamesInPieces parses a file large enough to be split among processors,
// with comments and blank lines in every piece and no newline after the last row: every
// row comes back once, in file order, with its own line number.
func TestParseGeoNamesInPieces(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var in strings.Builder
	var wantLines []int
	line := 0
	for i := 1; in.Len() < 5<<20; i++ {
		if i%1000 == 1 {
			in.WriteString("# a comment\n\n")
			line += 2
		}
		line++
		wantLines = append(wantLines, line)
		fmt.Fprintf(&in, "%d\tTestville %d\tTestville %d\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t0\t\t\t\t2024-01-01\n", 90_000_000+i, i, i)
	}
	data := strings.TrimSuffix(in.String(), "\n")
	b, err := importer.ParseGeoNames("g.txt", strings.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Cities) != len(wantLines) {
		t.Fatalf("%d cities, want %d", len(b.Cities), len(wantLines))
	}
	for i, c := range b.Cities {
		if want := fmt.Sprintf("geonames-%d", 90_000_001+i); c.Key != want || c.Line != wantLines[i] {
			t.Fatalf("city %d is %s at line %d, want %s at line %d", i, c.Key, c.Line, want, wantLines[i])
		}
	}
}

func TestParseGeoNamesProblems(t *testing.T) {
	in := strings.Join([]string{
		"1\tA\tA\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t0\t\t\t\t2024-01-01",
		"x\tB\tB\t\tnorth\t2\tT\tMT\tXT\t\t\t\t\t\t0\t\t\t\t2024-01-01",
		"3\tC\tC",
		"4\tD\tD\t\t1\t2\tP\tPPL\t\t\t\t\t\t\t-5\t\t\t\t2024-01-01",
	}, "\n")
	_, err := importer.ParseGeoNames("g.txt", strings.NewReader(in), nil)
	var ie *knowledge.FileError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *knowledge.FileError", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`g.txt:2: geonameid: "x" is not a positive integer`,
		`g.txt:2: latitude: "north" is not a number`,
		`g.txt:2: feature class: "T" is not P (a populated place): import a GeoNames cities file`,
		`g.txt:3: 3 tab-separated columns, want 19 (a GeoNames cities file)`,
		`g.txt:4: country code: required`,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
}

func TestParseISO3166(t *testing.T) {
	b, err := importer.ParseISO3166("countries.json", mustOpen(t, "countries.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A file without XK gains Kosovo, citing GeoNames' countryInfo.txt.
	// The official name is kept as another name.
	want := []knowledge.CountryRecord{{Entry: knowledge.Entry{Line: 3}, Code: "XT", Name: "Testland"},
		{Entry: knowledge.Entry{Line: 9}, Code: "XU", Name: "Sampleland", Names: []string{"Republic of Sampleland"}}, importer.Kosovo}
	if diff := cmp.Diff(b.Countries, want); diff != "" {
		t.Errorf("countries (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(b.Sources, []knowledge.SourceRecord{importer.GeoNamesCountryInfoSource}); diff != "" {
		t.Errorf("sources (-got +want):\n%s", diff)
	}
}

// Countries are named as users know them: iso-codes' common_name where it has one, else
// its name; a file that has XK keeps its own and gains nothing.
func TestParseISO3166CommonNames(t *testing.T) {
	b, err := importer.ParseISO3166("countries-common.json", mustOpen(t, "countries-common.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The ISO name a common name replaces and the official name are other names.
	want := []knowledge.CountryRecord{{Entry: knowledge.Entry{Line: 3}, Code: "XT", Name: "Testland", Names: []string{"Testland, Republic of", "Republic of Testland"}},
		{Entry: knowledge.Entry{Line: 11}, Code: "XU", Name: "Sampleland"},
		{Entry: knowledge.Entry{Line: 17}, Code: "XK", Name: "Kosovo (as the file gives it)"}}
	if diff := cmp.Diff(b.Countries, want); diff != "" {
		t.Errorf("countries (-got +want):\n%s", diff)
	}
	if len(b.Sources) != 0 {
		t.Errorf("sources %+v, want none", b.Sources)
	}
	cases := []struct{ name, entry, want string }{
		{"empty common name", `{"alpha_2": "XT", "name": "Testland", "common_name": ""}`, "iso.json:1: country.name: required"},
		{"control character in the common name", `{"alpha_2": "XT", "name": "Testland", "common_name": "Test\u0007land"}`,
			"iso.json:1: country.name: contains the control character U+0007"},
		{"control character in the name", `{"alpha_2": "XT", "name": "Test\u001bland"}`,
			"iso.json:1: country.name: contains the control character U+001B"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importer.ParseISO3166("iso.json", strings.NewReader(`{"3166-1": [`+tc.entry+`]}`), nil)
			var ie *knowledge.FileError
			if !errors.As(err, &ie) || len(ie.Problems) != 1 || !strings.HasPrefix(ie.Problems[0].String(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestParseDebianISO3166 reads the real file where the iso-codes package is installed.
func TestParseDebianISO3166(t *testing.T) {
	const path = "/usr/share/iso-codes/json/iso_3166-1.json"
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s: %v (apt-get install iso-codes)", path, err)
	}
	defer f.Close()
	b, err := importer.ParseISO3166(path, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Countries) < 240 {
		t.Errorf("%d countries, want about 249", len(b.Countries))
	}
	// What iso-codes 4.15 gives: common_name for KR and TW, none for RU (its name
	// stays); XK is not in it and comes from GeoNames.
	names := map[string]string{}
	for _, c := range b.Countries {
		names[c.Code] = c.Name
	}
	for code, want := range map[string]string{"KR": "South Korea", "TW": "Taiwan", "KP": "North Korea", "RU": "Russian Federation",
		"FR": "France", "XK": "Kosovo"} {
		if names[code] != want {
			t.Errorf("%s is named %q, want %q", code, names[code], want)
		}
	}
}

func TestParseNDJSON(t *testing.T) {
	b, err := importer.ParseNDJSON("knowledge.ndjson", mustOpen(t, "knowledge.ndjson"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []int{len(b.Sources), len(b.Cities), len(b.Officials), len(b.Agreements), len(b.Partnerships), len(b.Institutions), len(b.Figures)}
	if diff := cmp.Diff(got, []int{2, 1, 2, 1, 2, 1, 1}); diff != "" {
		t.Errorf("entities (-got +want):\n%s", diff)
	}
	a := b.Agreements[0]
	if a.Line != 6 || a.Parties[0] != (knowledge.Ref{GeoNames: 99000001}) || a.Signatories[0].Official != (knowledge.Ref{Key: "alex-example"}) {
		t.Errorf("agreement = %+v", a)
	}
	if !b.Defines(knowledge.KindCity, knowledge.Ref{Wikidata: "Q9000000003"}) || b.Defines(knowledge.KindCity, knowledge.Ref{GeoNames: 99000001}) {
		t.Error("Defines: wrong answer about the file's own cities")
	}
}

// A field set to null is told from a field left out: the record lists it as cleared.
func TestParseNDJSONNulls(t *testing.T) {
	in := `{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":["a","b"],"since":null,"until":"1994","agreement":null,"sources":["s"]}
{"type":"partnership","key":"q","kind":"SISTER_CITY","cities":["a","c"],"sources":[{"key":"s","url":null}]}
`
	b, err := importer.ParseNDJSON("nulls.ndjson", strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := [][]string{b.Partnerships[0].Cleared, b.Partnerships[1].Cleared}
	if diff := cmp.Diff(got, [][]string{{"agreement", "since"}, nil}); diff != "" {
		t.Errorf("cleared fields (-got +want):\n%s", diff)
	}
}

func TestParseNDJSONProblems(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{`{"type":"city","key":"t","name":"T","country":"XT","populaton":5}`, `f.ndjson:1: city.populaton: unknown field`},
		{`{"type":"city","key":"t","name":"T","country":{"iso":"XT"}}`, `f.ndjson:1: city.country: not a reference`},
		{`{"type":"city","key":"t","name":"T","country":{"geonames":5}}`, `f.ndjson:1: city.country: a country is referred to by code (or a plain string), wikidata`},
		{`{"type":"city","key":"t","name":"T","country":"XT","latitude":95}`, `f.ndjson:1: city.latitude: latitude and longitude go together`},
		{`{"type":"official","key":"o","name":"O","sources":["s"],"names":[{"language":"EN","name":"O"}]}`, `f.ndjson:1: official.names[0].language: "EN" is not a lowercase BCP 47 language tag`},
		{`{"type":"agreement","key":"a","title":"A","kind":"OTHER","parties":["x"],"signatories":[{"official":"o","party":"y"}],"sources":["s"]}`, `f.ndjson:1: agreement.signatories[0].party: "y" is not one of this agreement's parties`},
		{`{"type":"figure","key":"f","city":"t","metric":"SISTER_CITIES","value":-1,"source":"s"}`, `f.ndjson:1: figure.value: -1 is not between 0 and 2147483647`},
		{`{"key":"x"}`, `f.ndjson:1: type: required`},
		{`{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":["a","b"],"since":"1994-13","sources":["s"]}`, `f.ndjson:1: partnership.since: "1994-13" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no month 13`},
		{`{"type":"agreement","key":"a","title":"A","kind":"OTHER","parties":["x"],"signedOn":"1994-02-30","sources":["s"]}`, `f.ndjson:1: agreement.signedOn: "1994-02-30" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no day 30 in 1994-02`},
		{`{"type":"source","key":"s","title":"S","publishedOn":"94"}`, `f.ndjson:1: source.publishedOn: "94" is not a calendar date`},
		{`{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":["a","b"],"since":"1995","until":"1994-12","sources":["s"]}`, `f.ndjson:1: partnership.until: 1994-12 is before since 1995`},
		{`{"type":"city","key":"t","name":"T","country":"XT","latitude":null}`, `f.ndjson:1: city.latitude: latitude and longitude go together: set both to null`},
		{`{"type":"city","key":"t","name":null,"country":"XT"}`, `f.ndjson:1: city.name: null clears only an optional value (population, latitude, longitude, wikidata, geonames)`},
		{`{"type":"figure","key":"f","city":"t","metric":"SISTER_CITIES","value":1,"asOf":null,"source":"s"}`, `f.ndjson:1: figure.asOf: null clears nothing on a figure line`},
	}
	for _, tt := range tests {
		_, err := importer.ParseNDJSON("f.ndjson", strings.NewReader(tt.line), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n got %v\nwant a problem %q", tt.line, err, tt.want)
		}
	}
}

func TestProblemsCapped(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 120; i++ {
		in.WriteString(`{"type":"country","code":"xx","name":"Testland"}` + "\n")
	}
	_, err := importer.ParseNDJSON("many.ndjson", strings.NewReader(in.String()), nil)
	var ie *knowledge.FileError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v", err)
	}
	if len(ie.Problems) != knowledge.MaxFileProblems || ie.Omitted == 0 {
		t.Errorf("%d problems listed, %d omitted; want %d listed and the rest counted", len(ie.Problems), ie.Omitted, knowledge.MaxFileProblems)
	}
}

// admin1CodesASCII.txt: one division a line; problems name the line and field.
func TestParseAdmin1(t *testing.T) {
	in := "XT.01\tAlphaprovince\tAlphaprovince\t99100001\r\n# a comment\nXU.A1\tBétaprovince\tBetaprovince\t\n"
	b, err := importer.ParseAdmin1("admin1CodesASCII.txt", strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	id := int64(99100001)
	want := []knowledge.DivisionRecord{
		{Line: 1, Country: knowledge.Ref{Code: "XT"}, Code: "01", Name: "Alphaprovince", ASCIIName: "Alphaprovince", GeoNames: &id},
		{Line: 3, Country: knowledge.Ref{Code: "XU"}, Code: "A1", Name: "Bétaprovince", ASCIIName: "Betaprovince"},
	}
	if diff := cmp.Diff(b.Divisions, want, cmpopts.IgnoreUnexported(knowledge.Ref{})); diff != "" {
		t.Errorf("divisions (-got +want):\n%s", diff)
	}
	_, err = importer.ParseAdmin1("a.txt", strings.NewReader("XT.01\t\tX\tx\nXT.02\tB\tB\t0\n"), nil)
	var fe *knowledge.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *knowledge.FileError", err)
	}
	var got []string
	for _, p := range fe.All() {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(got, []string{`a.txt:1: geonameid: "x" is not an integer`, "a.txt:2: division.geonames: must be positive, got 0"}); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
}
