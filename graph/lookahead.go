package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amity/amity/internal/loader"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/relations"
)

// Lookahead. gqlgen resolves the items of a list in parallel goroutines, and a loader
// gathers their keys for a short window before it reads: under load the window closes
// before every goroutine of a level has asked, which splits the batch, and when the
// server is idle the window is only waiting. But a resolver that has read one level
// holds every object of it, and the query says what the client selects below them. So
// the top-level resolvers read the levels below themselves, one statement per relation
// for all the objects of a level, and prime the request's loaders with what they read;
// the resolvers of those levels then find their values cached. A query's statements
// are then its depth exactly, under any load, and no request waits for a window.
//
// The lookahead only fills caches: the keys it primes are built by the same functions
// the resolvers use, every resolver still asks its loader, and a relation the lookahead
// does not cover, or a read that failed, is loaded (and reported) by the resolver as
// before. So a gap here costs a statement, never a wrong answer.

type lookahead struct {
	ctx context.Context
	op  *graphql.OperationContext
	l   *loader.Loaders
	// ec only lends the generated argument parsers, which need no execution state.
	ec *executionContext
}

// lookAhead preloads what the current field selects below objs (of a type the
// lookahead knows: *relations.City, Agreement, Official or Partnership).
func lookAhead[T any](ctx context.Context, objs []*T) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) || len(objs) == 0 {
		return
	}
	a := &lookahead{ctx: ctx, op: graphql.GetOperationContext(ctx), l: loader.For(ctx), ec: &executionContext{}}
	defer func() {
		// A bug here must not fail the request: the resolvers load what is missing.
		if r := recover(); r != nil {
			slog.ErrorContext(ctx, "lookahead failed; resolvers load on their own", "panic", r)
		}
	}()
	sel := fc.Field.Selections
	switch objs := any(objs).(type) {
	case []*relations.City:
		a.cities(sel, objs)
	case []*relations.Agreement:
		a.agreements(sel, objs)
	case []*relations.Official:
		a.officials(sel, objs)
	case []*relations.Partnership:
		a.partnerships(sel, objs)
	}
}

// withLookahead passes a top-level lookup's answer through, after preloading what the
// query selects below it.
func withLookahead[T any](ctx context.Context) func(*T, error) (*T, error) {
	return func(obj *T, err error) (*T, error) {
		if err == nil && obj != nil {
			lookAhead(ctx, []*T{obj})
		}
		return obj, err
	}
}

// lookAheadPage preloads below the nodes of a connection's page.
func lookAheadPage[T any](ctx context.Context, page *relations.Page[T]) {
	if page != nil && len(page.Items) > 0 && graphql.GetFieldContext(ctx) != nil {
		sub := *graphql.GetFieldContext(ctx)
		sub.Field.Selections = nodeSelections(graphql.GetOperationContext(ctx), sub.Field.Selections)
		lookAhead(graphql.WithFieldContext(ctx, &sub), page.Items)
	}
}

// nodeSelections is what a connection's selection asks of its nodes, through nodes
// and through edges { node }.
func nodeSelections(op *graphql.OperationContext, conn ast.SelectionSet) ast.SelectionSet {
	var out ast.SelectionSet
	for _, f := range graphql.CollectFields(op, conn, nil) {
		switch f.Name {
		case "nodes":
			out = append(out, f.Selections...)
		case "edges":
			for _, e := range graphql.CollectFields(op, f.Selections, nil) {
				if e.Name == "node" {
					out = append(out, e.Selections...)
				}
			}
		}
	}
	return out
}

