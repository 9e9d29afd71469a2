// Package loader batches the reads of one GraphQL request: every relation a client can
// nest goes through a Loaders value made for that request, so a query issues one SQL
// statement per relation and depth, however many rows it returns.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/relations"
)

// DefaultWait is how long a loader collects keys before it runs its batch. gqlgen
// resolves the fields of a list's items in parallel goroutines, which all ask within
// microseconds on an idle machine; the wait is paid once per level of a query, so it
// trades latency against the chance that a busy machine splits a batch in two.
const DefaultWait = 2 * time.Millisecond

// PageKey asks for one page of a nested list: the parent, and the page arguments,
// which are the same for every parent in a list field.
type PageKey struct {
	Parent uuid.UUID
	First  int
	After  string
}

// KindPageKey is a PageKey with the partnership kind filter.
type KindPageKey struct {
	PageKey
	Kind relations.PartnershipKind
}

// KindCountKey counts a city's partnerships of one kind ("" for all).
type KindCountKey struct {
	Parent uuid.UUID
	Kind   relations.PartnershipKind
}

// Loaders are the per-request loaders.
type Loaders struct {
	City        *dataloadgen.Loader[uuid.UUID, *relations.City]
	Country     *dataloadgen.Loader[uuid.UUID, *relations.Country]
	Official    *dataloadgen.Loader[uuid.UUID, *relations.Official]
	Agreement   *dataloadgen.Loader[uuid.UUID, *relations.Agreement]
	Institution *dataloadgen.Loader[uuid.UUID, *relations.Institution]
	Partnership *dataloadgen.Loader[uuid.UUID, *relations.Partnership]
	Source      *dataloadgen.Loader[uuid.UUID, *relations.Source]

	CityNames       *dataloadgen.Loader[uuid.UUID, []*relations.LocalizedName]
	OfficialNames   *dataloadgen.Loader[uuid.UUID, []*relations.LocalizedName]
	ReportedFigures *dataloadgen.Loader[uuid.UUID, []*relations.ReportedFigure]

	AgreementParties      *dataloadgen.Loader[uuid.UUID, []*relations.City]
	AgreementAreas        *dataloadgen.Loader[uuid.UUID, []relations.CooperationArea]
	AgreementSignatories  *dataloadgen.Loader[uuid.UUID, []*relations.Signatory]
	AgreementInstitutions *dataloadgen.Loader[uuid.UUID, []*relations.Institution]
	AgreementPartnerships *dataloadgen.Loader[uuid.UUID, []*relations.Partnership]

	CityPartnerships      *dataloadgen.Loader[KindPageKey, *relations.Page[relations.Partnership]]
	CityPartnershipCount  *dataloadgen.Loader[KindCountKey, int]
	CityAgreements        *dataloadgen.Loader[PageKey, *relations.Page[relations.Agreement]]
	CityAgreementCount    *dataloadgen.Loader[uuid.UUID, int]
	CityOfficials         *dataloadgen.Loader[PageKey, *relations.Page[relations.Official]]
	CityOfficialCount     *dataloadgen.Loader[uuid.UUID, int]
	CityInstitutions      *dataloadgen.Loader[PageKey, *relations.Page[relations.Institution]]
	CityInstitutionCount  *dataloadgen.Loader[uuid.UUID, int]
	CountryCities         *dataloadgen.Loader[PageKey, *relations.Page[relations.City]]
	CountryCityCount      *dataloadgen.Loader[uuid.UUID, int]
	OfficialAgreements    *dataloadgen.Loader[PageKey, *relations.Page[relations.Agreement]]
	OfficialAgreementCnt  *dataloadgen.Loader[uuid.UUID, int]
	InstitutionAgreements *dataloadgen.Loader[PageKey, *relations.Page[relations.Agreement]]
	InstitutionAgreeCnt   *dataloadgen.Loader[uuid.UUID, int]

	sources    map[postgres.Subject]*dataloadgen.Loader[uuid.UUID, []*relations.Source]
	statements map[postgres.Subject]*dataloadgen.Loader[uuid.UUID, []*relations.Statement]
}

