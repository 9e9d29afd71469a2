package knowledge_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

// A city may be named by name and country (and coordinates, and create); the form is
// checked before the store reconciles it.
func TestBatchCityByName(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		want string // a substring of the one problem, or "" for none
	}{
		{`{"name":"Testville","country":"XT"}`, ""},
		{`{"name":"Testville","country":"Testland","latitude":10.5,"longitude":-3,"create":true}`, ""},
		{`{"name":"Testville"}`, `partnership.cities[0].country: required with a name`},
		{`{"country":"XT"}`, `partnership.cities[0].name: required with a country`},
		{`{"name":"Testville","country":"XT","geonames":12}`, `exactly one of key, wikidata, geonames, code, url, or a city's name and country`},
		{`{"name":"Testville","country":"XT","latitude":10}`, `latitude and longitude go together`},
		{`{"name":"Testville","country":"XT","latitude":91,"longitude":0}`, `partnership.cities[0].latitude: coordinates 91,0 are out of range`},
		{`{"name":"Test\u0007ville","country":"XT"}`, `partnership.cities[0].name:`},
		{`{"name":"Testville","country":"XT","admin1":"01"}`, ``},
		{`{"name":"Testville","country":"XT","region":"01"}`, `unknown field "region"`},
	} {
		var refs []knowledge.Ref
		if err := json.Unmarshal([]byte(`[`+tc.ref+`,"anchor"]`), &refs); err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		b := &knowledge.Batch{File: "f", Sources: []knowledge.SourceRecord{{Entry: knowledge.Entry{Line: 1}, Key: "s", Title: "Synthetic source", URL: "https://example.org/s"}},
			Partnerships: []knowledge.PartnershipRecord{{Entry: knowledge.Entry{Line: 2}, Key: "p", Kind: "SISTER_CITY", Cities: refs, Sources: []knowledge.Ref{{Key: "s"}}}}}
		got := problemsOf(t, b)
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s: problems %q, want none", tc.ref, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s: problems %q, want one with %q", tc.ref, got, tc.want)
		}
	}
	// Two references by the same name and coordinates are the same reference.
	var a, b knowledge.Ref
	_ = json.Unmarshal([]byte(`{"name":"Testville","country":"XT","latitude":1,"longitude":2}`), &a)
	_ = json.Unmarshal([]byte(`{"country":"XT","name":"Testville","longitude":2,"latitude":1}`), &b)
	if a != b || !a.ByName() || !a.Located {
		t.Errorf("refs %+v and %+v differ", a, b)
	}
}
