package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

type officialCore struct {
	ID      uuid.UUID  `db:"id"`
	Version int        `db:"version"`
	Name    string     `db:"name"`
	Title   *string    `db:"title"`
	CityID  *uuid.UUID `db:"city_id"`
	QID     *string    `db:"wikidata_qid"`
}

type officialRow struct {
	pageCols
	officialCore
}

// officialColumns selects what cols holds of an official (alias o), under the column
// prefix; its id only when the row does not hold it already (withID).
func officialColumns(cols Columns, o, prefix string, withID bool) string {
	return renderColumns(officialColumnList(cols, o, withID), prefix)
}

// officialColumnList is what officialColumns selects, as a list.
func officialColumnList(cols Columns, o string, withID bool) []namedCol {
	col := func(c string) namedCol { return namedCol{o + "." + c, c} }
	list := []namedCol{col("name")}
	if withID {
		list = append(list, col("id"))
	}
	return cols.pickNamed(list,
		optNamedCol{OfficialCity, col("city_id")}, optNamedCol{OfficialVersion, col("version")},
		optNamedCol{OfficialTitle, col("title")}, optNamedCol{OfficialWikidata, col("wikidata_qid")},
	)
}

const officialCols = "o.id, o.version, o.name, o.title, o.city_id, o.wikidata_qid"

func (r *officialCore) domain() *knowledge.Official {
	return &knowledge.Official{ID: r.ID, Version: r.Version, Name: r.Name, Title: r.Title, CityID: r.CityID, WikidataID: r.QID}
}

var officialListing = listing{order: "official:name", from: "officials o", cols: officialCols, key: "o.name", keyType: "text", id: "o.id"}

// OfficialsByID returns the officials with the given ids.
func (db *DB) OfficialsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.Official, error) {
	rows, err := byIDs[officialRow](ctx, db, officialColumns(ColumnsOf(ctx), "o", "", true), "officials o", "o.id", ids)
	if err != nil {
		return nil, err
	}
	return index(rows, func(o *knowledge.Official) uuid.UUID { return o.ID }), nil
}

func officialWhere(q knowledge.OfficialQuery) (string, args) {
	var a args
	var conds []string
	if q.City != nil {
		conds = append(conds, "o.city_id = "+a.add(*q.City))
	}
	if q.NameContains != "" {
		pattern := likePattern(a.add(q.NameContains))
		conds = append(conds, fmt.Sprintf(`amity_fold(o.name) LIKE %[1]s
  OR EXISTS (SELECT 1 FROM official_names n WHERE n.official_id = o.id AND amity_fold(n.name) LIKE %[1]s)`, pattern))
	}
	return joinNonEmpty(conds...), a
}

// Officials returns a page of the officials the query selects, by name.
func (db *DB) Officials(ctx context.Context, q knowledge.OfficialQuery, pa knowledge.PageArgs) (*knowledge.Page[knowledge.Official], error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	where, a := officialWhere(q)
	return listPage[officialRow, *officialRow](ctx, db, officialListing, where, a, pa)
}

// CountOfficials counts the officials the query selects.
func (db *DB) CountOfficials(ctx context.Context, q knowledge.OfficialQuery) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, err
	}
	where, a := officialWhere(q)
	return count(ctx, db, officialListing, where, a)
}

var cityOfficials = nested{listing: officialListing, parent: "o.city_id = %s"}

// OfficialsOfCities returns the same page of officials for each city.
func (db *DB) OfficialsOfCities(ctx context.Context, cities []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Official], error) {
	return nestedPages[officialRow, *officialRow](ctx, db, cityOfficials, "true", nil, cities, pa)
}

// CountOfficialsOfCities counts each city's officials.
func (db *DB) CountOfficialsOfCities(ctx context.Context, cities []uuid.UUID) (map[uuid.UUID]int, error) {
	return nestedCounts(ctx, db, cityOfficials, "true", nil, cities)
}

// OfficialNames returns every name and spelling of each official, the main name first.
func (db *DB) OfficialNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.LocalizedName, error) {
	const q = `SELECT owner_id, language, name, source_id FROM (
  SELECT o.id AS owner_id, 'en' AS language, o.name, NULL::uuid AS source_id, 0 AS rank
  FROM officials o
  WHERE o.id = ANY($1::uuid[])
    AND NOT EXISTS (SELECT 1 FROM official_names n WHERE n.official_id = o.id AND n.name = o.name)
  UNION ALL
  SELECT n.official_id, n.language, n.name, n.source_id, CASE WHEN n.name = o.name THEN 0 ELSE 1 END
  FROM official_names n JOIN officials o ON o.id = n.official_id
  WHERE n.official_id = ANY($1::uuid[])
) names ORDER BY owner_id, rank, language, name`
	return db.names(ctx, q, ids)
}
