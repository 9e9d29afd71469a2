// Package loader batches the reads of one GraphQL request: every relation a client can
// nest goes through a Loaders value made for that request, so a query issues one SQL
// statement per relation and depth, however many rows it returns.
package loader

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/readcache"
)

// DefaultWait is how long a loader collects keys before it runs its batch. gqlgen
// resolves the fields of a list's items in parallel goroutines, which all ask within
// microseconds on an idle machine, but not on a saturated one: at 2 ms, batches split
// under load (Q4 of the benchmark averaged 6.4 statements instead of 4); at 5 ms they
// mostly hold, for 3 ms more per level when idle (docs/benchmarks.md).
const DefaultWait = 5 * time.Millisecond

// PageKey asks for one page of a nested list: the parent, and the page arguments,
// which are the same for every parent in a list field.
type PageKey struct {
	Parent uuid.UUID
	First  int
	After  string
}

func (k PageKey) args() knowledge.PageArgs {
	first := k.First
	pa := knowledge.PageArgs{First: &first}
	if k.After != "" {
		after := k.After
		pa.After = &after
	}
	return pa
}

// PartnershipFilter is knowledge.PartnershipFilter in a comparable form: the kind (""
// for all) and the date as "YYYY-MM-DD" ("" for none).
type PartnershipFilter struct {
	Kind knowledge.PartnershipKind
	AsOf string
}

func (f PartnershipFilter) filter() knowledge.PartnershipFilter {
	out := knowledge.PartnershipFilter{Kind: f.Kind}
	if t, err := time.Parse(time.DateOnly, f.AsOf); err == nil {
		out.AsOf = &t
	}
	return out
}

// PartnershipPageKey asks for one page of a city's partnerships.
type PartnershipPageKey struct {
	PageKey
	PartnershipFilter
}

// PartnershipCountKey counts a city's partnerships that a filter keeps.
type PartnershipCountKey struct {
	Parent uuid.UUID
	PartnershipFilter
}

// NetworkKey asks for a city's network on a date ("" for today).
type NetworkKey struct {
	City uuid.UUID
	AsOf string
}

// Loader batches and caches one relation's reads for a request (dataloadgen), and can
// be filled ahead: when a resolver already knows every key of the next level, Preload
// reads them in one call of the same batch function, without waiting for a batch
// window, and the resolvers of that level then find their values cached. A request
// uses few of its loaders, so each builds its batching state on first use.
type Loader[K comparable, V any] struct {
	wait  time.Duration
	fetch func(context.Context, []K) ([]V, []error)
	once  sync.Once
	dl    *dataloadgen.Loader[K, V]
	// ahead holds the values read with another relation's (K to V), which Preload does
	// not read again.
	ahead sync.Map
}

func newLoader[K comparable, V any](wait time.Duration, fetch func(context.Context, []K) ([]V, []error)) *Loader[K, V] {
	return &Loader[K, V]{wait: wait, fetch: fetch}
}

func (l *Loader[K, V]) loader() *dataloadgen.Loader[K, V] {
	l.once.Do(func() { l.dl = dataloadgen.NewLoader(l.fetch, dataloadgen.WithWait(l.wait)) })
	return l.dl
}

// Load returns the value of key, batched with the other keys asked for in the window.
func (l *Loader[K, V]) Load(ctx context.Context, key K) (V, error) {
	return l.loader().Load(ctx, key)
}

// LoadThunk asks for key and returns a function that waits for its value, so one
// goroutine can ask for many keys before it waits.
func (l *Loader[K, V]) LoadThunk(ctx context.Context, key K) func() (V, error) {
	return l.loader().LoadThunk(ctx, key)
}

// LoadAll returns the values of keys, in order.
func (l *Loader[K, V]) LoadAll(ctx context.Context, keys []K) ([]V, error) {
	return l.loader().LoadAll(ctx, keys)
}

// Fetch reads the values of keys in one call of the batch function (through the
// cross-request cache, if the loaders have one) and primes the loader with them.
func (l *Loader[K, V]) Fetch(ctx context.Context, keys []K) ([]V, error) {
	vals, errs := l.fetch(ctx, keys)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("loader: %d values for %d keys", len(vals), len(keys))
	}
	for i, k := range keys {
		l.Prime(k, vals[i])
	}
	return vals, nil
}

// Prime caches value for key unless key is cached already.
func (l *Loader[K, V]) Prime(key K, value V) bool {
	return l.loader().Prime(key, value)
}

