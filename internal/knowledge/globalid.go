package knowledge

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// Entity types, as global IDs and the audit log name them. They are part of every ID
// ever handed out, so a name here never changes.
const (
	TypeCity        = "City"
	TypeCountry     = "Country"
	TypeOfficial    = "Official"
	TypeAgreement   = "Agreement"
	TypeInstitution = "Institution"
	TypePartnership = "Partnership"
	TypeSource      = "Source"
)

var globalTypes = map[string]bool{
	TypeCity: true, TypeCountry: true, TypeOfficial: true, TypeAgreement: true,
	TypeInstitution: true, TypePartnership: true, TypeSource: true,
}

// GlobalID returns the opaque, stable global ID of the entity of the type with the UUID:
// what node(id:) takes, and what an old ID must keep resolving to.
func GlobalID(typ string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id.String()))
}

// ParseGlobalID returns the type and UUID a global ID names. ok is false for anything
// that is not a well-formed global ID of a known type.
func ParseGlobalID(s string) (typ string, id uuid.UUID, ok bool) {
	if len(s) > 128 {
		return "", uuid.Nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", uuid.Nil, false
	}
	typ, raw, found := strings.Cut(string(b), ":")
	if !found || !globalTypes[typ] || len(raw) != 36 {
		return "", uuid.Nil, false
	}
	id, err = uuid.Parse(raw)
	if err != nil {
		return "", uuid.Nil, false
	}
	return typ, id, true
}
