package postgres

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

type agreementRow struct {
	pageCols
	ID         uuid.UUID  `db:"id"`
	Version    int        `db:"version"`
	Title      string     `db:"title"`
	Kind       string     `db:"kind"`
	SignedOn   dbDate     `db:"signed_on"`
	SignedInID *uuid.UUID `db:"signed_in_id"`
	Summary    *string    `db:"summary"`
}

// agreementColumns selects what cols holds of an agreement (alias a).
func agreementColumns(cols Columns) string {
	return strings.Join(cols.pick([]string{"a.id", "a.title", "a.kind"},
		optCol{AgreementSignedIn, "a.signed_in_id"},
		optCol{AgreementVersion, "a.version"},
		optCol{AgreementSignedOn, "amity_date_text(a.signed_on, a.signed_on_precision) AS signed_on"},
		optCol{AgreementSummary, "a.summary"},
	), ", ")
}

func (r *agreementRow) domain() *knowledge.Agreement {
	return &knowledge.Agreement{
		ID: r.ID, Version: r.Version, Title: r.Title, Kind: knowledge.AgreementKind(r.Kind),
		SignedOn: r.SignedOn.d, SignedInID: r.SignedInID, Summary: r.Summary,
	}
}

// Newest first; undated agreements last.
var agreementListing = listing{
	order: "agreement:signed:desc",
	from:  "agreements a", cols: agreementColumns(AllColumns),
	key: "coalesce(a.signed_on, '-infinity'::date)", keyType: "date", id: "a.id", desc: true,
}

// AgreementsByID returns the agreements with the given ids.
func (db *DB) AgreementsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.Agreement, error) {
	rows, err := byIDs[agreementRow](ctx, db, agreementColumns(ColumnsOf(ctx)), "agreements a", "a.id", ids)
	if err != nil {
		return nil, err
	}
	return index(rows, func(a *knowledge.Agreement) uuid.UUID { return a.ID }), nil
}

// agreementQuery turns an agreement query into its ordering and WHERE clause.
func agreementQuery(q knowledge.AgreementQuery) (listing, string, args) {
	l := agreementListing
	switch {
	case q.OrderBy == knowledge.AgreementByTitle && q.Desc:
		l.order, l.key, l.keyType = "agreement:title:desc", "a.title", "text"
	case q.OrderBy == knowledge.AgreementByTitle:
		l.order, l.key, l.keyType, l.desc = "agreement:title:asc", "a.title", "text", false
	case q.OrderBy == knowledge.AgreementBySignedOn && !q.Desc:
		// Undated agreements come last in both directions.
		l.order, l.key, l.desc = "agreement:signed:asc", "coalesce(a.signed_on, 'infinity'::date)", false
	}
	var a args
	var conds []string
	if len(q.Kinds) > 0 {
		kinds := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = string(k)
		}
		conds = append(conds, "a.kind = ANY("+a.add(pq.Array(kinds))+"::text[])")
	}
	if len(q.Areas) > 0 {
		areas := make([]string, len(q.Areas))
		for i, ar := range q.Areas {
			areas[i] = string(ar)
		}
		areas = slices.Compact(slices.Sorted(slices.Values(areas)))
		conds = append(conds, fmt.Sprintf("(SELECT count(*) FROM agreement_areas aa WHERE aa.agreement_id = a.id AND aa.area = ANY(%s::text[])) = %s",
			a.add(pq.Array(areas)), a.add(len(areas))))
	}
	if q.SignedAfter != nil {
		conds = append(conds, "a.signed_on >= "+a.add(*q.SignedAfter)+"::date")
	}
	// An agreement dated only by its year or month is kept when its whole period lies
	// within the bounds: signed before the end of June 1994 is not known of one signed
	// "in 1994" (docs/dates.md).
	if q.SignedBefore != nil {
		d := a.add(*q.SignedBefore)
		conds = append(conds, "a.signed_on <= "+d+"::date AND amity_date_last(a.signed_on, a.signed_on_precision) <= "+d+"::date")
	}
	if q.PartyCity != nil {
		conds = append(conds, "EXISTS (SELECT 1 FROM agreement_parties ap WHERE ap.agreement_id = a.id AND ap.city_id = "+a.add(*q.PartyCity)+")")
	}
	if q.Signatory != nil {
		conds = append(conds, "EXISTS (SELECT 1 FROM signatories s WHERE s.agreement_id = a.id AND s.official_id = "+a.add(*q.Signatory)+")")
	}
	return l, joinNonEmpty(conds...), a
}

