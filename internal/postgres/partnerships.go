package postgres

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

type partnershipRow struct {
	pageCols
	ID          uuid.UUID  `db:"id"`
	Version     int        `db:"version"`
	Kind        string     `db:"kind"`
	CityAID     uuid.UUID  `db:"city_a_id"`
	CityBID     uuid.UUID  `db:"city_b_id"`
	Since       dbDate     `db:"since"`
	Until       dbDate     `db:"until"`
	AgreementID *uuid.UUID `db:"agreement_id"`
	Partner     *cityCore  `db:"partner"`
}

// partnershipColumns selects what cols holds of a partnership (alias p) and of its
// partner city (alias pc; its country pk). Seen from a city, its two cities are that
// city and the partner (partnershipRow.domain).
func partnershipColumns(cols Columns, seen bool) string {
	ids := []string{"p.id", "p.kind"}
	if !seen {
		ids = append(ids, "p.city_a_id", "p.city_b_id")
	}
	return strings.Join(cols.pick(ids,
		optCol{PartnershipAgreement, "p.agreement_id"},
		optCol{PartnershipVersion, "p.version"},
		optCol{PartnershipSince, "amity_date_text(p.since, p.since_precision) AS since"},
		optCol{PartnershipUntil, "amity_date_text(p.until, p.until_precision) AS until"},
	), ", ") + ", " + cityColumns(cols, "pc", "pk", "partner.", true)
}

func (r *partnershipRow) domain() *knowledge.Partnership {
	if r.CityAID == uuid.Nil && r.Partner != nil {
		// Seen from a city: stored in canonical order (partnerships_cities_check), which
		// compares uuids byte by byte.
		r.CityAID, r.CityBID = r.ParentID, r.Partner.ID
		if bytes.Compare(r.CityAID[:], r.CityBID[:]) > 0 {
			r.CityAID, r.CityBID = r.CityBID, r.CityAID
		}
	}
	p := &knowledge.Partnership{
		ID: r.ID, Version: r.Version, Kind: knowledge.PartnershipKind(r.Kind), CityAID: r.CityAID, CityBID: r.CityBID,
		Since: r.Since.d, Until: r.Until.d, AgreementID: r.AgreementID, ViewerID: r.ParentID,
	}
	if r.Partner != nil {
		p.Partner = r.Partner.domain()
	}
	return p
}

// A partnership is stored once but listed from both of its cities: each side is an
// index scan on its own column, and the planner pushes the city condition into both
// branches of the UNION ALL. The partner city (and its country, when shown) comes in
// the same row, since a client listing partnerships nearly always shows who the
// partner is.
func cityPartnerships(cols Columns) nested {
	return nested{
		listing: listing{
			order: "partnership:since",
			from: `(SELECT p.*, p.city_a_id AS viewer_id, p.city_b_id AS partner_id FROM partnerships p
       UNION ALL SELECT p.*, p.city_b_id AS viewer_id, p.city_a_id AS partner_id FROM partnerships p) p
  JOIN cities pc ON pc.id = p.partner_id` + countryJoin(cols, "pc", "pk"),
			cols: partnershipColumns(cols, true),
			key:  "coalesce(p.since, '-infinity'::date)", keyType: "date", id: "p.id", desc: true,
		},
		parent: "p.viewer_id = %s",
	}
}

// Seen from no city, a partnership's partner is its second city; it is read in the same
// row, as it is for a city's partnerships.
func partnershipWithPartnerFrom(cols Columns) string {
	return `partnerships p JOIN cities pc ON pc.id = p.city_b_id` + countryJoin(cols, "pc", "pk")
}

// PartnershipsByID returns the partnerships with the given ids, seen from no city. The
// id of a partnership a city merge joined to another (partnership_merges) answers
// with the one it joined.
func (db *DB) PartnershipsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.Partnership, error) {
	cols := ColumnsOf(ctx)
	sel, from := partnershipColumns(cols, false), partnershipWithPartnerFrom(cols)
	rows, err := byIDs[partnershipRow](ctx, db, sel, from, "p.id", ids)
	if err != nil {
		return nil, err
	}
	out := index(rows, func(p *knowledge.Partnership) uuid.UUID { return p.ID })
	misses := notFound(ids, out)
	if len(misses) == 0 {
		return out, nil
	}
	// As for cities: one more statement, only when some ids are not found.
	var joined []struct {
		MergedID uuid.UUID `db:"merged_id"`
		partnershipRow
	}
	q := `SELECT m.merged_id, ` + sel + `
FROM partnership_merges m, ` + from + `
WHERE p.id = m.survivor_id AND m.merged_id = ANY($1::uuid[])`
	if err := selectContext(ctx, db, &joined, q, pq.Array(uuidStrings(misses))); err != nil {
		return nil, mapError(err)
	}
	for i := range joined {
		out[joined[i].MergedID] = joined[i].domain()
	}
	return out, nil
}

