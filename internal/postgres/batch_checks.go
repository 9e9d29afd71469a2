package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// The batch writer's checks against the stored facts, for what a mutation brings that
// a file does not (an expected version, lists stated whole) and for the relationship
// rules of knowledge/rules.go, which hold whichever way a fact arrives: the store
// gathers the facts as they are once the batch is written, inside its transaction,
// and the domain's rules judge them.

// stageAndLock locks the stored rows the batch's records update (those that state
// the version they were read at) and checks those versions (knowledge.CheckVersion),
// in one statement with the mutation's staging inserts (insertIn) and the look-up of
// the stored rows its references name (checkExternal's question): a round trip costs a
// mutation more than the work of any of them on a busy server. Locking first makes a
// concurrent update of the same row wait here, before anything is written.
func (w *batchWriter) stageAndLock(ctx context.Context) error {
	want := map[string]map[uuid.UUID]knowledge.Entry{}
	w.b.EachEntry(func(kind string, e knowledge.Entry) {
		if e.Version != nil {
			if want[kind] == nil {
				want[kind] = map[uuid.UUID]knowledge.Entry{}
			}
			want[kind][e.ID] = e
		}
	})
	ctes := make([]string, 0, len(w.stage.inserts)+len(want))
	args := w.stage.args
	var locked []string
	for _, k := range bulkKinds {
		entries := want[k.kind]
		if len(entries) == 0 {
			continue
		}
		ids := make([]string, 0, len(entries))
		for id := range entries {
			ids = append(ids, id.String())
		}
		args = append(args, pq.Array(ids))
		name := fmt.Sprintf("v%d", len(locked))
		ctes = append(ctes, fmt.Sprintf(`%s AS (SELECT id, version FROM %s WHERE id = ANY($%d::uuid[]) ORDER BY id FOR UPDATE)`,
			name, k.table, len(args)))
		locked = append(locked, fmt.Sprintf(`SELECT '%s' AS kind, id, version FROM %s`, k.kind, name))
	}
	// The references staged are looked up in the same statement (checkExternal's
	// question, asked of the rows the insert returns): one round trip fewer.
	refs := -1
	for i, insert := range w.stage.inserts {
		q := insert.sql
		if insert.table == "imp_refs" {
			refs, q = i, q+" RETURNING *"
		}
		ctes = append(ctes, fmt.Sprintf("s%d AS (%s)", i, q))
	}
	if len(ctes) == 0 {
		return nil
	}
	if refs >= 0 {
		locked = append(locked, fmt.Sprintf(`SELECT '' AS kind, NULL::uuid AS id, r.no AS version FROM s%d r WHERE %s`, refs, unknownRef))
	}
	if len(locked) == 0 {
		locked = append(locked, `SELECT '' AS kind, NULL::uuid AS id, 0 AS version WHERE false`)
	}
	var rows []struct {
		Kind    string    `db:"kind"`
		ID      uuid.UUID `db:"id"`
		Version int       `db:"version"`
	}
	q := "WITH " + strings.Join(ctes, ",\n") + "\n" + strings.Join(locked, "\nUNION ALL ")
	if err := w.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return fmt.Errorf("stage and lock: %w", err)
	}
	w.stage.inserts, w.stage.args = nil, nil
	versions := map[string]map[uuid.UUID]int{}
	var missing []int
	for _, r := range rows {
		if r.Kind == "" { // an unknown reference, numbered in version
			missing = append(missing, r.Version)
			continue
		}
		if versions[r.Kind] == nil {
			versions[r.Kind] = map[uuid.UUID]int{}
		}
		versions[r.Kind][r.ID] = r.Version
	}
	for _, k := range bulkKinds {
		what := strings.ToLower(k.typ)
		for id, e := range want[k.kind] {
			stored, found := versions[k.kind][id]
			w.ps.Rule(e.Line, k.kind, func(p *knowledge.Problems) { knowledge.CheckVersion(p, what, found, stored, *e.Version) })
		}
	}
	if refs >= 0 {
		slices.Sort(missing)
		w.unknown(missing)
		w.refsChecked = true
	}
	return nil
}

