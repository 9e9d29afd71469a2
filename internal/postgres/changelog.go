package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// Bulk writes (an import file, the shipped knowledge) are writes like the mutations: a
// created or changed entity gets a new version, an audit entry and a change
// notification. They do it set-wise, from a staging table of what they created or
// changed (changedTable), in their own transaction, after their rows are written:
// recordChanges bumps the versions of the entities that gained only names, citations
// or links (an entity whose own row changed got its new version in the same statement
// that changed it), writes one audit entry per entity in one statement per kind, and
// announces each kind's entries with one notification per action (knowledge.BulkChange), so that
// a file of 100,000 rows sends at most two notifications per kind, not 100,000.

// changedTable is the staging table of the entities a bulk write created or changed:
// created (a new row) or not; before and after, the row as it was stored and as it is
// written, for an entity whose own row the write changed (set by the statement that
// changed it, NULL otherwise); linked, an existing entity of which only names,
// citations or links changed.
const changedTable = `CREATE TEMP TABLE IF NOT EXISTS imp_changed (id uuid NOT NULL, kind text NOT NULL, created bool NOT NULL,
    before jsonb, after jsonb, linked bool NOT NULL DEFAULT false) ON COMMIT PRESERVE ROWS`

// bulkKind is how a bulk write's entity kind is stored, audited and announced.
type bulkKind struct {
	kind      string // knowledge.Kind…, as imp_changed.kind holds it
	table     string
	typ       string // the audit log's entity type: the GraphQL type name
	change    string // Change.Entity
	versioned bool   // the table has a version column
}

// bulkKinds are the kinds in the order their changes are recorded: parents first, as
// they are written.
var bulkKinds = []bulkKind{
	{knowledge.KindSource, "sources", sourcesTable.typ, ChangeSource, true},
	{knowledge.KindCountry, "countries", "Country", ChangeCountry, false},
	{knowledge.KindDivision, "divisions", "Division", ChangeDivision, false},
	{knowledge.KindCity, "cities", citiesTable.typ, ChangeCity, true},
	{knowledge.KindOfficial, "officials", officialsTable.typ, ChangeOfficial, true},
	{knowledge.KindInstitution, "institutions", institutionsTable.typ, ChangeInstitution, true},
	{knowledge.KindAgreement, "agreements", agreementsTable.typ, ChangeAgreement, true},
	{knowledge.KindPartnership, "partnerships", partnershipsTable.typ, ChangePartnership, true},
	{knowledge.KindFigure, "reported_figures", "ReportedFigure", ChangeFigure, false},
}

// versioned reports whether a staged kind's table has a version column.
func versioned(table string) bool {
	for _, k := range bulkKinds {
		if k.table == table {
			return k.versioned
		}
	}
	return false
}

// bulkKindOfChange is the kind a change's entity names, for reading a bulk change.
func bulkKindOfChange(entity string) (bulkKind, bool) {
	for _, k := range bulkKinds {
		if k.change == entity {
			return k, true
		}
	}
	return bulkKind{}, false
}

// changeOf is the Change.Entity of an entity of the GraphQL type typ.
func changeOf(typ string) string {
	for _, k := range bulkKinds {
		if k.typ == typ {
			return k.change
		}
	}
	return ""
}

// changedKinds holds, per kind, what the statements that fill imp_changed reported
// adding to it: true when some entity of the kind changed by its names, citations or
// links alone (it needs a new version), false when only entities whose own rows were
// written changed. A kind it does not hold has no row in imp_changed.
type changedKinds map[string]bool

// note records that a statement added n rows of kind to imp_changed, linked ones when
// linked.
func (c *changedKinds) note(kind string, linked bool, n int64) {
	if n == 0 {
		return
	}
	if *c == nil {
		*c = changedKinds{}
	}
	(*c)[kind] = (*c)[kind] || linked
}

