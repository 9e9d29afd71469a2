package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// undeterminedLanguage tags the merged city's own name when it becomes one of the
// survivor's other names: cities.name keeps no language, and BCP 47's "und" says so
// (the GeoNames import tags the names it cannot place the same way).
const undeterminedLanguage = "und"

// MergeCities joins two records of one city (docs/cities.md, "Merging cities"): the
// merged city's names, citations, statements, partnerships, agreements (as a party, a
// signatory's party and the place of signing), institutions, officials and reported
// figures move to the survivor; a value the survivor lacks (population, location,
// Wikidata or GeoNames id) moves too, and one where the two differ stays the
// survivor's, the merged city's becoming a statement about the survivor that cites the
// merged city's sources. The merged city's row is deleted, city_merges keeps its id
// answering with the survivor, and both cities get a MERGE audit entry; every entity
// that moved gets a new version and an UPDATE entry, and a change notification goes
// out for each, the two cities included.
//
// Problems come back as a *knowledge.InputError and change nothing: NOT_FOUND
// (survivor, merged), STALE_VERSION (survivorVersion, mergedVersion), CONFLICT (merged:
// the two cities are partners, or parties to one agreement, which a merge would make a
// city's tie with itself), MISSING_SOURCE (sources: a differing value that no source
// could be cited for), INVALID.
func (db *DB) MergeCities(ctx context.Context, meta knowledge.WriteMeta, m knowledge.CityMerge) (knowledge.CityMergeResult, error) {
	var moved knowledge.CityMergeCounts
	res, err := db.writeTx(ctx, meta, "mergeCities", citiesTable.typ, m.SurvivorID, m, func(tx *sqlx.Tx, p *knowledge.Problems) error {
		moved = knowledge.CityMergeCounts{}
		mg := &merger{db: db, ctx: ctx, tx: tx, meta: meta, m: m, p: p, moved: &moved}
		return mg.run()
	})
	if err != nil {
		return knowledge.CityMergeResult{}, err
	}
	out := knowledge.CityMergeResult{WriteResult: res}
	if !res.Replayed {
		out.Moved = &moved
	}
	return out, nil
}

// mergeCity is one of the two cities as the merge locked it.
type mergeCity struct {
	ID          uuid.UUID `db:"id"`
	Row         []byte    `db:"row"`
	Version     int       `db:"version"`
	Name        string    `db:"name"`
	Country     string    `db:"code"`
	Population  *int64    `db:"population"`
	Latitude    *float64  `db:"latitude"`
	Longitude   *float64  `db:"longitude"`
	WikidataQID *string   `db:"wikidata_qid"`
	GeonamesID  *int64    `db:"geonames_id"`
}

// lockedRow is an entity that moves with the merge, as it was before.
type lockedRow struct {
	ID     uuid.UUID `db:"id"`
	Before []byte    `db:"row"`
}

// mergedPartnership is a partnership of the merged city, locked, with the partnership
// the survivor already has with the same partner and of the same kind, if any (its
// twin, into which it is joined).
type mergedPartnership struct {
	lockedRow
	Kind      string     `db:"kind"`
	Partner   uuid.UUID  `db:"partner"`
	Since     *time.Time `db:"since"`
	Until     *time.Time `db:"until"`
	Agreement *uuid.UUID `db:"agreement_id"`

	TwinID        *uuid.UUID
	TwinBefore    []byte
	TwinSince     *time.Time
	TwinUntil     *time.Time
	TwinAgreement *uuid.UUID
}

// conflict is a value of the merged entity that differs from the survivor's: property
// is the name of the field as the schema spells it, value the merged one as text.
type conflict struct{ property, value string }

// merger runs one merge inside its transaction.
type merger struct {
	db    *DB
	ctx   context.Context
	tx    *sqlx.Tx
	meta  knowledge.WriteMeta
	m     knowledge.CityMerge
	p     *knowledge.Problems
	moved *knowledge.CityMergeCounts

	survivor, merged mergeCity
	// sources are the merge's own sources (the input's), for the audit entries.
	sources []uuid.UUID
	// reason is the audit entries' reason for the entities that move.
	reason string
	// partners are the other cities whose lists the merge changes.
	partners []uuid.UUID
	// keptQID and keptGN are the merged city's identifiers that differ from the
	// survivor's: statements now, and still a way to the survivor (city_merges).
	keptQID *string
	keptGN  *int64

	officials, institutions, agreements []lockedRow
	partnerships                        []mergedPartnership
}