// New returns fresh loaders over the store. Make one per request: loaders cache what
// they read, and a cache that outlived the request would serve stale facts.
func New(db *postgres.DB, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	l := &Loaders{
		City:        byID(wait, db.CitiesByID),
		Country:     byID(wait, db.CountriesByID),
		Official:    byID(wait, db.OfficialsByID),
		Agreement:   byID(wait, db.AgreementsByID),
		Institution: byID(wait, db.InstitutionsByID),
		Partnership: byID(wait, db.PartnershipsByID),
		Source:      byID(wait, db.SourcesByID),

		CityNames:       grouped(wait, db.CityNames),
		OfficialNames:   grouped(wait, db.OfficialNames),
		ReportedFigures: grouped(wait, db.ReportedFigures),

		AgreementParties:      grouped(wait, db.AgreementParties),
		AgreementAreas:        grouped(wait, db.AgreementAreas),
		AgreementSignatories:  grouped(wait, db.Signatories),
		AgreementInstitutions: grouped(wait, db.InstitutionsOfAgreements),
		AgreementPartnerships: grouped(wait, db.PartnershipsOfAgreements),

		CityAgreements:        paged(wait, db.AgreementsOfCities),
		CityAgreementCount:    grouped(wait, db.CountAgreementsOfCities),
		CityOfficials:         paged(wait, db.OfficialsOfCities),
		CityOfficialCount:     grouped(wait, db.CountOfficialsOfCities),
		CityInstitutions:      paged(wait, db.InstitutionsOfCities),
		CityInstitutionCount:  grouped(wait, db.CountInstitutionsOfCities),
		CountryCities:         paged(wait, db.CitiesOfCountries),
		CountryCityCount:      grouped(wait, db.CountCitiesOfCountries),
		OfficialAgreements:    paged(wait, db.AgreementsOfOfficials),
		OfficialAgreementCnt:  grouped(wait, db.CountAgreementsOfOfficials),
		InstitutionAgreements: paged(wait, db.AgreementsOfInstitutions),
		InstitutionAgreeCnt:   grouped(wait, db.CountAgreementsOfInstitutions),

		sources:    map[postgres.Subject]*dataloadgen.Loader[uuid.UUID, []*relations.Source]{},
		statements: map[postgres.Subject]*dataloadgen.Loader[uuid.UUID, []*relations.Statement]{},
	}
	l.CityPartnerships = dataloadgen.NewLoader(func(ctx context.Context, keys []KindPageKey) ([]*relations.Page[relations.Partnership], []error) {
		return fetchGroups(ctx, keys, func(k KindPageKey) (PageKey, relations.PartnershipKind) { return k.PageKey, k.Kind },
			func(ctx context.Context, kind relations.PartnershipKind, parents []uuid.UUID, pa relations.PageArgs) (map[uuid.UUID]*relations.Page[relations.Partnership], error) {
				return db.PartnershipsOfCities(ctx, parents, kindPtr(kind), pa)
			})
	}, dataloadgen.WithWait(wait))
	l.CityPartnershipCount = dataloadgen.NewLoader(func(ctx context.Context, keys []KindCountKey) ([]int, []error) {
		byKind := map[relations.PartnershipKind][]uuid.UUID{}
		for _, k := range keys {
			byKind[k.Kind] = append(byKind[k.Kind], k.Parent)
		}
		counts := make(map[KindCountKey]int, len(keys))
		for kind, parents := range byKind {
			got, err := db.CountPartnershipsOfCities(ctx, parents, kindPtr(kind))
			if err != nil {
				return nil, []error{err}
			}
			for id, n := range got {
				counts[KindCountKey{id, kind}] = n
			}
		}
		out := make([]int, len(keys))
		for i, k := range keys {
			out[i] = counts[k]
		}
		return out, nil
	}, dataloadgen.WithWait(wait))
	for _, s := range []postgres.Subject{postgres.CitySubject, postgres.OfficialSubject, postgres.AgreementSubject,
		postgres.PartnershipSubject, postgres.InstitutionSubject} {
		l.sources[s] = grouped(wait, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*relations.Source, error) {
			return db.SourcesOf(ctx, s, ids)
		})
		l.statements[s] = grouped(wait, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*relations.Statement, error) {
			return db.StatementsOf(ctx, s, ids)
		})
	}
	return l
}