// replaces reports whether a record of the kind states the list whole.
func (w *batchWriter) replaces(kind, list string) bool {
	if w.replacing == nil {
		w.replacing = map[[2]string]bool{}
		w.b.EachEntry(func(k string, e knowledge.Entry) {
			for _, l := range e.Replace {
				w.replacing[[2]string{k, l}] = true
			}
		})
	}
	return w.replacing[[2]string{kind, list}]
}

// replaceLists removes, for the records that state a list whole, what is stored
// beyond it; the links step then adds what is new. An agreement's kept signatures
// must stay for parties (knowledge.SignatoriesStayParties), checked before the parties
// go, since a signature goes with its party.
func (w *batchWriter) replaceLists(ctx context.Context) error {
	for _, k := range []struct{ kind, table, col, temp string }{
		{knowledge.KindCity, "city_names", "city_id", "imp_cities"},
		{knowledge.KindOfficial, "official_names", "official_id", "imp_officials"},
	} {
		if !w.replaces(k.kind, "names") {
			continue
		}
		if err := w.link(ctx, k.table, k.kind, fmt.Sprintf(`
DELETE FROM %[1]s t USING %[3]s e
WHERE t.%[2]s = e.target AND 'names' = ANY(e.replace)
    AND NOT EXISTS (SELECT 1 FROM unnest(e.name_langs, e.names) AS n(language, name) WHERE n.language = t.language AND n.name = t.name)
RETURNING t.%[2]s AS id`, k.table, k.col, k.temp)); err != nil {
			return err
		}
	}
	if w.replaces(knowledge.KindInstitution, "agreements") {
		if err := w.link(ctx, "institution_agreements", knowledge.KindInstitution, `
DELETE FROM institution_agreements t USING imp_institutions e
WHERE t.institution_id = e.target AND 'agreements' = ANY(e.replace)
    AND NOT EXISTS (SELECT 1 FROM imp_links l JOIN imp_refs r ON r.no = l.ref
        WHERE l.subject = e.id AND l.kind = 'institution' AND l.rel = 'agreement' AND r.target = t.agreement_id)
RETURNING t.institution_id AS id`); err != nil {
			return err
		}
	}
	if w.replaces(knowledge.KindAgreement, "parties") {
		if err := w.signaturesStayParties(ctx); err != nil || w.ps.Len() > 0 {
			return err
		}
	}
	for _, d := range []struct{ list, table, match string }{
		{"signatories", "signatories", "JOIN imp_refs r ON r.no = l.ref WHERE l.rel = 'signatory' AND r.target = t.official_id"},
		{"areas", "agreement_areas", "WHERE l.rel = 'area' AND l.txt = t.area"},
	} {
		if !w.replaces(knowledge.KindAgreement, d.list) {
			continue
		}
		if err := w.link(ctx, d.table, knowledge.KindAgreement, fmt.Sprintf(`
DELETE FROM %s t USING imp_agreements e
WHERE t.agreement_id = e.target AND '%s' = ANY(e.replace)
    AND NOT EXISTS (SELECT 1 FROM imp_links l %s AND l.subject = e.id)
RETURNING t.agreement_id AS id`, d.table, d.list, d.match)); err != nil {
			return err
		}
	}
	if !w.replaces(knowledge.KindAgreement, "parties") {
		return nil
	}
	// The cities that stop being parties are kept for the change notification: their
	// lists of agreements change too.
	w.staged["imp_former"] = true
	n, err := w.execCount(ctx, "replace agreement_parties", `
WITH d AS (
    DELETE FROM agreement_parties t USING imp_agreements e
    WHERE t.agreement_id = e.target AND 'parties' = ANY(e.replace)
        AND NOT EXISTS (SELECT 1 FROM imp_links l JOIN imp_refs r ON r.no = l.ref
            WHERE l.subject = e.id AND l.rel = 'party' AND r.target = t.city_id)
    RETURNING t.agreement_id, t.city_id
), f AS (
    INSERT INTO imp_former (id, city) SELECT agreement_id, city_id FROM d
)
INSERT INTO imp_changed (id, kind, created, linked)
SELECT DISTINCT agreement_id, 'agreement', false, true FROM d
WHERE NOT EXISTS (SELECT 1 FROM imp_changed c WHERE c.id = d.agreement_id)`)
	w.changed.note(knowledge.KindAgreement, true, n)
	return err
}