func (mg *merger) run() error {
	mg.m.Check(mg.p)
	if mg.p.Any() {
		return nil
	}
	// An import resolves references to cities by id before it writes: one in flight
	// could still write a fact of the merged city after the merge moved the others.
	// Imports hold this lock from start to commit, so the merge waits for them.
	if _, err := mg.tx.ExecContext(mg.ctx, `SELECT pg_advisory_xact_lock($1)`, batchLockKey); err != nil {
		return err
	}
	if ok, err := mg.lockCities(); err != nil || !ok {
		return err
	}
	if ok, err := mg.refuseTies(); err != nil || !ok {
		return err
	}
	// Every row the merge changes is locked before anything is written or audited:
	// the audit log's lock is taken last (auditLockKey).
	if err := mg.lockDependents(); err != nil {
		return err
	}
	var err error
	if mg.sources, err = mg.db.resolveSources(mg.ctx, mg.tx, mg.meta, mg.m.Sources, mg.p); err != nil || mg.p.Any() {
		return err
	}
	mg.reason = fmt.Sprintf("city %s (%s) was merged into city %s (%s)",
		knowledge.GlobalID(knowledge.TypeCity, mg.merged.ID), mg.merged.Name, knowledge.GlobalID(knowledge.TypeCity, mg.survivor.ID), mg.survivor.Name)
	if mg.m.Reason != nil && strings.TrimSpace(*mg.m.Reason) != "" {
		mg.reason += ": " + *mg.m.Reason
	}
	for _, step := range []func() error{mg.fields, mg.names, mg.citations, mg.cityStatements, mg.agreementsMove,
		mg.officialsMove, mg.institutionsMove, mg.partnershipsMove, mg.figures, mg.record} {
		if err := step(); err != nil || mg.p.Any() {
			return err
		}
	}
	return mg.audit()
}

// lockCities locks both cities, in id order so that two merges of the same pair
// cannot deadlock, and checks their versions.
func (mg *merger) lockCities() (bool, error) {
	const q = `SELECT c.id, to_jsonb(c) AS row, c.version, c.name, k.code, c.population, c.latitude, c.longitude,
    c.wikidata_qid, c.geonames_id
FROM cities c JOIN countries k ON k.id = c.country_id
WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR UPDATE OF c`
	var rows []mergeCity
	if err := mg.tx.SelectContext(mg.ctx, &rows, q, pq.Array(uuidStrings([]uuid.UUID{mg.m.SurvivorID, mg.m.MergedID}))); err != nil {
		return false, err
	}
	found := map[uuid.UUID]mergeCity{}
	for _, r := range rows {
		found[r.ID] = r
	}
	for _, c := range []struct {
		id            uuid.UUID
		version       int
		field, vfield string
		into          *mergeCity
	}{
		{mg.m.SurvivorID, mg.m.SurvivorVersion, "survivor", "survivorVersion", &mg.survivor},
		{mg.m.MergedID, mg.m.MergedVersion, "merged", "mergedVersion", &mg.merged},
	} {
		r, ok := found[c.id]
		switch {
		case !ok:
			var into *uuid.UUID
			if err := mg.tx.GetContext(mg.ctx, &into, `SELECT (SELECT survivor_id FROM city_merges WHERE merged_id = $1)`, c.id); err != nil {
				return false, err
			}
			if into != nil {
				mg.p.Add(knowledge.CodeNotFound, knowledge.Path(c.field), "this city was merged into %s already: name that one",
					knowledge.GlobalID(knowledge.TypeCity, *into))
				continue
			}
			mg.p.Add(knowledge.CodeNotFound, knowledge.Path(c.field), "no city has this id")
		case r.Version != c.version:
			mg.p.Add(knowledge.CodeStaleVersion, knowledge.Path(c.vfield),
				"the city is at version %d, not %d: someone changed it since you read it; read it again and check that the merge still holds",
				r.Version, c.version)
		default:
			*c.into = r
		}
	}
	return !mg.p.Any(), nil
}

