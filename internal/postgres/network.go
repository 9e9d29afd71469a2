package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// NetworkStats counts each city's network as it stood on asOf. A nil asOf counts the
// network today: every partnership not yet ended, whether or not its start is known
// or its period over, and every agreement. A given date counts only what is known to
// have begun by then: a tie "since 1994" from 1994-12-31, the last day of its period,
// on (docs/dates.md).
// The totals and the years come from one reading of each city's partnerships and
// agreements, in one statement.
func (db *DB) NetworkStats(ctx context.Context, cities []uuid.UUID, asOf *time.Time) (map[uuid.UUID]*knowledge.NetworkStats, error) {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	strict := asOf != nil
	if strict {
		day = *asOf
	}
	// Years need dates, so only dated partnerships and agreements count in by_year.
	const q = `
WITH v AS (SELECT DISTINCT unnest($1::uuid[]) AS city_id),
ps AS (
  SELECT v.city_id, p.kind, p.since, amity_date_last(p.since, p.since_precision) AS since_last, p.until, CASE WHEN p.city_a_id = v.city_id THEN p.city_b_id ELSE p.city_a_id END AS partner_id
  FROM v CROSS JOIN LATERAL (
    SELECT * FROM partnerships WHERE city_a_id = v.city_id
    UNION ALL SELECT * FROM partnerships WHERE city_b_id = v.city_id) p
),
live AS (
  SELECT * FROM ps
  WHERE (until IS NULL OR until > $2::date)
    AND ((since <= $2::date AND (NOT $3 OR since_last <= $2::date)) OR (NOT $3 AND since IS NULL))
),
ag AS (
  SELECT ap.city_id, a.signed_on, amity_date_last(a.signed_on, a.signed_on_precision) AS signed_last
  FROM v JOIN agreement_parties ap ON ap.city_id = v.city_id JOIN agreements a ON a.id = ap.agreement_id
),
years AS (
  SELECT city_id, extract(year FROM day)::int AS year,
    count(*) FILTER (WHERE agreement = 0) AS begun,
    count(*) FILTER (WHERE kind = 'SISTER_CITY') AS sister,
    count(*) FILTER (WHERE kind = 'FRIENDLY_EXCHANGE') AS friendly,
    count(*) FILTER (WHERE agreement = 1) AS signed
  FROM (SELECT city_id, since AS day, kind, 0 AS agreement FROM ps WHERE since <= $2::date AND (NOT $3 OR since_last <= $2::date)
        UNION ALL
        SELECT city_id, signed_on, NULL, 1 FROM ag WHERE signed_on <= $2::date AND (NOT $3 OR signed_last <= $2::date)) events
  GROUP BY 1, 2
)
SELECT v.city_id,
  (SELECT count(DISTINCT partner_id) FROM live WHERE live.city_id = v.city_id) AS partner_cities,
  (SELECT count(DISTINCT partner_id) FROM ps WHERE ps.city_id = v.city_id AND ps.since IS NULL AND (ps.until IS NULL OR ps.until > $2::date)) AS undated_partner_cities,
  (SELECT count(DISTINCT c.country_id) FROM live JOIN cities c ON c.id = live.partner_id WHERE live.city_id = v.city_id) AS partner_countries,
  (SELECT count(DISTINCT partner_id) FROM live WHERE live.city_id = v.city_id AND live.kind = 'SISTER_CITY') AS sister_cities,
  (SELECT count(DISTINCT partner_id) FROM live WHERE live.city_id = v.city_id AND live.kind = 'FRIENDLY_EXCHANGE') AS friendly_exchange_cities,
  (SELECT count(*) FROM ag WHERE ag.city_id = v.city_id AND ((ag.signed_on <= $2::date AND (NOT $3 OR ag.signed_last <= $2::date)) OR (NOT $3 AND ag.signed_on IS NULL))) AS agreements,
  coalesce((SELECT json_agg(json_build_object('year', year, 'begun', begun, 'sister', sister, 'friendly', friendly, 'signed', signed) ORDER BY year)
    FROM years WHERE years.city_id = v.city_id), '[]') AS by_year
FROM v`
	var rows []struct {
		CityID                 uuid.UUID `db:"city_id"`
		PartnerCities          int       `db:"partner_cities"`
		UndatedPartnerCities   int       `db:"undated_partner_cities"`
		PartnerCountries       int       `db:"partner_countries"`
		SisterCities           int       `db:"sister_cities"`
		FriendlyExchangeCities int       `db:"friendly_exchange_cities"`
		Agreements             int       `db:"agreements"`
		ByYear                 []byte    `db:"by_year"`
	}
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(cities)), day, strict); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID]*knowledge.NetworkStats, len(rows))
	for _, r := range rows {
		var years []struct{ Year, Begun, Sister, Friendly, Signed int }
		if err := json.Unmarshal(r.ByYear, &years); err != nil {
			return nil, fmt.Errorf("network by year: %w", err)
		}
		s := &knowledge.NetworkStats{
			AsOf: knowledge.DayDate(day), PartnerCities: r.PartnerCities, UndatedPartnerCities: r.UndatedPartnerCities, PartnerCountries: r.PartnerCountries,
			SisterCities: r.SisterCities, FriendlyExchangeCities: r.FriendlyExchangeCities,
			Agreements: r.Agreements, ByYear: make([]*knowledge.NetworkYear, 0, len(years)),
		}
		for _, y := range years {
			s.ByYear = append(s.ByYear, &knowledge.NetworkYear{
				Year: y.Year, PartnershipsBegun: y.Begun, SisterCities: y.Sister,
				FriendlyExchangeCities: y.Friendly, AgreementsSigned: y.Signed,
			})
		}
		out[r.CityID] = s
	}
	return out, nil
}
