package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/knowledge"
)

// The mutations that create and change facts. Each checks its input (its Check, with
// the input's paths), then writes it as a batch of one record (knowledge's XWrite.Batch)
// through the writer every file goes through (writeBatch), inside writeTx's envelope:
// one transaction, a retried client mutation id answered from the first call. The
// problems the writer finds come back at the input's fields (knowledge.MutationProblems).

// writeMutation writes a mutation's batch in tx as meta's actor, and records what the
// writer refuses in p.
func writeMutation(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, b *knowledge.Batch, p *knowledge.Problems) error {
	_, _, err := writeBatch(ctx, tx, b, nil, batchMeta{WriteMeta: meta, Mutation: true})
	var fe *knowledge.FileError
	if errors.As(err, &fe) {
		knowledge.MutationProblems(p, b, fe)
		return nil
	}
	return err
}

// idFor is the id of the entity a write concerns: the one it updates, or a new one.
func idFor(id *uuid.UUID) uuid.UUID {
	if id != nil {
		return *id
	}
	return uuid.New()
}

// CreateSource creates a source. Problems with the input come back as an
// *knowledge.InputError and change nothing.
func (db *DB) CreateSource(ctx context.Context, meta knowledge.WriteMeta, s knowledge.NewSource) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, "createSource", sourcesTable.typ, s, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if s.Check(p, nil); p.Any() {
			return uuid.Nil, nil
		}
		id := uuid.New()
		return id, writeMutation(ctx, tx, meta, s.Batch(id), p)
	})
}

// UpdateSource changes a source's fields.
func (db *DB) UpdateSource(ctx context.Context, meta knowledge.WriteMeta, u knowledge.SourceUpdate) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, "updateSource", sourcesTable.typ, u, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if u.Check(p); p.Any() {
			return uuid.Nil, nil
		}
		return u.ID, writeMutation(ctx, tx, meta, u.Batch(), p)
	})
}

// WriteCity creates a city (w.ID nil) or updates one.
func (db *DB) WriteCity(ctx context.Context, meta knowledge.WriteMeta, w knowledge.CityWrite) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, mutationName("City", w.ID), citiesTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if w.Check(p); p.Any() {
			return uuid.Nil, nil
		}
		id := idFor(w.ID)
		return id, writeMutation(ctx, tx, meta, w.Batch(id), p)
	})
}

// WriteOfficial creates an official (w.ID nil) or updates one.
func (db *DB) WriteOfficial(ctx context.Context, meta knowledge.WriteMeta, w knowledge.OfficialWrite) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, mutationName("Official", w.ID), officialsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if w.Check(p); p.Any() {
			return uuid.Nil, nil
		}
		id := idFor(w.ID)
		return id, writeMutation(ctx, tx, meta, w.Batch(id), p)
	})
}

// WriteAgreement creates an agreement (w.ID nil) or updates one. A signatory must sign
// for one of the parties, and the official must represent one of them.
func (db *DB) WriteAgreement(ctx context.Context, meta knowledge.WriteMeta, w knowledge.AgreementWrite) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, mutationName("Agreement", w.ID), agreementsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if w.Check(p); p.Any() {
			return uuid.Nil, nil
		}
		id := idFor(w.ID)
		return id, writeMutation(ctx, tx, meta, w.Batch(id), p)
	})
}

// WritePartnership creates a partnership (w.ID nil) or updates one.
func (db *DB) WritePartnership(ctx context.Context, meta knowledge.WriteMeta, w knowledge.PartnershipWrite) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, mutationName("Partnership", w.ID), partnershipsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if w.Check(p); p.Any() {
			return uuid.Nil, nil
		}
		id := idFor(w.ID)
		return id, writeMutation(ctx, tx, meta, w.Batch(id), p)
	})
}

// WriteInstitution creates an institution (w.ID nil) or updates one.
func (db *DB) WriteInstitution(ctx context.Context, meta knowledge.WriteMeta, w knowledge.InstitutionWrite) (knowledge.WriteResult, error) {
	return db.writeTx(ctx, meta, mutationName("Institution", w.ID), institutionsTable.typ, w, func(tx *sqlx.Tx, p *knowledge.Problems) (uuid.UUID, error) {
		if w.Check(p); p.Any() {
			return uuid.Nil, nil
		}
		id := idFor(w.ID)
		return id, writeMutation(ctx, tx, meta, w.Batch(id), p)
	})
}

func mutationName(typ string, id *uuid.UUID) string {
	if id == nil {
		return "create" + typ
	}
	return "update" + typ
}
