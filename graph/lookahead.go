package graph

import (
	"context"
	"log/slog"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
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
// lookahead knows: *knowledge.City, Agreement, Official or Partnership).
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
	case []*knowledge.City:
		covered = walk(a, sel, objs, &cityFields)
	case []*knowledge.Agreement:
		covered = walk(a, sel, objs, &agreementFields)
	case []*knowledge.Official:
		covered = walk(a, sel, objs, &officialFields)
	case []*knowledge.Partnership:
		covered = walk(a, sel, objs, &partnershipFields)
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
func lookAheadPage[T any](ctx context.Context, page *knowledge.Page[T]) {
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

// What the lookahead knows of the schema: for each type whose selections it reads,
// every field, by what it does with it. lookahead_test.go holds these tables against
// the schema both ways: a field the schema has and no table names fails it, and so
// does a name here the schema lacks. A new relation must be either preloaded or left
// to the loaders on purpose, with the reason; it cannot slip onto the slow path unseen.

// A relation preloads one field for the objects of a level (ids: their distinct ids,
// nil for types without one) and reports whether everything f selects below it is now
// loaded.
type relation[T any] func(a *lookahead, f graphql.CollectedField, objs []*T, ids []uuid.UUID) bool

// plainFields describes a type the lookahead reads selections of but does not walk
// below: selecting anything but a plain field counts as a selection that may wait.
type plainFields struct {
	typeName     string
	implementors []string
	// plain fields are read with the object itself.
	plain map[string]bool
	// loaders are the fields deliberately left to the resolvers' loaders, each with the
	// reason. Selecting one is still correct, but keeps gqlgen's concurrent marshalling
	// below the root field (marshal.go).
	loaders map[string]string
}

// fields describes a type the lookahead walks: preload holds its relations.
type fields[T any] struct {
	plainFields
	// id gives an object's id, for the relations keyed by it; nil for a type without one.
	id      func(*T) uuid.UUID
	preload map[string]relation[T]
}

func (f *plainFields) table() (*plainFields, []string) { return f, nil }

func (f *fields[T]) table() (*plainFields, []string) {
	names := make([]string, 0, len(f.preload))
	for n := range f.preload {
		names = append(names, n)
	}
	return &f.plainFields, names
}

// fenced is every table, for lookahead_test.go.
var fenced = []interface {
	table() (*plainFields, []string)
}{&cityFields, &partnershipFields, &agreementFields, &officialFields, &signatoryFields,
	&countryFields, &divisionFields, &institutionFields, &localizedNameFields, &reportedFigureFields}

// wholeTypes are read whole with the object that holds them, and the lookahead does not
// look into their selections: none of their fields may need a load (the test checks).
var wholeTypes = fieldSet("PageInfo", "Location", "ExternalIds", "Source", "NetworkStats", "NetworkYear")

// The reasons below are why a relation is left to its loader rather than preloaded.
const (
	whyStatements = "per-source statements are asked of one object to show where sources disagree, " +
		"rarely across a level; their loader batches them (batching_test.go, \"beyond the lookahead\")"
	whyOneInstitution = "what hangs off an institution is asked of one institution, not of the " +
		"institutions listed below a level of cities or agreements; its loader batches it"
)

var cityFields = fields[knowledge.City]{
	plainFields: plainFields{
		typeName:     "City",
		implementors: cityImplementors,
		plain:        fieldSet("id", "version", "name", "population", "location", "wikidataId", "geonamesId", "externalIds"),
		loaders:      map[string]string{"statements": whyStatements},
	},
	id: func(c *knowledge.City) uuid.UUID { return c.ID },
}

var partnershipFields = fields[knowledge.Partnership]{
	plainFields: plainFields{
		typeName:     "Partnership",
		implementors: partnershipImplementors,
		plain:        fieldSet("id", "version", "kind", "since", "until"),
		loaders:      map[string]string{"statements": whyStatements},
	},
	id: func(p *knowledge.Partnership) uuid.UUID { return p.ID },
}

var agreementFields = fields[knowledge.Agreement]{
	plainFields: plainFields{
		typeName:     "Agreement",
		implementors: agreementImplementors,
		plain:        fieldSet("id", "version", "title", "kind", "signedOn", "summary", "addedSequence"),
		loaders:      map[string]string{"statements": whyStatements},
	},
	id: func(x *knowledge.Agreement) uuid.UUID { return x.ID },
}

var officialFields = fields[knowledge.Official]{
	plainFields: plainFields{
		typeName:     "Official",
		implementors: officialImplementors,
		plain:        fieldSet("id", "version", "name", "title", "wikidataId", "externalIds"),
		loaders:      map[string]string{"statements": whyStatements},
	},
	id: func(o *knowledge.Official) uuid.UUID { return o.ID },
}

// Signatories come with their official (the store reads it with every signature).
var signatoryFields = fields[knowledge.Signatory]{
	plainFields: plainFields{
		typeName:     "Signatory",
		implementors: signatoryImplementors,
		plain:        fieldSet("role"),
	},
}

// A division is its code (in the city's row) and its name.
var divisionFields = plainFields{
	typeName:     "Division",
	implementors: divisionImplementors,
	plain:        fieldSet("code", "name"),
}

// A city's country comes in the city's row.
var countryFields = plainFields{
	typeName:     "Country",
	implementors: countryImplementors,
	plain:        fieldSet("id", "code", "name", "wikidataId", "externalIds"),
	loaders: map[string]string{
		"cities": "a country's cities are asked of a country, not of the countries of a level of cities; their loader batches them",
	},
}

var institutionFields = plainFields{
	typeName:     "Institution",
	implementors: institutionImplementors,
	plain:        fieldSet("id", "version", "name", "kind", "foundedOn", "description", "wikidataId", "externalIds"),
	loaders: map[string]string{
		"city": whyOneInstitution, "agreements": whyOneInstitution,
		"sources": whyOneInstitution, "statements": whyStatements,
	},
}

// Names and figures name their source by id.
var localizedNameFields = fields[knowledge.LocalizedName]{
	plainFields: plainFields{
		typeName:     "LocalizedName",
		implementors: localizedNameImplementors,
		plain:        fieldSet("language", "name"),
	},
}

var reportedFigureFields = fields[knowledge.ReportedFigure]{
	plainFields: plainFields{
		typeName:     "ReportedFigure",
		implementors: reportedFigureImplementors,
		plain:        fieldSet("metric", "value", "asOf"),
	},
	id: func(f *knowledge.ReportedFigure) uuid.UUID { return f.ID },
}

// The relations are set here rather than in the tables above because they walk the
// types they lead to, whose tables would then take part in their own initialization, a
// cycle Go refuses.
func init() {
	cityFields.preload = map[string]relation[knowledge.City]{
		"country": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, _ []uuid.UUID) bool {
			return a.plain(f.Selections, &countryFields)
		},
		"partnerships": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			keys, ok := a.partnershipPages(f, ids)
			if !ok || !connectionPlain(a.op, f.Selections) {
				return false
			}
			pages := a.l.CityPartnerships.Preload(a.ctx, keys)
			if selects(a.op, f.Selections, "totalCount") {
				counts := make([]loader.PartnershipCountKey, len(keys))
				for i, k := range keys {
					counts[i] = loader.PartnershipCountKey{Parent: k.Parent, PartnershipFilter: k.PartnershipFilter}
				}
				a.l.CityPartnershipCount.Preload(a.ctx, counts)
			}
			return walk(a, nodeSelections(a.op, f.Selections), itemsOf(pages), &partnershipFields)
		},
		"agreements": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			pages, ok := preloadPages(a, f, ids, (*executionContext).field_City_agreements_args, a.l.CityAgreements, a.l.CityAgreementCount)
			return ok && walk(a, nodeSelections(a.op, f.Selections), itemsOf(pages), &agreementFields)
		},
		"officials": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			pages, ok := preloadPages(a, f, ids, (*executionContext).field_City_officials_args, a.l.CityOfficials, a.l.CityOfficialCount)
			return ok && walk(a, nodeSelections(a.op, f.Selections), itemsOf(pages), &officialFields)
		},
		"institutions": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			_, ok := preloadPages(a, f, ids, (*executionContext).field_City_institutions_args, a.l.CityInstitutions, a.l.CityInstitutionCount)
			return ok && a.plain(nodeSelections(a.op, f.Selections), &institutionFields)
		},
		"network": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			args, ok := a.args(f, (*executionContext).field_City_network_args)
			if !ok {
				return false
			}
			keys := make([]loader.NetworkKey, len(ids))
			for i, id := range ids {
				keys[i] = loader.NetworkKey{City: id, AsOf: dateKey(args["asOf"].(*knowledge.Date))}
			}
			a.l.CityNetwork.Preload(a.ctx, keys)
			return true
		},
		"names": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			return walk(a, f.Selections, flatten(a.l.CityNames.Preload(a.ctx, ids)), &localizedNameFields)
		},
		"reportedFigures": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.City, ids []uuid.UUID) bool {
			return walk(a, f.Selections, flatten(a.l.ReportedFigures.Preload(a.ctx, ids)), &reportedFigureFields)
		},
		"sources": preloadSources[knowledge.City](knowledge.CitySubject),
		"division": func(a *lookahead, f graphql.CollectedField, cities []*knowledge.City, _ []uuid.UUID) bool {
			seen := map[knowledge.DivisionKey]bool{}
			var keys []knowledge.DivisionKey
			for _, c := range cities {
				if k := (knowledge.DivisionKey{CountryID: c.CountryID, Code: deref(c.Admin1)}); c.Admin1 != nil && !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
			a.l.Division.Preload(a.ctx, keys)
			return a.plain(f.Selections, &divisionFields)
		},
	}

	partnershipEnds := func(a *lookahead, f graphql.CollectedField, ps []*knowledge.Partnership, _ []uuid.UUID) []*knowledge.City {
		ends := append(pointedTo(ps, func(p *knowledge.Partnership) *uuid.UUID { return &p.CityAID }),
			pointedTo(ps, func(p *knowledge.Partnership) *uuid.UUID { return &p.CityBID })...)
		return a.l.City.Preload(a.ctx, unique(ends))
	}
	partnershipFields.preload = map[string]relation[knowledge.Partnership]{
		// The partner comes in the partnership's row.
		"partner": func(a *lookahead, f graphql.CollectedField, ps []*knowledge.Partnership, _ []uuid.UUID) bool {
			return walk(a, f.Selections, inRow(ps, func(p *knowledge.Partnership) *knowledge.City { return p.Partner }), &cityFields)
		},
		"cities": func(a *lookahead, f graphql.CollectedField, ps []*knowledge.Partnership, ids []uuid.UUID) bool {
			return walk(a, f.Selections, partnershipEnds(a, f, ps, ids), &cityFields)
		},
		// The distance is computed from both cities' locations.
		"distanceKm": func(a *lookahead, f graphql.CollectedField, ps []*knowledge.Partnership, ids []uuid.UUID) bool {
			partnershipEnds(a, f, ps, ids)
			return true
		},
		"agreement": func(a *lookahead, f graphql.CollectedField, ps []*knowledge.Partnership, _ []uuid.UUID) bool {
			agreements := pointedTo(ps, func(p *knowledge.Partnership) *uuid.UUID { return p.AgreementID })
			return walk(a, f.Selections, a.l.Agreement.Preload(a.ctx, agreements), &agreementFields)
		},
		"sources": preloadSources[knowledge.Partnership](knowledge.PartnershipSubject),
	}

	agreementFields.preload = map[string]relation[knowledge.Agreement]{
		"parties": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.Agreement, ids []uuid.UUID) bool {
			return walk(a, f.Selections, flatten(a.l.AgreementParties.Preload(a.ctx, ids)), &cityFields)
		},
		"signatories": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.Agreement, ids []uuid.UUID) bool {
			return walk(a, f.Selections, flatten(a.l.AgreementSignatories.Preload(a.ctx, ids)), &signatoryFields)
		},
		"areas": func(a *lookahead, _ graphql.CollectedField, _ []*knowledge.Agreement, ids []uuid.UUID) bool {
			a.l.AgreementAreas.Preload(a.ctx, ids)
			return true
		},
		"institutions": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.Agreement, ids []uuid.UUID) bool {
			a.l.AgreementInstitutions.Preload(a.ctx, ids)
			return a.plain(f.Selections, &institutionFields)
		},
		"partnerships": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.Agreement, ids []uuid.UUID) bool {
			return walk(a, f.Selections, flatten(a.l.AgreementPartnerships.Preload(a.ctx, ids)), &partnershipFields)
		},
		"signedIn": func(a *lookahead, f graphql.CollectedField, as []*knowledge.Agreement, _ []uuid.UUID) bool {
			places := pointedTo(as, func(x *knowledge.Agreement) *uuid.UUID { return x.SignedInID })
			return walk(a, f.Selections, a.l.City.Preload(a.ctx, places), &cityFields)
		},
		"sources": preloadSources[knowledge.Agreement](knowledge.AgreementSubject),
	}

	signatoryFields.preload = map[string]relation[knowledge.Signatory]{
		"official": func(a *lookahead, f graphql.CollectedField, ss []*knowledge.Signatory, _ []uuid.UUID) bool {
			return walk(a, f.Selections, inRow(ss, func(s *knowledge.Signatory) *knowledge.Official { return s.Official }), &officialFields)
		},
		"party": func(a *lookahead, f graphql.CollectedField, ss []*knowledge.Signatory, _ []uuid.UUID) bool {
			parties := pointedTo(ss, func(x *knowledge.Signatory) *uuid.UUID { return &x.PartyID })
			return walk(a, f.Selections, a.l.City.Preload(a.ctx, parties), &cityFields)
		},
	}

	officialFields.preload = map[string]relation[knowledge.Official]{
		"city": func(a *lookahead, f graphql.CollectedField, os []*knowledge.Official, _ []uuid.UUID) bool {
			cities := pointedTo(os, func(o *knowledge.Official) *uuid.UUID { return o.CityID })
			return walk(a, f.Selections, a.l.CityShowing(a.ctx, selects(a.op, f.Selections, "country")).Preload(a.ctx, cities), &cityFields)
		},
		"agreements": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.Official, ids []uuid.UUID) bool {
			pages, ok := preloadPages(a, f, ids, (*executionContext).field_Official_agreements_args, a.l.OfficialAgreements, a.l.OfficialAgreementCnt)
			return ok && walk(a, nodeSelections(a.op, f.Selections), itemsOf(pages), &agreementFields)
		},
		"names": func(a *lookahead, f graphql.CollectedField, _ []*knowledge.Official, ids []uuid.UUID) bool {
			return walk(a, f.Selections, flatten(a.l.OfficialNames.Preload(a.ctx, ids)), &localizedNameFields)
		},
		"sources": preloadSources[knowledge.Official](knowledge.OfficialSubject),
	}

	localizedNameFields.preload = map[string]relation[knowledge.LocalizedName]{
		"source": func(a *lookahead, _ graphql.CollectedField, names []*knowledge.LocalizedName, _ []uuid.UUID) bool {
			a.l.Source.Preload(a.ctx, pointedTo(names, func(n *knowledge.LocalizedName) *uuid.UUID { return n.SourceID }))
			return true
		},
	}
	reportedFigureFields.preload = map[string]relation[knowledge.ReportedFigure]{
		"source": func(a *lookahead, _ graphql.CollectedField, figures []*knowledge.ReportedFigure, _ []uuid.UUID) bool {
			a.l.Source.Preload(a.ctx, pointedTo(figures, func(f *knowledge.ReportedFigure) *uuid.UUID { return &f.SourceID }))
			return true
		},
	}
}

