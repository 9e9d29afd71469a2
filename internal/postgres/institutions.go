package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

type institutionRow struct {
	pageCols
	ID          uuid.UUID `db:"id"`
	Version     int       `db:"version"`
	Name        string    `db:"name"`
	Kind        string    `db:"kind"`
	CityID      uuid.UUID `db:"city_id"`
	FoundedOn   dbDate    `db:"founded_on"`
	Description *string   `db:"description"`
	QID         *string   `db:"wikidata_qid"`
}

const institutionCols = "i.id, i.version, i.name, i.kind, i.city_id, amity_date_text(i.founded_on, i.founded_on_precision) AS founded_on, i.description, i.wikidata_qid"

func (r *institutionRow) domain() *knowledge.Institution {
	return &knowledge.Institution{
		ID: r.ID, Version: r.Version, Name: r.Name, Kind: knowledge.InstitutionKind(r.Kind), CityID: r.CityID,
		FoundedOn: r.FoundedOn.d, Description: r.Description, WikidataID: r.QID,
	}
}

var institutionListing = listing{order: "institution:name", from: "institutions i", cols: institutionCols, key: "i.name", keyType: "text", id: "i.id"}

// InstitutionsByID returns the institutions with the given ids.
func (db *DB) InstitutionsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.Institution, error) {
	rows, err := byIDs[institutionRow](ctx, db, institutionCols, "institutions i", "i.id", ids)
	if err != nil {
		return nil, err
	}
	return index(rows, func(i *knowledge.Institution) uuid.UUID { return i.ID }), nil
}

func institutionWhere(q knowledge.InstitutionQuery) (string, args) {
	var a args
	var conds []string
	if q.Kind != "" {
		conds = append(conds, "i.kind = "+a.add(string(q.Kind)))
	}
	if q.City != nil {
		conds = append(conds, "i.city_id = "+a.add(*q.City))
	}
	if q.CountryCode != "" {
		conds = append(conds, "i.city_id IN (SELECT c.id FROM cities c JOIN countries k ON k.id = c.country_id WHERE k.code = upper("+a.add(q.CountryCode)+"))")
	}
	return joinNonEmpty(conds...), a
}

// Institutions returns a page of the institutions the query selects, by name.
func (db *DB) Institutions(ctx context.Context, q knowledge.InstitutionQuery, pa knowledge.PageArgs) (*knowledge.Page[knowledge.Institution], error) {
	where, a := institutionWhere(q)
	return listPage[institutionRow, *institutionRow](ctx, db, institutionListing, where, a, pa)
}

// CountInstitutions counts the institutions the query selects.
func (db *DB) CountInstitutions(ctx context.Context, q knowledge.InstitutionQuery) (int, error) {
	where, a := institutionWhere(q)
	return count(ctx, db, institutionListing, where, a)
}

var cityInstitutions = nested{listing: institutionListing, parent: "i.city_id = %s"}

// InstitutionsOfCities returns the same page of institutions for each city.
func (db *DB) InstitutionsOfCities(ctx context.Context, cities []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Institution], error) {
	return nestedPages[institutionRow, *institutionRow](ctx, db, cityInstitutions, "true", nil, cities, pa)
}

// CountInstitutionsOfCities counts each city's institutions.
func (db *DB) CountInstitutionsOfCities(ctx context.Context, cities []uuid.UUID) (map[uuid.UUID]int, error) {
	return nestedCounts(ctx, db, cityInstitutions, "true", nil, cities)
}

// InstitutionsOfAgreements returns the institutions linked to each agreement, by name.
func (db *DB) InstitutionsOfAgreements(ctx context.Context, agreements []uuid.UUID) (map[uuid.UUID][]*knowledge.Institution, error) {
	const q = `SELECT ia.agreement_id AS parent_id, ` + institutionCols + `
FROM institution_agreements ia JOIN institutions i ON i.id = ia.institution_id
WHERE ia.agreement_id = ANY($1::uuid[])
ORDER BY ia.agreement_id, i.name, i.id`
	return selectGrouped[institutionRow, *institutionRow](ctx, db, q, agreements)
}