// Agreements returns a page of the agreements the query selects, newest first unless
// it orders otherwise. It returns BAD_USER_INPUT for an invalid query or page.
func (db *DB) Agreements(ctx context.Context, q knowledge.AgreementQuery, pa knowledge.PageArgs) (*knowledge.Page[knowledge.Agreement], error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	l, where, a := agreementQuery(q)
	l.cols = agreementColumns(ColumnsOf(ctx))
	return listPage[agreementRow, *agreementRow](ctx, db, l, where, a, pa)
}

// CountAgreements counts the agreements the query selects.
func (db *DB) CountAgreements(ctx context.Context, q knowledge.AgreementQuery) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, err
	}
	l, where, a := agreementQuery(q)
	return count(ctx, db, l, where, a)
}

var (
	cityAgreements = nested{listing: agreementListing,
		parent: "a.id IN (SELECT ap.agreement_id FROM agreement_parties ap WHERE ap.city_id = %s)"}
	officialAgreements = nested{listing: agreementListing,
		parent: "a.id IN (SELECT s.agreement_id FROM signatories s WHERE s.official_id = %s)"}
	institutionAgreements = nested{listing: agreementListing,
		parent: "a.id IN (SELECT ia.agreement_id FROM institution_agreements ia WHERE ia.institution_id = %s)"}
)

// shownAgreements is n reading what the context's query shows of each agreement.
func shownAgreements(ctx context.Context, n nested) nested {
	n.cols = agreementColumns(ColumnsOf(ctx))
	return n
}

// AgreementsOfCities returns the same page of each city's agreements.
func (db *DB) AgreementsOfCities(ctx context.Context, cities []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Agreement], error) {
	return nestedPages[agreementRow, *agreementRow](ctx, db, shownAgreements(ctx, cityAgreements), "true", nil, cities, pa)
}

// CountAgreementsOfCities counts each city's agreements.
func (db *DB) CountAgreementsOfCities(ctx context.Context, cities []uuid.UUID) (map[uuid.UUID]int, error) {
	return nestedCounts(ctx, db, cityAgreements, "true", nil, cities)
}

// AgreementsOfOfficials returns the same page of the agreements each official signed.
func (db *DB) AgreementsOfOfficials(ctx context.Context, officials []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Agreement], error) {
	return nestedPages[agreementRow, *agreementRow](ctx, db, shownAgreements(ctx, officialAgreements), "true", nil, officials, pa)
}

// CountAgreementsOfOfficials counts the agreements each official signed.
func (db *DB) CountAgreementsOfOfficials(ctx context.Context, officials []uuid.UUID) (map[uuid.UUID]int, error) {
	return nestedCounts(ctx, db, officialAgreements, "true", nil, officials)
}

// AgreementsOfInstitutions returns the same page of each institution's agreements.
func (db *DB) AgreementsOfInstitutions(ctx context.Context, institutions []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Agreement], error) {
	return nestedPages[agreementRow, *agreementRow](ctx, db, shownAgreements(ctx, institutionAgreements), "true", nil, institutions, pa)
}

// CountAgreementsOfInstitutions counts each institution's agreements.
func (db *DB) CountAgreementsOfInstitutions(ctx context.Context, institutions []uuid.UUID) (map[uuid.UUID]int, error) {
	return nestedCounts(ctx, db, institutionAgreements, "true", nil, institutions)
}