// partnershipPages are the page keys of a selected City.partnerships, one per city; ok
// is false when its arguments are invalid, which the resolver reports.
func (a *lookahead) partnershipPages(f graphql.CollectedField, cities []uuid.UUID) ([]loader.PartnershipPageKey, bool) {
	args, ok := a.args(f, (*executionContext).field_City_partnerships_args)
	if !ok {
		return nil, false
	}
	return keysFor(cities, func(id uuid.UUID) (loader.PartnershipPageKey, error) {
		return partnershipPageKey(id, args["kind"].(*knowledge.PartnershipKind), args["asOf"].(*knowledge.Date), args["first"].(*int), args["after"].(*string))
	})
}

// cityByID reads a city by id. When the query selects the city's partnerships, their
// page is read with the city, in one statement rather than one per level
// (loader.CityWithPartnerships), and the lookahead finds it read.
func cityByID(ctx context.Context, store *postgres.DB, id uuid.UUID) (*knowledge.City, error) {
	l := loader.For(ctx)
	if fc := graphql.GetFieldContext(ctx); fc != nil && graphql.HasOperationContext(ctx) {
		a := &lookahead{ctx: ctx, op: graphql.GetOperationContext(ctx), l: l, ec: &executionContext{}}
		for _, f := range graphql.CollectFields(a.op, fc.Field.Selections, cityImplementors) {
			if f.Name != "partnerships" {
				continue
			}
			if keys, ok := a.partnershipPages(f, []uuid.UUID{id}); ok {
				if c, ok, err := l.CityWithPartnerships(ctx, id, keys[0], store.CityWithPartnerships); ok || err != nil {
					return c, err
				}
			}
			break // another page (an alias with other arguments) is the lookahead's
		}
	}
	return fetchOne(ctx, l.City, id)
}