// refuseTies refuses to merge two cities that are tied to each other: a partnership
// of the two, or an agreement both are parties to, would become a city's tie with
// itself. Such a tie is also the best sign that the two records are two cities; if
// they are one after all, the tie is wrong and is retracted first, with its reason.
func (mg *merger) refuseTies() (bool, error) {
	s, l := mg.survivor.ID, mg.merged.ID
	var ties []struct {
		Type string    `db:"type"`
		ID   uuid.UUID `db:"id"`
		What string    `db:"what"`
	}
	const q = `
SELECT 'Partnership' AS type, id, kind AS what FROM partnerships
WHERE city_a_id = least($1::uuid, $2::uuid) AND city_b_id = greatest($1::uuid, $2::uuid)
UNION ALL
SELECT 'Agreement', a.id, a.title FROM agreements a
WHERE a.id IN (SELECT agreement_id FROM agreement_parties WHERE city_id = $1)
    AND a.id IN (SELECT agreement_id FROM agreement_parties WHERE city_id = $2)
ORDER BY 1, 2`
	if err := mg.tx.SelectContext(mg.ctx, &ties, q, s, l); err != nil {
		return false, err
	}
	for _, t := range ties {
		what := "a " + t.What + " partnership"
		if t.Type == "Agreement" {
			what = fmt.Sprintf("the agreement %q", t.What)
		}
		mg.p.Add(knowledge.CodeConflict, knowledge.Path("merged"),
			"the two cities are tied to each other by %s (%s), which the merge would make a city's tie with itself: "+
				"two records tied to each other are likely two cities; if they are one, retract the tie first",
			what, knowledge.GlobalID(t.Type, t.ID))
	}
	return !mg.p.Any(), nil
}

// lockDependents locks the officials, institutions, agreements and partnerships that
// move, in the order the other writers take them (an institution before the agreements
// it links, Retract), and the survivor's partnerships they join.
func (mg *merger) lockDependents() error {
	l := mg.merged.ID
	for _, d := range []struct {
		into *[]lockedRow
		q    string
	}{
		{&mg.officials, `SELECT o.id, to_jsonb(o) AS row FROM officials o WHERE o.city_id = $1 ORDER BY o.id FOR UPDATE`},
		{&mg.institutions, `SELECT i.id, to_jsonb(i) AS row FROM institutions i WHERE i.city_id = $1 ORDER BY i.id FOR UPDATE`},
		{&mg.agreements, `SELECT a.id, to_jsonb(a) AS row FROM agreements a
WHERE a.signed_in_id = $1 OR a.id IN (SELECT agreement_id FROM agreement_parties WHERE city_id = $1) ORDER BY a.id FOR UPDATE`},
	} {
		if err := mg.tx.SelectContext(mg.ctx, d.into, d.q, l); err != nil {
			return err
		}
	}
	// The survivor's twins are locked apart: FOR UPDATE cannot lock the nullable side
	// of an outer join.
	const q = `
SELECT p.id, to_jsonb(p) AS row, p.kind, CASE WHEN p.city_a_id = $1 THEN p.city_b_id ELSE p.city_a_id END AS partner,
    p.since, p.until, p.agreement_id
FROM partnerships p WHERE p.city_a_id = $1 OR p.city_b_id = $1 ORDER BY p.id FOR UPDATE`
	if err := mg.tx.SelectContext(mg.ctx, &mg.partnerships, q, l); err != nil {
		return err
	}
	var twins []struct {
		Of        uuid.UUID  `db:"of_id"`
		ID        uuid.UUID  `db:"id"`
		Before    []byte     `db:"row"`
		Since     *time.Time `db:"since"`
		Until     *time.Time `db:"until"`
		Agreement *uuid.UUID `db:"agreement_id"`
	}
	const tq = `
SELECT p.id AS of_id, t.id, to_jsonb(t) AS row, t.since, t.until, t.agreement_id
FROM partnerships p
    JOIN partnerships t ON t.kind = p.kind
        AND t.city_a_id = least($2::uuid, CASE WHEN p.city_a_id = $1 THEN p.city_b_id ELSE p.city_a_id END)
        AND t.city_b_id = greatest($2::uuid, CASE WHEN p.city_a_id = $1 THEN p.city_b_id ELSE p.city_a_id END)
WHERE p.city_a_id = $1 OR p.city_b_id = $1
ORDER BY t.id FOR UPDATE OF t`
	if err := mg.tx.SelectContext(mg.ctx, &twins, tq, l, mg.survivor.ID); err != nil {
		return err
	}
	for _, t := range twins {
		for i := range mg.partnerships {
			if pt := &mg.partnerships[i]; pt.ID == t.Of {
				pt.TwinID, pt.TwinBefore, pt.TwinSince, pt.TwinUntil, pt.TwinAgreement = &t.ID, t.Before, t.Since, t.Until, t.Agreement
			}
		}
	}
	for _, pt := range mg.partnerships {
		mg.partner(pt.Partner)
	}
	return nil
}

