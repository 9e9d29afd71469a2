package postgres

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// Reconciliation: a city referred to by name and country (knowledge.Ref.ByName) is
// resolved against the stored cities by one rule, documented in docs/import.md
// ("Cities by name") and docs/cities.md:
//
//  1. candidates: the cities of the country (its ISO code, or its name folded) one of
//     whose names (its own or a city_names row), folded, equals the given name folded;
//     with admin1, only those of that first-level division (its GeoNames admin1 code,
//     or a division's name folded), and none when the country has no such division;
//  2. with coordinates: the nearest candidate within ReconcileMaxKm, else none;
//  3. else exactly one candidate: it;
//  4. else several: the most important one (cityImportance) only when its population
//     is known and at least ReconcileDominance times every other candidate's (which
//     must be known too); otherwise the line is refused with the candidates listed;
//  5. none: the line is refused, or, with "create": true, a city is created with the
//     given name, country and coordinates, citing the line's sources; but when
//     coordinates were given and a candidate has none, the line is refused, created
//     or not, since that candidate may be the city.

// ReconcileMaxKm is how far from the given coordinates a candidate may lie: 50 km
// holds a city's centre as a partner's list or a geocoder places it, even for the
// largest metropolitan areas (whose GeoNames point may be 20–30 km from a suburb's
// idea of the city), while two towns of one name in one country are rarely that close
// (and, if they are, the nearer wins).
const ReconcileMaxKm = 50.0

// ReconcileDominance is how many times larger the most important candidate's
// population must be than every other's for a name without coordinates to pick it.
// Below that a silent pick would merge a partner's facts into the wrong city, which
// no later import notices; the line is refused instead, so that its author adds
// coordinates or a key.
const ReconcileDominance = 10

// reconciled is what reconciliation decided for one reference by name.
type reconciled struct {
	id      string // the stored city's id, or "" when created or refused
	created string // the key of the city the import creates for it, or ""
	country string // the country's code, "" when unknown
	admin1  string // the admin1 code of the city the import creates, or ""
	problem string // why the reference was refused, or ""
	// ambiguous is set when it was refused because several stored cities may be the one.
	ambiguous bool
}

// byName is what reconciliation decided for each reference by name, as the domain
// reports it (knowledge.BatchSummary.ByName); nil before reconcile ran.
func (w *batchWriter) byName() map[knowledge.Ref]knowledge.CityMatch {
	if w.named == nil {
		return nil
	}
	out := make(map[knowledge.Ref]knowledge.CityMatch, len(w.named))
	for r, rc := range w.named {
		m := knowledge.CityMatch{Created: rc.created != "", Ambiguous: rc.ambiguous, Problem: rc.problem}
		switch {
		case rc.id != "":
			m.ID = uuid.MustParse(rc.id)
		case rc.created != "":
			m.ID = knowledge.KeyID(knowledge.KindCity, rc.created)
		}
		out[r] = m
	}
	return out
}

// candidate is a stored city that has the name.
type candidate struct {
	No         int      `db:"no"`
	Code       *string  `db:"code"`
	ID         *string  `db:"id"`
	Name       *string  `db:"name"`
	GeoNames   *int64   `db:"geonames_id"`
	Population *int64   `db:"population"`
	Km         *float64 `db:"km"`
	Rank       *int64   `db:"rank"`
	Partners   *int64   `db:"partners"`
	// The candidate's division: its admin1 code and, where known, its name.
	Admin1   *string `db:"admin1_code"`
	Division *string `db:"division"`
	// The admin1 codes the reference's admin1 names in its country (the same on every
	// row of a reference); NULL when it gave none or named no division.
	Admin1Codes pq.StringArray `db:"admin1_codes"`
}

