package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// DuplicateCity is one city of a pair that may be two records of one city.
type DuplicateCity struct {
	ID         uuid.UUID
	Name       string
	Population *int
	GeonamesID *int
	WikidataID *string
	// Partnerships is how many partnerships the record holds: the one with more is the
	// likelier survivor of a merge.
	Partnerships int
}

// DuplicatePair is two cities of one country with the same name (ignoring case and
// accents) that lie within the distance asked for, or whose distance is unknown
// because one of them has no location.
type DuplicatePair struct {
	Country    string
	A, B       DuplicateCity
	DistanceKm *float64
}

// DuplicateQuery narrows the pairs DuplicateCities lists.
type DuplicateQuery struct {
	// WithinKm is the largest distance between the two (default 10).
	WithinKm float64
	// Country, if set, keeps the pairs of one country (ISO 3166-1 alpha-2).
	Country string
	// Limit bounds the pairs listed (default 100, at most 10,000).
	Limit int
}

// DuplicateCities lists pairs of cities that may be one city recorded twice (a
// gazetteer's row and a name-keyed city from a partner's list, say): same country, same
// name ignoring case and accents, within q.WithinKm of each other or of unknown
// distance. Pairs where both records carry different GeoNames ids are left out: the
// gazetteer says they are two cities. Most populous first. It reads; it merges nothing.
func (db *DB) DuplicateCities(ctx context.Context, q DuplicateQuery) ([]DuplicatePair, error) {
	if q.WithinKm <= 0 {
		q.WithinKm = 10
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 10_000 {
		return nil, knowledge.FieldErrorf("limit", "at most 10000 pairs at once")
	}
	var country any
	if q.Country != "" {
		country = strings.ToUpper(q.Country)
	}
	// Cities that share a folded name in their country: a group by over the name's fold,
	// so a world gazetteer is read once rather than joined with itself.
	sql := `
WITH c AS (
  SELECT c.id, c.name, c.population, c.geonames_id, c.wikidata_qid, c.latitude, c.longitude,
         ck.code AS country, amity_fold(c.name) AS folded
  FROM cities c JOIN countries ck ON ck.id = c.country_id
  WHERE $3::text IS NULL OR ck.code = $3
),
shared AS (
  SELECT country, folded FROM c GROUP BY country, folded HAVING count(*) > 1
)
SELECT a.country,
  a.id AS a_id, a.name AS a_name, a.population AS a_population, a.geonames_id AS a_geonames_id, a.wikidata_qid AS a_wikidata_qid, ` + partnershipCount("a.id") + `,
  b.id AS b_id, b.name AS b_name, b.population AS b_population, b.geonames_id AS b_geonames_id, b.wikidata_qid AS b_wikidata_qid, ` + partnershipCount("b.id") + `,
  CASE WHEN a.latitude IS NULL OR b.latitude IS NULL THEN NULL
       ELSE earth_distance(ll_to_earth(a.latitude, a.longitude), ll_to_earth(b.latitude, b.longitude)) / 1000 END AS distance_km
FROM shared s
JOIN c a ON a.country = s.country AND a.folded = s.folded
JOIN c b ON b.country = s.country AND b.folded = s.folded AND a.id < b.id
WHERE NOT (a.geonames_id IS NOT NULL AND b.geonames_id IS NOT NULL AND a.geonames_id <> b.geonames_id)
  AND (a.latitude IS NULL OR b.latitude IS NULL
       OR earth_distance(ll_to_earth(a.latitude, a.longitude), ll_to_earth(b.latitude, b.longitude)) <= $1 * 1000)
ORDER BY greatest(coalesce(a.population, -1), coalesce(b.population, -1)) DESC, a.country, a.name, a.id, b.id
LIMIT $2`
	r, err := db.QueryxContext(ctx, sql, q.WithinKm, q.Limit, country)
	if err != nil {
		return nil, mapError(err)
	}
	defer r.Close()
	var out []DuplicatePair
	for r.Next() {
		var p DuplicatePair
		if err := r.Scan(&p.Country,
			&p.A.ID, &p.A.Name, &p.A.Population, &p.A.GeonamesID, &p.A.WikidataID, &p.A.Partnerships,
			&p.B.ID, &p.B.Name, &p.B.Population, &p.B.GeonamesID, &p.B.WikidataID, &p.B.Partnerships,
			&p.DistanceKm); err != nil {
			return nil, fmt.Errorf("duplicate cities: %w", err)
		}
		out = append(out, p)
	}
	if err := r.Err(); err != nil {
		return nil, mapError(err)
	}
	return out, nil
}
