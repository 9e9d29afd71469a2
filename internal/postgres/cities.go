package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

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
	Admin1      *string      `db:"admin1_code"`
	Country     *countryCore `db:"country"`
}

type cityRow struct {
	pageCols
	cityCore
}

// cityColumns selects of a city (alias c) and, with CityCountry, of its country (alias
// k) the columns cols holds, naming them for cityCore under the prefix ("" or, for a
// nested city, such as "partner."); its id only when the row does not hold it already
// (withID). The country's id is the city's country_id.
func cityColumns(cols Columns, c, k, prefix string, withID bool) string {
	return renderColumns(cityColumnList(cols, c, k, withID), prefix)
}

// namedCol is a column expression and the db name of the field it fills.
type namedCol struct{ expr, name string }

// renderColumns selects the columns, named for sqlx under the prefix.
func renderColumns(list []namedCol, prefix string) string {
	out := make([]string, len(list))
	for i, nc := range list {
		if prefix == "" && !strings.Contains(nc.name, ".") {
			out[i] = nc.expr
		} else {
			out[i] = fmt.Sprintf(`%s AS "%s%s"`, nc.expr, prefix, nc.name)
		}
	}
	return strings.Join(out, ", ")
}

// cityColumnList is what cityColumns selects, as a list.
func cityColumnList(cols Columns, c, k string, withID bool) []namedCol {
	col := func(alias, column, name string) namedCol { return namedCol{alias + "." + column, name} }
	// The country's columns are read with its row only.
	country := func(g Columns) Columns {
		if !cols.has(CityCountry) {
			return 0
		}
		return g
	}
	list := []namedCol{col(c, "name", "name")}
	if withID {
		list = append(list, col(c, "id", "id"))
	}
	return cols.pickNamed(list,
		optNamedCol{CityCountry | CityDivision, col(c, "country_id", "country_id")},
		optNamedCol{CityVersion, col(c, "version", "version")},
		optNamedCol{CityPopulation, col(c, "population", "population")},
		optNamedCol{CityLocation, col(c, "latitude", "latitude")}, optNamedCol{CityLocation, col(c, "longitude", "longitude")},
		optNamedCol{CityExternalIDs, col(c, "wikidata_qid", "wikidata_qid")}, optNamedCol{CityExternalIDs, col(c, "geonames_id", "geonames_id")},
		optNamedCol{CityDivision, col(c, "admin1_code", "admin1_code")},
		optNamedCol{country(CityCountry), col(k, "name", "country.name")},
		optNamedCol{country(CountryCode), col(k, "code", "country.code")},
		optNamedCol{country(CountryWikidata), col(k, "wikidata_qid", "country.wikidata_qid")},
	)
}

var cityCols = cityColumns(AllColumns, "c", "ck", "", true)

// cityFrom joins each city to its country for cityCols.
const cityFrom = "cities c JOIN countries ck ON ck.id = c.country_id"

// countryJoin joins a city (alias c) to its country (alias k) when cols shows the
// country, for cityColumns.
func countryJoin(cols Columns, c, k string) string {
	if !cols.has(CityCountry) {
		return ""
	}
	return fmt.Sprintf(" JOIN countries %[1]s ON %[1]s.id = %[2]s.country_id", k, c)
}