// Sources returns the loader of the sources that entities of the subject kind cite.
func (l *Loaders) Sources(s postgres.Subject) *dataloadgen.Loader[uuid.UUID, []*relations.Source] {
	return l.sources[s]
}

// Statements returns the loader of statements about entities of the subject kind.
func (l *Loaders) Statements(s postgres.Subject) *dataloadgen.Loader[uuid.UUID, []*relations.Statement] {
	return l.statements[s]
}

func kindPtr(k relations.PartnershipKind) *relations.PartnershipKind {
	if k == "" {
		return nil
	}
	return &k
}

// byID loads objects by id; an id with no object loads as nil, not as an error, so an
// unknown id reads as null.
func byID[T any](wait time.Duration, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]*T, error)) *dataloadgen.Loader[uuid.UUID, *T] {
	return grouped(wait, fetch)
}

// grouped loads one value per id from a fetch that returns a map; absent ids get the
// zero value (an empty list, a zero count).
func grouped[V any](wait time.Duration, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) *dataloadgen.Loader[uuid.UUID, V] {
	return dataloadgen.NewLoader(func(ctx context.Context, ids []uuid.UUID) ([]V, []error) {
		got, err := fetch(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		out := make([]V, len(ids))
		for i, id := range ids {
			out[i] = got[id]
		}
		return out, nil
	}, dataloadgen.WithWait(wait))
}

// paged loads pages of a nested list. Keys that share page arguments go in one
// statement; a request rarely has more than one set of arguments per list field.
func paged[T any](wait time.Duration, fetch func(context.Context, []uuid.UUID, relations.PageArgs) (map[uuid.UUID]*relations.Page[T], error)) *dataloadgen.Loader[PageKey, *relations.Page[T]] {
	return dataloadgen.NewLoader(func(ctx context.Context, keys []PageKey) ([]*relations.Page[T], []error) {
		return fetchGroups(ctx, keys, func(k PageKey) (PageKey, struct{}) { return k, struct{}{} },
			func(ctx context.Context, _ struct{}, parents []uuid.UUID, pa relations.PageArgs) (map[uuid.UUID]*relations.Page[T], error) {
				return fetch(ctx, parents, pa)
			})
	}, dataloadgen.WithWait(wait))
}

type groupKey[X comparable] struct {
	first int
	after string
	extra X
}

// fetchGroups splits keys by their page arguments (and an extra filter), fetches each
// group in one call, and puts the pages back in key order.
func fetchGroups[K any, X comparable, T any](ctx context.Context, keys []K, split func(K) (PageKey, X),
	fetch func(context.Context, X, []uuid.UUID, relations.PageArgs) (map[uuid.UUID]*relations.Page[T], error)) ([]*relations.Page[T], []error) {
	groups := map[groupKey[X]][]int{}
	var order []groupKey[X]
	for i, k := range keys {
		pk, x := split(k)
		g := groupKey[X]{pk.First, pk.After, x}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], i)
	}
	out := make([]*relations.Page[T], len(keys))
	errs := make([]error, len(keys))
	for _, g := range order {
		idx := groups[g]
		parents := make([]uuid.UUID, len(idx))
		for j, i := range idx {
			pk, _ := split(keys[i])
			parents[j] = pk.Parent
		}
		first := g.first
		pa := relations.PageArgs{First: &first}
		if g.after != "" {
			after := g.after
			pa.After = &after
		}
		pages, err := fetch(ctx, g.extra, parents, pa)
		for j, i := range idx {
			if err != nil {
				errs[i] = err
				continue
			}
			out[i] = pages[parents[j]]
		}
	}
	return out, errs
}

type ctxKey struct{}

// Middleware puts fresh loaders in each request's context.
func Middleware(db *postgres.DB, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), ctxKey{}, New(db, wait))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// For returns the request's loaders. It panics without Middleware: that is a wiring
// bug, not a runtime condition.
func For(ctx context.Context) *Loaders {
	return ctx.Value(ctxKey{}).(*Loaders)
}