// recordChanges turns the entities imp_changed holds (of the kinds changed says)
// into new versions, audit entries written under meta (who, with which API key, for
// which request and client mutation id), and change notifications, delivered when the
// transaction commits. Nothing in imp_changed (an unchanged re-import) writes and
// announces nothing.
//
// A file's changes are announced in bulk, one notification per kind and action. A
// mutation's (each) are announced one by one with the cities they concern, as
// LogChanges reads them back, so that a replica's caches drop only what they touch:
// a bulk change empties them.
//
// clear names staging tables the last audit statement empties as it goes (a
// mutation's, whose rows it reads before: the statement's parts share one snapshot),
// which saves the mutation the round trip of clearStaging.
func recordChanges(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, each bool, changed changedKinds, clear []string) error {
	if len(changed) == 0 {
		return nil
	}
	// The joins below go by hash over the whole staging table of a file; its size is
	// all the planner needs to know. A mutation's few rows need no statistics.
	if !each {
		if _, err := tx.ExecContext(ctx, `ANALYZE imp_changed`); err != nil {
			return fmt.Errorf("record changes: %w", err)
		}
	}
	for _, k := range bulkKinds {
		if k.versioned && changed[k.kind] {
			// The row before the new version is what the audit entry shows as before.
			q := fmt.Sprintf(`
WITH b AS (
    UPDATE imp_changed c SET before = to_jsonb(t) FROM %[1]s t
    WHERE c.kind = $1 AND c.linked AND t.id = c.id
    RETURNING c.id
)
UPDATE %[1]s t SET version = t.version + 1, updated_at = now() FROM b WHERE t.id = b.id`, k.table)
			if _, err := tx.ExecContext(ctx, q, k.kind); err != nil {
				return fmt.Errorf("record changes: version %s: %w", k.table, err)
			}
		}
	}
	// Every row lock is taken; the audit entries come last, under the audit log's
	// lock, which the first of them takes (auditKind).
	var audited []bulkKind
	for _, k := range bulkKinds {
		if _, ok := changed[k.kind]; ok {
			audited = append(audited, k)
		}
	}
	for i, k := range audited {
		var empty []string
		if i == len(audited)-1 {
			empty = clear
		}
		if err := auditKind(ctx, tx, meta, k, each, empty); err != nil {
			return err
		}
	}
	return nil
}

// stagedSources is, per kind, the staging table whose srcs column lists the sources
// an entity of the kind cites, for its audit entry.
var stagedSources = map[string]string{
	knowledge.KindCity: "imp_cities", knowledge.KindOfficial: "imp_officials", knowledge.KindInstitution: "imp_institutions",
	knowledge.KindAgreement: "imp_agreements", knowledge.KindPartnership: "imp_partnerships",
}

// changeCities is the SQL array of the cities the change an audit entry a records
// concerns (a.entity_id, a.before, a.after; typ the entity's type): a partnership's two
// cities, an agreement's parties (and those formerParties, a query, adds), a city itself,
// another entity's city, as the entity was and as it is. Live notifications and the
// change log read back (LogChanges) name the same cities.
func changeCities(typ, formerParties string) string {
	return fmt.Sprintf(`array_remove(ARRAY(SELECT DISTINCT x FROM unnest(CASE %s
        WHEN 'Partnership' THEN ARRAY[(a.after->>'city_a_id')::uuid, (a.after->>'city_b_id')::uuid,
            (a.before->>'city_a_id')::uuid, (a.before->>'city_b_id')::uuid]
        WHEN 'Agreement' THEN ARRAY(SELECT p.city_id FROM agreement_parties p WHERE p.agreement_id = a.entity_id %s)
        WHEN 'City' THEN ARRAY[a.entity_id]
        ELSE ARRAY[(a.after->>'city_id')::uuid, (a.before->>'city_id')::uuid] END) AS x), NULL)`, typ, formerParties)
}

// changePayloadSQL is ChangePayload in SQL: the NOTIFY payload of the change an audit
// entry records, given its sequence number, entity id, audit action and cities (a
// uuid[]), with changePayloadArgs as the parameters from $first on. TestChangePayloadSQL
// holds the two together.
func changePayloadSQL(first int, seq, id, action, cities string) string {
	p := func(i int) string { return "$" + strconv.Itoa(first+i) }
	payload := fmt.Sprintf(`jsonb_build_object('seq', %s, 'entity', %s::text, 'action', CASE %s WHEN 'CREATE' THEN %s::text ELSE %s::text END,
        'id', %s, 'cities', to_jsonb(coalesce(%s, '{}')))`, seq, p(0), action, p(1), p(2), id, cities)
	return fmt.Sprintf(`(CASE WHEN octet_length(%[1]s::text) > %[2]s THEN %[1]s || '{"cities": [], "citiesOmitted": true}' ELSE %[1]s END)::text`,
		payload, p(3))
}