func (r *cityCore) domain() *knowledge.City {
	c := &knowledge.City{
		ID: r.ID, Version: r.Version, CountryID: r.CountryID, Name: r.Name, Population: r.Population,
		WikidataID: r.WikidataQID, GeonamesID: r.GeonamesID, Admin1: r.Admin1,
	}
	if r.Latitude != nil && r.Longitude != nil {
		c.Location = &knowledge.Location{Latitude: *r.Latitude, Longitude: *r.Longitude}
	}
	if r.Country != nil {
		r.Country.ID = r.CountryID
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
		country := "(SELECT k.id FROM countries k WHERE k.code = upper(" + a.add(q.CountryCode) + "))"
		conds = append(conds, "c.country_id = "+country)
		if q.Admin1 != "" {
			// Uncorrelated, so computed once: the division's codes, then the cities of
			// each off cities_admin1_idx.
			conds = append(conds, "c.admin1_code = ANY (("+admin1CodesSQL(country, a.add(q.Admin1))+")::text[])")
		}
	}
	if q.Name != "" {
		name := a.add(q.Name)
		conds = append(conds, "c.id IN (SELECT c2.id FROM cities c2 WHERE c2.name_fold = amity_fold("+name+
			") UNION SELECT n.city_id FROM city_names n WHERE n.name_fold = amity_fold("+name+"))")
	}
	if q.NameContains != "" {
		conds = append(conds, nameContains(a.add(q.NameContains), utf8.RuneCountInString(strings.TrimSpace(q.NameContains))))
	}
	if q.PopulationMin != nil {
		conds = append(conds, "c.population >= "+a.add(*q.PopulationMin))
	}
	if q.PopulationMax != nil {
		conds = append(conds, "c.population <= "+a.add(*q.PopulationMax))
	}
	if q.Near != nil {
		// The degree boxes around the circle are looked up in cities_point_idx (the
		// second is NULL, and finds nothing, unless the circle crosses the
		// antimeridian); the exact distance then trims their corners.
		boxes := nearBoxes(*q.Near)
		var second any
		if boxes[1] != nil {
			second = boxes[1].String()
		}
		radius := a.add(q.Near.RadiusKm * 1000)
		conds = append(conds, fmt.Sprintf("c.latitude IS NOT NULL AND (point(c.longitude, c.latitude) <@ %s::box OR point(c.longitude, c.latitude) <@ %s::box) AND %s <= %s",
			a.add(boxes[0].String()), a.add(second), l.key, radius))
	}
	return l, joinNonEmpty(conds...), a
}

// earthKm is the radius of PostgreSQL's earth() (earthdistance), in kilometres: the
// sphere earth_distance measures on.
const earthKm = 6378.168

// boxPad widens each degree box by about a centimetre, so that rounding in the box's
// trigonometry cannot leave out a city that earth_distance puts on the circle itself.
const boxPad = 1e-7

// geoBox is a box of longitudes (x) and latitudes (y) in degrees, edges included.
type geoBox struct {
	West, South, East, North float64
}

// String is the box as PostgreSQL's box type reads it.
func (b geoBox) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return "(" + f(b.West) + "," + f(b.South) + "),(" + f(b.East) + "," + f(b.North) + ")"
}

// nearBoxes returns the boxes of longitude and latitude that hold every point within
// the circle: one box, or two (the second non-nil) when the circle crosses the
// antimeridian, one on each side of it. A circle that reaches a pole spans every
// longitude. Otherwise its longitudes are those of the two meridians that touch it,
// asin(sin d / cos φ) on either side of its centre, d its radius as an angle and φ
// its latitude: wider than the circle at its own latitude, which a box of the
// latitude's degree width would cut off at high latitudes.
func nearBoxes(n knowledge.Near) [2]*geoBox {
	d := n.RadiusKm / earthKm // the radius as an angle, in radians
	deg := 180 / math.Pi
	south, north := n.Latitude-d*deg-boxPad, n.Latitude+d*deg+boxPad
	if north >= 90 || south <= -90 {
		return [2]*geoBox{{West: -180, South: max(south, -90), East: 180, North: min(north, 90)}}
	}
	// Neither pole is within the circle, so d < 90° - |φ| and sin d < cos φ.
	half := math.Asin(math.Sin(d)/math.Cos(n.Latitude/deg))*deg + boxPad
	west, east := n.Longitude-half, n.Longitude+half
	switch {
	case west < -180:
		return [2]*geoBox{{West: west + 360, South: south, East: 180, North: north}, {West: -180, South: south, East: east, North: north}}
	case east > 180:
		return [2]*geoBox{{West: west, South: south, East: 180, North: north}, {West: -180, South: south, East: east - 360, North: north}}
	}
	return [2]*geoBox{{West: west, South: south, East: east, North: north}}
}

// trigramMin is the shortest text a trigram index can look up: a shorter one has no
// trigram of its own, and the index would hand back every row to be checked.
const trigramMin = 3

// nameContains is the condition "one of the city's names contains the parameter",
// folded. From trigramMin characters on, both name tables are searched through their
// trigram GIN indexes on the stored folded name (migration 00014) and only the
// matching cities are read: with the gazetteer loaded, walking the cities in name order
// and testing each one read 140,000 rows for a rare word (760–800 ms). A shorter text
// matches so many names that walking the cities in the list's order finds a page
// sooner than collecting every match, so it keeps the per-city test. Both read the
// stored folded name, so no name is folded to be tested. runes is the text's length in
// characters.
func nameContains(param string, runes int) string {
	pattern := likePattern(param)
	if runes < trigramMin {
		return fmt.Sprintf(`c.name_fold LIKE %[1]s
  OR EXISTS (SELECT 1 FROM city_names n WHERE n.city_id = c.id AND n.name_fold LIKE %[1]s)`, pattern)
	}
	return fmt.Sprintf(`c.id IN (
  SELECT m.id FROM cities m WHERE m.name_fold LIKE %[1]s
  UNION ALL
  SELECT n.city_id FROM city_names n WHERE n.name_fold LIKE %[1]s)`, pattern)
}