// agreementLinks are the lists of each agreement that the selection of an agreements
// connection shows and that the page's own statement can read
// (postgres.AgreementsWithLinks): its parties, its signatures with their officials,
// and those officials' cities.
func agreementLinks(ctx context.Context) postgres.AgreementLinks {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return postgres.AgreementLinks{}
	}
	op := graphql.GetOperationContext(ctx)
	if !connectionPlain(op, fc.Field.Selections) {
		return postgres.AgreementLinks{}
	}
	var links postgres.AgreementLinks
	for _, f := range graphql.CollectFields(op, nodeSelections(op, fc.Field.Selections), agreementImplementors) {
		switch f.Name {
		case "parties":
			links.Parties = true
		case "signatories":
			links.Signatories = true
			for _, s := range graphql.CollectFields(op, f.Selections, signatoryImplementors) {
				if s.Name != "official" {
					continue
				}
				for _, c := range graphql.CollectFields(op, s.Selections, officialImplementors) {
					if c.Name == "city" {
						links.OfficialCities = true
						links.OfficialCityCountries = links.OfficialCityCountries || selects(op, c.Selections, "country")
					}
				}
			}
		}
	}
	return links
}

// agreementsPage reads a page of agreements, and in the same statement the lists the
// query shows of each, when it shows any (agreementLinks): the lookahead then finds
// them read.
func agreementsPage(ctx context.Context, store *postgres.DB, q knowledge.AgreementQuery, pa knowledge.PageArgs) (*knowledge.Page[knowledge.Agreement], error) {
	if links := agreementLinks(ctx); links.Any() {
		return loader.For(ctx).AgreementsWithLinks(ctx, func(ctx context.Context) (*postgres.LinkedAgreements, error) {
			return store.AgreementsWithLinks(ctx, q, pa, links)
		})
	}
	return store.Agreements(ctx, q, pa)
}

