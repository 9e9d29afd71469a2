package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to every import format: a parser of outside input must
// answer any file with a batch or an error, never a panic or a hang.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"knowledge.ndjson", "bad.ndjson", "cities.txt", "countries.json", "csv/partners.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "import", name))
		if err == nil {
			f.Add(name, b)
		}
	}
	f.Add("x.ndjson", []byte(`{"type":"city","key":"a","name":"Testville","country":"XT"}`+"\n"))
	f.Add("x.txt", []byte("1\tTestville\tTestville\t\t1.0\t2.0\tP\tPPL\tXT\t\t\t\t\t\t100\t\t\tEtc/UTC\t2020-01-01\n"))
	f.Add("x.json", []byte(`{"3166-1":[{"alpha_2":"XT","name":"Testland"}]}`))
	f.Add("x.csv", []byte("\ufeffcity;country;latitude;longitude;partner_city;partner_country;kind;source_url\n\"Test\nville\";XT;1,5;2;Sampleton;XU;sister city;https://example.org\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		for _, format := range []Format{FormatNDJSON, FormatGeoNames, FormatISO3166, FormatCSV} {
			b, err := Parse(name, bytes.NewReader(data), format, nil)
			if err == nil && b == nil {
				t.Fatalf("%v: no batch and no error", format)
			}
		}
	})
}