func selects(op *graphql.OperationContext, sel ast.SelectionSet, name string) bool {
	for _, f := range graphql.CollectFields(op, sel, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// args coerces a selected field's arguments with the generated parser of that field,
// exactly as its resolver receives them; ok is false when they do not parse (the
// resolver reports that).
func (a *lookahead) args(f graphql.CollectedField, parse func(*executionContext, context.Context, map[string]any) (map[string]any, error)) (map[string]any, bool) {
	args, err := parse(a.ec, a.ctx, f.ArgumentMap(a.op.Variables))
	return args, err == nil
}

func (a *lookahead) cities(sel ast.SelectionSet, cities []*relations.City) {
	ids := idsOf(cities, func(c *relations.City) uuid.UUID { return c.ID })
	if len(ids) == 0 {
		return
	}
	for _, f := range graphql.CollectFields(a.op, sel, cityImplementors) {
		switch f.Name {
		case "partnerships":
			args, ok := a.args(f, (*executionContext).field_City_partnerships_args)
			if !ok {
				continue
			}
			keys, ok := keysFor(ids, func(id uuid.UUID) (loader.PartnershipPageKey, error) {
				return partnershipPageKey(id, args["kind"].(*relations.PartnershipKind), args["asOf"].(*time.Time), args["first"].(*int), args["after"].(*string))
			})
			if !ok {
				continue
			}
			pages := a.l.CityPartnerships.Preload(a.ctx, keys)
			if selects(a.op, f.Selections, "totalCount") {
				counts := make([]loader.PartnershipCountKey, len(keys))
				for i, k := range keys {
					counts[i] = loader.PartnershipCountKey{Parent: k.Parent, PartnershipFilter: k.PartnershipFilter}
				}
				a.l.CityPartnershipCount.Preload(a.ctx, counts)
			}
			a.partnerships(nodeSelections(a.op, f.Selections), itemsOf(pages))
		case "agreements":
			if pages, ok := preloadPages(a, f, ids, (*executionContext).field_City_agreements_args, a.l.CityAgreements, a.l.CityAgreementCount); ok {
				a.agreements(nodeSelections(a.op, f.Selections), itemsOf(pages))
			}
		case "officials":
			if pages, ok := preloadPages(a, f, ids, (*executionContext).field_City_officials_args, a.l.CityOfficials, a.l.CityOfficialCount); ok {
				a.officials(nodeSelections(a.op, f.Selections), itemsOf(pages))
			}
		case "institutions":
			preloadPages(a, f, ids, (*executionContext).field_City_institutions_args, a.l.CityInstitutions, a.l.CityInstitutionCount)
		case "names":
			a.l.CityNames.Preload(a.ctx, ids)
		case "reportedFigures":
			a.l.ReportedFigures.Preload(a.ctx, ids)
		case "sources":
			a.l.Sources(postgres.CitySubject).Preload(a.ctx, ids)
		}
	}
}

func (a *lookahead) partnerships(sel ast.SelectionSet, ps []*relations.Partnership) {
	ids := idsOf(ps, func(p *relations.Partnership) uuid.UUID { return p.ID })
	if len(ids) == 0 {
		return
	}
	for _, f := range graphql.CollectFields(a.op, sel, partnershipImplementors) {
		switch f.Name {
		case "partner":
			partners := make([]*relations.City, 0, len(ps))
			for _, p := range ps {
				partners = append(partners, p.Partner)
			}
			a.cities(f.Selections, partners)
		case "cities", "distanceKm":
			var cityIDs []uuid.UUID
			for _, p := range ps {
				cityIDs = append(cityIDs, p.CityAID, p.CityBID)
			}
			cities := a.l.City.Preload(a.ctx, unique(cityIDs))
			if f.Name == "cities" {
				a.cities(f.Selections, cities)
			}
		case "agreement":
			var agreementIDs []uuid.UUID
			for _, p := range ps {
				if p.AgreementID != nil {
					agreementIDs = append(agreementIDs, *p.AgreementID)
				}
			}
			a.agreements(f.Selections, a.l.Agreement.Preload(a.ctx, unique(agreementIDs)))
		case "sources":
			a.l.Sources(postgres.PartnershipSubject).Preload(a.ctx, ids)
		}
	}
}

func (a *lookahead) agreements(sel ast.SelectionSet, as []*relations.Agreement) {
	ids := idsOf(as, func(x *relations.Agreement) uuid.UUID { return x.ID })
	if len(ids) == 0 {
		return
	}
	for _, f := range graphql.CollectFields(a.op, sel, agreementImplementors) {
		switch f.Name {
		case "parties":
			a.cities(f.Selections, flatten(a.l.AgreementParties.Preload(a.ctx, ids)))
		case "signatories":
			signatories := flatten(a.l.AgreementSignatories.Preload(a.ctx, ids))
			for _, s := range graphql.CollectFields(a.op, f.Selections, signatoryImplementors) {
				switch s.Name {
				case "official":
					officials := make([]*relations.Official, 0, len(signatories))
					for _, x := range signatories {
						officials = append(officials, x.Official)
					}
					a.officials(s.Selections, officials)
				case "party":
					parties := make([]uuid.UUID, 0, len(signatories))
					for _, x := range signatories {
						parties = append(parties, x.PartyID)
					}
					a.cities(s.Selections, a.l.City.Preload(a.ctx, unique(parties)))
				}
			}
		case "areas":
			a.l.AgreementAreas.Preload(a.ctx, ids)
		case "institutions":
			a.l.AgreementInstitutions.Preload(a.ctx, ids)
		case "partnerships":
			a.partnerships(f.Selections, flatten(a.l.AgreementPartnerships.Preload(a.ctx, ids)))
		case "signedIn":
			var cityIDs []uuid.UUID
			for _, x := range as {
				if x != nil && x.SignedInID != nil {
					cityIDs = append(cityIDs, *x.SignedInID)
				}
			}
			a.cities(f.Selections, a.l.City.Preload(a.ctx, unique(cityIDs)))
		case "sources":
			a.l.Sources(postgres.AgreementSubject).Preload(a.ctx, ids)
		}
	}
}

func (a *lookahead) officials(sel ast.SelectionSet, os []*relations.Official) {
	ids := idsOf(os, func(o *relations.Official) uuid.UUID { return o.ID })
	if len(ids) == 0 {
		return
	}
	for _, f := range graphql.CollectFields(a.op, sel, officialImplementors) {
		switch f.Name {
		case "city":
			var cityIDs []uuid.UUID
			for _, o := range os {
				if o != nil && o.CityID != nil {
					cityIDs = append(cityIDs, *o.CityID)
				}
			}
			a.cities(f.Selections, a.l.City.Preload(a.ctx, unique(cityIDs)))
		case "agreements":
			if pages, ok := preloadPages(a, f, ids, (*executionContext).field_Official_agreements_args, a.l.OfficialAgreements, a.l.OfficialAgreementCnt); ok {
				a.agreements(nodeSelections(a.op, f.Selections), itemsOf(pages))
			}
		case "names":
			a.l.OfficialNames.Preload(a.ctx, ids)
		case "sources":
			a.l.Sources(postgres.OfficialSubject).Preload(a.ctx, ids)
		}
	}
}

// pages preloads a nested connection that takes first and after, and its totalCount
// when selected.
func preloadPages[T any](a *lookahead, f graphql.CollectedField, parents []uuid.UUID,
	parse func(*executionContext, context.Context, map[string]any) (map[string]any, error),
	pl *loader.Loader[loader.PageKey, *relations.Page[T]], cl *loader.Loader[uuid.UUID, int]) ([]*relations.Page[T], bool) {
	args, ok := a.args(f, parse)
	if !ok {
		return nil, false
	}
	keys, ok := keysFor(parents, func(id uuid.UUID) (loader.PageKey, error) {
		return nestedPage(id, args["first"].(*int), args["after"].(*string))
	})
	if !ok {
		return nil, false
	}
	pages := pl.Preload(a.ctx, keys)
	if selects(a.op, f.Selections, "totalCount") {
		cl.Preload(a.ctx, parents)
	}
	return pages, true
}

// keysFor builds one loader key per parent; ok is false when the arguments are
// invalid, which the resolver reports.
func keysFor[K any](parents []uuid.UUID, key func(uuid.UUID) (K, error)) ([]K, bool) {
	keys := make([]K, len(parents))
	for i, id := range parents {
		k, err := key(id)
		if err != nil {
			return nil, false
		}
		keys[i] = k
	}
	return keys, true
}

// idsOf lists the distinct ids of the non-nil objects.
func idsOf[T any](objs []*T, id func(*T) uuid.UUID) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(objs))
	for _, o := range objs {
		if o != nil {
			ids = append(ids, id(o))
		}
	}
	return unique(ids)
}

func unique(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func itemsOf[T any](pages []*relations.Page[T]) []*T {
	var out []*T
	for _, p := range pages {
		if p != nil {
			out = append(out, p.Items...)
		}
	}
	return out
}

func flatten[T any](lists [][]*T) []*T {
	var out []*T
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
