package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// Writes follow one path: a transaction; for a retried client mutation id, the first
// call's result instead of a second write; the checks that need the database; the write;
// an audit entry with the entity before and after; a change notification; commit. Any
// problem rolls the whole transaction back, so invalid input changes nothing.

// entity describes one writable table.
type entity struct {
	typ     string // relay type name, as the audit log records it
	table   string
	sources string // the table of its cited sources, "" for sources themselves
	column  string // its id column in that table
}

var (
	citiesTable       = entity{"City", "cities", "city_sources", "city_id"}
	officialsTable    = entity{"Official", "officials", "official_sources", "official_id"}
	agreementsTable   = entity{"Agreement", "agreements", "agreement_sources", "agreement_id"}
	partnershipsTable = entity{"Partnership", "partnerships", "partnership_sources", "partnership_id"}
	institutionsTable = entity{"Institution", "institutions", "institution_sources", "institution_id"}
	sourcesTable      = entity{"Source", "sources", "", ""}
)

// retractable are the entities a retraction may take out of the live graph.
var retractable = map[string]entity{
	"City": citiesTable, "Official": officialsTable, "Agreement": agreementsTable,
	"Partnership": partnershipsTable, "Institution": institutionsTable,
}

// writeTx runs one write, of the entity id (of the type typ, a relay type name, as
// the audit log records it: mutation_requests keeps it beside the id, which alone does
// not say what it names). input is hashed to tell a retry (same input) from a reuse of
// the client mutation id for something else.
func (db *DB) writeTx(ctx context.Context, meta knowledge.WriteMeta, mutation, typ string, id uuid.UUID, input any,
	fn func(tx *sqlx.Tx, p *knowledge.Problems) error) (knowledge.WriteResult, error) {
	var idp knowledge.Problems
	knowledge.CheckClientMutationID(&idp, meta.ClientMutationID)
	if err := idp.Err(); err != nil {
		return knowledge.WriteResult{}, err
	}
	tx, err := db.writer.BeginTxx(ctx, nil)
	if err != nil {
		return knowledge.WriteResult{}, mapError(err)
	}
	defer tx.Rollback()
	pending, forget := collectChanges(tx)
	defer forget()

	if meta.ClientMutationID != nil && meta.Actor.KeyID != nil {
		b, err := json.Marshal(input)
		if err != nil {
			return knowledge.WriteResult{}, err
		}
		hash := sha256.Sum256(append([]byte(mutation+"\x00"), b...))
		prev, err := claimRequest(ctx, tx, meta, previous{Mutation: mutation, RequestHash: hash[:], EntityID: id}, typ)
		if err != nil {
			return knowledge.WriteResult{}, mapError(err)
		}
		if prev != nil {
			if prev.Mutation != mutation || string(prev.RequestHash) != string(hash[:]) {
				var p knowledge.Problems
				p.Add(knowledge.CodeIdempotencyUsed, knowledge.Path("clientMutationId"),
					"this client mutation id was already used for a different %s call; use a new id for a new write", prev.Mutation)
				return knowledge.WriteResult{}, p.Err()
			}
			if err := replayedGone(ctx, tx, mutation, prev.EntityID); err != nil {
				return knowledge.WriteResult{}, err
			}
			return knowledge.WriteResult{ID: prev.EntityID, Replayed: true}, nil
		}
	}

	var p knowledge.Problems
	err = fn(tx, &p)
	if err == nil {
		err = p.Err()
	}
	if err != nil {
		return knowledge.WriteResult{}, writeError(err)
	}
	if err := tx.Commit(); err != nil {
		return knowledge.WriteResult{}, mapError(err)
	}
	db.announceCommitted(*pending)
	return knowledge.WriteResult{ID: id}, nil
}

