package importer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
)

// A byte order mark at the start of a file is skipped, whatever the format.
func TestByteOrderMarkSkipped(t *testing.T) {
	row := "1\tBomtown\tBomtown\tBom\x07town,Bomstadt\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t10\t\t\t\t2024-01-01\n"
	b, err := importer.ParseGeoNames("g.txt", strings.NewReader("\ufeff"+row), nil)
	if err != nil {
		t.Fatalf("GeoNames with a byte order mark: %v", err)
	}
	// An alternate name with a control character is left out, like an overlong one.
	if len(b.Cities) != 1 || len(b.Cities[0].Names) != 1 || b.Cities[0].Names[0].Name != "Bomstadt" {
		t.Errorf("cities = %+v", b.Cities)
	}
	iso := "\ufeff" + `{"3166-1": [{"alpha_2": "XT", "name": "Testland"}]}`
	if _, err := importer.ParseISO3166("iso.json", strings.NewReader(iso), nil); err != nil {
		t.Errorf("ISO 3166 with a byte order mark: %v", err)
	}
	nd := "\ufeff" + `{"type":"country","code":"XT","name":"Testland"}`
	if _, err := importer.ParseNDJSON("c.ndjson", strings.NewReader(nd), nil); err != nil {
		t.Errorf("NDJSON with a byte order mark: %v", err)
	}
}

// GeoNames rows are held to the same limits as the API's cities.
func TestGeoNamesLimits(t *testing.T) {
	cases := map[string]struct{ row, want string }{
		"population over 32 bits": {"1\tBigtown\tBigtown\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t3000000000\t\t\t\t2024-01-01",
			"g.txt:1: city.population: 3000000000 is not between 0 and 2147483647"},
		"control character in the name": {"1\tBig\x1btown\tBigtown\t\t1\t2\tP\tPPL\tXT\t\t\t\t\t\t10\t\t\t\t2024-01-01",
			"g.txt:1: city.name: contains the control character U+001B"},
	}
	for name, c := range cases {
		_, err := importer.ParseGeoNames("g.txt", strings.NewReader(c.row), nil)
		var ie *knowledge.FileError
		if !errors.As(err, &ie) || len(ie.Problems) != 1 || !strings.HasPrefix(ie.Problems[0].String(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

// NDJSON lists are capped as the API's are.
func TestNDJSONListCaps(t *testing.T) {
	names := make([]string, 1001)
	for i := range names {
		names[i] = `{"language":"en","name":"N` + strings.Repeat("x", i) + `"}`
	}
	line := `{"type":"city","key":"manynames","name":"Manynames","country":"XT","names":[` + strings.Join(names, ",") + `]}`
	_, err := importer.ParseNDJSON("n.ndjson", strings.NewReader(line), nil)
	var ie *knowledge.FileError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].String() != "n.ndjson:1: city.names: has 1001 items, at most 1000" {
		t.Errorf("err = %v", err)
	}
}