// reconcileSQL finds the candidates of every reference by name in one statement: $1
// numbers the references, $2 to $6 give their names, countries, coordinates and
// divisions (NULL when not given). A reference whose country is unknown yields one row
// with a NULL code; one without candidates one row with a NULL id. rank is the
// candidate's rank by importance (1 the most important).
var reconcileSQL = `
WITH q AS (
    SELECT q.*, amity_fold(q.name) AS folded
    FROM unnest($1::int[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[]) AS q(no, name, country, lat, lon, admin1)
), cs AS (
    -- Each country as written once: a file names a few countries many times.
    SELECT w.country, c.id, c.code FROM (SELECT DISTINCT country FROM q) w LEFT JOIN LATERAL (
        SELECT x.id, x.code FROM countries x
        WHERE ` + countryNamed("x", "w.country") + `
        ORDER BY x.code = upper(w.country) DESC, x.code LIMIT 1) c ON true
), ds AS (
    -- Each division as written once, per country: the admin1 codes it names.
    SELECT w.country_id, w.admin1, d.codes FROM (SELECT DISTINCT cs.id AS country_id, q.admin1 FROM q JOIN cs ON cs.country = q.country
        WHERE q.admin1 IS NOT NULL AND cs.id IS NOT NULL) w
    CROSS JOIN LATERAL (` + admin1CodesSQL("w.country_id", "w.admin1") + `) d
), k AS (
    SELECT q.*, cs.id AS country_id, cs.code, ds.codes AS admin1_codes
    FROM q JOIN cs ON cs.country = q.country LEFT JOIN ds ON ds.country_id = cs.id AND ds.admin1 = q.admin1
)
SELECT k.no, k.code, k.admin1_codes, m.id, m.name, m.geonames_id, m.population, m.km, m.rank, m.partners,
    m.admin1_code, m.division
FROM k LEFT JOIN LATERAL (
    -- Driven by the exact-name indexes, as CityByName is, then kept to the country.
    SELECT c.id::text AS id, c.name, c.geonames_id, c.population,
        CASE WHEN k.lat IS NOT NULL AND c.latitude IS NOT NULL AND c.longitude IS NOT NULL
            THEN earth_distance(ll_to_earth(k.lat, k.lon), ll_to_earth(c.latitude, c.longitude)) / 1000 END AS km,
        row_number() OVER (ORDER BY ` + cityImportance("c") + `) AS rank,
        ` + partnershipCount("c.id") + ` AS partners, c.admin1_code,
        (SELECT d.name FROM divisions d WHERE d.country_id = c.country_id AND d.code = c.admin1_code) AS division
    FROM (SELECT x.id FROM cities x WHERE x.name_fold = k.folded
          UNION
          SELECT n.city_id FROM city_names n WHERE n.name_fold = k.folded) f
    -- Each match read by its primary key (OFFSET 0 keeps the subquery apart): joined
    -- as a plain join, the planner may read every city of the country instead.
    CROSS JOIN LATERAL (SELECT * FROM cities c0 WHERE c0.id = f.id AND c0.country_id = k.country_id
        AND (k.admin1 IS NULL OR c0.admin1_code = ANY (k.admin1_codes)) OFFSET 0) c
) m ON k.country_id IS NOT NULL AND (k.admin1 IS NULL OR k.admin1_codes IS NOT NULL)
ORDER BY k.no, m.rank`

// admin1CodesSQL selects codes, the admin1 codes of the divisions of the country (an
// SQL expression for its id) that admin1 (an SQL expression for the text given) names,
// NULL when it names none: the code itself, as GeoNames writes it (or in capitals),
// when a division or a city of the country has it, so that codes work before
// admin1CodesASCII.txt is imported; and every division whose name or ASCII name,
// folded, is the text folded. Each is one index probe (divisions' primary key and fold
// indexes, cities_admin1_idx). The cities are asked for their first by name, the
// index's order: with a bare LIMIT 1 the planner expected a sequential scan to meet a
// common code soon, which for a code of a small country means reading most cities.
func admin1CodesSQL(country, admin1 string) string {
	return fmt.Sprintf(`SELECT array_agg(DISTINCT x.code ORDER BY x.code) AS codes FROM (
    SELECT d.code FROM divisions d WHERE d.country_id = %[1]s AND d.code IN (%[2]s, upper(%[2]s))
    UNION ALL
    (SELECT c.admin1_code FROM cities c WHERE c.country_id = %[1]s AND c.admin1_code = %[2]s ORDER BY c.name LIMIT 1)
    UNION ALL
    (SELECT c.admin1_code FROM cities c WHERE c.country_id = %[1]s AND c.admin1_code = upper(%[2]s) ORDER BY c.name LIMIT 1)
    UNION ALL
    SELECT d.code FROM divisions d WHERE d.country_id = %[1]s AND %[3]s = amity_fold(%[2]s)
    UNION ALL
    SELECT d.code FROM divisions d WHERE d.country_id = %[1]s AND %[4]s = amity_fold(%[2]s)) x`,
		country, admin1, foldC("d.name"), foldC("d.ascii_name"))
}