// replayedGone returns a RETRACTED problem when the entity a replayed write created or
// changed has been retracted since: the replay would otherwise answer a null entity
// and no error, which a client cannot tell from a bug. A replayed retraction is exempt:
// its entity is meant to be gone.
func replayedGone(ctx context.Context, tx *sqlx.Tx, mutation string, id uuid.UUID) error {
	typ := strings.TrimPrefix(strings.TrimPrefix(mutation, "create"), "update")
	e, ok := retractable[typ]
	if !ok || typ == mutation {
		return nil
	}
	gone, err := missing(ctx, tx, e.table, []uuid.UUID{id})
	if err != nil || !gone[id] {
		return mapError(err)
	}
	var at sql.NullTime
	const q = `SELECT max(at) FROM audit_log WHERE entity_id = $1 AND action = 'RETRACT'`
	if err := tx.GetContext(ctx, &at, q, id); err != nil {
		return mapError(err)
	}
	when := ""
	if at.Valid {
		when = " on " + at.Time.UTC().Format(time.RFC3339)
	}
	var p knowledge.Problems
	p.Add(knowledge.CodeRetracted, knowledge.Path("clientMutationId"),
		"this client mutation id already ran: its %s was retracted since%s, so there is nothing to return; "+
			"the audit log keeps its last state", strings.ToLower(e.typ), when)
	return p.Err()
}

type previous struct {
	Mutation    string    `db:"mutation"`
	RequestHash []byte    `db:"request_hash"`
	EntityID    uuid.UUID `db:"entity_id"`
}

