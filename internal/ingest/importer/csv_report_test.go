package importer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

func TestRowOutcomes(t *testing.T) {
	t.Parallel()
	const file = "city,country,partner_city,partner_country,kind,since,source_url,create\n" +
		"Testville,XT,Sampleton,XU,SISTER_CITY,,https://example.org/a,\n" + // 2 matched
		"Newville,XT,Sampleton,XU,SISTER_CITY,,https://example.org/a,yes\n" + // 3 created
		"Samplecity,XT,Sampleton,XU,SISTER_CITY,,https://example.org/a,\n" + // 4 ambiguous
		"Samplecity,XT,Testville,XT,SISTER_CITY,2001-13-01,https://example.org/a,\n" + // 5 bad date, ambiguous too
		"Otherville,XT,Sampleton,XU,FRIENDLY_EXCHANGE,,https://example.org/a,\n" + // 6 not looked up
		"Testville,XT\n" // 7 not a row of the header's width
	parsed, err := ParseCSV("p.csv", strings.NewReader(file), CSVOptions{}, nil)
	rejected := Rejections(mustFileError(t, err).All())
	testville, sampleton, newville := uuid.New(), uuid.New(), uuid.New()
	ref := func(name, country string, create bool) knowledge.Ref {
		return knowledge.Ref{Name: name, Country: country, Create: create}
	}
	const ambiguous = `2 cities of XT are named "Samplecity"; give coordinates or a key to choose: …`
	byName := map[knowledge.Ref]knowledge.CityMatch{
		ref("Testville", "XT", false):  {ID: testville},
		ref("Sampleton", "XU", false):  {ID: sampleton},
		ref("Sampleton", "XU", true):   {ID: sampleton},
		ref("Newville", "XT", true):    {ID: newville, Created: true},
		ref("Samplecity", "XT", false): {Ambiguous: true, Problem: ambiguous},
	}
	rejected = append(rejected, Rejection{Line: 4, Reasons: []string{"partnership.cities[0]: " + ambiguous}})
	got := RowOutcomes(parsed, rejected, byName, true)
	want := []RowOutcome{
		{Line: 2, Outcome: RowMatched, Written: true, City: ref("Testville", "XT", false), PartnerCity: ref("Sampleton", "XU", false), CityID: testville, PartnerCityID: sampleton},
		{Line: 3, Outcome: RowCreated, Written: true, City: ref("Newville", "XT", true), PartnerCity: ref("Sampleton", "XU", true), CityID: newville, PartnerCityID: sampleton},
		{Line: 4, Outcome: RowAmbiguous, City: ref("Samplecity", "XT", false), PartnerCity: ref("Sampleton", "XU", false), PartnerCityID: sampleton,
			Reasons: []string{"partnership.cities[0]: " + ambiguous}},
		{Line: 5, Outcome: RowAmbiguous, City: ref("Samplecity", "XT", false), PartnerCity: ref("Testville", "XT", false), PartnerCityID: testville,
			Reasons: []string{`partnership.since: "2001-13-01" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no month 13`, "partnership.cities[0]: " + ambiguous}},
		{Line: 6, Outcome: RowUnchecked, Written: false, City: ref("Otherville", "XT", false), PartnerCity: ref("Sampleton", "XU", false), PartnerCityID: sampleton},
		{Line: 7, Outcome: RowRefused, Reasons: []string{"2 fields, but the header names 8 columns"}},
	}
	if diff := cmp.Diff(got, want, cmp.Comparer(func(a, b knowledge.Ref) bool { return a == b })); diff != "" {
		t.Errorf("outcomes (-got +want):\n%s", diff)
	}
	if n := CountRowOutcomes(got); n[RowAmbiguous] != 2 || n[RowRefused] != 1 || n[RowMatched] != 1 {
		t.Errorf("counts %v", n)
	}

	var out bytes.Buffer
	if err := WriteRowOutcomes(&out, got[:2]); err != nil {
		t.Fatal(err)
	}
	wantCSV := "line,outcome,written,city,partner_city,city_id,partner_city_id,reasons\n" +
		"2,matched,yes,\"Testville, XT\",\"Sampleton, XU\"," + knowledge.GlobalID(knowledge.TypeCity, testville) + "," + knowledge.GlobalID(knowledge.TypeCity, sampleton) + ",\n" +
		"3,created,yes,\"Newville, XT\",\"Sampleton, XU\"," + knowledge.GlobalID(knowledge.TypeCity, newville) + "," + knowledge.GlobalID(knowledge.TypeCity, sampleton) + ",\n"
	if out.String() != wantCSV {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), wantCSV)
	}
}