// AgreementParties returns each agreement's parties, in the order the agreement names
// them (partyOrder: names compare byte by byte, as Go compares them, whatever the
// database's collation).
func (db *DB) AgreementParties(ctx context.Context, agreements []uuid.UUID) (map[uuid.UUID][]*knowledge.City, error) {
	cols := ColumnsOf(ctx)
	q := `SELECT ap.agreement_id AS parent_id, ` + cityColumns(cols, "c", "ck", "", true) + `
FROM agreement_parties ap JOIN cities c ON c.id = ap.city_id` + countryJoin(cols, "c", "ck") + `
WHERE ap.agreement_id = ANY($1::uuid[])
ORDER BY ap.agreement_id, ap.position, c.name COLLATE "C", c.id`
	return selectGrouped[cityRow, *cityRow](ctx, db, q, agreements)
}

// AgreementAreas returns the fields each agreement covers, in enum order.
func (db *DB) AgreementAreas(ctx context.Context, agreements []uuid.UUID) (map[uuid.UUID][]knowledge.CooperationArea, error) {
	const q = `SELECT agreement_id, area FROM agreement_areas
WHERE agreement_id = ANY($1::uuid[])
ORDER BY agreement_id, array_position(ARRAY['TRADE','INVESTMENT','TECHNOLOGY','EDUCATION','CULTURE',
  'TRANSPORTATION','INFRASTRUCTURE','TOURISM','HEALTH','ENVIRONMENT','SCIENCE','SPORT','YOUTH',
  'URBAN_PLANNING','OTHER'], area)`
	var rows []struct {
		AgreementID uuid.UUID `db:"agreement_id"`
		Area        string    `db:"area"`
	}
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(agreements))); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID][]knowledge.CooperationArea, len(agreements))
	for _, r := range rows {
		out[r.AgreementID] = append(out[r.AgreementID], knowledge.CooperationArea(r.Area))
	}
	return out, nil
}

// Signatories returns who signed each agreement, in signing order (position, then the
// official's id: signatureOrder), each with the official, who is nearly always shown
// with the signature.
func (db *DB) Signatories(ctx context.Context, agreements []uuid.UUID) (map[uuid.UUID][]*knowledge.Signatory, error) {
	cols := ColumnsOf(ctx)
	q := `SELECT s.agreement_id, s.official_id, s.party_city_id, s.role,
  ` + officialColumns(cols, "o", "official.", false) + `
FROM signatories s JOIN officials o ON o.id = s.official_id
WHERE s.agreement_id = ANY($1::uuid[])
ORDER BY s.agreement_id, s.position, s.official_id`
	var rows []struct {
		AgreementID uuid.UUID    `db:"agreement_id"`
		OfficialID  uuid.UUID    `db:"official_id"`
		PartyID     uuid.UUID    `db:"party_city_id"`
		Role        *string      `db:"role"`
		Official    officialCore `db:"official"`
	}
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(agreements))); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID][]*knowledge.Signatory, len(agreements))
	for _, r := range rows {
		r.Official.ID = r.OfficialID
		out[r.AgreementID] = append(out[r.AgreementID], &knowledge.Signatory{
			AgreementID: r.AgreementID, OfficialID: r.OfficialID, PartyID: r.PartyID, Role: r.Role,
			Official: r.Official.domain(),
		})
	}
	return out, nil
}

// selectGrouped runs q with the parent ids as $1 and groups the rows by their
// parent_id column, keeping the query's order.
func selectGrouped[R any, PR interface {
	*R
	pagedRow[T]
}, T any](ctx context.Context, db *DB, q string, parents []uuid.UUID) (map[uuid.UUID][]*T, error) {
	var rows []R
	if err := db.SelectContext(ctx, &rows, q, pq.Array(uuidStrings(parents))); err != nil {
		return nil, mapError(err)
	}
	out := make(map[uuid.UUID][]*T, len(parents))
	for i := range rows {
		r := PR(&rows[i])
		out[r.page().ParentID] = append(out[r.page().ParentID], r.domain())
	}
	return out, nil
}

