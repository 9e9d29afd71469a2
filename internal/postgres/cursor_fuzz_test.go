package postgres

import (
	"testing"

	"github.com/google/uuid"
)

// FuzzDecodeCursor feeds decodeCursor, which reads client-supplied after/before
// arguments: it must never panic, and a cursor it accepts must round-trip.
func FuzzDecodeCursor(f *testing.F) {
	id := uuid.MustParse("6f1c1f5e-8a43-4c1a-9d7e-0b3f1d2e4a5b").String()
	f.Add(encodeCursor(cityListing.order, "Shenzhen", id))
	f.Add(encodeCursor(cityListing.order, "", id))
	f.Add(encodeCursor(cityListing.order, "Москва 深圳", id))
	f.Add(encodeCursor("agreement:signedOn", "2024-03-06", id))
	f.Add("WyJTaGVuemhlbiIsIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd")
	f.Add("")
	f.Add("not-a-cursor")
	f.Add("W10")
	listings := []listing{cityListing, countryListing, officialListing, institutionListing, agreementListing, sourceListing}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range listings {
			c, err := decodeCursor("after", l, s)
			if err != nil {
				continue
			}
			if _, err := uuid.Parse(c.ID); err != nil {
				t.Fatalf("accepted cursor %q with id %q", s, c.ID)
			}
			again, err := decodeCursor("after", l, encodeCursor(l.order, c.Key, c.ID))
			if err != nil || again != c {
				t.Fatalf("cursor %q does not round-trip: %+v, then %+v (%v)", s, c, again, err)
			}
		}
	})
}
