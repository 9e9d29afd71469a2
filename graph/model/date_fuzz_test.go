package model

import (
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

// FuzzParseDate feeds the Date scalar's parser: it must never panic, and a date it
// accepts must be exactly the date it prints, at its precision.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-03-06", "2023-02-29", "2024-02-29", "0000-01-01", "9999-12-31", "2024-3-6", "2024-03-06T00:00:00Z", "", "+2024-03-06", "２０２４-03-06",
		"1994", "1994-05", "1994-13", "94", "0000", "1994-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := knowledge.ParseDate(s)
		if err != nil {
			if _, err2 := UnmarshalDate(s); err2 == nil {
				t.Fatalf("UnmarshalDate accepts %q that ParseDate refuses", s)
			}
			return
		}
		if got := d.String(); got != s {
			t.Fatalf("%q parses as %s", s, got)
		}
		if d2, err := UnmarshalDate(s); err != nil || d2 != d {
			t.Fatalf("UnmarshalDate(%q) = %v, %v", s, d2, err)
		}
	})
}