// AgreementLinks are the lists of each agreement that AgreementsWithLinks reads with
// the page.
type AgreementLinks struct {
	Parties, Signatories bool
	// OfficialCities: with the signatories, their officials' cities.
	OfficialCities bool
	// OfficialCityCountries: with those cities, their countries. Without it they are
	// read without, whatever else the query shows of cities (Q3 shows the parties'
	// countries, not the officials' cities'; joining them was a sixth of the
	// statement's cost).
	OfficialCityCountries bool
}

// Any says whether there is a list to read.
func (l AgreementLinks) Any() bool { return l.Parties || l.Signatories }

// LinkedAgreements is a page of agreements and the lists read with it (nil when not
// read), for the page's agreements (and, OfficialCities, the cities of their
// signatories' officials by id), each as AgreementParties, Signatories and CitiesByID
// read it.
type LinkedAgreements struct {
	Page           *knowledge.Page[knowledge.Agreement]
	Parties        map[uuid.UUID][]*knowledge.City
	Signatories    map[uuid.UUID][]*knowledge.Signatory
	OfficialCities map[uuid.UUID]*knowledge.City
	// OfficialCityColumns are the columns OfficialCities were read with.
	OfficialCityColumns Columns
}

type agreementLinksRow struct {
	agreementRow
	Parties     *string `db:"parties"`
	Signatories *string `db:"signatories"`
}

// AgreementsWithLinks is Agreements, reading the lists links names in the same
// statement, each agreement's as a nested list in its row (nestedRows): Q3 of the
// benchmark, a page with its parties and signatures, is one statement instead of four.
func (db *DB) AgreementsWithLinks(ctx context.Context, q knowledge.AgreementQuery, pa knowledge.PageArgs, links AgreementLinks) (*LinkedAgreements, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	l, where, a := agreementQuery(q)
	cols := ColumnsOf(ctx)
	p, err := planPage(l, pa)
	if err != nil {
		return nil, err
	}
	if p.limit == 0 || !links.Any() {
		page, err := db.Agreements(ctx, q, pa)
		return &LinkedAgreements{Page: page}, err
	}
	officialCityCols := cols
	if !links.OfficialCityCountries {
		officialCityCols &^= CityCountry | CountryColumns
	}
	parties, signatures := nestedPartyColumns(cols), nestedSignatureColumns(cols, officialCityCols, links.OfficialCities)
	signed := "signatories s JOIN officials o ON o.id = s.official_id"
	if links.OfficialCities {
		signed += " LEFT JOIN cities oc ON oc.id = o.city_id"
		if officialCityCols.has(CityCountry) {
			signed += " LEFT JOIN countries ok ON ok.id = oc.country_id"
		}
	}
	selected := []string{agreementColumns(cols)}
	if links.Parties {
		selected = append(selected, nestedRows(parties, "agreement_parties ap JOIN cities c ON c.id = ap.city_id"+countryJoin(cols, "c", "ck"),
			"ap.agreement_id = a.id", "parties"))
	}
	if links.Signatories {
		selected = append(selected, nestedRows(signatures, signed, "s.agreement_id = a.id", "signatories"))
	}
	l.cols = strings.Join(selected, ", ")
	l.noCursors = !cols.has(Cursors)
	var rows []agreementLinksRow
	if err := selectContext(ctx, db, &rows, l.pageSQL(where, &a, p), a...); err != nil {
		return nil, mapError(err)
	}
	out := &LinkedAgreements{}
	if links.Parties {
		out.Parties = map[uuid.UUID][]*knowledge.City{}
	}
	if links.Signatories {
		out.Signatories = map[uuid.UUID][]*knowledge.Signatory{}
	}
	if links.OfficialCities {
		out.OfficialCities = map[uuid.UUID]*knowledge.City{}
		out.OfficialCityColumns = officialCityCols
	}
	partyList, err := newNestedList[nestedParty](db.Mapper, parties)
	if err != nil {
		return nil, err
	}
	signatureList, err := newNestedList[nestedSignature](db.Mapper, signatures)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		placed, err := partyList.read(r.Parties)
		if err != nil {
			return nil, fmt.Errorf("parties of %s: %w", r.ID, err)
		}
		slices.SortFunc(placed, partyOrder)
		for i := range placed {
			out.Parties[r.ID] = append(out.Parties[r.ID], placed[i].domain())
		}
		sigs, err := signatureList.read(r.Signatories)
		if err != nil {
			return nil, fmt.Errorf("signatures of %s: %w", r.ID, err)
		}
		slices.SortFunc(sigs, signatureOrder)
		for i := range sigs {
			s, city := sigs[i].domain(r.ID)
			if city != nil {
				out.OfficialCities[city.ID] = city
			}
			out.Signatories[r.ID] = append(out.Signatories[r.ID], s)
		}
	}
	out.Page = toPage[agreementLinksRow, *agreementLinksRow](l, rows, p, pa)
	return out, nil
}

