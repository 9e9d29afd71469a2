package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// Lookups of many entities by an external key at once, for federation's _entities: a
// gateway sends up to a page of representations in one request, and each key costs one
// statement whatever their number. Keys match as the single lookups do (trimmed, upper
// case); the maps are keyed by the values as given, and a value that names nothing is
// absent.

// CountriesByCode finds countries by ISO 3166-1 alpha-2 code.
func (db *DB) CountriesByCode(ctx context.Context, codes []string) (map[string]*knowledge.Country, error) {
	return byKeys[countryRow](ctx, db, countryCols, "countries k", "k.code", codes,
		func(c *knowledge.Country) *string { return &c.Code })
}

// CitiesByWikidata finds cities by Wikidata item.
func (db *DB) CitiesByWikidata(ctx context.Context, qids []string) (map[string]*knowledge.City, error) {
	return byKeys[cityRow](ctx, db, cityCols, cityFrom, "c.wikidata_qid", qids,
		func(c *knowledge.City) *string { return c.WikidataID })
}

// OfficialsByWikidata finds officials by Wikidata item.
func (db *DB) OfficialsByWikidata(ctx context.Context, qids []string) (map[string]*knowledge.Official, error) {
	return byKeys[officialRow](ctx, db, officialCols, "officials o", "o.wikidata_qid", qids,
		func(o *knowledge.Official) *string { return o.WikidataID })
}

// InstitutionsByWikidata finds institutions by Wikidata item.
func (db *DB) InstitutionsByWikidata(ctx context.Context, qids []string) (map[string]*knowledge.Institution, error) {
	return byKeys[institutionRow](ctx, db, institutionCols, "institutions i", "i.wikidata_qid", qids,
		func(i *knowledge.Institution) *string { return i.WikidataID })
}

// byKeys reads, in one statement, the rows whose unique text column holds one of the
// values, and indexes them by the values as given. keyOf reads the column back from a
// row's domain value.
func byKeys[R any, PR interface {
	*R
	pagedRow[T]
}, T any](ctx context.Context, db sqlx.QueryerContext, cols, from, column string, values []string, keyOf func(*T) *string) (map[string]*T, error) {
	asked := make(map[string][]string, len(values)) // normalised value -> values as given
	var keys []string
	for _, v := range values {
		k := strings.ToUpper(strings.TrimSpace(v))
		if _, seen := asked[k]; !seen {
			keys = append(keys, k)
		}
		asked[k] = append(asked[k], v)
	}
	out := make(map[string]*T, len(values))
	if len(keys) == 0 {
		return out, nil
	}
	var rows []R
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s = ANY($1::text[])", cols, from, column)
	if err := sqlx.SelectContext(ctx, db, &rows, q, pq.Array(keys)); err != nil {
		return nil, mapError(err)
	}
	for i := range rows {
		v := PR(&rows[i]).domain()
		if k := keyOf(v); k != nil {
			for _, given := range asked[*k] {
				out[given] = v
			}
		}
	}
	return out, nil
}