// signaturesStayParties checks, for agreements given new parties and not new
// signatories, that the signatures kept are for cities among the new parties.
func (w *batchWriter) signaturesStayParties(ctx context.Context) error {
	var rows []struct {
		Line    int            `db:"line"`
		Parties pq.StringArray `db:"parties"`
		Kept    pq.StringArray `db:"kept"`
	}
	const q = `
SELECT e.line,
    ARRAY(SELECT r.target FROM imp_links l JOIN imp_refs r ON r.no = l.ref WHERE l.subject = e.id AND l.rel = 'party')::text[] AS parties,
    ARRAY(SELECT s.party_city_id FROM signatories s WHERE s.agreement_id = e.target)::text[] AS kept
FROM imp_agreements e
WHERE 'parties' = ANY(e.replace) AND NOT 'signatories' = ANY(e.replace)`
	if err := w.tx.SelectContext(ctx, &rows, q); err != nil {
		return fmt.Errorf("check agreement parties: %w", err)
	}
	for _, r := range rows {
		kept := make([]knowledge.SignatoryWrite, len(r.Kept))
		for i, c := range r.Kept {
			kept[i].PartyID = uuid.MustParse(c)
		}
		w.ps.Rule(r.Line, "agreement", func(p *knowledge.Problems) {
			knowledge.SignatoriesStayParties(p, knowledge.Path("parties"), uuids(r.Parties), kept)
		})
	}
	return nil
}