// preloadSources preloads the sources of a level; a Source is read whole.
func preloadSources[T any](s knowledge.Subject) relation[T] {
	return func(a *lookahead, _ graphql.CollectedField, _ []*T, ids []uuid.UUID) bool {
		a.l.Sources(s).Preload(a.ctx, ids)
		return true
	}
}

// walk preloads what sel selects of objs, a level of objects of the table's type, and
// reports whether that was all of it.
func walk[T any](a *lookahead, sel ast.SelectionSet, objs []*T, t *fields[T]) bool {
	var ids []uuid.UUID
	if t.id != nil {
		if ids = idsOf(objs, t.id); len(ids) == 0 {
			return true
		}
	} else if !slices.ContainsFunc(objs, func(o *T) bool { return o != nil }) {
		return true
	}
	covered := true
	for _, f := range graphql.CollectFields(a.op, sel, t.implementors) {
		switch load := t.preload[f.Name]; {
		case f.Name == "__typename" || t.plain[f.Name]:
		case load != nil:
			covered = load(a, f, objs, ids) && covered
		default:
			// Left to the loaders, or unknown: the resolvers load it.
			covered = false
		}
	}
	return covered
}

// plain reports whether sel selects nothing of the type but plain fields.
func (a *lookahead) plain(sel ast.SelectionSet, t *plainFields) bool {
	for _, f := range graphql.CollectFields(a.op, sel, t.implementors) {
		if f.Name != "__typename" && !t.plain[f.Name] {
			return false
		}
	}
	return true
}

