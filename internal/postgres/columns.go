package postgres

import "context"

// Column pruning. A GraphQL query names the fields it shows, so the reads of a query
// fetch only the columns of those fields, and join a city's country only when the
// country is shown: on the benchmark's queries a partnership page read 25 columns
// where 8 were shown, and sending columns nobody shows was about a third of such a
// statement's cost to PostgreSQL (docs/benchmarks.md, "Cheaper SQL"). An entity read
// without some columns has those fields zero, so whoever caches it must key it by the
// columns it was read with (graph/loader/cache.go does).
//
// A context without a column set reads whole rows: every read outside a query (writes,
// merges, subscriptions, the CLI) is unchanged.

// Columns is a set of optional column groups. An entity's id, a city's, official's or
// country's name, an agreement's title and kind, a partnership's kind and a signature
// are always read; the ids that link an entity to others only for the fields that
// follow the link (a signature's party, which the read cache's invalidation uses, is
// always read). Ids the row already holds are not read twice: a city's country is its
// country_id, a signature's official its official_id, and a partnership seen from a
// city links that city and the partner.
type Columns uint32

// The column groups, each named for the fields that need it.
const (
	CityVersion     Columns = 1 << iota
	CityPopulation          // population
	CityLocation            // latitude, longitude: location and a partnership's distanceKm
	CityExternalIDs         // wikidata_qid, geonames_id
	CityDivision            // admin1_code
	CityCountry             // the country's row, joined
	CountryCode
	CountryWikidata
	PartnershipVersion
	PartnershipSince
	PartnershipUntil
	PartnershipAgreement // agreement_id
	AgreementVersion
	AgreementSignedOn
	AgreementSummary
	AgreementSignedIn // signed_in_id
	OfficialVersion
	OfficialTitle
	OfficialWikidata
	OfficialCity // city_id
	Cursors      // a page's sort keys, which its cursors encode

	// AllColumns is every group: whole rows.
	AllColumns Columns = 1<<iota - 1
)

// The groups of each pruned type's own columns; a city's include its country's.
const (
	CountryColumns     = CountryCode | CountryWikidata
	CityColumns        = CityVersion | CityPopulation | CityLocation | CityExternalIDs | CityDivision | CityCountry | CountryColumns
	PartnershipColumns = PartnershipVersion | PartnershipSince | PartnershipUntil | PartnershipAgreement
	AgreementColumns   = AgreementVersion | AgreementSignedOn | AgreementSummary | AgreementSignedIn
	OfficialColumns    = OfficialVersion | OfficialTitle | OfficialWikidata | OfficialCity
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

// any reports whether c holds some group of g.
func (c Columns) any(g Columns) bool { return c&g != 0 }

// pick appends to cols the column expressions one of whose groups c holds.
func (c Columns) pick(cols []string, opt ...optCol) []string {
	for _, o := range opt {
		if c.any(o.group) {
			cols = append(cols, o.expr)
		}
	}
	return cols
}

// optCol is a column expression read only for its groups.
type optCol struct {
	group Columns
	expr  string
}

// pickNamed is pick for named columns.
func (c Columns) pickNamed(list []namedCol, opt ...optNamedCol) []namedCol {
	for _, o := range opt {
		if c.any(o.group) {
			list = append(list, o.col)
		}
	}
	return list
}

// optNamedCol is a named column read only for its groups.
type optNamedCol struct {
	group Columns
	col   namedCol
}