// partner records a city whose lists the merge changes.
func (mg *merger) partner(id uuid.UUID) {
	if id != mg.survivor.ID && id != mg.merged.ID && !slices.Contains(mg.partners, id) {
		mg.partners = append(mg.partners, id)
	}
}

// fields gives the survivor the values it lacks, and keeps the merged city's values
// that differ from the survivor's as statements about it.
func (mg *merger) fields() error {
	s, l := mg.survivor, mg.merged
	var conflicts []conflict
	var pop *int64
	var lat, lon *float64
	var qid *string
	var gn *int64
	if l.Population != nil {
		switch {
		case s.Population == nil:
			pop = l.Population
		case *s.Population != *l.Population:
			conflicts = append(conflicts, conflict{"population", strconv.FormatInt(*l.Population, 10)})
		}
	}
	if l.Latitude != nil && l.Longitude != nil {
		switch {
		case s.Latitude == nil:
			lat, lon = l.Latitude, l.Longitude
		case *s.Latitude != *l.Latitude || *s.Longitude != *l.Longitude:
			conflicts = append(conflicts, conflict{"location", strconv.FormatFloat(*l.Latitude, 'f', -1, 64) + ", " +
				strconv.FormatFloat(*l.Longitude, 'f', -1, 64)})
		}
	}
	if l.WikidataQID != nil {
		switch {
		case s.WikidataQID == nil:
			qid = l.WikidataQID
		case *s.WikidataQID != *l.WikidataQID:
			conflicts = append(conflicts, conflict{"externalIds.wikidata", *l.WikidataQID})
			mg.keptQID = l.WikidataQID
		}
	}
	if l.GeonamesID != nil {
		switch {
		case s.GeonamesID == nil:
			gn = l.GeonamesID
		case *s.GeonamesID != *l.GeonamesID:
			conflicts = append(conflicts, conflict{"externalIds.geonames", strconv.FormatInt(*l.GeonamesID, 10)})
			mg.keptGN = l.GeonamesID
		}
	}
	if s.Country != l.Country {
		conflicts = append(conflicts, conflict{"country", l.Country})
	}
	if len(conflicts) > 0 {
		var evidence []uuid.UUID
		if err := mg.tx.SelectContext(mg.ctx, &evidence, `SELECT source_id FROM city_sources WHERE city_id = $1 ORDER BY source_id`, l.ID); err != nil {
			return err
		}
		n, err := mg.keepAsStatements("city_id", s.ID, conflicts, evidence, "the merged city")
		if err != nil || mg.p.Any() {
			return err
		}
		mg.moved.Conflicts += n
	}
	// The identifiers are unique: the merged city lets go of them first.
	if qid != nil || gn != nil {
		if _, err := mg.tx.ExecContext(mg.ctx, `UPDATE cities SET wikidata_qid = NULL, geonames_id = NULL WHERE id = $1`, l.ID); err != nil {
			return err
		}
	}
	const q = `UPDATE cities SET population = coalesce(population, $2), latitude = coalesce(latitude, $3),
    longitude = coalesce(longitude, $4), wikidata_qid = coalesce(wikidata_qid, $5), geonames_id = coalesce(geonames_id, $6),
    version = version + 1, updated_at = now()
WHERE id = $1`
	_, err := mg.tx.ExecContext(mg.ctx, q, s.ID, pop, lat, lon, qid, gn)
	return err
}

