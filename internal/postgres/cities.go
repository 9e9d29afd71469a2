package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// cityCore is a city's columns and, when the query joins it, its country's: clients
// nearly always ask for the country, and reading it in the same row saves a statement
// per level.
type cityCore struct {
	ID          uuid.UUID    `db:"id"`
	Version     int          `db:"version"`
	CountryID   uuid.UUID    `db:"country_id"`
	Name        string       `db:"name"`
	Population  *int         `db:"population"`
	Latitude    *float64     `db:"latitude"`
	Longitude   *float64     `db:"longitude"`
	WikidataQID *string      `db:"wikidata_qid"`
	GeonamesID  *int         `db:"geonames_id"`
	Country     *countryCore `db:"country"`
}

type cityRow struct {
	pageCols
	cityCore
}

// cityColumns selects a city (alias c) and its country (alias k), naming the columns
// for cityCore under the prefix ("" or, for a nested city, such as "partner.").
func cityColumns(c, k, prefix string) string {
	col := func(alias, name, as string) string {
		if prefix == "" && !strings.Contains(as, ".") {
			return alias + "." + name
		}
		return fmt.Sprintf(`%s.%s AS "%s%s"`, alias, name, prefix, as)
	}
	cols := []string{col(c, "id", "id"), col(c, "version", "version"), col(c, "country_id", "country_id"),
		col(c, "name", "name"), col(c, "population", "population"), col(c, "latitude", "latitude"),
		col(c, "longitude", "longitude"), col(c, "wikidata_qid", "wikidata_qid"), col(c, "geonames_id", "geonames_id"),
		col(k, "id", "country.id"), col(k, "code", "country.code"), col(k, "name", "country.name"),
		col(k, "wikidata_qid", "country.wikidata_qid")}
	return strings.Join(cols, ", ")
}

var cityCols = cityColumns("c", "ck", "")

// cityFrom joins each city to its country for cityCols.
const cityFrom = "cities c JOIN countries ck ON ck.id = c.country_id"

func (r *cityCore) domain() *knowledge.City {
	c := &knowledge.City{
		ID: r.ID, Version: r.Version, CountryID: r.CountryID, Name: r.Name, Population: r.Population,
		WikidataID: r.WikidataQID, GeonamesID: r.GeonamesID,
	}
	if r.Latitude != nil && r.Longitude != nil {
		c.Location = &knowledge.Location{Latitude: *r.Latitude, Longitude: *r.Longitude}
	}
	if r.Country != nil {
		c.Country = r.Country.domain()
	}
	return c
}

var cityListing = listing{order: "city:name", from: cityFrom, cols: cityCols, key: "c.name", keyType: "text", id: "c.id"}

// cityQuery turns a city query into its ordering and WHERE clause.
func cityQuery(q knowledge.CityQuery) (listing, string, args) {
	var a args
	l := cityListing
	var point string
	switch {
	case q.Near != nil:
		point = fmt.Sprintf("ll_to_earth(%s, %s)", a.add(q.Near.Latitude), a.add(q.Near.Longitude))
		l.order, l.key, l.keyType = "city:near", "earth_distance("+point+", ll_to_earth(c.latitude, c.longitude))", "float8"
	case q.OrderBy == knowledge.CityByPopulation && q.Desc:
		l.order, l.key, l.keyType, l.desc = "city:population:desc", "coalesce(c.population, -1)", "bigint", true
	case q.OrderBy == knowledge.CityByPopulation:
		// Cities without a population come last in both directions.
		l.order, l.key, l.keyType = "city:population:asc", "coalesce(c.population, 9223372036854775807)", "bigint"
	case q.Desc:
		l.order, l.desc = "city:name:desc", true
	}
	var conds []string
	if q.CountryCode != "" {
		conds = append(conds, "c.country_id = (SELECT k.id FROM countries k WHERE k.code = upper("+a.add(q.CountryCode)+"))")
	}
	if q.NameContains != "" {
		pattern := likePattern(a.add(q.NameContains))
		conds = append(conds, fmt.Sprintf(`amity_fold(c.name) LIKE %[1]s
  OR EXISTS (SELECT 1 FROM city_names n WHERE n.city_id = c.id AND amity_fold(n.name) LIKE %[1]s)`, pattern))
	}
	if q.PopulationMin != nil {
		conds = append(conds, "c.population >= "+a.add(*q.PopulationMin))
	}
	if q.PopulationMax != nil {
		conds = append(conds, "c.population <= "+a.add(*q.PopulationMax))
	}
	if q.Near != nil {
		// earth_box is a cheap index-backed square around the circle; the distance test
		// then trims its corners.
		radius := a.add(q.Near.RadiusKm * 1000)
		conds = append(conds, fmt.Sprintf("c.latitude IS NOT NULL AND earth_box(%s, %s) @> ll_to_earth(c.latitude, c.longitude) AND %s <= %s",
			point, radius, l.key, radius))
	}
	return l, joinNonEmpty(conds...), a
}

