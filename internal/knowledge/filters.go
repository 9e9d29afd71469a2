package knowledge

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// CityOrderField names what cities are ordered by.
type CityOrderField string

// City orderings.
const (
	CityByName       CityOrderField = "NAME"
	CityByPopulation CityOrderField = "POPULATION"
)

// Near is a circle on the Earth.
type Near struct {
	Latitude, Longitude, RadiusKm float64
}

// CityQuery selects and orders cities. With Near, cities within the radius come
// nearest first and OrderBy must be empty.
type CityQuery struct {
	CountryCode string
	// Admin1 keeps the cities of one first-level division of the country: its GeoNames
	// admin1 code or its name, ignoring case and accents. It needs CountryCode.
	Admin1 string
	// Name keeps the cities one of whose names is it, ignoring case and accents: every
	// city city(name:) chooses among.
	Name          string
	NameContains  string
	PopulationMin *int
	PopulationMax *int
	Near          *Near
	OrderBy       CityOrderField
	Desc          bool
}

// Validate reports the first problem with the query, naming the input field.
func (q CityQuery) Validate() error {
	if err := checkText("filter.nameContains", q.NameContains); err != nil {
		return err
	}
	if err := checkText("filter.name", q.Name); err != nil {
		return err
	}
	if err := checkText("filter.country", q.CountryCode); err != nil {
		return err
	}
	if err := checkText("filter.admin1", q.Admin1); err != nil {
		return err
	}
	if q.Admin1 != "" && q.CountryCode == "" {
		return FieldErrorf("filter.admin1", "a division is one of a country's: give country too")
	}
	if q.PopulationMin != nil && q.PopulationMax != nil && *q.PopulationMin > *q.PopulationMax {
		return FieldErrorf("filter.populationMin", "populationMin (%d) is above populationMax (%d)", *q.PopulationMin, *q.PopulationMax)
	}
	if n := q.Near; n != nil {
		switch {
		case n.Latitude < -90 || n.Latitude > 90:
			return FieldErrorf("near.latitude", "latitude must be between -90 and 90, got %g", n.Latitude)
		case n.Longitude < -180 || n.Longitude > 180:
			return FieldErrorf("near.longitude", "longitude must be between -180 and 180, got %g", n.Longitude)
		case !(n.RadiusKm > 0 && n.RadiusKm <= 20000):
			return FieldErrorf("near.radiusKm", "radiusKm must be above 0 and at most 20000, got %g", n.RadiusKm)
		case q.OrderBy != "":
			return FieldErrorf("orderBy", "near orders cities by distance; leave orderBy out")
		}
	}
	return nil
}

// AgreementOrderField names what agreements are ordered by.
type AgreementOrderField string

// Agreement orderings.
const (
	AgreementBySignedOn AgreementOrderField = "SIGNED_ON"
	AgreementByTitle    AgreementOrderField = "TITLE"
)

// AgreementQuery selects and orders agreements.
type AgreementQuery struct {
	Kinds        []AgreementKind
	Areas        []CooperationArea // all of them
	SignedAfter  *time.Time
	SignedBefore *time.Time
	PartyCity    *uuid.UUID
	Signatory    *uuid.UUID
	OrderBy      AgreementOrderField
	Desc         bool
}

// Validate reports the first problem with the query.
func (q AgreementQuery) Validate() error {
	if q.SignedAfter != nil && q.SignedBefore != nil && q.SignedAfter.After(*q.SignedBefore) {
		return FieldErrorf("filter.signedAfter", "signedAfter is later than signedBefore")
	}
	if len(q.Kinds) > 20 || len(q.Areas) > 20 {
		return FieldErrorf("filter", "at most 20 kinds and 20 areas")
	}
	return nil
}

// OfficialQuery selects officials.
type OfficialQuery struct {
	City         *uuid.UUID
	NameContains string
}

// Validate reports the first problem with the query.
func (q OfficialQuery) Validate() error { return checkText("filter.nameContains", q.NameContains) }

// InstitutionQuery selects institutions.
type InstitutionQuery struct {
	Kind        InstitutionKind
	City        *uuid.UUID
	CountryCode string
}

// Validate reports the first problem with the query.
func (q InstitutionQuery) Validate() error { return checkText("filter.country", q.CountryCode) }

// checkText holds a text argument to the rule of every lookup (LookupText): valid
// UTF-8, no control characters, at most 200 characters. What breaks it could not match
// anything stored, and must not reach the database, whose error would reach the client.
func checkText(field, s string) error { return CheckLookup(field, s) }

// PathQuery asks for the shortest chains of partnerships between two cities.
type PathQuery struct {
	From, To uuid.UUID
	MaxHops  int
	First    int
}

// Path limits: deeper searches from well-connected cities grow too fast to answer in time.
const (
	MaxPathHops  = 6
	MaxPathCount = 20
)

// Validate reports the first problem with the query.
func (q PathQuery) Validate() error {
	switch {
	case q.MaxHops < 1 || q.MaxHops > MaxPathHops:
		return FieldErrorf("maxHops", "maxHops must be between 1 and %d, got %d", MaxPathHops, q.MaxHops)
	case q.First < 1 || q.First > MaxPathCount:
		return FieldErrorf("first", "first must be between 1 and %d, got %d", MaxPathCount, q.First)
	case q.From == q.To:
		return FieldErrorf("to", "from and to are the same city")
	}
	return nil
}

// SearchQuery is a search over names and texts.
type SearchQuery struct {
	Text  string
	Types []string // Search* constants; empty means all
}

// Validate reports the first problem with the query.
func (q SearchQuery) Validate() error {
	if err := checkText("query", q.Text); err != nil {
		return err
	}
	if strings.TrimSpace(q.Text) == "" {
		return FieldErrorf("query", "query is empty")
	}
	if len(q.Types) > 20 {
		return FieldErrorf("types", "at most 20 types")
	}
	return nil
}

// PartnershipFilter keeps a city's partnerships of one kind ("" for all) that stood on
// AsOf: begun on or before it (a partnership whose start is unknown is left out) and not
// ended by then. A nil AsOf keeps every partnership, ended or not.
type PartnershipFilter struct {
	Kind PartnershipKind
	AsOf *time.Time
}