// foldC is the folded name in the C collation: the form that the exact-name indexes of
// divisions and country_names are built on (migration 00012). Those indexes are chosen
// by saying COLLATE "C", because a trigram GiST index on the same expression would also
// answer = and LIKE, and the planner, left to itself, estimated it cheaper although it
// reads most of its pages for each lookup. cities and city_names store their folded
// name (name_fold, in the C collation itself) and are looked up by that column
// (migration 00019). The collation changes no result: equality and LIKE on folded names
// compare bytes in either.
func foldC(col string) string {
	return `(amity_fold(` + col + `) COLLATE "C")`
}

// likePattern is the SQL for "the folded text of the parameter, anywhere", with LIKE's
// wildcards in the parameter taken literally.
func likePattern(param string) string {
	return `'%' || replace(replace(replace(amity_fold(` + param + `), '\', '\\'), '%', '\%'), '_', '\_') || '%'`
}

// CitiesByID returns the cities with the given ids; missing ids are absent from the map.
// The id of a city merged into another (MergeCities) maps to the survivor, which keeps
// its own id: old IDs keep working.
func (db *DB) CitiesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.City, error) {
	cols := ColumnsOf(ctx)
	sel, join := cityColumns(cols, "c", "ck", "", true), countryJoin(cols, "c", "ck")
	rows, err := byIDs[cityRow](ctx, db, sel, "cities c"+join, "c.id", ids)
	if err != nil {
		return nil, err
	}
	out := index(rows, func(c *knowledge.City) uuid.UUID { return c.ID })
	misses := notFound(ids, out)
	if len(misses) == 0 {
		return out, nil
	}
	// One more statement for all the ids not found, and only when some are not: a
	// request's statements still grow with its depth, not its rows.
	var merged []struct {
		MergedID uuid.UUID `db:"merged_id"`
		cityCore
	}
	q := `SELECT m.merged_id, ` + sel + `
FROM city_merges m JOIN cities c ON c.id = m.survivor_id` + join + `
WHERE m.merged_id = ANY($1::uuid[])`
	if err := selectContext(ctx, db, &merged, q, pq.Array(uuidStrings(misses))); err != nil {
		return nil, mapError(err)
	}
	for _, m := range merged {
		out[m.MergedID] = m.domain()
	}
	return out, nil
}

// CityByName finds a city by any of its names in any language, ignoring case and
// accents (and Москва matches Moskva). When several cities have the name, whether as
// their own name or as another name, the most important one wins (cityImportance): so
// "Montevideo" is Uruguay's capital, not Montevideo, Minnesota, and "Moskva" is Moscow,
// not Moskva, Tajikistan. It returns a NOT_FOUND error when no city has the name.
//
// The two name tables are looked up apart, each through its own index, and the union
// is ranked: an OR of the two made PostgreSQL scan every city (160–280 ms with the
// gazetteer).
//
// A country ("" for any) keeps the cities of one country, named by its ISO 3166-1
// alpha-2 code or by any of its names, ignoring case and accents.
func (db *DB) CityByName(ctx context.Context, name, country string) (*knowledge.City, error) {
	var r cityRow
	var err error
	if country == "" {
		err = db.GetContext(ctx, &r, cityByNameSQL, name)
	} else {
		err = db.GetContext(ctx, &r, cityByNameInCountrySQL, name, country)
	}
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			if country != "" {
				return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no city of %q is named %q", country, name)
			}
			return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no city is named %q", name)
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}

// CityByNameInDivision is CityByName for the cities of one first-level division of the
// country: admin1 is its GeoNames admin1 code ("05") or its name ("Córdoba"), ignoring
// case and accents (a name needs admin1CodesASCII.txt imported). It returns NOT_FOUND
// when no city of the division has the name.
func (db *DB) CityByNameInDivision(ctx context.Context, name, country, admin1 string) (*knowledge.City, error) {
	var r cityRow
	if err := db.GetContext(ctx, &r, cityByNameInDivisionSQL, name, country, admin1); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no city of %q in the division %q is named %q", country, admin1, name)
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}