// readAhead caches value for key, read with another relation's values: Preload then
// does not read it again.
func (l *Loader[K, V]) readAhead(key K, value V) {
	l.ahead.Store(key, value)
	l.Prime(key, value)
}

// Preload reads the values of keys in one batch and caches them; keys already cached
// keep their values, and those read ahead (readAhead) are not read again. It returns
// the values in key order, zero where the batch failed for a key: a resolver that loads
// that key later meets the error itself. A failure is also reported to the context's
// PreloadReport, if it has one.
func (l *Loader[K, V]) Preload(ctx context.Context, keys []K) []V {
	out := make([]V, len(keys))
	ask := make([]K, 0, len(keys))
	at := make([]int, 0, len(keys))
	for i, k := range keys {
		if v, ok := l.ahead.Load(k); ok {
			out[i] = v.(V)
			continue
		}
		ask, at = append(ask, k), append(at, i)
	}
	if len(ask) == 0 {
		return out
	}
	vals, errs := l.fetch(ctx, ask)
	failed := len(vals) != len(ask) || len(errs) == 1 && errs[0] != nil
	for j, k := range ask {
		if failed || len(errs) == len(ask) && errs[j] != nil {
			failed = true
			continue
		}
		l.Prime(k, vals[j])
		out[at[j]] = vals[j]
	}
	if failed {
		if report, ok := ctx.Value(preloadReportKey{}).(*atomic.Bool); ok {
			report.Store(true)
		}
		if len(vals) != len(ask) || len(errs) == 1 {
			return make([]V, len(keys))
		}
	}
	return out
}

type preloadReportKey struct{}

// WithPreloadReport returns a context under which a failed Preload sets the returned
// flag, so a caller that preloads many relations learns whether all of them are cached.
func WithPreloadReport(ctx context.Context) (context.Context, *atomic.Bool) {
	failed := new(atomic.Bool)
	return context.WithValue(ctx, preloadReportKey{}, failed), failed
}

// Loaders are the per-request loaders.
type Loaders struct {
	City *Loader[uuid.UUID, *knowledge.City]
	// CityWithoutCountry reads cities without their country, for a field that does not
	// show it in a query that shows cities' countries elsewhere (CityShowing).
	CityWithoutCountry *Loader[uuid.UUID, *knowledge.City]
	Country            *Loader[uuid.UUID, *knowledge.Country]
	Official           *Loader[uuid.UUID, *knowledge.Official]
	Agreement          *Loader[uuid.UUID, *knowledge.Agreement]
	Institution        *Loader[uuid.UUID, *knowledge.Institution]
	Partnership        *Loader[uuid.UUID, *knowledge.Partnership]
	Source             *Loader[uuid.UUID, *knowledge.Source]

	Division        *Loader[knowledge.DivisionKey, *knowledge.Division]
	CityNames       *Loader[uuid.UUID, []*knowledge.LocalizedName]
	OfficialNames   *Loader[uuid.UUID, []*knowledge.LocalizedName]
	ReportedFigures *Loader[uuid.UUID, []*knowledge.ReportedFigure]

	AgreementParties      *Loader[uuid.UUID, []*knowledge.City]
	AgreementAreas        *Loader[uuid.UUID, []knowledge.CooperationArea]
	AgreementSignatories  *Loader[uuid.UUID, []*knowledge.Signatory]
	AgreementInstitutions *Loader[uuid.UUID, []*knowledge.Institution]
	AgreementPartnerships *Loader[uuid.UUID, []*knowledge.Partnership]

	CityPartnerships      *Loader[PartnershipPageKey, *knowledge.Page[knowledge.Partnership]]
	CityPartnershipCount  *Loader[PartnershipCountKey, int]
	CityNetwork           *Loader[NetworkKey, *knowledge.NetworkStats]
	CityAgreements        *Loader[PageKey, *knowledge.Page[knowledge.Agreement]]
	CityAgreementCount    *Loader[uuid.UUID, int]
	CityOfficials         *Loader[PageKey, *knowledge.Page[knowledge.Official]]
	CityOfficialCount     *Loader[uuid.UUID, int]
	CityInstitutions      *Loader[PageKey, *knowledge.Page[knowledge.Institution]]
	CityInstitutionCount  *Loader[uuid.UUID, int]
	CountryCities         *Loader[PageKey, *knowledge.Page[knowledge.City]]
	CountryCityCount      *Loader[uuid.UUID, int]
	OfficialAgreements    *Loader[PageKey, *knowledge.Page[knowledge.Agreement]]
	OfficialAgreementCnt  *Loader[uuid.UUID, int]
	InstitutionAgreements *Loader[PageKey, *knowledge.Page[knowledge.Agreement]]
	InstitutionAgreeCnt   *Loader[uuid.UUID, int]

	// preloaded holds the fields (opaque keys from the GraphQL layer) below which
	// everything the query selects is already cached.
	preloaded sync.Map

	sources    map[knowledge.Subject]*Loader[uuid.UUID, []*knowledge.Source]
	statements map[knowledge.Subject]*Loader[uuid.UUID, []*knowledge.Statement]

	// cache is the cross-request cache the loaders read through (nil: none), for the
	// reads that are no loader's (Cached).
	cache *readcache.Cache
}

