package model

import (
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/knowledge"
)

// The knowledge enums are bound to these functions in gqlgen.yml, so the domain types
// carry no GraphQL encoding. Reading a value refuses any the domain does not define;
// the messages are the API's, and clients may match on them.

// MarshalPartnershipKind writes a partnership kind as a GraphQL enum value.
func MarshalPartnershipKind(k knowledge.PartnershipKind) graphql.Marshaler { return marshalEnum(k) }

// UnmarshalPartnershipKind reads a GraphQL enum value as a partnership kind.
func UnmarshalPartnershipKind(v any) (knowledge.PartnershipKind, error) {
	return unmarshalEnum[knowledge.PartnershipKind](v, "PartnershipKind")
}

// MarshalAgreementKind writes an agreement kind as a GraphQL enum value.
func MarshalAgreementKind(k knowledge.AgreementKind) graphql.Marshaler { return marshalEnum(k) }

// UnmarshalAgreementKind reads a GraphQL enum value as an agreement kind.
func UnmarshalAgreementKind(v any) (knowledge.AgreementKind, error) {
	return unmarshalEnum[knowledge.AgreementKind](v, "AgreementKind")
}

// MarshalCooperationArea writes a cooperation area as a GraphQL enum value.
func MarshalCooperationArea(a knowledge.CooperationArea) graphql.Marshaler { return marshalEnum(a) }

// UnmarshalCooperationArea reads a GraphQL enum value as a cooperation area.
func UnmarshalCooperationArea(v any) (knowledge.CooperationArea, error) {
	return unmarshalEnum[knowledge.CooperationArea](v, "CooperationArea")
}

// MarshalInstitutionKind writes an institution kind as a GraphQL enum value.
func MarshalInstitutionKind(k knowledge.InstitutionKind) graphql.Marshaler { return marshalEnum(k) }

// UnmarshalInstitutionKind reads a GraphQL enum value as an institution kind.
func UnmarshalInstitutionKind(v any) (knowledge.InstitutionKind, error) {
	return unmarshalEnum[knowledge.InstitutionKind](v, "InstitutionKind")
}

// MarshalFigureMetric writes a figure metric as a GraphQL enum value.
func MarshalFigureMetric(m knowledge.FigureMetric) graphql.Marshaler { return marshalEnum(m) }

// UnmarshalFigureMetric reads a GraphQL enum value as a figure metric.
func UnmarshalFigureMetric(v any) (knowledge.FigureMetric, error) {
	return unmarshalEnum[knowledge.FigureMetric](v, "FigureMetric")
}

// enum is a knowledge enum type: a string that knows its defined values.
type enum interface {
	~string
	IsValid() bool
}

func marshalEnum[T enum](e T) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { io.WriteString(w, strconv.Quote(string(e))) })
}

func unmarshalEnum[T enum](v any, typeName string) (T, error) {
	s, ok := v.(string)
	if !ok {
		return "", knowledge.Errorf(knowledge.EINVALID, "%s must be an enum value, not %T", typeName, v)
	}
	if e := T(s); e.IsValid() {
		return e, nil
	}
	return "", knowledge.Errorf(knowledge.EINVALID, "%q is not a valid %s", s, typeName)
}