// countryNamed is the condition "the country k is the one p names" (p an SQL
// expression): its ISO code, its name or one of its other names (the official name,
// the ISO short name), ignoring case and accents.
func countryNamed(k, p string) string {
	return fmt.Sprintf(`(%[1]s.code = upper(%[2]s) OR amity_fold(%[1]s.name) = amity_fold(%[2]s)
    OR %[1]s.id IN (SELECT n.country_id FROM country_names n WHERE %[3]s = amity_fold(%[2]s)))`, k, p, foldC("n.name"))
}

// cityByNameMatches are the ids of the cities one of whose names is $1.
var cityByNameMatches = `WITH m AS (
  SELECT c.id FROM cities c WHERE c.name_fold = amity_fold($1)
  UNION
  SELECT n.city_id FROM city_names n WHERE n.name_fold = amity_fold($1))
SELECT ` + cityCols + ` FROM m JOIN cities c ON c.id = m.id JOIN countries ck ON ck.id = c.country_id
`

// cityByNameSQL is CityByName's statement; $1 is the name.
var cityByNameSQL = cityByNameMatches + `ORDER BY ` + cityImportance("c") + `
LIMIT 1`

// cityByNameInCountrySQL is CityByName's statement with a country; $2 is its code or name.
var cityByNameInCountrySQL = cityByNameMatches + `WHERE ` + countryNamed("ck", "$2") + `
ORDER BY ` + cityImportance("c") + `
LIMIT 1`

// cityByNameInDivisionSQL is CityByNameInDivision's statement; $3 is the division's
// code or name. The division's codes are looked up per candidate, of which there are few.
var cityByNameInDivisionSQL = cityByNameMatches + `WHERE ` + countryNamed("ck", "$2") + `
    AND c.admin1_code = ANY ((` + admin1CodesSQL("ck.id", "$3") + `)::text[])
ORDER BY ` + cityImportance("c") + `
LIMIT 1`

// cityImportance orders cities (alias c) most important first, for every choice among
// cities that are otherwise equal: which city a name means (CityByName) and the order
// of search hits with the same score (Search). The rule, documented in docs/cities.md:
//
//  1. population, largest first; a city whose population is unknown comes after every
//     city whose population is known;
//  2. then the number of its partnerships (every partnership stored, whatever its
//     dates), most first;
//  3. then the id, so that the choice is the same on every call.
//
// Population comes first because it is what a gazetteer knows of every city and what a
// reader means by "the" Montevideo; partnerships decide between cities that no source
// gave a population, such as those known only from a partner's list.
func cityImportance(c string) string {
	pop, partners := importanceKeys(c)
	return fmt.Sprintf("%s DESC, %s DESC, %s.id", pop, partners, c)
}

// importanceKeys are the two sort keys of cityImportance before the id, both largest
// first and never NULL, so that a keyset cursor can compare them. A population is never
// negative (cities_population_check), so -1 puts an unknown one last.
func importanceKeys(c string) (population, partnerships string) {
	return "coalesce(" + c + ".population, -1)", partnershipCount(c + ".id")
}

// partnershipCount counts the partnerships of the city with the given id (an SQL
// expression). Each side is counted off its partnerships index (city_a_id … and
// city_b_id …, migration 00004), a few index pages per city, and it is only computed for
// the few cities being ranked; a stored count would make every write of a partnership
// update two city rows as well.
func partnershipCount(id string) string {
	return fmt.Sprintf("((SELECT count(*) FROM partnerships p WHERE p.city_a_id = %[1]s) + (SELECT count(*) FROM partnerships p WHERE p.city_b_id = %[1]s))", id)
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
	// A Wikidata item a merged city kept (a statement now, MergeCities) finds the
	// survivor, unless a city holds it.
	q := `SELECT ` + cityCols + ` FROM ` + cityFrom + ` WHERE c.wikidata_qid = $1
UNION ALL
SELECT ` + cityCols + ` FROM city_merges m JOIN cities c ON c.id = m.survivor_id JOIN countries ck ON ck.id = c.country_id
WHERE m.wikidata_qid = $1 AND NOT EXISTS (SELECT 1 FROM cities x WHERE x.wikidata_qid = $1)`
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