// checkRules holds the batch's agreements, officials and partnerships, as stored once
// written, to the relationship rules. Only rows that may break a rule are read; the
// officials and agreements a rule reads are share-locked first, so that no write can
// move them between the check and the commit.
func (w *batchWriter) checkRules(ctx context.Context) error {
	b := w.b
	// Only what the batch states can break a rule: signatures it gives, parties it
	// replaces, an official it moves, an agreement it puts a partnership on. Parties a
	// file adds, or fields beside these, keep every rule as it held.
	signing, tied := w.replaces(knowledge.KindAgreement, "parties"), w.replaces(knowledge.KindAgreement, "parties")
	for _, a := range b.Agreements {
		signing = signing || len(a.Signatories) > 0 || a.Replaces("signatories")
	}
	for _, o := range b.Officials {
		signing = signing || o.City != nil || slices.Contains(o.Cleared, "city")
	}
	for _, p := range b.Partnerships {
		tied = tied || p.Agreement != nil
	}
	if signing {
		if err := w.exec(ctx, "lock signing officials", `
SELECT 1 FROM officials o
WHERE o.id IN (SELECT s.official_id FROM signatories s JOIN imp_agreements e ON s.agreement_id = e.target)
ORDER BY o.id FOR SHARE`); err != nil {
			return err
		}
		var signs []struct {
			Line       int            `db:"line"`
			Kind       string         `db:"kind"`
			Position   int            `db:"position"`
			Represents *uuid.UUID     `db:"represents"`
			Party      uuid.UUID      `db:"party"`
			Parties    pq.StringArray `db:"parties"`
		}
		const q = `
SELECT e.line, 'agreement' AS kind, s.position, o.city_id AS represents, s.party_city_id AS party,
    ARRAY(SELECT p.city_id FROM agreement_parties p WHERE p.agreement_id = s.agreement_id)::text[] AS parties
FROM imp_agreements e JOIN signatories s ON s.agreement_id = e.target JOIN officials o ON o.id = s.official_id
WHERE o.city_id IS DISTINCT FROM s.party_city_id
UNION ALL
SELECT e.line, 'official', 0, o.city_id, s.party_city_id, '{}'
FROM imp_officials e JOIN officials o ON o.id = e.target JOIN signatories s ON s.official_id = o.id
WHERE o.city_id IS DISTINCT FROM s.party_city_id
ORDER BY 1, 3`
		if err := w.tx.SelectContext(ctx, &signs, q); err != nil {
			return fmt.Errorf("check signatories: %w", err)
		}
		for _, s := range signs {
			if s.Kind == knowledge.KindOfficial {
				city := uuid.Nil
				if s.Represents != nil {
					city = *s.Represents
				}
				w.ps.Rule(s.Line, "official", func(p *knowledge.Problems) {
					knowledge.RepresentsParty(p, knowledge.Path("city"), city, []uuid.UUID{s.Party})
				})
				continue
			}
			w.ps.Rule(s.Line, "agreement", func(p *knowledge.Problems) {
				knowledge.SignsForOwnCity(p, knowledge.Path("signatories", s.Position), s.Represents, s.Party, uuids(s.Parties))
			})
		}
	}
	if !tied {
		return nil
	}
	if err := w.exec(ctx, "lock partnership agreements", `
SELECT 1 FROM agreements a
WHERE a.id IN (SELECT p.agreement_id FROM partnerships p JOIN imp_partnerships e ON p.id = e.target)
ORDER BY a.id FOR SHARE`); err != nil {
		return err
	}
	var ties []struct {
		Line    int            `db:"line"`
		Kind    string         `db:"kind"`
		A       uuid.UUID      `db:"city_a_id"`
		B       uuid.UUID      `db:"city_b_id"`
		Parties pq.StringArray `db:"parties"`
	}
	const q = `
SELECT line, kind, city_a_id, city_b_id, ARRAY(SELECT ap.city_id FROM agreement_parties ap WHERE ap.agreement_id = t.agreement_id)::text[] AS parties
FROM (
    SELECT e.line, 'partnership' AS kind, p.city_a_id, p.city_b_id, p.agreement_id
    FROM imp_partnerships e JOIN partnerships p ON p.id = e.target WHERE p.agreement_id IS NOT NULL
    UNION ALL
    SELECT e.line, 'agreement', p.city_a_id, p.city_b_id, p.agreement_id
    FROM imp_agreements e JOIN partnerships p ON p.agreement_id = e.target WHERE 'parties' = ANY(e.replace)
) t
WHERE NOT EXISTS (SELECT 1 FROM agreement_parties ap WHERE ap.agreement_id = t.agreement_id AND ap.city_id = t.city_a_id)
    OR NOT EXISTS (SELECT 1 FROM agreement_parties ap WHERE ap.agreement_id = t.agreement_id AND ap.city_id = t.city_b_id)
ORDER BY 1`
	if err := w.tx.SelectContext(ctx, &ties, q); err != nil {
		return fmt.Errorf("check partnerships: %w", err)
	}
	for _, t := range ties {
		if t.Kind == knowledge.KindAgreement {
			w.ps.Rule(t.Line, "agreement", func(p *knowledge.Problems) {
				knowledge.PartnersStayParties(p, knowledge.Path("parties"), uuids(t.Parties), [][2]uuid.UUID{{t.A, t.B}})
			})
			continue
		}
		w.ps.Rule(t.Line, "partnership", func(p *knowledge.Problems) {
			knowledge.AgreementJoinsPartners(p, knowledge.Path("agreement"), [2]uuid.UUID{t.A, t.B}, uuids(t.Parties))
		})
	}
	return nil
}

func uuids(ss []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ss))
	for _, s := range ss {
		if id, err := uuid.Parse(s); err == nil {
			out = append(out, id)
		}
	}
	return out
}
