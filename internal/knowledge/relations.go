// Package knowledge holds Amity's knowledge model: cities, the officials who represent
// them, the agreements they sign and the partnerships and institutions that come of it,
// each with the sources that state it. It knows nothing of SQL or GraphQL.
package knowledge

import (
	"time"

	"github.com/google/uuid"
)

// Country is a country, identified by its ISO 3166-1 alpha-2 code.
type Country struct {
	ID         uuid.UUID
	Code       string
	Name       string
	WikidataID *string
}

// Division is a country's first-level division (GeoNames' admin1: a province, state
// or region), identified by its code within the country. Name is nil when only the
// code is known (no admin1CodesASCII.txt imported).
type Division struct {
	CountryID uuid.UUID
	Code      string
	Name      *string
}

// DivisionKey names a division: its country and its admin1 code.
type DivisionKey struct {
	CountryID uuid.UUID
	Code      string
}

// City is a city that takes part in city diplomacy.
type City struct {
	ID         uuid.UUID
	Version    int
	CountryID  uuid.UUID
	Name       string
	Population *int
	Location   *Location
	WikidataID *string
	GeonamesID *int
	// Admin1 is the GeoNames admin1 code of the city's first-level division (a
	// province, state or region), unique within the country, where known.
	Admin1 *string
	// Country is the city's country. The store reads it with every city (a join on a
	// 200-row table), so the API serves it straight from here.
	Country *Country
}

// Location is a point in WGS 84.
type Location struct {
	Latitude  float64
	Longitude float64
}

// LocalizedName is one name or spelling of a city or an official in one language,
// with the source that gives it where one does.
type LocalizedName struct {
	Language string
	Name     string
	SourceID *uuid.UUID
}

// Official is a person who represents a city.
type Official struct {
	ID         uuid.UUID
	Version    int
	Name       string
	Title      *string
	CityID     *uuid.UUID
	WikidataID *string
}

// Agreement is a document that cities signed.
type Agreement struct {
	ID         uuid.UUID
	Version    int
	Title      string
	Kind       AgreementKind
	SignedOn   *Date
	SignedInID *uuid.UUID
	Summary    *string
	// AddedSeq is the change log sequence of its creation, on an agreementAdded event
	// only (0 elsewhere).
	AddedSeq int64
}

// Signatory is an official's signature on an agreement for one of its parties.
type Signatory struct {
	AgreementID uuid.UUID
	OfficialID  uuid.UUID
	PartyID     uuid.UUID
	Role        *string
	// Official is the signing official; the store reads it with every signature.
	Official *Official
}

// Partnership is a tie between two cities. ViewerID is the city it was reached from,
// which decides which of the two is the partner; it is uuid.Nil when there was none.
type Partnership struct {
	ID          uuid.UUID
	Version     int
	Kind        PartnershipKind
	CityAID     uuid.UUID
	CityBID     uuid.UUID
	Since       *Date
	Until       *Date
	AgreementID *uuid.UUID
	ViewerID    uuid.UUID
	// Partner is the city on the other side from ViewerID (the second city when there is
	// no viewer). The store reads it with every partnership.
	Partner *City
}

// PartnerID is the city on the other side of the partnership from the viewer.
func (p *Partnership) PartnerID() uuid.UUID {
	if p.ViewerID == p.CityBID {
		return p.CityAID
	}
	return p.CityBID
}

// Institution is a university, company or other body in a city.
type Institution struct {
	ID          uuid.UUID
	Version     int
	Name        string
	Kind        InstitutionKind
	CityID      uuid.UUID
	FoundedOn   *Date
	Description *string
	WikidataID  *string
}

// Source is a document that states facts.
type Source struct {
	ID          uuid.UUID
	Version     int
	Title       string
	Publisher   *string
	URL         *string
	PublishedOn *Date
	Excerpt     *string
	Languages   []string
}

// ReportedFigure is a figure a source states about a city, kept apart from what the
// graph itself counts.
type ReportedFigure struct {
	ID       uuid.UUID
	CityID   uuid.UUID
	Metric   FigureMetric
	Value    int
	AsOf     *Date
	SourceID uuid.UUID
}

// Statement is one source's word on one property of an entity.
type Statement struct {
	ID       uuid.UUID
	Property string
	Value    string
	SourceID uuid.UUID
	Quote    *string
}

// ExternalIDs are an entity's identifiers in other knowledge bases.
type ExternalIDs struct {
	Wikidata *string
	Geonames *int
}

// NetworkStats is what the graph counts of a city's network on one date.
type NetworkStats struct {
	AsOf          Date
	PartnerCities int
	// UndatedPartnerCities are partners by ties with no start date, not ended by AsOf:
	// counted in PartnerCities today, not on a past date.
	UndatedPartnerCities   int
	PartnerCountries       int
	SisterCities           int
	FriendlyExchangeCities int
	Agreements             int
	ByYear                 []*NetworkYear
}

// NetworkYear is one year of a city's network.
type NetworkYear struct {
	Year                   int
	PartnershipsBegun      int
	SisterCities           int
	FriendlyExchangeCities int
	AgreementsSigned       int
}

// CityPath is a chain of partnerships: Hops[i] joins CityIDs[i] and CityIDs[i+1].
type CityPath struct {
	CityIDs []uuid.UUID
	Hops    []*PathHop
}

// Length is the number of partnerships in the chain.
func (p *CityPath) Length() int { return len(p.Hops) }

// PathHop is one step of a CityPath.
type PathHop struct {
	FromID        uuid.UUID
	ToID          uuid.UUID
	PartnershipID uuid.UUID
}

// SearchHit is one entity a search found.
type SearchHit struct {
	Type    string // one of the Search* constants
	ID      uuid.UUID
	Score   float64
	Matched string
}

// Kinds of entity a search finds.
const (
	SearchCity        = "CITY"
	SearchOfficial    = "OFFICIAL"
	SearchAgreement   = "AGREEMENT"
	SearchInstitution = "INSTITUTION"
	SearchCountry     = "COUNTRY"
)

// AuditEntry is one write as the append-only audit log keeps it.
type AuditEntry struct {
	Sequence         int
	At               time.Time
	Actor            string
	Action           string // CREATE, UPDATE or RETRACT
	EntityType       string // a relay type name, such as "City"
	EntityID         uuid.UUID
	Before, After    *string // JSON
	SourceIDs        []uuid.UUID
	Reason           *string
	ClientMutationID *string
}

// Change actions, as subscriptions report them.
const (
	ChangeCreated   = "CREATED"
	ChangeUpdated   = "UPDATED"
	ChangeRetracted = "RETRACTED"
)

// PartnershipChange reports what happened to a partnership.
type PartnershipChange struct {
	Seq           int64 // the change log sequence
	Action        string
	PartnershipID uuid.UUID
	CityIDs       []uuid.UUID
}
