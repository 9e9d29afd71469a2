package postgres

import "context"

// Column pruning. A GraphQL query names the fields it shows, so the reads of a query
// fetch only the columns of those fields, and join a city's country only when the
// country is shown: on the benchmark's queries a partnership page read 25 columns
// where 8 were shown, and formatting and sending the rest was a third of the
// statement's cost to PostgreSQL (docs/benchmarks.md, "Cheaper SQL"). An entity read
// without some columns has those fields zero, so whoever caches it must key it by the
// columns it was read with (graph/loader/cache.go does).
//
// A context without a column set reads whole rows: every read outside a query (writes,
// merges, subscriptions, the CLI) is unchanged.

// Columns is a set of optional column groups. The columns that identify an entity and
// link it to others (ids, a city's country_id, a partnership's cities and agreement,
// an agreement's place of signing, an official's city), and a city's or official's
// name, an agreement's title and kind and a partnership's kind, are always read.
type Columns uint32

// The column groups, each named for the fields that need it.
const (
	CityVersion     Columns = 1 << iota
	CityPopulation          // population
	CityLocation            // latitude, longitude: location and a partnership's distanceKm
	CityExternalIDs         // wikidata_qid, geonames_id
	CityDivision            // admin1_code
	CityCountry             // the country's row, joined
	PartnershipVersion
	PartnershipSince
	PartnershipUntil
	AgreementVersion
	AgreementSignedOn
	AgreementSummary
	OfficialVersion
	OfficialTitle
	OfficialWikidata
	Cursors // a page's sort keys, which its cursors encode

	// AllColumns is every group: whole rows.
	AllColumns Columns = 1<<iota - 1
)

// The groups of each pruned entity's own columns.
const (
	CityColumns        = CityVersion | CityPopulation | CityLocation | CityExternalIDs | CityDivision | CityCountry
	PartnershipColumns = PartnershipVersion | PartnershipSince | PartnershipUntil
	AgreementColumns   = AgreementVersion | AgreementSignedOn | AgreementSummary
	OfficialColumns    = OfficialVersion | OfficialTitle | OfficialWikidata
)

type columnsKey struct{}

// WithColumns returns a context whose reads fetch only the column groups in c.
func WithColumns(ctx context.Context, c Columns) context.Context {
	return context.WithValue(ctx, columnsKey{}, c)
}

// ColumnsOf returns the column groups the context's reads fetch: AllColumns unless
// WithColumns narrowed them.
func ColumnsOf(ctx context.Context) Columns {
	if c, ok := ctx.Value(columnsKey{}).(Columns); ok {
		return c
	}
	return AllColumns
}

// has reports whether c holds every group of g.
func (c Columns) has(g Columns) bool { return c&g == g }

// pick appends to cols the column expressions whose group c holds.
func (c Columns) pick(cols []string, opt ...optCol) []string {
	for _, o := range opt {
		if c.has(o.group) {
			cols = append(cols, o.expr)
		}
	}
	return cols
}

// optCol is a column expression read only for its group.
type optCol struct {
	group Columns
	expr  string
}