// changePayloadArgs are changePayloadSQL's parameters for changes of the entity.
func changePayloadArgs(entity string) []any {
	return []any{entity, knowledge.ChangeCreated, knowledge.ChangeUpdated, maxNotifyPayload}
}

// auditKind writes the audit entries of one kind's changed entities and announces them.
// It empties the staging tables clear names as it goes.
func auditKind(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, k bulkKind, each bool, clear []string) error {
	var deletes strings.Builder
	for i, t := range clear {
		fmt.Fprintf(&deletes, ", d%d AS (DELETE FROM %s)", i, t)
	}
	sources := "'{}'::uuid[]"
	if temp, ok := stagedSources[k.kind]; ok && each {
		sources = fmt.Sprintf(`ARRAY(SELECT DISTINCT r.target FROM %s e CROSS JOIN unnest(e.srcs) AS s(no) JOIN imp_refs r ON r.no = s.no
        WHERE e.target = c.id)`, temp)
	}
	// The statement that wrote an entity's row kept it as written (after); only an
	// entity that gained names or links alone is read back, by its primary key.
	// The audit log's lock (auditLockKey) is taken by the statement itself, before
	// any entry draws its sequence number (a join's rows are made after both of its
	// sides gave one), which saves a mutation a round trip.
	insert := fmt.Sprintf(`
    INSERT INTO audit_log (key_id, actor, action, entity_type, entity_id, before, after, source_ids, client_mutation_id, request_id)
    SELECT $1, $2, CASE WHEN c.created THEN 'CREATE' ELSE 'UPDATE' END, $3, c.id, c.before,
        coalesce(c.after, (SELECT to_jsonb(t) FROM %s t WHERE t.id = c.id)), %s, $5, nullif($6, '')
    FROM imp_changed c CROSS JOIN locked
    WHERE c.kind = $4`, k.table, sources)
	args := []any{meta.Actor.KeyID, meta.Actor.Name, k.typ, k.kind, meta.ClientMutationID, meta.Actor.RequestID, int64(auditLockKey)}
	if each {
		// Each entry's notification goes in the same statement: a mutation's round
		// trips are each a wait on a busy server.
		args = append(append(args, ChangesChannel), changePayloadArgs(k.change)...)
		q := `
WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($7)), a AS (` + insert + `
    RETURNING id, entity_id, action, before, after
)` + deletes.String() + `, c AS (
    SELECT a.id AS seq, a.entity_id AS id, a.action,
        ` + changeCities("$3", "UNION SELECT f.city FROM imp_former f WHERE f.id = a.entity_id") + ` AS cities
    FROM a
)
SELECT c.seq, c.id, c.action, c.cities::text[] AS cities,
    pg_notify($8, ` + changePayloadSQL(9, "c.seq", "c.id", "c.action", "c.cities") + `)::text AS notified
FROM c ORDER BY c.seq`
		var rows []struct {
			Seq      int64          `db:"seq"`
			ID       uuid.UUID      `db:"id"`
			Action   string         `db:"action"`
			Cities   pq.StringArray `db:"cities"`
			Notified string         `db:"notified"` // pg_notify's result, nothing
		}
		if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
			return fmt.Errorf("record changes: audit %s: %w", k.table, err)
		}
		for _, r := range rows {
			notified(tx, knowledge.Change{Seq: r.Seq, Entity: k.change, Action: changeAction(r.Action), ID: r.ID, Cities: parseCities(r.Cities)})
		}
		return nil
	}
	q := `
WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($7)), a AS (` + insert + `
    RETURNING id, action
)` + deletes.String() + `
SELECT action, min(id) AS first, max(id) AS last, count(*) AS count FROM a GROUP BY action ORDER BY action`
	var runs []struct {
		Action string `db:"action"`
		First  int64  `db:"first"`
		Last   int64  `db:"last"`
		Count  int64  `db:"count"`
	}
	if err := tx.SelectContext(ctx, &runs, q, args...); err != nil {
		return fmt.Errorf("record changes: audit %s: %w", k.table, err)
	}
	for _, r := range runs {
		c := knowledge.Change{Entity: k.change, Action: changeAction(r.Action),
			Bulk: &knowledge.BulkChange{Actor: meta.Actor.Name, First: r.First, Last: r.Last, Count: r.Count}}
		if err := NotifyChange(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}