// likePattern is the SQL for "the folded text of the parameter, anywhere", with LIKE's
// wildcards in the parameter taken literally.
func likePattern(param string) string {
	return `'%' || replace(replace(replace(amity_fold(` + param + `), '\', '\\'), '%', '\%'), '_', '\_') || '%'`
}

// CitiesByID returns the cities with the given ids; missing ids are absent from the map.
func (db *DB) CitiesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.City, error) {
	rows, err := byIDs[cityRow](ctx, db, cityCols, cityFrom, "c.id", ids)
	if err != nil {
		return nil, err
	}
	return index(rows, func(c *knowledge.City) uuid.UUID { return c.ID }), nil
}

// CityByName finds a city by any of its names in any language, ignoring case and
// accents (and Москва matches Moskva). When several cities share the name, the one whose
// English name it is wins, then the most populous. It returns a NOT_FOUND error when no city has the name.
func (db *DB) CityByName(ctx context.Context, name string) (*knowledge.City, error) {
	q := `SELECT ` + cityCols + ` FROM ` + cityFrom + `
WHERE amity_fold(c.name) = amity_fold($1)
   OR c.id IN (SELECT n.city_id FROM city_names n WHERE amity_fold(n.name) = amity_fold($1))
ORDER BY lower(c.name) = lower($1) DESC, amity_fold(c.name) = amity_fold($1) DESC, c.population DESC NULLS LAST, c.id
LIMIT 1`
	var r cityRow
	if err := db.GetContext(ctx, &r, q, name); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no city is named %q", name)
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}

// Cities returns a page of the cities the query selects, in its order. It returns
// BAD_USER_INPUT for an invalid query or page.
func (db *DB) Cities(ctx context.Context, q knowledge.CityQuery, pa knowledge.PageArgs) (*knowledge.Page[knowledge.City], error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	l, where, a := cityQuery(q)
	return listPage[cityRow, *cityRow](ctx, db, l, where, a, pa)
}

// CountCities counts the cities the query selects.
func (db *DB) CountCities(ctx context.Context, q knowledge.CityQuery) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, err
	}
	l, where, a := cityQuery(q)
	return count(ctx, db, l, where, a)
}

// CityByWikidata finds a city by its Wikidata item. It returns NOT_FOUND when none has it.
func (db *DB) CityByWikidata(ctx context.Context, qid string) (*knowledge.City, error) {
	q := `SELECT ` + cityCols + ` FROM ` + cityFrom + ` WHERE c.wikidata_qid = $1`
	var r cityRow
	if err := db.GetContext(ctx, &r, q, strings.ToUpper(strings.TrimSpace(qid))); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no city has the Wikidata item %q", qid)
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}

var countryCities = nested{listing: cityListing, parent: "c.country_id = %s"}

// CitiesOfCountries returns the same page of cities for each country.
func (db *DB) CitiesOfCountries(ctx context.Context, countries []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.City], error) {
	return nestedPages[cityRow, *cityRow](ctx, db, countryCities, "true", nil, countries, pa)
}

// CountCitiesOfCountries counts each country's cities.
func (db *DB) CountCitiesOfCountries(ctx context.Context, countries []uuid.UUID) (map[uuid.UUID]int, error) {
	return nestedCounts(ctx, db, countryCities, "true", nil, countries)
}

type nameRow struct {
	OwnerID  uuid.UUID  `db:"owner_id"`
	Language string     `db:"language"`
	Name     string     `db:"name"`
	SourceID *uuid.UUID `db:"source_id"`
}

// CityNames returns every name of each city: its English name first, then the others
// by language.
func (db *DB) CityNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.LocalizedName, error) {
	const q = `SELECT owner_id, language, name, source_id FROM (
  SELECT c.id AS owner_id, 'en' AS language, c.name, NULL::uuid AS source_id, 0 AS rank
  FROM cities c
  WHERE c.id = ANY($1::uuid[])
    AND NOT EXISTS (SELECT 1 FROM city_names n WHERE n.city_id = c.id AND n.language = 'en' AND n.name = c.name)
  UNION ALL
  SELECT n.city_id, n.language, n.name, n.source_id, CASE WHEN n.language = 'en' AND n.name = c.name THEN 0 ELSE 1 END
  FROM city_names n JOIN cities c ON c.id = n.city_id
  WHERE n.city_id = ANY($1::uuid[])
) names ORDER BY owner_id, rank, language, name`
	return db.names(ctx, q, ids)
}

func (db *DB) names(ctx context.Context, q string, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.LocalizedName, error) {
	var rows []nameRow
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(ids))); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID][]*knowledge.LocalizedName, len(ids))
	for _, r := range rows {
		out[r.OwnerID] = append(out[r.OwnerID], &knowledge.LocalizedName{Language: r.Language, Name: r.Name, SourceID: r.SourceID})
	}
	return out, nil
}

// index maps rows to domain values by id.
func index[R any, PR interface {
	*R
	pagedRow[T]
}, T any](rows []R, id func(*T) uuid.UUID) map[uuid.UUID]*T {
	out := make(map[uuid.UUID]*T, len(rows))
	for i := range rows {
		v := PR(&rows[i]).domain()
		out[id(v)] = v
	}
	return out
}