// keepAsStatements keeps conflicting values of a merged entity as statements about
// the entity that stays (the subject column and id), one per value and source, after
// the subject's other statements; a statement the subject already has is not repeated.
// The sources are the merged entity's (what), or the merge's own when it cites none;
// with neither, nothing can be cited and the merge is refused (MISSING_SOURCE). It
// returns how many values differed.
func (mg *merger) keepAsStatements(column string, subject uuid.UUID, conflicts []conflict, sources []uuid.UUID, what string) (int, error) {
	if len(sources) == 0 {
		sources = mg.sources
	}
	if len(sources) == 0 {
		props := make([]string, len(conflicts))
		for i, c := range conflicts {
			props[i] = c.property
		}
		mg.p.Add(knowledge.CodeMissingSource, knowledge.Path("sources"),
			"%s cites no source, and its %s differ(s) from what the survivor holds: cite a source for the merge, so that its values can be kept as statements",
			what, strings.Join(props, ", "))
		return 0, nil
	}
	props, values := make([]string, len(conflicts)), make([]string, len(conflicts))
	for i, c := range conflicts {
		props[i], values[i] = c.property, c.value
	}
	q := fmt.Sprintf(`
INSERT INTO statements (%[1]s, property, value, source_id, position)
SELECT $1, c.property, c.value, s.source,
    (SELECT coalesce(max(position) + 1, 0) FROM statements WHERE %[1]s = $1) + (row_number() OVER (ORDER BY c.o, s.so) - 1)::int
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS c(property, value, o)
    CROSS JOIN unnest($4::uuid[]) WITH ORDINALITY AS s(source, so)
WHERE NOT EXISTS (SELECT 1 FROM statements x
    WHERE x.%[1]s = $1 AND x.property = c.property AND x.value = c.value AND x.source_id = s.source)`, column)
	_, err := mg.tx.ExecContext(mg.ctx, q, subject, pq.Array(props), pq.Array(values), pq.Array(uuidStrings(sources)))
	return len(conflicts), err
}

// names gives the survivor the merged city's other names (a name it already has
// keeps its source, or takes the merged one's when it had none), and the merged
// city's own name unless one of the survivor's names already folds to it.
func (mg *merger) names() error {
	s, l := mg.survivor.ID, mg.merged.ID
	const q = `
WITH moved AS (
    INSERT INTO city_names AS t (city_id, language, name, source_id)
    SELECT $1, language, name, source_id FROM city_names WHERE city_id = $2
    ON CONFLICT (city_id, language, name) DO UPDATE SET source_id = excluded.source_id
    WHERE t.source_id IS NULL AND excluded.source_id IS NOT NULL
    RETURNING (xmax = 0) AS added
)
SELECT count(*) FILTER (WHERE added) FROM moved`
	var added int
	if err := mg.tx.GetContext(mg.ctx, &added, q, s, l); err != nil {
		return err
	}
	const own = `
INSERT INTO city_names (city_id, language, name)
SELECT $1, $2, $3
WHERE amity_fold($3) <> (SELECT amity_fold(name) FROM cities WHERE id = $1)
    AND NOT EXISTS (SELECT 1 FROM city_names WHERE city_id = $1 AND amity_fold(name) = amity_fold($3))`
	res, err := mg.tx.ExecContext(mg.ctx, own, s, undeterminedLanguage, mg.merged.Name)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	mg.moved.Names = added + int(n)
	return err
}

