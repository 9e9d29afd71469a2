package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/relations"
)

// NetworkStats counts each city's network as it stood on asOf. A nil asOf counts the
// network today: every partnership not yet ended, whether or not its start is known,
// and every agreement. A given date counts only what is known to have begun by then.
func (db *DB) NetworkStats(ctx context.Context, cities []uuid.UUID, asOf *time.Time) (map[uuid.UUID]*relations.NetworkStats, error) {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	strict := asOf != nil
	if strict {
		day = *asOf
	}
	const totals = `
WITH v AS (SELECT DISTINCT unnest($1::uuid[]) AS city_id),
ps AS (
  SELECT v.city_id, p.kind, p.since, CASE WHEN p.city_a_id = v.city_id THEN p.city_b_id ELSE p.city_a_id END AS partner_id
  FROM v CROSS JOIN LATERAL (
    SELECT * FROM partnerships WHERE city_a_id = v.city_id
    UNION ALL SELECT * FROM partnerships WHERE city_b_id = v.city_id) p
  WHERE (p.until IS NULL OR p.until > $2::date)
    AND (p.since <= $2::date OR (NOT $3 AND p.since IS NULL))
)
SELECT v.city_id,
  (SELECT count(DISTINCT partner_id) FROM ps WHERE ps.city_id = v.city_id) AS partner_cities,
  (SELECT count(DISTINCT c.country_id) FROM ps JOIN cities c ON c.id = ps.partner_id WHERE ps.city_id = v.city_id) AS partner_countries,
  (SELECT count(DISTINCT partner_id) FROM ps WHERE ps.city_id = v.city_id AND ps.kind = 'SISTER_CITY') AS sister_cities,
  (SELECT count(DISTINCT partner_id) FROM ps WHERE ps.city_id = v.city_id AND ps.kind = 'FRIENDLY_EXCHANGE') AS friendly_exchange_cities,
  (SELECT count(*) FROM agreement_parties ap JOIN agreements a ON a.id = ap.agreement_id
    WHERE ap.city_id = v.city_id AND (a.signed_on <= $2::date OR (NOT $3 AND a.signed_on IS NULL))) AS agreements
FROM v`
	var rows []struct {
		CityID                 uuid.UUID `db:"city_id"`
		PartnerCities          int       `db:"partner_cities"`
		PartnerCountries       int       `db:"partner_countries"`
		SisterCities           int       `db:"sister_cities"`
		FriendlyExchangeCities int       `db:"friendly_exchange_cities"`
		Agreements             int       `db:"agreements"`
	}
	ids := pq.Array(uuidStrings(cities))
	if err := db.SelectContext(ctx, &rows, totals, ids, day, strict); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID]*relations.NetworkStats, len(rows))
	for _, r := range rows {
		out[r.CityID] = &relations.NetworkStats{
			AsOf: day, PartnerCities: r.PartnerCities, PartnerCountries: r.PartnerCountries,
			SisterCities: r.SisterCities, FriendlyExchangeCities: r.FriendlyExchangeCities,
			Agreements: r.Agreements, ByYear: []*relations.NetworkYear{},
		}
	}

	// Years need dates, so only dated partnerships and agreements count here.
	const years = `
WITH v AS (SELECT DISTINCT unnest($1::uuid[]) AS city_id),
events AS (
  SELECT v.city_id, p.since AS day, p.kind, 0 AS agreement
  FROM v CROSS JOIN LATERAL (
    SELECT * FROM partnerships WHERE city_a_id = v.city_id
    UNION ALL SELECT * FROM partnerships WHERE city_b_id = v.city_id) p
  WHERE p.since <= $2::date
  UNION ALL
  SELECT ap.city_id, a.signed_on, NULL, 1
  FROM v JOIN agreement_parties ap ON ap.city_id = v.city_id JOIN agreements a ON a.id = ap.agreement_id
  WHERE a.signed_on <= $2::date
)
SELECT city_id, extract(year FROM day)::int AS year,
  count(*) FILTER (WHERE agreement = 0) AS begun,
  count(*) FILTER (WHERE kind = 'SISTER_CITY') AS sister,
  count(*) FILTER (WHERE kind = 'FRIENDLY_EXCHANGE') AS friendly,
  count(*) FILTER (WHERE agreement = 1) AS signed
FROM events GROUP BY 1, 2 ORDER BY 1, 2`
	var yrows []struct {
		CityID   uuid.UUID `db:"city_id"`
		Year     int       `db:"year"`
		Begun    int       `db:"begun"`
		Sister   int       `db:"sister"`
		Friendly int       `db:"friendly"`
		Signed   int       `db:"signed"`
	}
	if err := db.SelectContext(ctx, &yrows, years, ids, day); err != nil {
		return nil, mapError(err)
	}
	for _, r := range yrows {
		if s := out[r.CityID]; s != nil {
			s.ByYear = append(s.ByYear, &relations.NetworkYear{
				Year: r.Year, PartnershipsBegun: r.Begun, SisterCities: r.Sister,
				FriendlyExchangeCities: r.Friendly, AgreementsSigned: r.Signed,
			})
		}
	}
	return out, nil
}
