package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/knowledge"
)

// finish records a change to an entity that a retraction made (an institution that
// lost its link to a retracted agreement) in the audit log, with the entity as it is
// now, and announces it.
func finish(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, action string, e entity, id uuid.UUID, before []byte, sources []uuid.UUID, reason *string) error {
	after, err := snapshot(ctx, tx, e, id)
	if err != nil {
		return err
	}
	err = auditChange(ctx, tx, meta, action, e, id, before, after, sources, reason,
		knowledge.Change{Entity: changeOf(e.typ), Action: changeAction(action), ID: id, Cities: citiesOfRow(e, id, before, after)})
	return err
}

// citiesOfRow are the cities a change of the entity concerns, as it was and as it is:
// an official or institution that moves concerns both its cities (each city's lists
// change), a city itself.
func citiesOfRow(e entity, id uuid.UUID, before, after []byte) []uuid.UUID {
	if e == citiesTable {
		return []uuid.UUID{id}
	}
	var out []uuid.UUID
	for _, row := range [][]byte{before, after} {
		var r struct {
			CityID *uuid.UUID `json:"city_id"`
		}
		if row != nil && json.Unmarshal(row, &r) == nil && r.CityID != nil && !slices.Contains(out, *r.CityID) {
			out = append(out, *r.CityID)
		}
	}
	return out
}

func changeAction(auditAction string) string {
	switch auditAction {
	case "CREATE":
		return knowledge.ChangeCreated
	case "RETRACT":
		return knowledge.ChangeRetracted
	}
	return knowledge.ChangeUpdated
}

// Retract takes a fact out of the live graph. Its last state stays in the audit log
// with the reason and the sources that justify the retraction. Facts that depend on it
// must be retracted first; the database's foreign keys say which.
func (db *DB) Retract(ctx context.Context, meta knowledge.WriteMeta, r knowledge.Retraction) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, "retract", r.Type, r.ID, r, func(tx *sqlx.Tx, p *knowledge.Problems) error {
		r.Check(p)
		e, ok := retractable[r.Type]
		if !ok {
			p.Invalid(knowledge.Path("id"), "only cities, officials, agreements, partnerships and institutions can be retracted")
		}
		if p.Any() {
			return nil
		}
		if e == agreementsTable {
			// The linked institutions first, then the agreement: the order in which an
			// institution's own write takes them (its row, then the agreements it links),
			// so that the two cannot deadlock.
			if _, err := lockLinkedInstitutions(ctx, tx, r.ID); err != nil {
				return err
			}
		}
		before, ok, err := lockVersion(ctx, tx, e, r.ID, r.Version, p)
		if err != nil || !ok {
			return err
		}
		sources, err := db.resolveSources(ctx, tx, meta, r.Sources, p)
		if err != nil || p.Any() {
			return err
		}
		var change *knowledge.Change
		switch e {
		case agreementsTable, partnershipsTable:
			c, err := changeBeforeRetract(ctx, tx, e, r.ID)
			if err != nil {
				return err
			}
			change = c
		case citiesTable:
			// The city's partnerships, parties and officials go with it (the foreign
			// keys cascade): every city's lists may have changed.
			change = &knowledge.Change{Entity: ChangeCity, Action: knowledge.ChangeRetracted, ID: r.ID, CitiesOmitted: true}
		default:
			change = &knowledge.Change{Entity: changeOf(e.typ), Action: knowledge.ChangeRetracted, ID: r.ID, Cities: citiesOfRow(e, r.ID, before, nil)}
		}
		var unlinked []linkedInstitution
		if e == agreementsTable {
			// Again, now that no link can come or go: the snapshots to audit.
			if unlinked, err = lockLinkedInstitutions(ctx, tx, r.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE id = $1`, e.table), r.ID); err != nil {
			return err
		}
		if err = auditChange(ctx, tx, meta, "RETRACT", e, r.ID, before, nil, sources, &r.Reason, *change); err != nil {
			return err
		}
		return auditUnlinked(ctx, tx, meta, unlinked, r, sources)
	})
}

func changeBeforeRetract(ctx context.Context, tx *sqlx.Tx, e entity, id uuid.UUID) (*knowledge.Change, error) {
	var cities []uuid.UUID
	var q, kind string
	if e == agreementsTable {
		q, kind = `SELECT city_id FROM agreement_parties WHERE agreement_id = $1 ORDER BY position`, "agreement"
	} else {
		q, kind = `SELECT unnest(ARRAY[city_a_id, city_b_id]) FROM partnerships WHERE id = $1`, "partnership"
	}
	if err := tx.SelectContext(ctx, &cities, q, id); err != nil {
		return nil, err
	}
	return &knowledge.Change{Entity: kind, Action: knowledge.ChangeRetracted, ID: id, Cities: cities}, nil
}

// linkedInstitution is an institution linked to an agreement being retracted, as it was
// before.
type linkedInstitution struct {
	ID     uuid.UUID `db:"id"`
	Before []byte    `db:"row"`
}

// lockLinkedInstitutions locks the institutions linked to an agreement and snapshots
// them: retracting the agreement takes their link away (the foreign key cascades), and
// that is a change to each of them, audited as such.
func lockLinkedInstitutions(ctx context.Context, tx *sqlx.Tx, agreement uuid.UUID) ([]linkedInstitution, error) {
	const q = `SELECT i.id, to_jsonb(i) AS row FROM institutions i
WHERE i.id IN (SELECT institution_id FROM institution_agreements WHERE agreement_id = $1) ORDER BY i.id FOR UPDATE`
	var out []linkedInstitution
	err := tx.SelectContext(ctx, &out, q, agreement)
	return out, err
}

// auditUnlinked gives each institution that lost its link to a retracted agreement a new
// version and an UPDATE entry citing the retraction's reason and sources, so that its
// history shows when and why the link went.
func auditUnlinked(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, unlinked []linkedInstitution, r knowledge.Retraction, sources []uuid.UUID) error {
	for _, in := range unlinked {
		if _, err := tx.ExecContext(ctx, `UPDATE institutions SET version = version + 1, updated_at = now() WHERE id = $1`, in.ID); err != nil {
			return err
		}
		reason := fmt.Sprintf("its link to agreement %s went with the agreement's retraction: %s", r.ID, r.Reason)
		if err := finish(ctx, tx, meta, "UPDATE", institutionsTable, in.ID, in.Before, sources, &reason); err != nil {
			return err
		}
	}
	return nil
}
