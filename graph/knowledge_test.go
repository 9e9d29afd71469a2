package graph_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSigningOfTheMemorandum asks the question the product exists to answer: which
// officials signed which agreement between Shenzhen and Moscow, on what date, in which
// areas, citing which sources.
func TestSigningOfTheMemorandum(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	const q = `{
  city(name: "shenzhen") {
    agreements {
      nodes {
        kind signedOn areas
        parties { name }
        signedIn { name }
        signatories { official { name names { name } city { name } } party { name } }
        sources { publisher publishedOn url }
        statements { property value source { publisher } }
      }
    }
  }
}`
	var data struct {
		City struct {
			Agreements struct {
				Nodes []struct {
					Kind        string
					SignedOn    string
					Areas       []string
					Parties     []struct{ Name string }
					SignedIn    struct{ Name string }
					Signatories []struct {
						Official struct {
							Name  string
							Names []struct{ Name string }
							City  struct{ Name string }
						}
						Party struct{ Name string }
					}
					Sources []struct {
						Publisher   string
						PublishedOn string
						URL         string
					}
					Statements []struct {
						Property, Value string
						Source          struct{ Publisher string }
					}
				}
			}
		}
	}
	a.MustPost(t, q, nil).MustData(t, &data)
	if n := len(data.City.Agreements.Nodes); n != 1 {
		t.Fatalf("got %d agreements of Shenzhen, want 1", n)
	}
	ag := data.City.Agreements.Nodes[0]
	if ag.Kind != "MEMORANDUM" || ag.SignedOn != "2024-03-06" || ag.SignedIn.Name != "Shenzhen" {
		t.Errorf("got kind %s signed %s in %s, want MEMORANDUM signed 2024-03-06 in Shenzhen", ag.Kind, ag.SignedOn, ag.SignedIn.Name)
	}
	var parties []string
	for _, p := range ag.Parties {
		parties = append(parties, p.Name)
	}
	if diff := cmp.Diff([]string{"Shenzhen", "Moscow"}, parties); diff != "" {
		t.Errorf("parties (-want +got):\n%s", diff)
	}
	for _, area := range []string{"TRADE", "INVESTMENT", "TECHNOLOGY", "EDUCATION", "CULTURE", "TRANSPORTATION", "HEALTH"} {
		if !slices.Contains(ag.Areas, area) {
			t.Errorf("areas %v lack %s", ag.Areas, area)
		}
	}
	signedFor := map[string]string{}
	for _, s := range ag.Signatories {
		signedFor[s.Official.Name] = s.Party.Name
		if s.Official.City.Name != s.Party.Name {
			t.Errorf("%s represents %s but signed for %s", s.Official.Name, s.Official.City.Name, s.Party.Name)
		}
	}
	if diff := cmp.Diff(map[string]string{"Wang Shourui": "Shenzhen", "Sergey Cheremin": "Moscow"}, signedFor); diff != "" {
		t.Errorf("signatories (-want +got):\n%s", diff)
	}
	for _, s := range ag.Signatories {
		if s.Official.Name != "Sergey Cheremin" {
			continue
		}
		var spellings []string
		for _, n := range s.Official.Names {
			spellings = append(spellings, n.Name)
		}
		for _, want := range []string{"Sergey Cheremin", "Cheryomin", "切廖明"} {
			if !slices.Contains(spellings, want) {
				t.Errorf("Cheremin's names %v lack %q", spellings, want)
			}
		}
	}
	var publishers []string
	for _, s := range ag.Sources {
		publishers = append(publishers, s.Publisher)
		if s.PublishedOn != "2024-03-07" || s.URL == "" {
			t.Errorf("source %+v: want published 2024-03-07 with a url", s)
		}
	}
	if len(publishers) != 2 {
		t.Errorf("got sources %v, want the report and the notice", publishers)
	}
	// The signing date is the notice's word; the report gives none, and the graph says so.
	var dated bool
	for _, s := range ag.Statements {
		if s.Property == "signedOn" {
			dated = true
			if s.Value != "2024-03-06" || s.Source.Publisher != "Foreign Affairs Office of the Shenzhen Municipal People's Government" {
				t.Errorf("signedOn statement %+v: want 2024-03-06 from the notice", s)
			}
		}
	}
	if !dated {
		t.Error("no statement says who dates the signing")
	}
}

// TestReportedFigures checks Shenzhen's four reported figures and their source.
func TestReportedFigures(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	var data struct {
		City struct {
			ReportedFigures []struct {
				Metric string
				Value  int
				AsOf   string
				Source struct{ Publisher string }
			}
		}
	}
	a.MustPost(t, `{ city(name: "深圳") { reportedFigures { metric value asOf source { publisher } } } }`, nil).MustData(t, &data)
	got := map[string]int{}
	for _, f := range data.City.ReportedFigures {
		got[f.Metric] = f.Value
		if f.AsOf != "2024-03-07" || f.Source.Publisher != "BNN Breaking" {
			t.Errorf("figure %+v: want as of 2024-03-07 from BNN Breaking", f)
		}
	}
	want := map[string]int{"FRIENDLY_CITIES": 93, "FRIENDLY_COUNTRIES": 58, "SISTER_CITIES": 24, "FRIENDLY_EXCHANGE_CITIES": 69}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
}

// TestCityByAnyName finds cities by names in several scripts and cases.
func TestCityByAnyName(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	tests := []struct {
		name string
		want any
	}{
		{"Shenzhen", "Shenzhen"},
		{"SHENZHEN", "Shenzhen"},
		{"深圳", "Shenzhen"},
		{"Москва", "Moscow"},
		{"москва", "Moscow"},
		{"莫斯科", "Moscow"},
		{"Atlantis", nil},
	}
	for _, tt := range tests {
		var data struct{ City map[string]any }
		a.MustPost(t, `query($n: String) { city(name: $n) { name } }`, map[string]any{"n": tt.name}).MustData(t, &data)
		var got any
		if data.City != nil {
			got = data.City["name"]
		}
		if got != tt.want {
			t.Errorf("city(name: %q): got %v, want %v", tt.name, got, tt.want)
		}
	}
}
