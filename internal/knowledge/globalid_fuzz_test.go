package knowledge

import (
	"testing"

	"github.com/google/uuid"
)

// FuzzParseGlobalID feeds ParseGlobalID, which reads every ID a client sends: it must never panic, and
// an ID it accepts must name a known type and re-encode to an ID that parses the same.
func FuzzParseGlobalID(f *testing.F) {
	f.Add(GlobalID(TypeCity, uuid.MustParse("6f1c1f5e-8a43-4c1a-9d7e-0b3f1d2e4a5b")))
	f.Add(GlobalID(TypeSource, uuid.Nil))
	f.Add("nonsense")
	f.Add("")
	f.Add("Q2l0eTo")
	f.Add("VW5rbm93bjo2ZjFjMWY1ZS04YTQzLTRjMWEtOWQ3ZS0wYjNmMWQyZTRhNWI")
	f.Fuzz(func(t *testing.T, s string) {
		typ, id, ok := ParseGlobalID(s)
		if !ok {
			if typ != "" || id != uuid.Nil {
				t.Fatalf("refused %q but returned %q %v", s, typ, id)
			}
			return
		}
		if !globalTypes[typ] {
			t.Fatalf("accepted %q of unknown type %q", s, typ)
		}
		typ2, id2, ok2 := ParseGlobalID(GlobalID(typ, id))
		if !ok2 || typ2 != typ || id2 != id {
			t.Fatalf("%q does not round-trip", s)
		}
	})
}