// citations makes the survivor cite every source the merged city cites.
func (mg *merger) citations() error {
	res, err := mg.tx.ExecContext(mg.ctx, `INSERT INTO city_sources (city_id, source_id)
SELECT $1, source_id FROM city_sources WHERE city_id = $2 ON CONFLICT DO NOTHING`, mg.survivor.ID, mg.merged.ID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	mg.moved.Sources = int(n)
	return err
}

// cityStatements moves the merged city's statements to the survivor.
func (mg *merger) cityStatements() error {
	n, err := moveStatements(mg.ctx, mg.tx, "city_id", mg.merged.ID, mg.survivor.ID)
	mg.moved.Statements = n
	return err
}

// moveStatements moves the statements about one entity (the subject column's from) to
// another (to), after to's own; one that to already has (same property, value and
// source) is dropped instead. It returns how many moved.
func moveStatements(ctx context.Context, tx *sqlx.Tx, column string, from, to uuid.UUID) (int, error) {
	drop := fmt.Sprintf(`DELETE FROM statements x WHERE x.%[1]s = $1 AND EXISTS (SELECT 1 FROM statements y
    WHERE y.%[1]s = $2 AND y.property = x.property AND y.value = x.value AND y.source_id = x.source_id)`, column)
	if _, err := tx.ExecContext(ctx, drop, from, to); err != nil {
		return 0, err
	}
	move := fmt.Sprintf(`UPDATE statements SET %[1]s = $2,
    position = position + (SELECT coalesce(max(position) + 1, 0) FROM statements WHERE %[1]s = $2)
WHERE %[1]s = $1`, column)
	res, err := tx.ExecContext(ctx, move, from, to)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// agreementsMove makes the survivor a party wherever the merged city was one (at its
// place in the list), the signatories who signed for the merged city sign for the
// survivor, and agreements signed in the merged city are signed in the survivor.
func (mg *merger) agreementsMove() error {
	if len(mg.agreements) == 0 {
		return nil
	}
	s, l := mg.survivor.ID, mg.merged.ID
	// A signatory's party is a foreign key into the parties: the survivor becomes a
	// party before the signatures move, and the merged city stops being one after.
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO agreement_parties (agreement_id, city_id, position) SELECT agreement_id, $1, position FROM agreement_parties WHERE city_id = $2`, []any{s, l}},
		{`UPDATE signatories SET party_city_id = $1 WHERE party_city_id = $2`, []any{s, l}},
		{`DELETE FROM agreement_parties WHERE city_id = $1`, []any{l}},
		{`UPDATE agreements SET signed_in_id = $1 WHERE signed_in_id = $2`, []any{s, l}},
	} {
		if _, err := mg.tx.ExecContext(mg.ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	var partners []uuid.UUID
	const q = `SELECT DISTINCT city_id FROM agreement_parties WHERE agreement_id = ANY($1::uuid[]) AND city_id <> $2 ORDER BY city_id`
	if err := mg.tx.SelectContext(mg.ctx, &partners, q, pq.Array(uuidStrings(rowIDs(mg.agreements))), s); err != nil {
		return err
	}
	for _, c := range partners {
		mg.partner(c)
	}
	mg.moved.Agreements = len(mg.agreements)
	return bumpVersions(mg.ctx, mg.tx, agreementsTable, mg.agreements)
}

// officialsMove makes the merged city's officials the survivor's.
func (mg *merger) officialsMove() error {
	mg.moved.Officials = len(mg.officials)
	return mg.moveCityColumn(officialsTable, mg.officials)
}

// institutionsMove makes the merged city's institutions the survivor's.
func (mg *merger) institutionsMove() error {
	mg.moved.Institutions = len(mg.institutions)
	return mg.moveCityColumn(institutionsTable, mg.institutions)
}

func (mg *merger) moveCityColumn(e entity, rows []lockedRow) error {
	if len(rows) == 0 {
		return nil
	}
	q := fmt.Sprintf(`UPDATE %s SET city_id = $1, version = version + 1, updated_at = now() WHERE id = ANY($2::uuid[])`, e.table)
	_, err := mg.tx.ExecContext(mg.ctx, q, mg.survivor.ID, pq.Array(uuidStrings(rowIDs(rows))))
	return err
}

// bumpVersions gives each row a new version: what a client read of it before the
// merge is stale.
func bumpVersions(ctx context.Context, tx *sqlx.Tx, e entity, rows []lockedRow) error {
	q := fmt.Sprintf(`UPDATE %s SET version = version + 1, updated_at = now() WHERE id = ANY($1::uuid[])`, e.table)
	_, err := tx.ExecContext(ctx, q, pq.Array(uuidStrings(rowIDs(rows))))
	return err
}

func rowIDs(rows []lockedRow) []uuid.UUID {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// partnershipsMove moves each of the merged city's partnerships to the survivor, or,
// when the survivor already has one with the same partner and of the same kind (its
// twin), joins it to that one: the twin keeps its values and takes those it lacks, a
// since, until or agreement that differs becomes a statement about it, and it cites
// the joined one's sources and carries its statements.
func (mg *merger) partnershipsMove() error {
	s := mg.survivor.ID
	for _, pt := range mg.partnerships {
		if pt.TwinID == nil {
			const q = `UPDATE partnerships SET city_a_id = least($2::uuid, $3::uuid), city_b_id = greatest($2::uuid, $3::uuid),
    version = version + 1, updated_at = now() WHERE id = $1`
			if _, err := mg.tx.ExecContext(mg.ctx, q, pt.ID, s, pt.Partner); err != nil {
				return err
			}
			mg.moved.Partnerships++
			continue
		}
		if err := mg.join(pt); err != nil || mg.p.Any() {
			return err
		}
		mg.moved.JoinedPartnerships++
	}
	return nil
}

// join joins a partnership of the merged city to its twin, whose id its own keeps
// answering with (partnership_merges).
func (mg *merger) join(pt mergedPartnership) error {
	twin := *pt.TwinID
	since, until, agreement := pt.TwinSince, pt.TwinUntil, pt.TwinAgreement
	var conflicts []conflict
	date := func(t *time.Time) string { return t.Format(time.DateOnly) }
	switch {
	case pt.Since == nil:
	case since == nil && (until == nil || !until.Before(*pt.Since)):
		since = pt.Since
	case since == nil || !since.Equal(*pt.Since):
		conflicts = append(conflicts, conflict{"since", date(pt.Since)})
	}
	switch {
	case pt.Until == nil:
	case until == nil && (since == nil || !pt.Until.Before(*since)):
		until = pt.Until
	case until == nil || !until.Equal(*pt.Until):
		conflicts = append(conflicts, conflict{"until", date(pt.Until)})
	}
	switch {
	case pt.Agreement == nil:
	case agreement == nil:
		agreement = pt.Agreement
	case *agreement != *pt.Agreement:
		conflicts = append(conflicts, conflict{"agreement", knowledge.GlobalID(knowledge.TypeAgreement, *pt.Agreement)})
	}
	if len(conflicts) > 0 {
		var evidence []uuid.UUID
		const q = `SELECT source_id FROM partnership_sources WHERE partnership_id = $1 ORDER BY source_id`
		if err := mg.tx.SelectContext(mg.ctx, &evidence, q, pt.ID); err != nil {
			return err
		}
		n, err := mg.keepAsStatements("partnership_id", twin, conflicts, evidence,
			fmt.Sprintf("the merged city's partnership %s", knowledge.GlobalID(knowledge.TypePartnership, pt.ID)))
		if err != nil || mg.p.Any() {
			return err
		}
		mg.moved.Conflicts += n
	}
	if _, err := mg.tx.ExecContext(mg.ctx, `INSERT INTO partnership_sources (partnership_id, source_id)
SELECT $1, source_id FROM partnership_sources WHERE partnership_id = $2 ON CONFLICT DO NOTHING`, twin, pt.ID); err != nil {
		return err
	}
	if _, err := moveStatements(mg.ctx, mg.tx, "partnership_id", pt.ID, twin); err != nil {
		return err
	}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE partnership_merges SET survivor_id = $1 WHERE survivor_id = $2`, []any{twin, pt.ID}},
		{`DELETE FROM partnerships WHERE id = $1`, []any{pt.ID}},
		{`INSERT INTO partnership_merges (merged_id, survivor_id) VALUES ($1, $2)`, []any{pt.ID, twin}},
	} {
		if _, err := mg.tx.ExecContext(mg.ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	const q = `UPDATE partnerships SET since = $2, until = $3, agreement_id = $4, version = version + 1, updated_at = now() WHERE id = $1`
	_, err := mg.tx.ExecContext(mg.ctx, q, twin, since, until, agreement)
	return err
}

// figures moves the merged city's reported figures. A figure the survivor already has
// (the same metric, date and source) is dropped, and its value, if it differs, kept
// as a statement about the survivor citing the figure's source.
func (mg *merger) figures() error {
	s, l := mg.survivor.ID, mg.merged.ID
	var dups []struct {
		Metric string     `db:"metric"`
		Value  int64      `db:"value"`
		AsOf   *time.Time `db:"as_of"`
		Source uuid.UUID  `db:"source_id"`
	}
	const q = `
WITH dup AS (
    DELETE FROM reported_figures l USING reported_figures s
    WHERE l.city_id = $2 AND s.city_id = $1 AND s.metric = l.metric AND s.as_of IS NOT DISTINCT FROM l.as_of
        AND s.source_id = l.source_id
    RETURNING l.metric, l.value, l.as_of, l.source_id, s.value AS kept
)
SELECT metric, value, as_of, source_id FROM dup WHERE value <> kept ORDER BY metric, as_of, source_id`
	if err := mg.tx.SelectContext(mg.ctx, &dups, q, s, l); err != nil {
		return err
	}
	for _, d := range dups {
		v := strconv.FormatInt(d.Value, 10)
		if d.AsOf != nil {
			v += " as of " + d.AsOf.Format(time.DateOnly)
		}
		n, err := mg.keepAsStatements("city_id", s, []conflict{{"reportedFigures." + d.Metric, v}}, []uuid.UUID{d.Source}, "the figure")
		if err != nil {
			return err
		}
		mg.moved.Conflicts += n
	}
	res, err := mg.tx.ExecContext(mg.ctx, `UPDATE reported_figures SET city_id = $1 WHERE city_id = $2`, s, l)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	mg.moved.Figures = int(n)
	return err
}

// record deletes the merged city's row and keeps its id, and the identifiers that did
// not move to the survivor, answering with the survivor (city_merges). The ids merged
// into the merged city before now answer with the survivor too.
func (mg *merger) record() error {
	s, l := mg.survivor.ID, mg.merged.ID
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE city_merges SET survivor_id = $1 WHERE survivor_id = $2`, []any{s, l}},
		// An identifier names one city: an older merge that kept it gives it up.
		{`UPDATE city_merges SET wikidata_qid = NULL WHERE wikidata_qid = $1`, []any{mg.keptQID}},
		{`UPDATE city_merges SET geonames_id = NULL WHERE geonames_id = $1`, []any{mg.keptGN}},
		{`DELETE FROM cities WHERE id = $1`, []any{l}},
		{`INSERT INTO city_merges (merged_id, survivor_id, actor, wikidata_qid, geonames_id) VALUES ($1, $2, $3, $4, $5)`,
			[]any{l, s, mg.meta.Actor.Name, mg.keptQID, mg.keptGN}},
	} {
		if _, err := mg.tx.ExecContext(mg.ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// audit records the merge: an UPDATE entry and a notification for every entity that
// moved, a MERGE entry for each joined partnership (gone, like the merged city) and
// for both cities, and the cities' notifications: the merged city's as a retraction,
// the survivor's as an update that names every city whose lists changed.
func (mg *merger) audit() error {
	ctx, tx, meta := mg.ctx, mg.tx, mg.meta
	for _, o := range mg.officials {
		if err := finish(ctx, tx, meta, "UPDATE", officialsTable, o.ID, o.Before, mg.sources, &mg.reason); err != nil {
			return err
		}
	}
	for _, in := range mg.institutions {
		if err := finish(ctx, tx, meta, "UPDATE", institutionsTable, in.ID, in.Before, mg.sources, &mg.reason); err != nil {
			return err
		}
	}
	for _, a := range mg.agreements {
		if err := finish(ctx, tx, meta, "UPDATE", agreementsTable, a.ID, a.Before, mg.sources, &mg.reason); err != nil {
			return err
		}
		var cities []uuid.UUID
		if err := tx.SelectContext(ctx, &cities, `SELECT city_id FROM agreement_parties WHERE agreement_id = $1 ORDER BY position`, a.ID); err != nil {
			return err
		}
		cities = append(cities, mg.merged.ID)
		if err := notifyChange(ctx, tx, knowledge.Change{Entity: ChangeAgreement, Action: knowledge.ChangeUpdated, ID: a.ID, Cities: cities}); err != nil {
			return err
		}
	}
	s, l := mg.survivor.ID, mg.merged.ID
	for _, pt := range mg.partnerships {
		id, before := pt.ID, pt.Before
		if pt.TwinID != nil {
			reason := fmt.Sprintf("joined to partnership %s: %s", knowledge.GlobalID(knowledge.TypePartnership, *pt.TwinID), mg.reason)
			if err := auditChange(ctx, tx, meta, "MERGE", partnershipsTable, id, before, nil, mg.sources, &reason,
				knowledge.Change{Entity: ChangePartnership, Action: knowledge.ChangeRetracted, ID: id, Cities: []uuid.UUID{l, pt.Partner}}); err != nil {
				return err
			}
			id, before = *pt.TwinID, pt.TwinBefore
		}
		if err := finish(ctx, tx, meta, "UPDATE", partnershipsTable, id, before, mg.sources, &mg.reason); err != nil {
			return err
		}
		if err := notifyChange(ctx, tx, knowledge.Change{Entity: ChangePartnership, Action: knowledge.ChangeUpdated, ID: id,
			Cities: []uuid.UUID{s, pt.Partner, l}}); err != nil {
			return err
		}
	}
	if err := auditChange(ctx, tx, meta, "MERGE", citiesTable, l, mg.merged.Row, nil, mg.sources, &mg.reason,
		knowledge.Change{Entity: ChangeCity, Action: knowledge.ChangeRetracted, ID: l, Cities: []uuid.UUID{l, s}}); err != nil {
		return err
	}
	after, err := snapshot(ctx, tx, citiesTable, s)
	if err != nil {
		return err
	}
	cities := append([]uuid.UUID{s, l}, mg.partners...)
	err = auditChange(ctx, tx, meta, "MERGE", citiesTable, s, mg.survivor.Row, after, mg.sources, &mg.reason,
		knowledge.Change{Entity: ChangeCity, Action: knowledge.ChangeUpdated, ID: s, Cities: cities})
	return err
}