// New returns fresh loaders over the store. Make one per request: loaders keep what
// they read for the request, and only the cross-request cache (nil: none), which every
// committed change invalidates, may keep it longer.
func New(db *postgres.DB, wait time.Duration, cache *readcache.Cache) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	l := &Loaders{
		City: byID(wait, db.CitiesByID),
		CityWithoutCountry: byID(wait, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*knowledge.City, error) {
			return db.CitiesByID(postgres.WithColumns(ctx, postgres.ColumnsOf(ctx)&^countryOfCity), ids)
		}),
		Country:     byID(wait, db.CountriesByID),
		Official:    byID(wait, db.OfficialsByID),
		Agreement:   byID(wait, db.AgreementsByID),
		Institution: byID(wait, db.InstitutionsByID),
		Partnership: byID(wait, db.PartnershipsByID),
		Source:      byID(wait, db.SourcesByID),

		Division:        grouped(wait, db.Divisions),
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

		sources:    map[knowledge.Subject]*Loader[uuid.UUID, []*knowledge.Source]{},
		statements: map[knowledge.Subject]*Loader[uuid.UUID, []*knowledge.Statement]{},
	}
	l.CityPartnerships = newLoader(wait, func(ctx context.Context, keys []PartnershipPageKey) ([]*knowledge.Page[knowledge.Partnership], []error) {
		return fetchGroups(ctx, keys, func(k PartnershipPageKey) (PageKey, PartnershipFilter) { return k.PageKey, k.PartnershipFilter },
			func(ctx context.Context, f PartnershipFilter, parents []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[knowledge.Partnership], error) {
				return db.PartnershipsOfCities(ctx, parents, f.filter(), pa)
			})
	})
	l.CityPartnershipCount = newLoader(wait, func(ctx context.Context, keys []PartnershipCountKey) ([]int, []error) {
		return perGroup(ctx, keys, func(k PartnershipCountKey) (uuid.UUID, PartnershipFilter) { return k.Parent, k.PartnershipFilter },
			func(ctx context.Context, f PartnershipFilter, parents []uuid.UUID) (map[uuid.UUID]int, error) {
				return db.CountPartnershipsOfCities(ctx, parents, f.filter())
			})
	})
	l.CityNetwork = newLoader(wait, func(ctx context.Context, keys []NetworkKey) ([]*knowledge.NetworkStats, []error) {
		return perGroup(ctx, keys, func(k NetworkKey) (uuid.UUID, string) { return k.City, k.AsOf },
			func(ctx context.Context, asOf string, cities []uuid.UUID) (map[uuid.UUID]*knowledge.NetworkStats, error) {
				return db.NetworkStats(ctx, cities, PartnershipFilter{AsOf: asOf}.filter().AsOf)
			})
	})
	for _, s := range []knowledge.Subject{knowledge.CitySubject, knowledge.OfficialSubject, knowledge.AgreementSubject,
		knowledge.PartnershipSubject, knowledge.InstitutionSubject} {
		l.sources[s] = grouped(wait, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.Source, error) {
			return db.SourcesOf(ctx, s, ids)
		})
		l.statements[s] = grouped(wait, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*knowledge.Statement, error) {
			return db.StatementsOf(ctx, s, ids)
		})
	}
	if cache != nil {
		l.useCache(cache)
	}
	return l
}

// MarkPreloaded records that nothing below the field key is left to load.
func (l *Loaders) MarkPreloaded(key any) { l.preloaded.Store(key, true) }