// Connections and their edges are read with their page: what needs a load is their
// nodes, whose selections the lookahead walks.
var (
	connectionFields = fieldSet("pageInfo", "totalCount", "nodes", "edges")
	edgeFields       = fieldSet("cursor", "node")
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
		if f.Name != "__typename" && !fields[f.Name] {
			return false
		}
	}
	return true
}

// connectionPlain reports whether a connection's selection asks nothing of the
// connection and its edges that needs a load.
func connectionPlain(op *graphql.OperationContext, sel ast.SelectionSet) bool {
	for _, f := range graphql.CollectFields(op, sel, nil) {
		if f.Name != "__typename" && (!connectionFields[f.Name] || (f.Name == "edges" && !onlyEdge(op, f.Selections))) {
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

// showsCountry says whether the city field being resolved shows the city's country
// (when unsure, that it does: the city is then read whole).
func showsCountry(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc == nil || !graphql.HasOperationContext(ctx) || selects(graphql.GetOperationContext(ctx), fc.Field.Selections, "country")
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

// preloadPages preloads a nested connection that takes first and after, and its
// totalCount when selected; ok is false when it did not (bad arguments, or a selection
// on the connection that needs a load).
func preloadPages[T any](a *lookahead, f graphql.CollectedField, parents []uuid.UUID,
	parse func(*executionContext, context.Context, map[string]any) (map[string]any, error),
	pl *loader.Loader[loader.PageKey, *knowledge.Page[T]], cl *loader.Loader[uuid.UUID, int]) ([]*knowledge.Page[T], bool) {
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
// inRow collects the objects that came in their parents' rows (a partnership's partner,
// a signature's official), so the next level starts from them without a statement.
func inRow[P, C any](parents []*P, get func(*P) *C) []*C {
	out := make([]*C, 0, len(parents))
	for _, p := range parents {
		if p != nil {
			out = append(out, get(p))
		}
	}
	return out
}

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

func itemsOf[T any](pages []*knowledge.Page[T]) []*T {
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
