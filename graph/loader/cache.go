package loader

import (
	"context"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/readcache"
)

// What each relation's cached reads depend on. The value's own entities (every city,
// official, partnership, source… it holds, nested ones included) are always
// dependencies (readcache.Entities); these are the rest: what decides which entities a value
// holds. A relation whose membership a change may alter without naming the parent
// (a new partnership of an agreement names the partnership and its cities, not the
// agreement) depends on the whole kind.
var (
	onEntity = func(id uuid.UUID) []readcache.Dep { return []readcache.Dep{readcache.Entity(id)} }
	onCity   = func(id uuid.UUID) []readcache.Dep { return []readcache.Dep{readcache.City(id)} }
)

func onEntityAndKind(kind string) func(uuid.UUID) []readcache.Dep {
	return func(id uuid.UUID) []readcache.Dep { return []readcache.Dep{readcache.Entity(id), readcache.Kind(kind)} }
}

// What the values of each relation hold of the pruned columns (postgres.WithColumns): a
// read is cached under the groups it was read with, of these only, so that queries that
// differ in what they show of other types still share it. Every page also holds its
// cursors.
const (
	cityCols        = postgres.CityColumns
	countryOfCity   = postgres.CityCountry | postgres.CountryColumns
	partnershipCols = postgres.PartnershipColumns | postgres.CityColumns // with the partner
	agreementCols   = postgres.AgreementColumns
	officialCols    = postgres.OfficialColumns // and signatures, with their official
	pageCols        = postgres.Cursors

	partnershipPageCols = partnershipCols | pageCols
)

// The relations that CityWithPartnerships and AgreementsWithLinks read together.
const (
	relCity                 = "city"
	relCityPartnerships     = "cityPartnerships"
	relAgreementParties     = "agreementParties"
	relAgreementSignatories = "agreementSignatories"
)

func onPartnershipPage(k PartnershipPageKey) []readcache.Dep { return onCity(k.Parent) }

// useCache puts the cross-request cache in front of every loader's batch function.
func (l *Loaders) useCache(c *readcache.Cache) {
	l.cache = c
	cacheBy(l.City, c, relCity, cityCols, onEntity)
	cacheBy(l.CityWithoutCountry, c, relCity, cityCols&^countryOfCity, onEntity)
	cacheBy(l.Country, c, "country", 0, onEntity)
	cacheBy(l.Official, c, "official", officialCols, onEntity)
	cacheBy(l.Agreement, c, "agreement", agreementCols, onEntity)
	cacheBy(l.Institution, c, "institution", 0, onEntity)
	cacheBy(l.Partnership, c, "partnership", partnershipCols, onEntity)
	cacheBy(l.Source, c, "source", 0, onEntity)

	// A division has no entity id: any import of divisions may change its name.
	cacheBy(l.Division, c, "division", 0, func(knowledge.DivisionKey) []readcache.Dep {
		return []readcache.Dep{readcache.Kind(postgres.ChangeDivision)}
	})
	cacheBy(l.CityNames, c, "cityNames", 0, onEntity)
	cacheBy(l.OfficialNames, c, "officialNames", 0, onEntity)
	cacheBy(l.ReportedFigures, c, "reportedFigures", 0, onEntityAndKind(postgres.ChangeFigure))

	cacheBy(l.AgreementParties, c, relAgreementParties, cityCols, onEntity)
	cacheBy(l.AgreementAreas, c, "agreementAreas", 0, onEntity)
	cacheBy(l.AgreementSignatories, c, relAgreementSignatories, officialCols, onEntity)
	cacheBy(l.AgreementInstitutions, c, "agreementInstitutions", 0, onEntityAndKind(postgres.ChangeInstitution))
	cacheBy(l.AgreementPartnerships, c, "agreementPartnerships", partnershipCols, onEntityAndKind(postgres.ChangePartnership))

	cacheBy(l.CityPartnerships, c, relCityPartnerships, partnershipPageCols, onPartnershipPage)
	cacheBy(l.CityPartnershipCount, c, "cityPartnershipCount", 0, func(k PartnershipCountKey) []readcache.Dep { return onCity(k.Parent) })
	// A partner's country decides the countries counted, and the partner's own change
	// names only the partner.
	cacheBy(l.CityNetwork, c, "cityNetwork", 0, func(k NetworkKey) []readcache.Dep {
		return []readcache.Dep{readcache.City(k.City), readcache.Kind(postgres.ChangeCity)}
	})
	cacheBy(l.CityAgreements, c, "cityAgreements", agreementCols|pageCols, func(k PageKey) []readcache.Dep { return onCity(k.Parent) })
	cacheBy(l.CityAgreementCount, c, "cityAgreementCount", 0, onCity)
	cacheBy(l.CityOfficials, c, "cityOfficials", pageCols, func(k PageKey) []readcache.Dep { return onCity(k.Parent) })
	cacheBy(l.CityOfficialCount, c, "cityOfficialCount", 0, onCity)
	cacheBy(l.CityInstitutions, c, "cityInstitutions", pageCols, func(k PageKey) []readcache.Dep { return onCity(k.Parent) })
	cacheBy(l.CityInstitutionCount, c, "cityInstitutionCount", 0, onCity)
	// A new city names itself, not its country.
	cacheBy(l.CountryCities, c, "countryCities", pageCols, func(k PageKey) []readcache.Dep { return onEntityAndKind(postgres.ChangeCity)(k.Parent) })
	cacheBy(l.CountryCityCount, c, "countryCityCount", 0, onEntityAndKind(postgres.ChangeCity))
	// An agreement's signatories are written with the agreement, which names its
	// parties, not its signing officials or linked institutions.
	cacheBy(l.OfficialAgreements, c, "officialAgreements", agreementCols|pageCols, func(k PageKey) []readcache.Dep { return onEntityAndKind(postgres.ChangeAgreement)(k.Parent) })
	cacheBy(l.OfficialAgreementCnt, c, "officialAgreementCount", 0, onEntityAndKind(postgres.ChangeAgreement))
	cacheBy(l.InstitutionAgreements, c, "institutionAgreements", agreementCols|pageCols, func(k PageKey) []readcache.Dep { return onEntityAndKind(postgres.ChangeAgreement)(k.Parent) })
	cacheBy(l.InstitutionAgreeCnt, c, "institutionAgreementCount", 0, onEntityAndKind(postgres.ChangeAgreement))

	for s, sl := range l.sources {
		cacheBy(sl, c, "sources:"+string(s), 0, onEntity)
	}
	for s, sl := range l.statements {
		cacheBy(sl, c, "statements:"+string(s), 0, onEntity)
	}
}