// reconcile resolves every reference by name of the batch, in one statement, and
// records a problem at every place a refused one is written.
func (w *batchWriter) reconcile(ctx context.Context) error {
	refs := map[knowledge.Ref]int{}
	var order []knowledge.Ref
	w.b.EachRef(func(u knowledge.RefUse) {
		if u.Kind != knowledge.KindCity || !u.Ref.ByName() {
			return
		}
		if _, ok := refs[u.Ref]; !ok {
			refs[u.Ref] = len(order)
			order = append(order, u.Ref)
		}
	})
	if len(order) == 0 {
		return nil
	}
	nos := make([]int64, len(order))
	names := make([]string, len(order))
	countries := make([]string, len(order))
	lats := make([]sqlFloat, len(order))
	lons := make([]sqlFloat, len(order))
	admin1s := make([]sql.NullString, len(order))
	for i, r := range order {
		nos[i], names[i], countries[i] = int64(i), r.Name, r.Country
		admin1s[i] = sql.NullString{String: r.Admin1, Valid: r.Admin1 != ""}
		if r.Located {
			lats[i], lons[i] = sqlFloat{r.Lat, true}, sqlFloat{r.Lon, true}
		}
	}
	var rows []candidate
	if err := w.tx.SelectContext(ctx, &rows, reconcileSQL, pq.Array(nos), pq.Array(names), pq.Array(countries),
		floatArray(lats), floatArray(lons), pq.Array(admin1s)); err != nil {
		return fmt.Errorf("reconcile cities by name: %w", err)
	}
	byNo := make([][]candidate, len(order))
	for _, c := range rows {
		byNo[c.No] = append(byNo[c.No], c)
	}
	w.named = make(map[knowledge.Ref]reconciled, len(order))
	for i, r := range order {
		w.named[r] = decide(r, byNo[i])
	}
	var uses []knowledge.RefUse
	w.b.EachRef(func(u knowledge.RefUse) {
		if u.Kind == knowledge.KindCity && u.Ref.ByName() && w.named[u.Ref].problem != "" {
			uses = append(uses, u)
		}
	})
	sortUses(uses)
	for _, u := range uses {
		w.ps.Addf(u.Line, u.Field(), "%s", w.named[u.Ref].problem)
	}
	return nil
}

// decide applies the rule to one reference's candidates (rows of reconcileSQL, by rank).
func decide(r knowledge.Ref, rows []candidate) reconciled {
	if len(rows) == 0 || rows[0].Code == nil {
		return reconciled{problem: fmt.Sprintf("unknown country %q (want an ISO 3166-1 alpha-2 code or a stored country's name)", r.Country)}
	}
	out := reconciled{country: *rows[0].Code}
	// in is how the refusals name where the cities were looked for.
	in := out.country
	if r.Admin1 != "" {
		codes := rows[0].Admin1Codes
		if codes == nil {
			out.problem = fmt.Sprintf("no first-level division of %s is %q (want a GeoNames admin1 code, or a division's name once admin1CodesASCII.txt is imported)", out.country, r.Admin1)
			return out
		}
		in = fmt.Sprintf("%s, division %s", out.country, strings.Join(codes, " or "))
		if len(codes) == 1 {
			out.admin1 = codes[0]
		}
	}
	var cands []candidate
	for _, c := range rows {
		if c.ID != nil {
			cands = append(cands, c)
		}
	}
	var pick *candidate
	switch {
	case r.Located:
		for i, c := range cands {
			if c.Km != nil && *c.Km <= ReconcileMaxKm && (pick == nil || *c.Km < *pick.Km) {
				pick = &cands[i]
			}
		}
	case len(cands) == 1:
		pick = &cands[0]
	case len(cands) > 1:
		if dominant(cands) {
			pick = &cands[0]
		} else {
			out.problem = fmt.Sprintf("%d cities of %s are named %q; give coordinates, a division or a key to choose: %s",
				len(cands), in, r.Name, listCandidates(cands, false))
			out.ambiguous = true
			return out
		}
	}
	if pick != nil {
		out.id = *pick.ID
		return out
	}
	if r.Located {
		// A candidate without coordinates may be the city: neither picked nor ruled out,
		// and not duplicated by a creation.
		var unplaced []candidate
		for _, c := range cands {
			if c.Km == nil {
				unplaced = append(unplaced, c)
			}
		}
		if len(unplaced) > 0 {
			out.problem = fmt.Sprintf("no city of %s named %q lies within %g km of %.4f,%.4f, and %d without coordinates may be the one; give a key to choose: %s",
				in, r.Name, ReconcileMaxKm, r.Lat, r.Lon, len(unplaced), listCandidates(cands, true))
			out.ambiguous = true
			return out
		}
	}
	if r.Create {
		if r.Admin1 != "" && out.admin1 == "" {
			// Which of the divisions would the new city be in?
			out.problem = fmt.Sprintf("%q names several first-level divisions of %s (%s); give the code to create the city",
				r.Admin1, out.country, strings.Join(rows[0].Admin1Codes, ", "))
			return out
		}
		out.created = createdKey(out.country, out.admin1, r)
		return out
	}
	switch {
	case len(cands) == 0:
		out.problem = fmt.Sprintf("no city of %s is named %q (add \"create\": true to create it)", in, r.Name)
	default:
		out.problem = fmt.Sprintf("no city of %s named %q lies within %g km of %.4f,%.4f (add \"create\": true to create it): %s",
			in, r.Name, ReconcileMaxKm, r.Lat, r.Lon, listCandidates(cands, true))
	}
	return out
}

