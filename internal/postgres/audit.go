package postgres

import (
	"context"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

type auditRow struct {
	Sequence         int            `db:"id"`
	At               time.Time      `db:"at"`
	Actor            string         `db:"actor"`
	Action           string         `db:"action"`
	EntityType       string         `db:"entity_type"`
	EntityID         uuid.UUID      `db:"entity_id"`
	Before           *string        `db:"before"`
	After            *string        `db:"after"`
	SourceIDs        pq.StringArray `db:"source_ids"`
	Reason           *string        `db:"reason"`
	ClientMutationID *string        `db:"client_mutation_id"`
}

// AuditLog returns a page of the audit log, newest first; with entity, only that
// entity's entries. Paging is by sequence number, which only grows.
func (db *DB) AuditLog(ctx context.Context, entity *uuid.UUID, first int, after *string) (*knowledge.Page[knowledge.AuditEntry], error) {
	if first < 0 || first > knowledge.MaxPageSize {
		return nil, knowledge.FieldErrorf("first", "first must be between 0 and %d, got %d", knowledge.MaxPageSize, first)
	}
	before := int64(1<<63 - 1)
	if after != nil {
		b, err := base64.RawURLEncoding.DecodeString(*after)
		n, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil || n <= 0 {
			return nil, knowledge.FieldErrorf("after", "after is not a valid cursor; pass back a cursor this API returned")
		}
		before = n
	}
	// A city's row carries name_fold, the folded name PostgreSQL derives for look-ups
	// (migration 00014): not a fact anyone wrote, so not shown, in entries written
	// before or after it came.
	const q = `SELECT id, at, actor, action, entity_type, entity_id, (before - 'name_fold')::text AS before,
  (after - 'name_fold')::text AS after, source_ids::text[] AS source_ids,
  reason, client_mutation_id
FROM audit_log WHERE id < $1 AND ($2::uuid IS NULL OR entity_id = $2) ORDER BY id DESC LIMIT $3`
	var rows []auditRow
	if err := db.SelectContext(ctx, &rows, q, before, entity, first+1); err != nil {
		return nil, mapError(err)
	}
	page := &knowledge.Page[knowledge.AuditEntry]{HasPreviousPage: after != nil}
	if len(rows) > first {
		rows, page.HasNextPage = rows[:first], true
	}
	for _, r := range rows {
		e := &knowledge.AuditEntry{
			Sequence: r.Sequence, At: r.At, Actor: r.Actor, Action: r.Action, EntityType: r.EntityType,
			EntityID: r.EntityID, Before: r.Before, After: r.After, Reason: r.Reason, ClientMutationID: r.ClientMutationID,
		}
		for _, s := range r.SourceIDs {
			if id, err := uuid.Parse(s); err == nil {
				e.SourceIDs = append(e.SourceIDs, id)
			}
		}
		page.Items = append(page.Items, e)
		page.Cursors = append(page.Cursors, base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(r.Sequence))))
	}
	return page, nil
}

// CountAuditLog counts the audit log's entries, or one entity's.
func (db *DB) CountAuditLog(ctx context.Context, entity *uuid.UUID) (int, error) {
	var n int
	err := db.GetContext(ctx, &n, `SELECT count(*) FROM audit_log WHERE $1::uuid IS NULL OR entity_id = $1`, entity)
	return n, mapError(err)
}