// nestedPartyColumns are the columns of a party in an agreement's nested list
// (nestedParty).
func nestedPartyColumns(cols Columns) []namedCol {
	return append(cityColumnList(cols, "c", "ck", true), namedCol{"ap.position", "position"})
}

// nestedSignatureColumns are the columns of a signature in an agreement's nested list
// (nestedSignature), with the official's city read with officialCityCols when
// withCities.
func nestedSignatureColumns(cols, officialCityCols Columns, withCities bool) []namedCol {
	list := append([]namedCol{{"s.official_id", "official_id"}, {"s.party_city_id", "party_city_id"}, {"s.role", "role"}, {"s.position", "position"}},
		prefixed(officialColumnList(cols, "o", false), "official.")...)
	if withCities {
		list = append(list, prefixed(cityColumnList(officialCityCols, "oc", "ok", true), "city.")...)
	}
	return list
}

// nestedParty is a party read in a nested list, with its place among the agreement's.
type nestedParty struct {
	cityCore
	Position int `db:"position"`
}

// partyOrder is the order of an agreement's parties, as AgreementParties reads them:
// their positions, then names byte by byte, then ids.
func partyOrder(a, b nestedParty) int {
	return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.Name, b.Name), bytes.Compare(a.ID[:], b.ID[:]))
}

// nestedSignature is a signature read in a nested list: with its official, its place
// among the agreement's signatures and, when read, the official's city (whose columns
// are all NULL when the official has none).
type nestedSignature struct {
	OfficialID uuid.UUID    `db:"official_id"`
	PartyID    uuid.UUID    `db:"party_city_id"`
	Role       *string      `db:"role"`
	Position   int          `db:"position"`
	Official   officialCore `db:"official"`
	City       *cityCore    `db:"city"`
}

// signatureOrder is the order of an agreement's signatures, as Signatories reads them:
// their positions, then the officials' ids (PostgreSQL compares uuids byte by byte).
func signatureOrder(a, b nestedSignature) int {
	return cmp.Or(cmp.Compare(a.Position, b.Position), bytes.Compare(a.OfficialID[:], b.OfficialID[:]))
}

// domain is the signature of the agreement, and the official's city if it was read and
// he has one.
func (r *nestedSignature) domain(agreement uuid.UUID) (*knowledge.Signatory, *knowledge.City) {
	r.Official.ID = r.OfficialID
	s := &knowledge.Signatory{AgreementID: agreement, OfficialID: r.OfficialID, PartyID: r.PartyID, Role: r.Role,
		Official: r.Official.domain()}
	if r.City == nil || r.City.ID == uuid.Nil {
		return s, nil
	}
	return s, r.City.domain()
}