// Preloaded reports whether MarkPreloaded was called for key.
func (l *Loaders) Preloaded(key any) bool {
	_, ok := l.preloaded.Load(key)
	return ok
}

// Sources returns the loader of the sources that entities of the subject kind cite.
func (l *Loaders) Sources(s knowledge.Subject) *Loader[uuid.UUID, []*knowledge.Source] {
	return l.sources[s]
}

// Statements returns the loader of statements about entities of the subject kind.
func (l *Loaders) Statements(s knowledge.Subject) *Loader[uuid.UUID, []*knowledge.Statement] {
	return l.statements[s]
}

// perGroup splits keys by a shared argument, fetches each group in one call, and puts
// the values back in key order.
func perGroup[K any, X comparable, V any](ctx context.Context, keys []K, split func(K) (uuid.UUID, X),
	fetch func(context.Context, X, []uuid.UUID) (map[uuid.UUID]V, error)) ([]V, []error) {
	groups := map[X][]uuid.UUID{}
	var order []X
	for _, k := range keys {
		id, x := split(k)
		if _, ok := groups[x]; !ok {
			order = append(order, x)
		}
		groups[x] = append(groups[x], id)
	}
	got := make(map[X]map[uuid.UUID]V, len(groups))
	for _, x := range order {
		vals, err := fetch(ctx, x, groups[x])
		if err != nil {
			return nil, []error{err}
		}
		got[x] = vals
	}
	out := make([]V, len(keys))
	for i, k := range keys {
		id, x := split(k)
		out[i] = got[x][id]
	}
	return out, nil
}

// byID loads objects by id; an id with no object loads as nil, not as an error, so an
// unknown id reads as null.
func byID[T any](wait time.Duration, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]*T, error)) *Loader[uuid.UUID, *T] {
	return grouped(wait, fetch)
}

// grouped loads one value per key (usually an id) from a fetch that returns a map;
// absent keys get the zero value (an empty list, a zero count).
func grouped[K comparable, V any](wait time.Duration, fetch func(context.Context, []K) (map[K]V, error)) *Loader[K, V] {
	return newLoader(wait, func(ctx context.Context, ids []K) ([]V, []error) {
		got, err := fetch(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		out := make([]V, len(ids))
		for i, id := range ids {
			out[i] = got[id]
		}
		return out, nil
	})
}

// paged loads pages of a nested list. Keys that share page arguments go in one
// statement; a request rarely has more than one set of arguments per list field.
func paged[T any](wait time.Duration, fetch func(context.Context, []uuid.UUID, knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[T], error)) *Loader[PageKey, *knowledge.Page[T]] {
	return newLoader(wait, func(ctx context.Context, keys []PageKey) ([]*knowledge.Page[T], []error) {
		return fetchGroups(ctx, keys, func(k PageKey) (PageKey, struct{}) { return k, struct{}{} },
			func(ctx context.Context, _ struct{}, parents []uuid.UUID, pa knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[T], error) {
				return fetch(ctx, parents, pa)
			})
	})
}

type groupKey[X comparable] struct {
	first int
	after string
	extra X
}

// fetchGroups splits keys by their page arguments (and an extra filter), fetches each
// group in one call, and puts the pages back in key order.
func fetchGroups[K any, X comparable, T any](ctx context.Context, keys []K, split func(K) (PageKey, X),
	fetch func(context.Context, X, []uuid.UUID, knowledge.PageArgs) (map[uuid.UUID]*knowledge.Page[T], error)) ([]*knowledge.Page[T], []error) {
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
	out := make([]*knowledge.Page[T], len(keys))
	errs := make([]error, len(keys))
	for _, g := range order {
		idx := groups[g]
		parents := make([]uuid.UUID, len(idx))
		for j, i := range idx {
			pk, _ := split(keys[i])
			parents[j] = pk.Parent
		}
		pages, err := fetch(ctx, g.extra, parents, PageKey{First: g.first, After: g.after}.args())
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
func Middleware(db *postgres.DB, wait time.Duration, cache *readcache.Cache, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), ctxKey{}, New(db, wait, cache))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// For returns the request's loaders. It panics without Middleware: that is a wiring
// bug, not a runtime condition.
func For(ctx context.Context) *Loaders {
	l, ok := From(ctx)
	if !ok {
		panic("loader.For: no loaders in the context (is loader.Middleware missing?)")
	}
	return l
}

// From returns the request's loaders, if the context has them.
func From(ctx context.Context) (*Loaders, bool) {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	return l, ok
}