// claimRequest records this write (w) under its client mutation id before the write
// runs, or returns the earlier write that holds the id. The record commits with the
// write or goes with it. A concurrent retry's insert waits on the primary key for the
// first call's transaction: it then finds the first call's record (a new statement sees
// what committed meanwhile) or, if that call rolled back, claims the id itself. So a
// retry never writes a second time, and a first call pays one statement.
func claimRequest(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, w previous, typ string) (*previous, error) {
	const claim = `INSERT INTO mutation_requests (key_id, client_mutation_id, mutation, request_hash, entity_type, entity_id)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id, client_mutation_id) DO NOTHING RETURNING true`
	var claimed bool
	err := tx.GetContext(ctx, &claimed, claim, *meta.Actor.KeyID, *meta.ClientMutationID, w.Mutation, w.RequestHash, typ, w.EntityID)
	if err == nil {
		return nil, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	const q = `SELECT mutation, request_hash, entity_id FROM mutation_requests WHERE key_id = $1 AND client_mutation_id = $2`
	var prev previous
	if err := tx.GetContext(ctx, &prev, q, *meta.Actor.KeyID, *meta.ClientMutationID); err != nil {
		return nil, err
	}
	return &prev, nil
}

// constraintFields says which input field a violated constraint is about, so that a
// conflict the database catches reads like one the checks caught.
var constraintFields = map[string][]string{
	"cities_wikidata_qid_key":       {"wikidataId"},
	"cities_geonames_id_key":        {"geonamesId"},
	"sources_url_key":               {"url"},
	"partnerships_cities_kind_key":  {"cities"},
	"partnerships_period_check":     {"until"},
	"city_names_pkey":               {"names"},
	"official_names_pkey":           {"names"},
	"officials_wikidata_qid_key":    {"wikidataId"},
	"institutions_wikidata_qid_key": {"wikidataId"},
}

// writeError turns a database error into field problems where it is the input's fault.
func writeError(err error) error {
	var inErr *knowledge.InputError
	if errors.As(err, &inErr) {
		return err
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code.Class() != "23" {
		return mapError(err)
	}
	var p knowledge.Problems
	field := constraintFields[pqErr.Constraint]
	switch pqErr.Code.Name() {
	case "unique_violation":
		p.Add(knowledge.CodeConflict, field, "conflicts with an existing fact (%s)", pqErr.Constraint)
	case "foreign_key_violation":
		p.Add(knowledge.CodeConflict, field, "other facts depend on this one, or it refers to one that does not exist (%s); retract the dependent facts first", pqErr.Constraint)
	default:
		p.Invalid(field, "breaks the rule %s", pqErr.Constraint)
	}
	return p.Err()
}

// snapshot is an entity's row as JSON, for the audit log.
func snapshot(ctx context.Context, tx *sqlx.Tx, e entity, id uuid.UUID) ([]byte, error) {
	q := fmt.Sprintf(`SELECT to_jsonb(x) FROM %s x WHERE x.id = $1`, e.table)
	var b []byte
	if err := tx.GetContext(ctx, &b, q, id); err != nil {
		return nil, err
	}
	return b, nil
}

// lockVersion locks the entity's row for the update and checks the version the client
// read. It records NOT_FOUND or STALE_VERSION and returns false when the write must stop.
func lockVersion(ctx context.Context, tx *sqlx.Tx, e entity, id uuid.UUID, version int, p *knowledge.Problems) (before []byte, ok bool, err error) {
	q := fmt.Sprintf(`SELECT to_jsonb(x) AS row, x.version FROM %s x WHERE x.id = $1 FOR UPDATE`, e.table)
	var r struct {
		Row     []byte `db:"row"`
		Version int    `db:"version"`
	}
	err = tx.GetContext(ctx, &r, q, id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	if !knowledge.CheckVersion(p, strings.ToLower(e.typ), err == nil, r.Version, version) {
		return nil, false, nil
	}
	return r.Row, true, nil
}

// auditChange appends one entry to the audit log and announces c, the change it
// records, with the entry's sequence number. The statement takes the
// audit log's lock (auditLockKey) before the entry draws its number, and sends the
// notification itself: one round trip, where a mutation's are each a wait for both
// schedulers on a busy server.
func auditChange(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, action string, e entity, id uuid.UUID, before, after []byte,
	sources []uuid.UUID, reason *string, c knowledge.Change) error {
	c.Seq = 0
	payload, err := ChangePayload(c)
	if err != nil {
		return fmt.Errorf("notify change: %w", err)
	}
	const q = `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($12)), a AS (
    INSERT INTO audit_log (key_id, actor, action, entity_type, entity_id, before, after, source_ids, reason, client_mutation_id, request_id)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, '') FROM locked
    RETURNING id
)
SELECT a.id AS seq, pg_notify($13, jsonb_set($14::jsonb, '{seq}', to_jsonb(a.id))::text)::text AS notified FROM a`
	var row struct {
		Seq      int64  `db:"seq"`
		Notified string `db:"notified"` // pg_notify's result, nothing
	}
	if err := tx.GetContext(ctx, &row, q, meta.Actor.KeyID, meta.Actor.Name, action, e.typ, id, nullJSON(before), nullJSON(after),
		pq.Array(uuidStrings(sources)), reason, meta.ClientMutationID, meta.Actor.RequestID, int64(auditLockKey), ChangesChannel, payload); err != nil {
		return err
	}
	c.Seq = row.Seq
	notified(tx, c)
	return nil
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// missing returns which of the ids have no row in the table.
func missing(ctx context.Context, tx *sqlx.Tx, table string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var found []uuid.UUID
	q := fmt.Sprintf(`SELECT id FROM %s WHERE id = ANY($1::uuid[])`, table)
	if err := tx.SelectContext(ctx, &found, q, pq.Array(uuidStrings(ids))); err != nil {
		return nil, err
	}
	have := map[uuid.UUID]bool{}
	for _, id := range found {
		have[id] = true
	}
	for _, id := range ids {
		if !have[id] {
			out[id] = true
		}
	}
	return out, nil
}

// resolveSources checks the sources a retraction or a merge cites by id, and writes
// the new ones it cites through the writer of every fact (as a mutation's batch of
// those sources alone); it returns the ids of all of them, for the audit log.
func (db *DB) resolveSources(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, refs knowledge.SourceRefs, p *knowledge.Problems) ([]uuid.UUID, error) {
	gone, err := missing(ctx, tx, "sources", refs.IDs)
	if err != nil {
		return nil, err
	}
	for i, id := range refs.IDs {
		if gone[id] {
			p.Add(knowledge.CodeNotFound, knowledge.Path("sources", "ids", i), "no source has this id")
		}
	}
	b, ids := refs.Batch()
	if p.Any() || len(b.Sources) == 0 {
		return ids, nil
	}
	return ids, db.writeMutation(ctx, tx, meta, b, p)
}
