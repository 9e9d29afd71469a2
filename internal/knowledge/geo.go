package knowledge

import "math"

// earthRadiusKm is the mean Earth radius, as PostgreSQL's earthdistance uses.
const earthRadiusKm = 6371.0

// DistanceKm is the great-circle distance between two locations, or nil when either
// is unknown.
func DistanceKm(a, b *Location) *float64 {
	if a == nil || b == nil {
		return nil
	}
	rad := math.Pi / 180
	dLat := (b.Latitude - a.Latitude) * rad
	dLon := (b.Longitude - a.Longitude) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Latitude*rad)*math.Cos(b.Latitude*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	d := 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
	d = math.Round(d*10) / 10
	return &d
}
