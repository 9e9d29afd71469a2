package graph

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/seclog"
	"github.com/amity/amity/internal/knowledge"
)

// The mutation resolvers turn GraphQL input into the store's write types: IDs are
// decoded here, and a bad one is a field problem like any other; every rule about the
// values lives in relations (Check methods) or the store (checks that need the database).

// ids decodes global IDs of one type, recording a problem per bad one.
type ids struct{ p knowledge.Problems }

func (d *ids) one(typ string, id string, path ...any) uuid.UUID {
	t, u, ok := knowledge.ParseGlobalID(id)
	if !ok || t != typ {
		d.p.Invalid(knowledge.Path(path...), "%q is not the ID of a %s", id, typ)
		return uuid.Nil
	}
	return u
}

func (d *ids) optional(typ string, id *string, path ...any) *uuid.UUID {
	if id == nil {
		return nil
	}
	u := d.one(typ, *id, path...)
	return &u
}

// maxDecoded is the largest cap of a list of IDs in one write (knowledge.MaxParties,
// MaxLinks). A longer list is refused whole by the write's Check; its IDs are not
// decoded, which would only answer one problem per item.
const maxDecoded = knowledge.MaxParties

func (d *ids) list(typ string, list []string, path ...any) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	if len(list) > maxDecoded {
		return out
	}
	for i, id := range list {
		out[i] = d.one(typ, id, append(append([]any{}, path...), i)...)
	}
	return out
}

func (d *ids) sources(in *model.SourcesInput) knowledge.SourceRefs {
	var refs knowledge.SourceRefs
	if in == nil {
		return refs
	}
	refs.IDs = d.list(knowledge.TypeSource, in.Ids, "sources", "ids")
	for _, s := range in.New {
		refs.New = append(refs.New, newSource(s))
	}
	return refs
}

func newSource(s *model.SourceInput) knowledge.NewSource {
	return knowledge.NewSource{Title: s.Title, Publisher: s.Publisher, URL: s.URL, PublishedOn: s.PublishedOn,
		Excerpt: s.Excerpt, Languages: s.Languages}
}

func names(in []*model.LocalizedNameInput) *[]knowledge.Name {
	if in == nil {
		return nil
	}
	out := make([]knowledge.Name, len(in))
	for i, n := range in {
		out[i] = knowledge.Name{Language: n.Language, Name: n.Name}
	}
	return &out
}

func location(in *model.LocationInput) *knowledge.Location {
	if in == nil {
		return nil
	}
	return &knowledge.Location{Latitude: in.Latitude, Longitude: in.Longitude}
}

func signatories(d *ids, in []*model.SignatoryInput) *[]knowledge.SignatoryWrite {
	if in == nil {
		return nil
	}
	out := make([]knowledge.SignatoryWrite, len(in))
	if len(in) > maxDecoded {
		return &out // refused whole (knowledge.MaxSignatories)
	}
	for i, s := range in {
		out[i] = knowledge.SignatoryWrite{
			OfficialID: d.one(knowledge.TypeOfficial, s.Official, "signatories", i, "official"),
			PartyID:    d.one(knowledge.TypeCity, s.Party, "signatories", i, "party"),
			Role:       s.Role,
		}
	}
	return &out
}

// cleared lists the fields of the update's input that the request sets to null, of
// those an update of the type may clear (knowledge.ClearableOnUpdate). gqlgen decodes
// null and a missing field alike into a nil pointer; only the request tells them apart.
func cleared(ctx context.Context, typ string) knowledge.Cleared {
	var out knowledge.Cleared
	for _, f := range knowledge.ClearableOnUpdate[typ] {
		if explicitNull(ctx, "input", f) {
			out = append(out, f)
		}
	}
	return out
}

func optionalList[T any](v []T) *[]T {
	if v == nil {
		return nil
	}
	return &v
}

// writeMeta says who writes, from the request's principal.
func writeMeta(ctx context.Context, clientMutationID *string) knowledge.WriteMeta {
	p := auth.ForContext(ctx)
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: p.Name()}, ClientMutationID: clientMutationID}
	if p.Key != nil {
		id := p.Key.ID
		meta.Actor.KeyID = &id
	}
	return meta
}

// userErrors splits a write's error: problems with the input go to the payload, any
// other error becomes a GraphQL error.
func userErrors(err error) ([]*model.UserError, error) {
	var in *knowledge.InputError
	if !errors.As(err, &in) {
		return []*model.UserError{}, err
	}
	out := make([]*model.UserError, len(in.Problems))
	for i, p := range in.Problems {
		out[i] = &model.UserError{Field: p.Path, Message: p.Message, Code: p.Code}
	}
	return out, nil
}

// write runs a store write unless decoding the input already found problems, and
// returns the payload's errors and the written entity's id. A refused write goes to the
// security log.
func write(ctx context.Context, d *ids, run func() (knowledge.WriteResult, error)) ([]*model.UserError, *uuid.UUID, error) {
	if err := d.p.Err(); err != nil {
		errs, _ := userErrors(err)
		logRefusedWrite(ctx, errs)
		return errs, nil, nil
	}
	res, err := run()
	errs, err := userErrors(err)
	if err != nil || len(errs) > 0 {
		logRefusedWrite(ctx, errs)
		return errs, nil, err
	}
	return errs, &res.ID, nil
}

