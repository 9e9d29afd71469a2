package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// cities(near:) finds every city within the circle, and only those, where the circle
// crosses the antimeridian or reaches a pole: the index is searched by boxes of
// longitude and latitude, which must then wrap round or span every longitude. Each
// answer is checked against earth_distance over every city.
func TestCitiesNearAntimeridianAndPoles(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	country := uuid.New()
	if _, err := db.ExecContext(ctx, `INSERT INTO countries (id, code, name) VALUES ($1, 'TL', 'Testland')`, country); err != nil {
		t.Fatal(err)
	}
	// Rings of cities round both poles, and a band along the antimeridian (both 180°
	// and -180° stand for it).
	var lats, lons []float64
	for _, lat := range []float64{-89.5, 88, 89, 89.9} {
		for lon := -180.0; lon < 180; lon += 15 {
			lats, lons = append(lats, lat), append(lons, lon)
		}
	}
	for lat := -1.0; lat <= 1; lat += 0.5 {
		for _, lon := range []float64{178, 179, 179.5, 179.9, 180, -180, -179.9, -179.5, -179, -178} {
			lats, lons = append(lats, lat), append(lons, lon)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO cities (country_id, name, latitude, longitude)
SELECT $1, format('City %s %s', lat, lon), lat, lon FROM unnest($2::float8[], $3::float8[]) AS p (lat, lon)`,
		country, pq.Array(lats), pq.Array(lons)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO cities (country_id, name) VALUES ($1, 'Nowhere')`, country); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		near knowledge.Near
		// what the answer must hold for the test to prove anything
		east, west, farSide bool
	}{
		{near: knowledge.Near{Latitude: 0, Longitude: 179.8, RadiusKm: 100}, east: true, west: true},
		{near: knowledge.Near{Latitude: 0.5, Longitude: -180, RadiusKm: 60}, east: true, west: true},
		{near: knowledge.Near{Latitude: -1, Longitude: -179.2, RadiusKm: 250}, east: true, west: true},
		{near: knowledge.Near{Latitude: 89.5, Longitude: 0, RadiusKm: 200}, farSide: true},
		{near: knowledge.Near{Latitude: 89.95, Longitude: 90, RadiusKm: 20}, farSide: true},
		{near: knowledge.Near{Latitude: 90, Longitude: 0, RadiusKm: 120}, farSide: true},
		{near: knowledge.Near{Latitude: -90, Longitude: 45, RadiusKm: 100}, farSide: true},
		{near: knowledge.Near{Latitude: 87.9, Longitude: -170, RadiusKm: 300}, east: true, west: true},
	} {
		n := tc.near
		t.Run(fmt.Sprintf("%g,%g,%gkm", n.Latitude, n.Longitude, n.RadiusKm), func(t *testing.T) {
			var want []uuid.UUID
			if err := db.SelectContext(ctx, &want, `SELECT id FROM cities WHERE latitude IS NOT NULL
    AND earth_distance(ll_to_earth($1, $2), ll_to_earth(latitude, longitude)) <= $3 * 1000 ORDER BY id`,
				n.Latitude, n.Longitude, n.RadiusKm); err != nil {
				t.Fatal(err)
			}
			page, err := db.Cities(ctx, knowledge.CityQuery{Near: &n}, knowledge.PageArgs{First: intp(knowledge.MaxPageSize)})
			if err != nil {
				t.Fatal(err)
			}
			if page.HasNextPage {
				t.Fatal("more than a page: the test's circles are meant to be small")
			}
			var got []uuid.UUID
			var east, west, farSide bool
			for _, c := range page.Items {
				got = append(got, c.ID)
				lon := c.Location.Longitude
				east = east || lon > 0
				west = west || lon < 0
				// A city more than 90° of longitude away: only found past the pole.
				d := lon - n.Longitude
				farSide = farSide || (d > 90 && d < 270) || (d < -90 && d > -270)
			}
			slices.SortFunc(got, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
			if !slices.Equal(got, want) {
				t.Errorf("near found %d cities, want the %d within %g km", len(got), len(want), n.RadiusKm)
			}
			if (tc.east && !east) || (tc.west && !west) || (tc.farSide && !farSide) {
				t.Errorf("answer (%d cities) has cities east %v, west %v, past the pole %v; the case needs %v, %v, %v",
					len(got), east, west, farSide, tc.east, tc.west, tc.farSide)
			}
			total, err := db.CountCities(ctx, knowledge.CityQuery{Near: &n})
			if err != nil {
				t.Fatal(err)
			}
			if total != len(want) {
				t.Errorf("totalCount %d, want %d", total, len(want))
			}
		})
	}
}
