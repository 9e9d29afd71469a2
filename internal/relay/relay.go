// Package relay encodes and decodes Amity's global object IDs: opaque strings that name
// a type and a UUID, so that node(id) can find any object.
package relay

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// Types that have global IDs. They are part of every ID ever handed out, so a name
// here never changes.
const (
	City        = "City"
	Country     = "Country"
	Official    = "Official"
	Agreement   = "Agreement"
	Institution = "Institution"
	Partnership = "Partnership"
	Source      = "Source"
)

var types = map[string]bool{
	City: true, Country: true, Official: true, Agreement: true,
	Institution: true, Partnership: true, Source: true,
}

// ID returns the global ID of the object of the type with the UUID.
func ID(typ string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id.String()))
}

// Parse returns the type and UUID a global ID names. ok is false for anything that is
// not a well-formed global ID of a known type.
func Parse(s string) (typ string, id uuid.UUID, ok bool) {
	if len(s) > 128 {
		return "", uuid.Nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", uuid.Nil, false
	}
	typ, raw, found := strings.Cut(string(b), ":")
	if !found || !types[typ] || len(raw) != 36 {
		return "", uuid.Nil, false
	}
	id, err = uuid.Parse(raw)
	if err != nil {
		return "", uuid.Nil, false
	}
	return typ, id, true
}
