package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// ChangesChannel is the PostgreSQL NOTIFY channel on which writes announce what they
// changed. Every server replica LISTENs on it (internal/postgres/notify), so a subscriber is told
// of a write whichever replica took it.
const ChangesChannel = "amity_changes"

// Entities a change names, as in Change.Entity.
const (
	ChangeAgreement   = "agreement"
	ChangePartnership = "partnership"
	ChangeCity        = "city"
	ChangeOfficial    = "official"
	ChangeInstitution = "institution"
	ChangeSource      = "source"
	ChangeCountry     = "country"
	ChangeDivision    = "division"
	ChangeFigure      = "figure"
)

// maxNotifyPayload is PostgreSQL's limit on a NOTIFY payload (8000 bytes by default),
// with a margin.
const maxNotifyPayload = 7900

// ChangePayload is the change as NOTIFY carries it; ParseChange reads it back.
func ChangePayload(c knowledge.Change) (string, error) {
	if c.Cities == nil {
		c.Cities = []uuid.UUID{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	if len(b) > maxNotifyPayload {
		c.Cities, c.CitiesOmitted = []uuid.UUID{}, true
		if b, err = json.Marshal(c); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// ParseChange reads a NOTIFY payload.
func ParseChange(payload string) (knowledge.Change, error) {
	var c knowledge.Change
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		return knowledge.Change{}, fmt.Errorf("change notification %q: %w", payload, err)
	}
	if c.Entity == "" || c.Action == "" || (c.ID == uuid.Nil && c.Bulk == nil) {
		return knowledge.Change{}, fmt.Errorf("change notification %q: entity, action and id (or bulk) are required", payload)
	}
	if b := c.Bulk; b != nil && (b.Actor == "" || b.First <= 0 || b.Last < b.First) {
		return knowledge.Change{}, fmt.Errorf("change notification %q: a bulk change needs an actor and a sequence range", payload)
	}
	return c, nil
}

// notifyChange announces a change from inside the write's transaction. PostgreSQL
// delivers the notification when the transaction commits, and never if it rolls back,
// so listeners hear of exactly the writes that happened. Call it with the transaction
// (a *sqlx.Tx), never with the pool.
func notifyChange(ctx context.Context, tx *sqlx.Tx, c knowledge.Change) error {
	if c.Seq == 0 && c.Bulk == nil {
		// The write has just appended the entity's audit entry, and holds the entity's
		// row lock, so its newest entry is this write's.
		if err := tx.GetContext(ctx, &c.Seq, `SELECT coalesce(max(id), 0) FROM audit_log WHERE entity_id = $1`, c.ID); err != nil {
			return fmt.Errorf("notify change: %w", err)
		}
	}
	return NotifyChange(ctx, tx, c)
}

// auditLockKey is the transaction-level advisory lock every writer holds, until its
// transaction ends, from before it appends to the audit log. PostgreSQL numbers
// entries when they are inserted but they become visible when their transaction
// commits; two writers appending at once could commit out of order, and a subscriber
// that had delivered the later sequence would never see the earlier one. With the
// lock, a transaction that appends commits (and its NOTIFYs go out) before the next
// one can append, so sequence order is commit order and a snapshot that sees an entry
// sees every earlier one. Writers take it after their last row lock, so that holding
// it never waits for a row, and in the statement that appends (audit, auditKind), so
// that it costs no round trip of its own.
const auditLockKey = 0x616d697479 // "amity"

// NotifyChange is notifyChange for writers outside the store (bulk import, tests).
func NotifyChange(ctx context.Context, tx sqlx.ExecerContext, c knowledge.Change) error {
	payload, err := ChangePayload(c)
	if err != nil {
		return fmt.Errorf("notify change: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", ChangesChannel, payload); err != nil {
		return fmt.Errorf("notify change: %w", err)
	}
	notified(tx, c)
	return nil
}

// notified records that tx announced c, for OnCommit's functions (collectChanges).
func notified(tx sqlx.ExecerContext, c knowledge.Change) {
	if pending, ok := pendingChanges.Load(tx); ok {
		*pending.(*[]knowledge.Change) = append(*pending.(*[]knowledge.Change), c)
	}
}

// pendingChanges holds, for each write transaction of this process that collects them
// (collectChanges), the changes it has announced so far. Keyed by the transaction, not
// carried in a context: a write's statements run under the context its caller gave.
var pendingChanges sync.Map // sqlx.ExecerContext → *[]knowledge.Change

// collectChanges makes NotifyChange record each change tx announces, for announcing
// them in this process once tx has committed (OnCommit); done forgets tx.
func collectChanges(tx sqlx.ExecerContext) (pending *[]knowledge.Change, done func()) {
	pending = new([]knowledge.Change)
	pendingChanges.Store(tx, pending)
	return pending, func() { pendingChanges.Delete(tx) }
}

// OnCommit adds f to what the store calls with each change a write of this process
// announced, once the write has committed and before the write returns: a cache of
// reads in this process drops what the write made stale before the writer's client
// hears of it, without waiting for the notification's round trip. The function it
// returns removes f again (a server that closes).
func (db *DB) OnCommit(f func(knowledge.Change)) (remove func()) {
	db.committedMu.Lock()
	defer db.committedMu.Unlock()
	db.committedNext++
	id := db.committedNext
	db.committed[id] = f
	return func() {
		db.committedMu.Lock()
		defer db.committedMu.Unlock()
		delete(db.committed, id)
	}
}

// announceCommitted calls OnCommit's functions with the changes of a committed write.
func (db *DB) announceCommitted(changes []knowledge.Change) {
	db.committedMu.Lock()
	fs := make([]func(knowledge.Change), 0, len(db.committed))
	for _, f := range db.committed {
		fs = append(fs, f)
	}
	db.committedMu.Unlock()
	for _, f := range fs {
		for _, c := range changes {
			f(c)
		}
	}
}

// ListenDSN is the connection string a LISTEN connection opens: the store's own.
func (db *DB) ListenDSN() string {
	return db.dsn
}

func parseCities(cities pq.StringArray) []uuid.UUID {
	out := []uuid.UUID{}
	for _, s := range cities {
		if u, err := uuid.Parse(s); err == nil {
			out = append(out, u)
		}
	}
	return out
}

// LastSeq is the sequence of the newest change in the audit log (0 when it is empty).
// Every change up to it is committed and readable (auditLockKey): a subscriber that
// has read the log up to LastSeq hears of every later change by NOTIFY, if it was
// listening before it asked.
func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.GetContext(ctx, &seq, `SELECT coalesce(max(id), 0) FROM audit_log`); err != nil {
		return 0, mapError(err)
	}
	return seq, nil
}

// logWindow is how many sequences one LogChanges call scans at most, so that a page
// costs the same however rare the changes it looks for are.
const logWindow = 10000

// LogChanges reads the audit log as a change log: the changes of the entity kind
// (ChangeAgreement, …) with one of the actions (knowledge.ChangeCreated, …; all when
// empty) after sequence after and up to upTo, in sequence order, each as a
// notification would carry it, with its Seq; when city is not uuid.Nil, only those that
// concern the city. It reads at most limit changes and scans at most logWindow
// sequences: next is the sequence it read up to, to pass as after for the rest, which
// is upTo when there is no more. Cities are read as they are now, as each event is read
// fresh when it is sent; a partnership's are its ends even once it is retracted.
func (db *DB) LogChanges(ctx context.Context, entity string, actions []string, city uuid.UUID, after, upTo int64, limit int) (changes []knowledge.Change, next int64, err error) {
	k, ok := bulkKindOfChange(entity)
	if !ok {
		return nil, 0, fmt.Errorf("log changes: unknown entity %q", entity)
	}
	auditActions := []string{}
	for _, a := range actions {
		switch a {
		case knowledge.ChangeCreated:
			auditActions = append(auditActions, "CREATE")
		case knowledge.ChangeUpdated:
			auditActions = append(auditActions, "UPDATE")
		case knowledge.ChangeRetracted:
			auditActions = append(auditActions, "RETRACT")
		default:
			return nil, 0, fmt.Errorf("log changes: unknown action %q", a)
		}
	}
	end := min(upTo, after+logWindow)
	q := `
SELECT seq, id, action, cities::text[] AS cities FROM (
    SELECT a.id AS seq, a.entity_id AS id, x.action, ` + changeCities("a.entity_type", "") + ` AS cities
    FROM audit_log a
        -- A merge is the merged entity's retraction and the survivor's update.
        CROSS JOIN LATERAL (SELECT CASE WHEN a.action <> 'MERGE' THEN a.action
            WHEN a.after IS NULL THEN 'RETRACT' ELSE 'UPDATE' END AS action) x
    WHERE a.id > $1 AND a.id <= $2 AND a.entity_type = $3 AND (cardinality($4::text[]) = 0 OR x.action = ANY ($4::text[]))
    ORDER BY a.id
) e
WHERE $5::uuid IS NULL OR $5::uuid = ANY (cities)
LIMIT $6`
	var cityArg any
	if city != uuid.Nil {
		cityArg = city
	}
	rows, err := db.QueryxContext(ctx, q, after, end, k.typ, pq.Array(auditActions), cityArg, limit)
	if err != nil {
		return nil, 0, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var id uuid.UUID
		var action string
		var cities pq.StringArray
		if err := rows.Scan(&seq, &id, &action, &cities); err != nil {
			return nil, 0, mapError(err)
		}
		changes = append(changes, knowledge.Change{Seq: seq, Entity: entity, Action: changeAction(action), ID: id, Cities: parseCities(cities)})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mapError(err)
	}
	if len(changes) == limit {
		return changes, changes[len(changes)-1].Seq, nil
	}
	return changes, end, nil
}