// cacheKey names a cached read. A query's reads fetch only the columns it shows
// (postgres.WithColumns), and an entity read without a column has that field zero: the
// columns are part of the key, so a read is served only to a query that shows what it
// holds.
type cacheKey struct {
	relation string
	key      any
	cols     postgres.Columns
}

// cacheBy makes the loader read through the cache: keys found there are not fetched,
// the others are fetched in one call of the loader's batch function and cached with
// what they depend on (deps of the key, and every entity the value holds). Either way
// the request's recorder, if any, learns those dependencies, and the fetch is a
// declared read (postgres.DeclaredRead), so that the request's answer may be cached
// whole (graph/answers.go). shown are the column groups the values hold. It must run
// before the loader is first used.
func cacheBy[K comparable, V any](l *Loader[K, V], c *readcache.Cache, relation string, shown postgres.Columns, deps func(K) []readcache.Dep) {
	fetch := l.fetch
	l.fetch = func(ctx context.Context, keys []K) ([]V, []error) {
		out := make([]V, len(keys))
		var missing []int
		rec := readcache.RecorderFrom(ctx)
		cols := postgres.ColumnsOf(ctx) & shown
		for i, k := range keys {
			if v, ok := c.GetRecorded(cacheKey{relation, k, cols}, rec); ok {
				out[i] = v.(V)
				continue
			}
			missing = append(missing, i)
		}
		if len(missing) == 0 {
			return out, nil
		}
		ask := keys
		if len(missing) < len(keys) {
			ask = make([]K, len(missing))
			for j, i := range missing {
				ask[j] = keys[i]
			}
		}
		ticket := c.Ticket()
		vals, errs := fetch(postgres.DeclaredRead(ctx), ask)
		if len(vals) != len(ask) || len(errs) == 1 && len(ask) != 1 && errs[0] != nil {
			return nil, errs // the whole batch failed
		}
		var outErrs []error
		if len(errs) == len(ask) {
			outErrs = make([]error, len(keys))
		}
		for j, i := range missing {
			out[i] = vals[j]
			if len(errs) == len(ask) && errs[j] != nil {
				outErrs[i] = errs[j]
				continue
			}
			keep(c, rec, ticket, cacheKey{relation, keys[i], cols}, vals[j], deps(keys[i]))
		}
		return out, outErrs
	}
}

// Cached reads one value through the request's cross-request cache, for a read that is
// no loader's (a top-level list): key must name the read fully, and deps say what
// decides the value besides the entities it holds. Like a loader's read, it is a
// declared read whose dependencies the request's recorder learns.
func Cached[V any](ctx context.Context, relation string, key any, deps []readcache.Dep, read func(context.Context) (V, error)) (V, error) {
	var c *readcache.Cache
	if l, ok := From(ctx); ok {
		c = l.cache
	}
	rec := readcache.RecorderFrom(ctx)
	k := cacheKey{relation, key, postgres.ColumnsOf(ctx)}
	if v, ok := c.GetRecorded(k, rec); ok {
		return v.(V), nil
	}
	ticket := c.Ticket()
	v, err := read(postgres.DeclaredRead(ctx))
	if err != nil {
		return v, err
	}
	keep(c, rec, ticket, k, v, deps)
	return v, nil
}

