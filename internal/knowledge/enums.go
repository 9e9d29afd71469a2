package knowledge

import (
	"io"
	"strconv"
)

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

// The enum types marshal themselves as GraphQL enum values, so the API binds to them
// directly; unmarshalling refuses any value the type does not define.

func parseEnum[T ~string](v any, valid []T, typeName string) (T, error) {
	s, ok := v.(string)
	if !ok {
		return "", Errorf(EINVALID, "%s must be an enum value, not %T", typeName, v)
	}
	for _, e := range valid {
		if string(e) == s {
			return e, nil
		}
	}
	return "", Errorf(EINVALID, "%q is not a valid %s", s, typeName)
}

func writeEnum[T ~string](w io.Writer, e T) { io.WriteString(w, strconv.Quote(string(e))) }

// IsValid reports whether k is a defined partnership kind.
func (k PartnershipKind) IsValid() bool {
	_, err := parseEnum(string(k), partnershipKinds, "")
	return err == nil
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k PartnershipKind) MarshalGQL(w io.Writer) { writeEnum(w, k) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *PartnershipKind) UnmarshalGQL(v any) (err error) {
	*k, err = parseEnum(v, partnershipKinds, "PartnershipKind")
	return err
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k AgreementKind) MarshalGQL(w io.Writer) { writeEnum(w, k) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *AgreementKind) UnmarshalGQL(v any) (err error) {
	*k, err = parseEnum(v, agreementKinds, "AgreementKind")
	return err
}

// MarshalGQL writes the area as a GraphQL enum value.
func (a CooperationArea) MarshalGQL(w io.Writer) { writeEnum(w, a) }

// UnmarshalGQL reads a GraphQL enum value.
func (a *CooperationArea) UnmarshalGQL(v any) (err error) {
	*a, err = parseEnum(v, cooperationAreas, "CooperationArea")
	return err
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k InstitutionKind) MarshalGQL(w io.Writer) { writeEnum(w, k) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *InstitutionKind) UnmarshalGQL(v any) (err error) {
	*k, err = parseEnum(v, institutionKinds, "InstitutionKind")
	return err
}

// MarshalGQL writes the metric as a GraphQL enum value.
func (m FigureMetric) MarshalGQL(w io.Writer) { writeEnum(w, m) }

// UnmarshalGQL reads a GraphQL enum value.
func (m *FigureMetric) UnmarshalGQL(v any) (err error) {
	*m, err = parseEnum(v, figureMetrics, "FigureMetric")
	return err
}
