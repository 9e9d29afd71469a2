package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/knowledge"
)

// The GraphQL inputs become the store's queries here: IDs are decoded (a malformed ID is
// the client's error) and the rest is copied. Rules about the values live in the
// queries' Validate methods.

func cityQuery(f *model.CityFilter, near *model.NearInput, order *model.CityOrder) (knowledge.CityQuery, error) {
	var q knowledge.CityQuery
	if f != nil {
		q.CountryCode = deref(f.Country)
		q.Admin1 = deref(f.Admin1)
		q.Name = deref(f.Name)
		q.NameContains = deref(f.NameContains)
		q.PopulationMin, q.PopulationMax = f.PopulationMin, f.PopulationMax
	}
	if near != nil {
		q.Near = &knowledge.Near{Latitude: near.Latitude, Longitude: near.Longitude, RadiusKm: near.RadiusKm}
	}
	if order != nil {
		q.OrderBy = knowledge.CityOrderField(order.Field)
		q.Desc = order.Direction != nil && *order.Direction == model.OrderDirectionDesc
	}
	return q, q.Validate()
}

func agreementQuery(f *model.AgreementFilter, order *model.AgreementOrder) (knowledge.AgreementQuery, error) {
	q := knowledge.AgreementQuery{Desc: true}
	if f != nil {
		q.Kinds, q.Areas = f.Kinds, f.Areas
		// A bound given as a year or month covers the whole period (docs/dates.md).
		if f.SignedAfter != nil {
			first := f.SignedAfter.First()
			q.SignedAfter = &first
		}
		if f.SignedBefore != nil {
			last := f.SignedBefore.Last()
			q.SignedBefore = &last
		}
		var err error
		if q.PartyCity, err = optionalID("filter.partyCity", knowledge.TypeCity, f.PartyCity); err != nil {
			return q, err
		}
		if q.Signatory, err = optionalID("filter.signatory", knowledge.TypeOfficial, f.Signatory); err != nil {
			return q, err
		}
	}
	if order != nil {
		q.OrderBy = knowledge.AgreementOrderField(order.Field)
		q.Desc = order.Direction == nil || *order.Direction == model.OrderDirectionDesc
	}
	return q, q.Validate()
}

func officialQuery(f *model.OfficialFilter) (knowledge.OfficialQuery, error) {
	var q knowledge.OfficialQuery
	if f == nil {
		return q, nil
	}
	q.NameContains = deref(f.NameContains)
	var err error
	if q.City, err = optionalID("filter.city", knowledge.TypeCity, f.City); err != nil {
		return q, err
	}
	return q, q.Validate()
}

func institutionQuery(f *model.InstitutionFilter) (knowledge.InstitutionQuery, error) {
	var q knowledge.InstitutionQuery
	if f == nil {
		return q, nil
	}
	q.CountryCode = deref(f.Country)
	if f.Kind != nil {
		q.Kind = *f.Kind
	}
	var err error
	if q.City, err = optionalID("filter.city", knowledge.TypeCity, f.City); err != nil {
		return q, err
	}
	return q, q.Validate()
}

func pathQuery(from, to string, maxHops, first *int) (knowledge.PathQuery, error) {
	var q knowledge.PathQuery
	var err error
	if q.From, err = parseID("from", knowledge.TypeCity, from); err != nil {
		return q, err
	}
	if q.To, err = parseID("to", knowledge.TypeCity, to); err != nil {
		return q, err
	}
	q.MaxHops, q.First = 4, 10
	if maxHops != nil {
		q.MaxHops = *maxHops
	}
	if first != nil {
		q.First = *first
	}
	return q, q.Validate()
}

func searchTypes(types []model.SearchType) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = string(t)
	}
	return out
}

// loadSearchResults loads the entities of search hits through the request's loaders,
// one batch per kind.
func loadSearchResults(ctx context.Context, hits []*knowledge.SearchHit) ([]model.SearchResult, error) {
	l := loader.For(ctx)
	thunks := make([]func() (model.SearchResult, error), len(hits))
	for i, h := range hits {
		switch h.Type {
		case knowledge.SearchCity:
			thunks[i] = thunkOf(l.City.LoadThunk(ctx, h.ID))
		case knowledge.SearchOfficial:
			thunks[i] = thunkOf(l.Official.LoadThunk(ctx, h.ID))
		case knowledge.SearchAgreement:
			thunks[i] = thunkOf(l.Agreement.LoadThunk(ctx, h.ID))
		case knowledge.SearchInstitution:
			thunks[i] = thunkOf(l.Institution.LoadThunk(ctx, h.ID))
		case knowledge.SearchCountry:
			thunks[i] = thunkOf(l.Country.LoadThunk(ctx, h.ID))
		}
	}
	out := make([]model.SearchResult, len(hits))
	for i, th := range thunks {
		v, err := th()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func thunkOf[T any](th func() (*T, error)) func() (model.SearchResult, error) {
	return func() (model.SearchResult, error) {
		v, err := th()
		if err != nil || v == nil {
			return nil, err
		}
		return v, nil
	}
}

func optionalID(field, typ string, id *string) (*uuid.UUID, error) {
	if id == nil {
		return nil, nil
	}
	u, err := parseID(field, typ, *id)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// dateKey is a date as a loader key: "YYYY-MM-DD", or "" for none.
func dateKey(d *knowledge.Date) string {
	if d == nil {
		return ""
	}
	// asOf is a day: a year or month asked for stands for its last day (docs/dates.md).
	return d.Last().Format(time.DateOnly)
}
