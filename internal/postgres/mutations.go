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

// writeMutation writes a mutation's batch in tx (a transaction of writeTx) as meta's
// actor, and records what the writer refuses in p.
func (db *DB) writeMutation(ctx context.Context, tx *sqlx.Tx, meta knowledge.WriteMeta, b *knowledge.Batch, p *knowledge.Problems) error {
	_, _, err := writeBatch(ctx, tx, b, nil, batchMeta{WriteMeta: meta, Mutation: true, writerSession: db.writerSession})
	var fe *knowledge.FileError
	if errors.As(err, &fe) {
		knowledge.MutationProblems(p, b, fe)
		return nil
	}
	return err
}

// writeFact is the path of every mutation that creates or changes a fact: its input
// checked, then written as its batch under its id (existing, or a new one for a
// create) in writeTx's envelope. typ is the entity's GraphQL type.
func (db *DB) writeFact(ctx context.Context, meta knowledge.WriteMeta, typ string, existing *uuid.UUID, input any,
	check func(*knowledge.Problems), batch func(id uuid.UUID) *knowledge.Batch) (knowledge.WriteResult, error) {
	id := uuid.New()
	if existing != nil {
		id = *existing
	}
	return db.writeTx(ctx, meta, knowledge.MutationName(typ, existing), typ, id, input, func(tx *sqlx.Tx, p *knowledge.Problems) error {
		if check(p); p.Any() {
			return nil
		}
		return db.writeMutation(ctx, tx, meta, batch(id), p)
	})
}

// CreateSource creates a source. Problems with the input come back as an
// *knowledge.InputError and change nothing.
func (db *DB) CreateSource(ctx context.Context, meta knowledge.WriteMeta, s knowledge.NewSource) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, sourcesTable.typ, nil, s, func(p *knowledge.Problems) { s.Check(p, nil) }, s.Batch)
}

// UpdateSource changes a source's fields.
func (db *DB) UpdateSource(ctx context.Context, meta knowledge.WriteMeta, u knowledge.SourceUpdate) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, sourcesTable.typ, &u.ID, u, u.Check, func(uuid.UUID) *knowledge.Batch { return u.Batch() })
}

// WriteCity creates a city (w.ID nil) or updates one.
func (db *DB) WriteCity(ctx context.Context, meta knowledge.WriteMeta, w knowledge.CityWrite) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, citiesTable.typ, w.ID, w, w.Check, w.Batch)
}

// WriteOfficial creates an official (w.ID nil) or updates one.
func (db *DB) WriteOfficial(ctx context.Context, meta knowledge.WriteMeta, w knowledge.OfficialWrite) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, officialsTable.typ, w.ID, w, w.Check, w.Batch)
}

// WriteAgreement creates an agreement (w.ID nil) or updates one. A signatory must sign
// for one of the parties, and the official must represent one of them.
func (db *DB) WriteAgreement(ctx context.Context, meta knowledge.WriteMeta, w knowledge.AgreementWrite) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, agreementsTable.typ, w.ID, w, w.Check, w.Batch)
}

// WritePartnership creates a partnership (w.ID nil) or updates one.
func (db *DB) WritePartnership(ctx context.Context, meta knowledge.WriteMeta, w knowledge.PartnershipWrite) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, partnershipsTable.typ, w.ID, w, w.Check, w.Batch)
}

// WriteInstitution creates an institution (w.ID nil) or updates one.
func (db *DB) WriteInstitution(ctx context.Context, meta knowledge.WriteMeta, w knowledge.InstitutionWrite) (knowledge.WriteResult, error) {
	return db.writeFact(ctx, meta, institutionsTable.typ, w.ID, w, w.Check, w.Batch)
}
