package knowledge

import "slices"

// PartnershipKind is the kind of a tie between two cities.
type PartnershipKind string

// Partnership kinds.
const (
	SisterCity       PartnershipKind = "SISTER_CITY"
	FriendlyExchange PartnershipKind = "FRIENDLY_EXCHANGE"
)

// AgreementKind is the kind of document an agreement is.
type AgreementKind string

// Agreement kinds.
const (
	Memorandum                AgreementKind = "MEMORANDUM"
	SisterCityAgreement       AgreementKind = "SISTER_CITY_AGREEMENT"
	FriendlyExchangeAgreement AgreementKind = "FRIENDLY_EXCHANGE_AGREEMENT"
	CooperationAgreement      AgreementKind = "COOPERATION_AGREEMENT"
	OtherAgreement            AgreementKind = "OTHER"
)

// CooperationArea is a field an agreement covers.
type CooperationArea string

// Cooperation areas.
const (
	Trade          CooperationArea = "TRADE"
	Investment     CooperationArea = "INVESTMENT"
	Technology     CooperationArea = "TECHNOLOGY"
	Education      CooperationArea = "EDUCATION"
	Culture        CooperationArea = "CULTURE"
	Transportation CooperationArea = "TRANSPORTATION"
	Infrastructure CooperationArea = "INFRASTRUCTURE"
	Tourism        CooperationArea = "TOURISM"
	Health         CooperationArea = "HEALTH"
	Environment    CooperationArea = "ENVIRONMENT"
	Science        CooperationArea = "SCIENCE"
	Sport          CooperationArea = "SPORT"
	Youth          CooperationArea = "YOUTH"
	UrbanPlanning  CooperationArea = "URBAN_PLANNING"
	OtherArea      CooperationArea = "OTHER"
)

// InstitutionKind is the kind of an institution.
type InstitutionKind string

// Institution kinds.
const (
	University        InstitutionKind = "UNIVERSITY"
	School            InstitutionKind = "SCHOOL"
	ResearchInstitute InstitutionKind = "RESEARCH_INSTITUTE"
	CulturalCenter    InstitutionKind = "CULTURAL_CENTER"
	Hospital          InstitutionKind = "HOSPITAL"
	Company           InstitutionKind = "COMPANY"
	ChamberOfCommerce InstitutionKind = "CHAMBER_OF_COMMERCE"
	GovernmentOffice  InstitutionKind = "GOVERNMENT_OFFICE"
	Park              InstitutionKind = "PARK"
	OtherInstitution  InstitutionKind = "OTHER"
)

// FigureMetric is what a reported figure counts.
type FigureMetric string

// Figure metrics.
const (
	FriendlyCities         FigureMetric = "FRIENDLY_CITIES"
	FriendlyCountries      FigureMetric = "FRIENDLY_COUNTRIES"
	SisterCities           FigureMetric = "SISTER_CITIES"
	FriendlyExchangeCities FigureMetric = "FRIENDLY_EXCHANGE_CITIES"
)

var (
	partnershipKinds = []PartnershipKind{SisterCity, FriendlyExchange}
	agreementKinds   = []AgreementKind{Memorandum, SisterCityAgreement, FriendlyExchangeAgreement, CooperationAgreement, OtherAgreement}
	cooperationAreas = []CooperationArea{Trade, Investment, Technology, Education, Culture, Transportation,
		Infrastructure, Tourism, Health, Environment, Science, Sport, Youth, UrbanPlanning, OtherArea}
	institutionKinds = []InstitutionKind{University, School, ResearchInstitute, CulturalCenter, Hospital,
		Company, ChamberOfCommerce, GovernmentOffice, Park, OtherInstitution}
	figureMetrics = []FigureMetric{FriendlyCities, FriendlyCountries, SisterCities, FriendlyExchangeCities}
)

// IsValid reports whether k is a defined partnership kind.
func (k PartnershipKind) IsValid() bool { return slices.Contains(partnershipKinds, k) }

// IsValid reports whether k is a defined agreement kind.
func (k AgreementKind) IsValid() bool { return slices.Contains(agreementKinds, k) }

// IsValid reports whether a is a defined cooperation area.
func (a CooperationArea) IsValid() bool { return slices.Contains(cooperationAreas, a) }

// IsValid reports whether k is a defined institution kind.
func (k InstitutionKind) IsValid() bool { return slices.Contains(institutionKinds, k) }

// IsValid reports whether m is a defined figure metric.
func (m FigureMetric) IsValid() bool { return slices.Contains(figureMetrics, m) }