// keep caches v, read since ticket, with what it depends on (deps, and every entity it
// holds), which the request's recorder learns too.
func keep(c *readcache.Cache, rec *readcache.Recorder, ticket readcache.Ticket, k cacheKey, v any, deps []readcache.Dep) {
	if c == nil && rec == nil {
		return
	}
	d := append(deps[:len(deps):len(deps)], readcache.Entities(v)...)
	rec.Add(d...)
	c.Put(ticket, k, v, readcache.Size(v), d)
}

// CityWithPartnerships returns a city by id, read in one statement with one page of its
// partnerships (read) when the city is not cached: the page is then the
// CityPartnerships loader's, which the lookahead's Preload does not read again, and
// both are cached as their loaders would have cached them. ok is false when the city
// must be read on its own (read found no row).
func (l *Loaders) CityWithPartnerships(ctx context.Context, id uuid.UUID, key PartnershipPageKey,
	read func(context.Context, uuid.UUID, knowledge.PartnershipFilter, knowledge.PageArgs) (*knowledge.City, *knowledge.Page[knowledge.Partnership], error)) (city *knowledge.City, ok bool, err error) {
	cols := postgres.ColumnsOf(ctx)
	rec := readcache.RecorderFrom(ctx)
	cityKey := cacheKey{relCity, id, cols & cityCols}
	if v, hit := l.cache.GetRecorded(cityKey, rec); hit {
		l.City.Prime(id, v.(*knowledge.City))
		return v.(*knowledge.City), true, nil
	}
	ticket := l.cache.Ticket()
	city, page, err := read(postgres.DeclaredRead(ctx), id, key.filter(), key.args())
	if err != nil || city == nil {
		return nil, false, err
	}
	keep(l.cache, rec, ticket, cityKey, city, onEntity(id))
	keep(l.cache, rec, ticket, cacheKey{relCityPartnerships, key, cols & partnershipPageCols}, page, onPartnershipPage(key))
	l.City.Prime(id, city)
	l.CityPartnerships.readAhead(key, page)
	return city, true, nil
}

// AgreementsWithLinks returns a page of agreements read (read) with lists of each
// agreement in one statement (postgres.AgreementsWithLinks): the lists become the
// AgreementParties and AgreementSignatories loaders' values, and the officials' cities
// the City loader's, cached as those loaders would have cached them, so that the
// lookahead's Preload does not read them again.
func (l *Loaders) AgreementsWithLinks(ctx context.Context, read func(context.Context) (*postgres.LinkedAgreements, error)) (*knowledge.Page[knowledge.Agreement], error) {
	cols := postgres.ColumnsOf(ctx)
	rec := readcache.RecorderFrom(ctx)
	ticket := l.cache.Ticket()
	linked, err := read(postgres.DeclaredRead(ctx))
	if err != nil {
		return nil, err
	}
	for _, a := range linked.Page.Items {
		if linked.Parties != nil {
			v := linked.Parties[a.ID]
			keep(l.cache, rec, ticket, cacheKey{relAgreementParties, a.ID, cols & cityCols}, v, onEntity(a.ID))
			l.AgreementParties.readAhead(a.ID, v)
		}
		if linked.Signatories != nil {
			v := linked.Signatories[a.ID]
			keep(l.cache, rec, ticket, cacheKey{relAgreementSignatories, a.ID, cols & officialCols}, v, onEntity(a.ID))
			l.AgreementSignatories.readAhead(a.ID, v)
		}
	}
	cities := l.CityShowing(ctx, linked.OfficialCityColumns&postgres.CityCountry != 0)
	for id, c := range linked.OfficialCities {
		keep(l.cache, rec, ticket, cacheKey{relCity, id, linked.OfficialCityColumns & cityCols}, c, onEntity(id))
		cities.readAhead(id, c)
	}
	return linked.Page, nil
}

// CityShowing is the loader of cities for a field that shows their country or not.
// Cities read without their country are a loader of their own, so that no field that
// shows the country gets one of them; in a query that shows no city's country both
// loaders would read the same, and City serves every field.
func (l *Loaders) CityShowing(ctx context.Context, country bool) *Loader[uuid.UUID, *knowledge.City] {
	if country || postgres.ColumnsOf(ctx)&postgres.CityCountry == 0 {
		return l.City
	}
	return l.CityWithoutCountry
}
