package postgres

import (
	"math"
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

// oneDegree is the radius, in kilometres, that is one degree of arc on earth().
const oneDegree = earthKm * math.Pi / 180

func TestNearBoxes(t *testing.T) {
	t.Parallel()
	// asin(sin 1° / cos 60°): at 60° north, a 1° circle spans a little more than 2° of
	// longitude each side.
	at60 := math.Asin(math.Sin(math.Pi/180)/math.Cos(math.Pi/3)) * 180 / math.Pi
	for _, tc := range []struct {
		name string
		near knowledge.Near
		want []geoBox
	}{
		{"equator", knowledge.Near{Latitude: 0, Longitude: 0, RadiusKm: oneDegree},
			[]geoBox{{West: -1, South: -1, East: 1, North: 1}}},
		{"high latitude", knowledge.Near{Latitude: 60, Longitude: 10, RadiusKm: oneDegree},
			[]geoBox{{West: 10 - at60, South: 59, East: 10 + at60, North: 61}}},
		{"reaching the north pole", knowledge.Near{Latitude: 89.5, Longitude: 30, RadiusKm: oneDegree},
			[]geoBox{{West: -180, South: 88.5, East: 180, North: 90}}},
		{"at the south pole", knowledge.Near{Latitude: -90, Longitude: 0, RadiusKm: oneDegree},
			[]geoBox{{West: -180, South: -90, East: 180, North: -89}}},
		{"across +180°", knowledge.Near{Latitude: 0, Longitude: 179.5, RadiusKm: oneDegree},
			[]geoBox{{West: 178.5, South: -1, East: 180, North: 1}, {West: -180, South: -1, East: -179.5, North: 1}}},
		{"across -180°", knowledge.Near{Latitude: 0, Longitude: -180, RadiusKm: oneDegree},
			[]geoBox{{West: 179, South: -1, East: 180, North: 1}, {West: -180, South: -1, East: -179, North: 1}}},
		{"the whole earth", knowledge.Near{Latitude: 50, Longitude: 10, RadiusKm: 20000},
			[]geoBox{{West: -180, South: -90, East: 180, North: 90}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nearBoxes(tc.near)
			for i, want := range tc.want {
				if got[i] == nil {
					t.Fatalf("box %d missing, want %+v", i, want)
				}
				// Each edge as expected, give or take the padding.
				g := *got[i]
				for _, e := range [][2]float64{{g.West, want.West}, {g.South, want.South}, {g.East, want.East}, {g.North, want.North}} {
					if math.Abs(e[0]-e[1]) > 2*boxPad {
						t.Errorf("box %d = %+v, want %+v", i, g, want)
						break
					}
				}
			}
			if len(tc.want) == 1 && got[1] != nil {
				t.Errorf("second box %+v, want none", *got[1])
			}
		})
	}
}

// Every point of the circle, at every bearing, lies in one of its boxes: wherever the
// centre is and whatever the radius.
func TestNearBoxesHoldTheCircle(t *testing.T) {
	t.Parallel()
	rad := math.Pi / 180
	for _, lat := range []float64{-90, -89.9, -75, -45, -1, 0, 33.3, 60, 80, 88, 89.99, 90} {
		for _, lon := range []float64{-180, -179.9, -120, 0, 45.5, 179, 180} {
			for _, km := range []float64{0.001, 1, 50, 300, 1000, 5000, 12000, 20000} {
				boxes := nearBoxes(knowledge.Near{Latitude: lat, Longitude: lon, RadiusKm: km})
				d := km / earthKm
				for bearing := 0.0; bearing < 360; bearing += 0.5 {
					// The destination at distance d and this bearing (spherical law).
					φ1, λ1, θ := lat*rad, lon*rad, bearing*rad
					φ2 := math.Asin(math.Sin(φ1)*math.Cos(d) + math.Cos(φ1)*math.Sin(d)*math.Cos(θ))
					λ2 := λ1 + math.Atan2(math.Sin(θ)*math.Sin(d)*math.Cos(φ1), math.Cos(d)-math.Sin(φ1)*math.Sin(φ2))
					pLat, pLon := φ2/rad, math.Remainder(λ2/rad, 360)
					in := func(lon float64) bool {
						for _, b := range boxes {
							if b != nil && lon >= b.West && lon <= b.East && pLat >= b.South && pLat <= b.North {
								return true
							}
						}
						return false
					}
					// The antimeridian is both 180° and -180°.
					if !in(pLon) && !(math.Abs(pLon) == 180 && in(-pLon)) {
						t.Fatalf("centre (%g, %g), %g km, bearing %g: (%g, %g) is in no box %+v %+v",
							lat, lon, km, bearing, pLat, pLon, boxes[0], boxes[1])
					}
				}
			}
		}
	}
}
