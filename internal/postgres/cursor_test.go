package postgres

import (
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

func TestDecodeCursorKeys(t *testing.T) {
	t.Parallel()
	const id = "6f1c1f5e-8a43-4c1a-9d7e-0b3f1d2e4a5b"
	near, _, _ := cityQuery(knowledge.CityQuery{Near: &knowledge.Near{Latitude: 1, Longitude: 2, RadiusKm: 3}})
	pop, _, _ := cityQuery(knowledge.CityQuery{OrderBy: knowledge.CityByPopulation})
	for _, tc := range []struct {
		l   listing
		key string
		ok  bool
	}{
		{agreementListing, "2024-03-06", true},
		{agreementListing, "0001-01-01", true},
		{agreementListing, "9999-12-31", true},
		{agreementListing, "-infinity", true},
		{agreementListing, "infinity", true},
		{agreementListing, "0000-01-01", false},
		{agreementListing, "2023-02-29", false},
		{agreementListing, "2024-3-6", false},
		{agreementListing, "10000-01-01", false},
		{agreementListing, "Infinity", false},
		{near, "0", true},
		{near, "12.5", true},
		{near, "-3", true},
		{near, "1.2345e+06", true},
		{near, "1.5e-05", true},
		{near, "0x1_0p0", false},
		{near, "0x10", false},
		{near, "1_000", false},
		{near, "NaN", false},
		{near, "Inf", false},
		{near, "-Infinity", false},
		{near, "1e999", false},
		{near, " 1", false},
		{near, "1.", false},
		{near, ".5", false},
		{pop, "-1", true},
		{pop, "9223372036854775807", true},
		{pop, "9223372036854775808", false},
		{pop, "1_000", false},
		{pop, "1.0", false},
		{cityListing, "Shenzhen", true},
		{cityListing, "", true},
		{cityListing, "a\x00b", false},
	} {
		_, err := decodeCursor("after", tc.l, encodeCursor(tc.l.order, tc.key, id))
		if (err == nil) != tc.ok {
			t.Errorf("%s key %q: got error %v, want accepted %v", tc.l.order, tc.key, err, tc.ok)
		}
		if err != nil {
			if e, isDomain := err.(*knowledge.Error); !isDomain || e.Code != knowledge.EINVALID || e.Field != "after" {
				t.Errorf("%s key %q: error %#v, want BAD_USER_INPUT on after", tc.l.order, tc.key, err)
			}
		}
	}
}

func TestDecodeSearchCursorScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"0.75", true}, {"1", true}, {"2.5e-05", true},
		{"0x1_0p0", false}, {"NaN", false}, {"+Inf", false}, {"1e400", false},
	} {
		_, err := decodeSearchCursor(encodeSearchCursor(searchRow{Key: tc.key, Type: knowledge.SearchCity}))
		if (err == nil) != tc.ok {
			t.Errorf("score %q: got error %v, want accepted %v", tc.key, err, tc.ok)
		}
	}
}
