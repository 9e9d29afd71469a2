package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

type countryCore struct {
	ID          uuid.UUID `db:"id"`
	Code        string    `db:"code"`
	Name        string    `db:"name"`
	WikidataQID *string   `db:"wikidata_qid"`
}

type countryRow struct {
	pageCols
	countryCore
}

const countryCols = "k.id, k.code, k.name, k.wikidata_qid"

func (r *countryCore) domain() *knowledge.Country {
	return &knowledge.Country{ID: r.ID, Code: r.Code, Name: r.Name, WikidataID: r.WikidataQID}
}

var countryListing = listing{order: "country:code", from: "countries k", cols: countryCols, key: "k.code", keyType: "text", id: "k.id"}

// CountriesByID returns the countries with the given ids.
func (db *DB) CountriesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.Country, error) {
	rows, err := byIDs[countryRow](ctx, db, countryCols, "countries k", "k.id", ids)
	if err != nil {
		return nil, err
	}
	return index(rows, func(c *knowledge.Country) uuid.UUID { return c.ID }), nil
}

// CountryByCode finds a country by its ISO 3166-1 alpha-2 code, ignoring case. It
// returns NOT_FOUND when there is none.
func (db *DB) CountryByCode(ctx context.Context, code string) (*knowledge.Country, error) {
	const q = `SELECT ` + countryCols + ` FROM countries k WHERE k.code = $1`
	var r countryRow
	if err := db.GetContext(ctx, &r, q, strings.ToUpper(strings.TrimSpace(code))); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no country has the code %q", code)
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}

// Countries returns a page of all countries, by code.
func (db *DB) Countries(ctx context.Context, pa knowledge.PageArgs) (*knowledge.Page[knowledge.Country], error) {
	return listPage[countryRow, *countryRow](ctx, db, countryListing, "true", nil, pa)
}

// CountCountries counts all countries.
func (db *DB) CountCountries(ctx context.Context) (int, error) {
	return count(ctx, db, countryListing, "true", nil)
}

// Divisions returns the divisions with the given keys, each with its name where
// admin1CodesASCII.txt gave one and without it otherwise: a city's admin1 code is a
// division whether or not its name is known, so every key has a value.
func (db *DB) Divisions(ctx context.Context, keys []knowledge.DivisionKey) (map[knowledge.DivisionKey]*knowledge.Division, error) {
	const q = `SELECT k.country_id, k.code, d.name
FROM unnest($1::uuid[], $2::text[]) AS k(country_id, code)
LEFT JOIN divisions d ON d.country_id = k.country_id AND d.code = k.code`
	countries := make([]string, len(keys))
	codes := make([]string, len(keys))
	for i, k := range keys {
		countries[i], codes[i] = k.CountryID.String(), k.Code
	}
	var rows []struct {
		CountryID uuid.UUID `db:"country_id"`
		Code      string    `db:"code"`
		Name      *string   `db:"name"`
	}
	if err := db.SelectContext(ctx, &rows, q, pq.Array(countries), pq.Array(codes)); err != nil {
		return nil, mapError(err)
	}
	out := make(map[knowledge.DivisionKey]*knowledge.Division, len(rows))
	for _, r := range rows {
		out[knowledge.DivisionKey{CountryID: r.CountryID, Code: r.Code}] = &knowledge.Division{CountryID: r.CountryID, Code: r.Code, Name: r.Name}
	}
	return out, nil
}
