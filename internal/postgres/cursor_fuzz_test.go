package postgres

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// cursorListings are every ordering a cursor can name, one per key type at least.
func cursorListings() []listing {
	near, _, _ := cityQuery(knowledge.CityQuery{Near: &knowledge.Near{Latitude: 22.5, Longitude: 114.1, RadiusKm: 100}})
	popDesc, _, _ := cityQuery(knowledge.CityQuery{OrderBy: knowledge.CityByPopulation, Desc: true})
	popAsc, _, _ := cityQuery(knowledge.CityQuery{OrderBy: knowledge.CityByPopulation})
	signedAsc, _, _ := agreementQuery(knowledge.AgreementQuery{OrderBy: knowledge.AgreementBySignedOn})
	return []listing{cityListing, countryListing, officialListing, institutionListing, agreementListing,
		sourceListing, cityPartnerships(AllColumns).listing, near, popDesc, popAsc, signedAsc}
}

// FuzzDecodeCursor feeds decodeCursor, which reads client-supplied after/before
// arguments: it must never panic, a cursor it accepts must round-trip, and its sort key
// must be a value PostgreSQL casts to the ordering's type without an error (checked
// here against PostgreSQL's own rules, independently of validKey).
func FuzzDecodeCursor(f *testing.F) {
	id := uuid.MustParse("6f1c1f5e-8a43-4c1a-9d7e-0b3f1d2e4a5b").String()
	f.Add(encodeCursor(cityListing.order, "Shenzhen", id))
	f.Add(encodeCursor(cityListing.order, "", id))
	f.Add(encodeCursor(cityListing.order, "Москва 深圳", id))
	f.Add(encodeCursor("agreement:signed:desc", "2024-03-06", id))
	f.Add(encodeCursor("agreement:signed:desc", "0000-01-01", id))
	f.Add(encodeCursor("agreement:signed:desc", "-infinity", id))
	f.Add(encodeCursor("city:near", "0x1_0p0", id))
	f.Add(encodeCursor("city:near", "1.2345e+06", id))
	f.Add(encodeCursor("city:near", "NaN", id))
	f.Add(encodeCursor("city:population:desc", "9223372036854775808", id))
	f.Add(encodeSearchCursor(searchRow{Key: "0.75", Type: knowledge.SearchCity, ID: uuid.MustParse(id)}))
	f.Add(encodeSearchCursor(searchRow{Key: "Inf", Type: knowledge.SearchCity, ID: uuid.MustParse(id)}))
	f.Add("WyJTaGVuemhlbiIsIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd")
	f.Add("")
	f.Add("not-a-cursor")
	f.Add("W10")
	listings := cursorListings()
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range listings {
			c, err := decodeCursor("after", l, s)
			if err != nil {
				continue
			}
			if _, err := uuid.Parse(c.ID); err != nil {
				t.Fatalf("accepted cursor %q with id %q", s, c.ID)
			}
			if !postgresAccepts(l.keyType, c.Key) {
				t.Fatalf("accepted cursor %q whose %s key %q PostgreSQL refuses", s, l.keyType, c.Key)
			}
			again, err := decodeCursor("after", l, encodeCursor(l.order, c.Key, c.ID))
			if err != nil || again != c {
				t.Fatalf("cursor %q does not round-trip: %+v, then %+v (%v)", s, c, again, err)
			}
		}
		if c, err := decodeSearchCursor(s); err == nil && (math.IsNaN(c.Score) || math.IsInf(c.Score, 0)) {
			t.Fatalf("accepted search cursor %q with score %v", s, c.Score)
		}
	})
}

// postgresAccepts is the fuzz oracle: what PostgreSQL 15 takes for a cast of text to
// the type, narrowed to finite values.
func postgresAccepts(keyType, key string) bool {
	switch keyType {
	case "date":
		if key == "infinity" || key == "-infinity" {
			return true
		}
		t, err := time.Parse("2006-01-02", key)
		return err == nil && t.Year() >= 1 && t.Year() <= 9999
	case "float8":
		// PostgreSQL's float8in is strtod without hexadecimal or digit separators.
		if strings.ContainsAny(key, "xX_pP") || strings.TrimSpace(key) != key {
			return false
		}
		f, err := strconv.ParseFloat(key, 64)
		return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case "bigint":
		_, err := strconv.ParseInt(key, 10, 64)
		return err == nil
	case "text":
		return !strings.ContainsRune(key, 0)
	}
	return false
}