// dominant reports whether the first (most important) candidate's population is known
// and at least ReconcileDominance times every other's, all known.
func dominant(cands []candidate) bool {
	top := cands[0].Population
	if top == nil {
		return false
	}
	for _, c := range cands[1:] {
		if c.Population == nil || *top < ReconcileDominance*(*c.Population) || *top == 0 {
			return false
		}
	}
	return true
}

// listCandidates names each candidate for a refusal: its GeoNames id or id, name,
// division, population and partnerships, and distance when coordinates were given.
func listCandidates(cands []candidate, located bool) string {
	parts := make([]string, len(cands))
	for i, c := range cands {
		id := "id " + *c.ID
		if c.GeoNames != nil {
			id = fmt.Sprintf("GeoNames %d (id %s)", *c.GeoNames, *c.ID)
		}
		pop := "population unknown"
		if c.Population != nil {
			pop = fmt.Sprintf("population %d", *c.Population)
		}
		// A city without a division (not from GeoNames) is listed as before divisions.
		div := ""
		switch {
		case c.Admin1 != nil && c.Division != nil:
			div = fmt.Sprintf(", division %s %q", *c.Admin1, *c.Division)
		case c.Admin1 != nil:
			div = ", division " + *c.Admin1
		}
		s := fmt.Sprintf("%s %q%s, %s, %d partnerships", id, deref(c.Name), div, pop, deref(c.Partners))
		if located {
			if c.Km != nil {
				s += fmt.Sprintf(", %.1f km away", *c.Km)
			} else {
				s += ", no coordinates"
			}
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// createdKey is the key of the city an import creates for a reference by name: derived
// from the country, the division's admin1 code (when given) and the name in lower
// case, so that every reference of one file to the same new city names one city, and
// the same line imported twice names the same city (the second import finds it by
// name anyway). Without a division the key is what it was before divisions existed.
func createdKey(country, admin1 string, r knowledge.Ref) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s\x00%s", country, strings.ToLower(r.Name))
	if admin1 != "" {
		fmt.Fprintf(h, "\x00%s", admin1)
	}
	return "named-" + strings.ToLower(country) + "-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// createdCities are the cities the import creates for references by name, one per
// distinct key, each on the first line that asks for it, citing that line's sources.
func (w *batchWriter) createdCities() []knowledge.CityRecord {
	if len(w.named) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []knowledge.CityRecord
	add := func(r knowledge.Ref, line int, sources []knowledge.Ref) {
		rc, ok := w.named[r]
		if !ok || rc.created == "" || seen[rc.created] {
			return
		}
		seen[rc.created] = true
		c := knowledge.CityRecord{Entry: knowledge.Entry{Line: line}, Key: rc.created, Name: r.Name, Country: knowledge.Ref{Code: rc.country},
			Admin1: rc.admin1, Sources: sources}
		if r.Located {
			lat, lon := r.Lat, r.Lon
			c.Latitude, c.Longitude = &lat, &lon
		}
		out = append(out, c)
	}
	b := w.b
	for _, o := range b.Officials {
		if o.City != nil {
			add(*o.City, o.Line, o.Sources)
		}
	}
	for _, in := range b.Institutions {
		add(in.City, in.Line, in.Sources)
	}
	for _, a := range b.Agreements {
		if a.SignedIn != nil {
			add(*a.SignedIn, a.Line, a.Sources)
		}
		for _, p := range a.Parties {
			add(p, a.Line, a.Sources)
		}
		for _, s := range a.Signatories {
			add(s.Party, a.Line, a.Sources)
		}
	}
	for _, p := range b.Partnerships {
		for _, c := range p.Cities {
			add(c, p.Line, p.Sources)
		}
	}
	for _, f := range b.Figures {
		add(f.City, f.Line, []knowledge.Ref{f.Source})
	}
	for _, st := range b.Statements {
		if kind, r, n := st.Subject.Of(); n == 1 && kind == knowledge.KindCity {
			add(r, st.Line, []knowledge.Ref{st.Source})
		}
	}
	return out
}

// sqlFloat is a float that may be NULL in an array parameter.
type sqlFloat struct {
	v  float64
	ok bool
}

// floatArray renders floats as a Postgres array literal, NULL where not set.
func floatArray(fs []sqlFloat) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			sb.WriteByte(',')
		}
		if !f.ok || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			sb.WriteString("NULL")
		} else {
			fmt.Fprintf(&sb, "%g", f.v)
		}
	}
	sb.WriteByte('}')
	return sb.String()
}
