package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// BenchmarkImportReconcile imports a file of partnerships that name both cities by
// name and country (half of them with coordinates) against 20,000 stored cities with
// two names each: the cost of reconciliation, one statement for the whole file.
func BenchmarkImportReconcile(b *testing.B) {
	const cities, pairs = 20_000, 10_000
	db := pgtest.MustOpen(b).DB
	if _, err := importFile(db, "../../testdata/import/countries.json"); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString(`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/bench"}` + "\n")
	for i := 0; i < cities; i++ {
		fmt.Fprintf(&sb, `{"type":"city","key":"c%d","name":"Testville %d","country":"%s","population":%d,"latitude":%g,"longitude":%g,"names":[{"language":"fr","name":"Villetest %d"}],"sources":["s"]}`+"\n",
			i, i/2, []string{"XT", "XU"}[i%2], 1000+i, float64(i%80), float64(i%170), i)
	}
	if _, err := importBytes(db, "cities.ndjson", []byte(sb.String()), importer.FormatNDJSON); err != nil {
		b.Fatal(err)
	}
	sb.Reset()
	sb.WriteString(`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/bench"}` + "\n")
	for i := 0; i < pairs; i++ {
		a, c := 2*i%cities, (2*i+3)%cities // an XT city and an XU one
		loc := ""
		if i%2 == 0 {
			loc = fmt.Sprintf(`,"latitude":%g,"longitude":%g`, float64(c%80)+0.01, float64(c%170))
		}
		fmt.Fprintf(&sb, `{"type":"partnership","key":"p%d","kind":"SISTER_CITY","cities":[{"name":"TESTVILLE %d","country":"Testland"},{"name":"villetest %d","country":"XU"%s}],"sources":["s"]}`+"\n",
			i, a/2, c, loc)
	}
	file := []byte(sb.String())
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if _, err := importBytes(db, "pairs.ndjson", file, importer.FormatNDJSON); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pairs)/b.Elapsed().Seconds()*float64(b.N), "lines/s")
}