// partnershipWhere keeps the partnerships of the filter's kind that stood on its date:
// begun by then for certain (the last day of an imprecise since's period), and not
// ended (the first day of an imprecise until's period). The plain comparison of since
// comes first so that the index on it still bounds the scan.
func partnershipWhere(f knowledge.PartnershipFilter) (string, args) {
	var a args
	var conds []string
	if f.Kind != "" {
		conds = append(conds, "p.kind = "+a.add(string(f.Kind)))
	}
	if f.AsOf != nil {
		d := a.add(*f.AsOf)
		conds = append(conds, fmt.Sprintf("p.since <= %[1]s::date AND amity_date_last(p.since, p.since_precision) <= %[1]s::date AND (p.until IS NULL OR p.until > %[1]s::date)", d))
	}
	return joinNonEmpty(conds...), a
}

// PartnershipsOfCities returns the same page of each city's partnerships that the
// filter keeps, newest first, each seen from that city.
func (db *DB) PartnershipsOfCities(ctx context.Context, cities []uuid.UUID, f knowledge.PartnershipFilter, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Partnership], error) {
	where, a := partnershipWhere(f)
	return nestedPages[partnershipRow, *partnershipRow](ctx, db, cityPartnerships(ColumnsOf(ctx)), where, a, cities, pa)
}

// CityWithPartnerships reads a city and one page of its partnerships that the filter
// keeps, seen from it, in one statement instead of one for each: the page's rows carry
// the city's columns. A city with no partnership on the page reads as nil, as does an
// id no city has (CitiesByID knows the ids of merged cities): the caller then reads
// them apart.
func (db *DB) CityWithPartnerships(ctx context.Context, id uuid.UUID, f knowledge.PartnershipFilter, pa knowledge.PageArgs) (*knowledge.City, *knowledge.Page[knowledge.Partnership], error) {
	cols := ColumnsOf(ctx)
	n := cityPartnerships(cols)
	n.noCursors = !cols.has(Cursors)
	p, err := planPage(n.listing, pa)
	if err != nil || p.limit == 0 {
		return nil, nil, err
	}
	where, a := partnershipWhere(f)
	// The city's id, every row's parent, is the argument: not read back.
	q := fmt.Sprintf(`SELECT %s, x.* FROM cities par%s
CROSS JOIN %s
WHERE par.id = %s`, cityColumns(cols, "par", "park", "viewer.", false), countryJoin(cols, "par", "park"), n.lateral(where, &a, p), a.add(id))
	var rows []struct {
		partnershipRow
		Viewer cityCore `db:"viewer"`
	}
	if err := selectContext(ctx, db, &rows, q, a...); err != nil {
		return nil, nil, mapError(err)
	}
	if len(rows) == 0 {
		return nil, nil, nil
	}
	items := make([]partnershipRow, len(rows))
	for i := range rows {
		items[i] = rows[i].partnershipRow
		items[i].ParentID = id
	}
	rows[0].Viewer.ID = id
	return rows[0].Viewer.domain(), toPage[partnershipRow, *partnershipRow](n.listing, items, p, pa), nil
}

// CountPartnershipsOfCities counts each city's partnerships that the filter keeps.
func (db *DB) CountPartnershipsOfCities(ctx context.Context, cities []uuid.UUID, f knowledge.PartnershipFilter) (map[uuid.UUID]int, error) {
	where, a := partnershipWhere(f)
	return nestedCounts(ctx, db, cityPartnerships(0), where, a, cities) // a count reads no columns
}

// PartnershipsOfAgreements returns the partnerships each agreement established.
func (db *DB) PartnershipsOfAgreements(ctx context.Context, agreements []uuid.UUID) (map[uuid.UUID][]*knowledge.Partnership, error) {
	cols := ColumnsOf(ctx)
	q := `SELECT p.agreement_id AS parent_id, ` + partnershipColumns(cols, false) + `
FROM ` + partnershipWithPartnerFrom(cols) + ` WHERE p.agreement_id = ANY($1::uuid[])
ORDER BY p.agreement_id, p.since DESC NULLS LAST, p.id`
	grouped, err := selectGrouped[partnershipRow, *partnershipRow](ctx, db, q, agreements)
	if err != nil {
		return nil, err
	}
	// Reached from an agreement, a partnership has no viewing city.
	for _, ps := range grouped {
		for _, p := range ps {
			p.ViewerID = uuid.Nil
		}
	}
	return grouped, nil
}
