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
//
// When the lookahead has preloaded every relation a root field selects, nothing below
// that field can wait on the database, and gqlgen's goroutine per list item would only
// cost: the field's lists are then marshalled in one goroutine (marshal.go). A field
// the lookahead does not know counts as one that may wait, so a new relation is safe
// before anyone teaches the lookahead about it.

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
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		lookAheadFrom(ctx, fc, fc.Field.Selections, objs)
	}
}

// lookAheadFrom preloads what sel selects below objs, and marks fc, the field being
// resolved, when nothing below it is left to load.
func lookAheadFrom[T any](ctx context.Context, fc *graphql.FieldContext, sel ast.SelectionSet, objs []*T) {
	if !graphql.HasOperationContext(ctx) {
		return
	}
	l := loader.For(ctx)
	ctx, failed := loader.WithPreloadReport(ctx)
	a := &lookahead{ctx: ctx, op: graphql.GetOperationContext(ctx), l: l, ec: &executionContext{}}
	defer func() {
		// A bug here must not fail the request: the resolvers load what is missing.
		if r := recover(); r != nil {
			slog.ErrorContext(ctx, "lookahead failed; resolvers load on their own", "panic", r)
		}
	}()
	var covered bool
	switch objs := any(objs).(type) {
	case []*relations.City:
		covered = a.cities(sel, objs)
	case []*relations.Agreement:
		covered = a.agreements(sel, objs)
	case []*relations.Official:
		covered = a.officials(sel, objs)
	case []*relations.Partnership:
		covered = a.partnerships(sel, objs)
	}
	// A read that failed left its keys to the resolvers, which must then wait together.
	if covered && !failed.Load() {
		l.MarkPreloaded(fc)
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
	fc := graphql.GetFieldContext(ctx)
	if page == nil || fc == nil || !graphql.HasOperationContext(ctx) {
		return
	}
	op := graphql.GetOperationContext(ctx)
	if !connectionPlain(op, fc.Field.Selections) {
		return
	}
	lookAheadFrom(ctx, fc, nodeSelections(op, fc.Field.Selections), page.Items)
}

// Fields that need no load once their object is read, per type.
var (
	cityPlain           = fieldSet("__typename", "id", "version", "name", "population", "location", "wikidataId", "geonamesId", "externalIds")
	countryPlain        = fieldSet("__typename", "id", "code", "name", "wikidataId", "externalIds")
	partnershipPlain    = fieldSet("__typename", "id", "version", "kind", "since", "until")
	agreementPlain      = fieldSet("__typename", "id", "version", "title", "kind", "signedOn", "summary")
	officialPlain       = fieldSet("__typename", "id", "version", "name", "title", "wikidataId", "externalIds")
	institutionPlain    = fieldSet("__typename", "id", "version", "name", "kind", "foundedOn", "description", "wikidataId", "externalIds")
	localizedNamePlain  = fieldSet("__typename", "language", "name")
	reportedFigurePlain = fieldSet("__typename", "metric", "value", "asOf")
	// Every field of Source and NetworkStats is read with its object.
	connectionFields = fieldSet("__typename", "pageInfo", "totalCount", "nodes", "edges")
	edgeFields       = fieldSet("__typename", "cursor", "node")
)

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// only reports whether sel selects nothing but the given fields.
func only(op *graphql.OperationContext, sel ast.SelectionSet, fields map[string]bool) bool {
	for _, f := range graphql.CollectFields(op, sel, nil) {
		if !fields[f.Name] {
			return false
		}
	}
	return true
}

// connectionPlain reports whether a connection's selection asks nothing of the
// connection and its edges that needs a load.
func connectionPlain(op *graphql.OperationContext, sel ast.SelectionSet) bool {
	for _, f := range graphql.CollectFields(op, sel, nil) {
		if !connectionFields[f.Name] || (f.Name == "edges" && !onlyEdge(op, f.Selections)) {
			return false
		}
	}
	return true
}

func onlyEdge(op *graphql.OperationContext, sel ast.SelectionSet) bool {
	return only(op, sel, edgeFields)
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

// cities preloads what sel selects of the cities; it reports whether that was all of
// it (the same for each type below).
func (a *lookahead) cities(sel ast.SelectionSet, cities []*relations.City) bool {
	ids := idsOf(cities, func(c *relations.City) uuid.UUID { return c.ID })
	if len(ids) == 0 {
		return true
	}
	covered := true
	for _, f := range graphql.CollectFields(a.op, sel, cityImplementors) {
		switch {
		case cityPlain[f.Name]:
		case f.Name == "country":
			covered = covered && only(a.op, f.Selections, countryPlain)
		case f.Name == "partnerships":
			args, ok := a.args(f, (*executionContext).field_City_partnerships_args)
			var keys []loader.PartnershipPageKey
			if ok {
				keys, ok = keysFor(ids, func(id uuid.UUID) (loader.PartnershipPageKey, error) {
					return partnershipPageKey(id, args["kind"].(*relations.PartnershipKind), args["asOf"].(*time.Time), args["first"].(*int), args["after"].(*string))
				})
			}
			if !ok || !connectionPlain(a.op, f.Selections) {
				covered = false
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
			covered = a.partnerships(nodeSelections(a.op, f.Selections), itemsOf(pages)) && covered
		case f.Name == "agreements":
			pages, ok := preloadPages(a, f, ids, (*executionContext).field_City_agreements_args, a.l.CityAgreements, a.l.CityAgreementCount)
			covered = ok && a.agreements(nodeSelections(a.op, f.Selections), itemsOf(pages)) && covered
		case f.Name == "officials":
			pages, ok := preloadPages(a, f, ids, (*executionContext).field_City_officials_args, a.l.CityOfficials, a.l.CityOfficialCount)
			covered = ok && a.officials(nodeSelections(a.op, f.Selections), itemsOf(pages)) && covered
		case f.Name == "institutions":
			_, ok := preloadPages(a, f, ids, (*executionContext).field_City_institutions_args, a.l.CityInstitutions, a.l.CityInstitutionCount)
			covered = ok && only(a.op, nodeSelections(a.op, f.Selections), institutionPlain) && covered
		case f.Name == "network":
			args, ok := a.args(f, (*executionContext).field_City_network_args)
			if !ok {
				covered = false
				continue
			}
			keys := make([]loader.NetworkKey, len(ids))
			for i, id := range ids {
				keys[i] = loader.NetworkKey{City: id, AsOf: dateKey(args["asOf"].(*time.Time))}
			}
			a.l.CityNetwork.Preload(a.ctx, keys)
		case f.Name == "names":
			a.l.CityNames.Preload(a.ctx, ids)
			covered = covered && only(a.op, f.Selections, localizedNamePlain)
		case f.Name == "reportedFigures":
			a.l.ReportedFigures.Preload(a.ctx, ids)
			covered = covered && only(a.op, f.Selections, reportedFigurePlain)
		case f.Name == "sources":
			a.l.Sources(postgres.CitySubject).Preload(a.ctx, ids)
		default:
			covered = false
		}
	}
	return covered
}

func (a *lookahead) partnerships(sel ast.SelectionSet, ps []*relations.Partnership) bool {
	ids := idsOf(ps, func(p *relations.Partnership) uuid.UUID { return p.ID })
	if len(ids) == 0 {
		return true
	}
	covered := true
	for _, f := range graphql.CollectFields(a.op, sel, partnershipImplementors) {
		switch {
		case partnershipPlain[f.Name]:
		case f.Name == "partner":
			partners := make([]*relations.City, 0, len(ps))
			for _, p := range ps {
				partners = append(partners, p.Partner)
			}
			covered = a.cities(f.Selections, partners) && covered
		case f.Name == "cities" || f.Name == "distanceKm":
			ends := append(pointedTo(ps, func(p *relations.Partnership) *uuid.UUID { return &p.CityAID }),
				pointedTo(ps, func(p *relations.Partnership) *uuid.UUID { return &p.CityBID })...)
			cities := a.l.City.Preload(a.ctx, unique(ends))
			if f.Name == "cities" {
				covered = a.cities(f.Selections, cities) && covered
			}
		case f.Name == "agreement":
			agreements := pointedTo(ps, func(p *relations.Partnership) *uuid.UUID { return p.AgreementID })
			covered = a.agreements(f.Selections, a.l.Agreement.Preload(a.ctx, agreements)) && covered
		case f.Name == "sources":
			a.l.Sources(postgres.PartnershipSubject).Preload(a.ctx, ids)
		default:
			covered = false
		}
	}
	return covered
}

func (a *lookahead) agreements(sel ast.SelectionSet, as []*relations.Agreement) bool {
	ids := idsOf(as, func(x *relations.Agreement) uuid.UUID { return x.ID })
	if len(ids) == 0 {
		return true
	}
	covered := true
	for _, f := range graphql.CollectFields(a.op, sel, agreementImplementors) {
		switch {
		case agreementPlain[f.Name]:
		case f.Name == "parties":
			covered = a.cities(f.Selections, flatten(a.l.AgreementParties.Preload(a.ctx, ids))) && covered
		case f.Name == "signatories":
			signatories := flatten(a.l.AgreementSignatories.Preload(a.ctx, ids))
			for _, s := range graphql.CollectFields(a.op, f.Selections, signatoryImplementors) {
				switch s.Name {
				case "__typename", "role":
				case "official":
					officials := make([]*relations.Official, 0, len(signatories))
					for _, x := range signatories {
						officials = append(officials, x.Official)
					}
					covered = a.officials(s.Selections, officials) && covered
				case "party":
					parties := pointedTo(signatories, func(x *relations.Signatory) *uuid.UUID { return &x.PartyID })
					covered = a.cities(s.Selections, a.l.City.Preload(a.ctx, parties)) && covered
				default:
					covered = false
				}
			}
		case f.Name == "areas":
			a.l.AgreementAreas.Preload(a.ctx, ids)
		case f.Name == "institutions":
			a.l.AgreementInstitutions.Preload(a.ctx, ids)
			covered = covered && only(a.op, f.Selections, institutionPlain)
		case f.Name == "partnerships":
			covered = a.partnerships(f.Selections, flatten(a.l.AgreementPartnerships.Preload(a.ctx, ids))) && covered
		case f.Name == "signedIn":
			places := pointedTo(as, func(x *relations.Agreement) *uuid.UUID { return x.SignedInID })
			covered = a.cities(f.Selections, a.l.City.Preload(a.ctx, places)) && covered
		case f.Name == "sources":
			a.l.Sources(postgres.AgreementSubject).Preload(a.ctx, ids)
		default:
			covered = false
		}
	}
	return covered
}

func (a *lookahead) officials(sel ast.SelectionSet, os []*relations.Official) bool {
	ids := idsOf(os, func(o *relations.Official) uuid.UUID { return o.ID })
	if len(ids) == 0 {
		return true
	}
	covered := true
	for _, f := range graphql.CollectFields(a.op, sel, officialImplementors) {
		switch {
		case officialPlain[f.Name]:
		case f.Name == "city":
			cities := pointedTo(os, func(o *relations.Official) *uuid.UUID { return o.CityID })
			covered = a.cities(f.Selections, a.l.City.Preload(a.ctx, cities)) && covered
		case f.Name == "agreements":
			pages, ok := preloadPages(a, f, ids, (*executionContext).field_Official_agreements_args, a.l.OfficialAgreements, a.l.OfficialAgreementCnt)
			covered = ok && a.agreements(nodeSelections(a.op, f.Selections), itemsOf(pages)) && covered
		case f.Name == "names":
			a.l.OfficialNames.Preload(a.ctx, ids)
			covered = covered && only(a.op, f.Selections, localizedNamePlain)
		case f.Name == "sources":
			a.l.Sources(postgres.OfficialSubject).Preload(a.ctx, ids)
		default:
			covered = false
		}
	}
	return covered
}

// preloadPages preloads a nested connection that takes first and after, and its
// totalCount when selected; ok is false when it did not (bad arguments, or a selection
// on the connection that needs a load).
func preloadPages[T any](a *lookahead, f graphql.CollectedField, parents []uuid.UUID,
	parse func(*executionContext, context.Context, map[string]any) (map[string]any, error),
	pl *loader.Loader[loader.PageKey, *relations.Page[T]], cl *loader.Loader[uuid.UUID, int]) ([]*relations.Page[T], bool) {
	args, ok := a.args(f, parse)
	if !ok || !connectionPlain(a.op, f.Selections) {
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
	return pointedTo(objs, func(o *T) *uuid.UUID { v := id(o); return &v })
}

// pointedTo lists the distinct ids the non-nil objects hold, skipping nil ids.
func pointedTo[T any](objs []*T, id func(*T) *uuid.UUID) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(objs))
	for _, o := range objs {
		if o == nil {
			continue
		}
		if v := id(o); v != nil {
			ids = append(ids, *v)
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