// logRefusedWrite logs a write refused for its input: who, which mutation, the codes
// and the first field. A run of them from one key or address is a client probing the
// rules, or a broken one; neither leaves a trace in the audit log, which holds only
// what was written.
func logRefusedWrite(ctx context.Context, errs []*model.UserError) {
	if len(errs) == 0 {
		return
	}
	p := auth.ForContext(ctx)
	attrs := []any{"client", p.Addr}
	if p.Key != nil {
		attrs = append(attrs, "key_id", p.Key.ID.String(), "key", p.Key.Name)
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		attrs = append(attrs, "mutation", fc.Field.Name)
	}
	var codes []string
	for _, e := range errs {
		if !slices.Contains(codes, e.Code) {
			codes = append(codes, e.Code)
		}
	}
	attrs = append(attrs, "code", strings.Join(codes, ","), "field", strings.Join(errs[0].Field, "."), "problems", len(errs))
	seclog.Event(ctx, seclog.WriteRefused, attrs...)
}

// fresh reads the written entity straight from the store: the request's loaders may
// hold what it was before the write.
func fresh[T any](ctx context.Context, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]*T, error), id *uuid.UUID) (*T, error) {
	if id == nil {
		return nil, nil
	}
	got, err := fetch(ctx, []uuid.UUID{*id})
	if err != nil {
		return nil, err
	}
	return got[*id], nil
}

func (r *mutationResolver) source(ctx context.Context, cmid *string, run func(knowledge.WriteMeta) (knowledge.WriteResult, error), d *ids) (*model.SourcePayload, error) {
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) { return run(writeMeta(ctx, cmid)) })
	if err != nil {
		return nil, err
	}
	s, err := fresh(ctx, r.Store.SourcesByID, id)
	return &model.SourcePayload{Source: s, Errors: errs, ClientMutationID: cmid}, err
}

func (r *mutationResolver) city(ctx context.Context, cmid *string, w knowledge.CityWrite, d *ids) (*model.CityPayload, error) {
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) { return r.Store.WriteCity(ctx, writeMeta(ctx, cmid), w) })
	if err != nil {
		return nil, err
	}
	c, err := fresh(ctx, r.Store.CitiesByID, id)
	return &model.CityPayload{City: c, Errors: errs, ClientMutationID: cmid}, err
}

func (r *mutationResolver) official(ctx context.Context, cmid *string, w knowledge.OfficialWrite, d *ids) (*model.OfficialPayload, error) {
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) { return r.Store.WriteOfficial(ctx, writeMeta(ctx, cmid), w) })
	if err != nil {
		return nil, err
	}
	o, err := fresh(ctx, r.Store.OfficialsByID, id)
	return &model.OfficialPayload{Official: o, Errors: errs, ClientMutationID: cmid}, err
}

func (r *mutationResolver) agreement(ctx context.Context, cmid *string, w knowledge.AgreementWrite, d *ids) (*model.AgreementPayload, error) {
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) { return r.Store.WriteAgreement(ctx, writeMeta(ctx, cmid), w) })
	if err != nil {
		return nil, err
	}
	a, err := fresh(ctx, r.Store.AgreementsByID, id)
	return &model.AgreementPayload{Agreement: a, Errors: errs, ClientMutationID: cmid}, err
}

func (r *mutationResolver) partnership(ctx context.Context, cmid *string, w knowledge.PartnershipWrite, d *ids) (*model.PartnershipPayload, error) {
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) { return r.Store.WritePartnership(ctx, writeMeta(ctx, cmid), w) })
	if err != nil {
		return nil, err
	}
	p, err := fresh(ctx, r.Store.PartnershipsByID, id)
	return &model.PartnershipPayload{Partnership: p, Errors: errs, ClientMutationID: cmid}, err
}

func (r *mutationResolver) institution(ctx context.Context, cmid *string, w knowledge.InstitutionWrite, d *ids) (*model.InstitutionPayload, error) {
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) { return r.Store.WriteInstitution(ctx, writeMeta(ctx, cmid), w) })
	if err != nil {
		return nil, err
	}
	i, err := fresh(ctx, r.Store.InstitutionsByID, id)
	return &model.InstitutionPayload{Institution: i, Errors: errs, ClientMutationID: cmid}, err
}

func (r *mutationResolver) mergeCities(ctx context.Context, cmid *string, m knowledge.CityMerge, d *ids) (*model.MergeCitiesPayload, error) {
	var moved *knowledge.CityMergeCounts
	errs, id, err := write(ctx, d, func() (knowledge.WriteResult, error) {
		res, err := r.Store.MergeCities(ctx, writeMeta(ctx, cmid), m)
		moved = res.Moved
		return res.WriteResult, err
	})
	if err != nil {
		return nil, err
	}
	payload := &model.MergeCitiesPayload{Moved: moved, Errors: errs, ClientMutationID: cmid}
	if id != nil {
		merged := knowledge.GlobalID(knowledge.TypeCity, m.MergedID)
		payload.MergedID = &merged
	}
	payload.City, err = fresh(ctx, r.Store.CitiesByID, id)
	return payload, err
}
