package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// DuplicateCities lists same-name cities of one country near each other (or of unknown
// distance) as merge candidates, and leaves out cities in other countries, far apart, or
// that the gazetteer tells apart by their GeoNames ids.
func TestDuplicateCities(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tl, tm := uuid.New(), uuid.New()
	exec(`INSERT INTO countries (id, code, name) VALUES ($1, 'TL', 'Testland'), ($2, 'TM', 'Testmark')`, tl, tm)
	city := func(country uuid.UUID, name string, pop, geonames any, lat, lon any) uuid.UUID {
		id := uuid.New()
		exec(`INSERT INTO cities (id, country_id, name, population, geonames_id, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, country, name, pop, geonames, lat, lon)
		return id
	}
	gazetteer := city(tl, "Testville", 120_000, 9_000_001, 10.0, 10.0)
	partnerList := city(tl, "TESTVILLE", nil, nil, 10.01, 10.01) // 1.6 km away, name-keyed
	noLocation := city(tl, "Testvillé", nil, nil, nil, nil)      // accents ignored, distance unknown
	far := city(tl, "Testville", 500, nil, 20.0, 20.0)           // 1,500 km away: another Testville
	city(tm, "Testville", 800, nil, 10.0, 10.0)                  // another country
	city(tl, "Otherton", 100, 9_000_002, 11.0, 11.0)
	city(tl, "Otherton", 100, 9_000_003, 11.0, 11.001) // near, but the gazetteer tells them apart

	pairs, err := db.DuplicateCities(ctx, postgres.DuplicateQuery{WithinKm: 10})
	if err != nil {
		t.Fatal(err)
	}
	type pair struct{ a, b uuid.UUID }
	got := map[pair]*float64{}
	for _, p := range pairs {
		a, b := p.A.ID, p.B.ID
		if b.String() < a.String() {
			a, b = b, a
		}
		got[pair{a, b}] = p.DistanceKm
		if p.Country != "TL" {
			t.Errorf("pair in %s: %+v", p.Country, p)
		}
	}
	norm := func(a, b uuid.UUID) pair {
		if b.String() < a.String() {
			a, b = b, a
		}
		return pair{a, b}
	}
	// The city without a location may be any of the three; the far one is no candidate
	// of the two located near each other.
	want := []pair{norm(gazetteer, partnerList), norm(gazetteer, noLocation), norm(partnerList, noLocation), norm(far, noLocation)}
	if len(got) != len(want) {
		t.Fatalf("got %d pairs, want %d: %+v", len(got), len(want), pairs)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("missing pair %v", w)
		}
	}
	if d := got[norm(gazetteer, partnerList)]; d == nil || *d < 1 || *d > 2 {
		t.Errorf("distance of the near pair: %v, want about 1.6 km", d)
	}
	if d := got[norm(gazetteer, noLocation)]; d != nil {
		t.Errorf("distance with an unknown location: %v, want none", *d)
	}
	if pairs[0].A.Population == nil && pairs[0].B.Population == nil {
		t.Errorf("the most populous pair is not first: %+v", pairs[0])
	}
	if only, err := db.DuplicateCities(ctx, postgres.DuplicateQuery{Country: "tm"}); err != nil || len(only) != 0 {
		t.Errorf("pairs in TM: %v, %v; want none", only, err)
	}
	if _, err := db.DuplicateCities(ctx, postgres.DuplicateQuery{Limit: 20_000}); err == nil {
		t.Error("a limit over 10,000 was taken")
	}
}
