package graph_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/knowledge"
)

// The Date scalar takes and answers a year, a month or a day as given; asOf counts an
// imprecise start from the last day of its period and names the undated ties; an
// explicit null in an update clears a date, a missing field keeps it.
func TestDatesWithTheirPrecision(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "dates", knowledge.ScopeRead, knowledge.ScopeWrite)
	var made struct {
		CreateCity struct{ City struct{ ID string } }
	}
	a.MustPostAs(t, writer, createCity, cityInput("Testville", nil)).MustData(t, &made)
	testville := made.CreateCity.City.ID
	a.MustPostAs(t, writer, createCity, cityInput("Sampleton", nil)).MustData(t, &made)
	sampleton := made.CreateCity.City.ID
	a.MustPostAs(t, writer, createCity, cityInput("Exampleford", nil)).MustData(t, &made)
	exampleford := made.CreateCity.City.ID
	sources := map[string]any{"new": []any{map[string]any{"title": "Testville Gazette", "url": "https://example.org/dates", "publishedOn": "1994-05"}}}

	const create = `mutation($input: PartnershipInput!) { createPartnership(input: $input) {
  partnership { id version since until } errors { field message code } } }`
	type partnership struct {
		ID      string
		Version int
		Since   *string
		Until   *string
	}
	var created struct {
		CreatePartnership struct {
			Partnership partnership
			Errors      []userError
		}
	}
	a.MustPostAs(t, writer, create, map[string]any{"input": map[string]any{"kind": "SISTER_CITY", "cities": []any{testville, sampleton},
		"since": "1994", "until": "2001-02", "sources": sources}}).MustData(t, &created)
	tie := created.CreatePartnership.Partnership
	if len(created.CreatePartnership.Errors) > 0 || tie.Since == nil || *tie.Since != "1994" || tie.Until == nil || *tie.Until != "2001-02" {
		t.Fatalf("created %s", dump(t, created))
	}
	var undated struct {
		CreatePartnership struct{ Errors []userError }
	}
	a.MustPostAs(t, writer, create, map[string]any{"input": map[string]any{"kind": "SISTER_CITY", "cities": []any{testville, exampleford},
		"sources": map[string]any{"new": []any{map[string]any{"title": "Sampleton notice", "url": "https://example.org/dates-undated"}}}}}).MustData(t, &undated)
	if len(undated.CreatePartnership.Errors) > 0 {
		t.Fatalf("undated tie: %s", dump(t, undated))
	}

	const network = `query($id: ID!, $asOf: Date) { node(id: $id) { ... on City {
  partnerships(asOf: $asOf) { totalCount nodes { since } }
  network(asOf: $asOf) { asOf partnerCities undatedPartnerCities } } } }`
	type counted struct {
		AsOf                      string
		Listed, Partners, Undated int
	}
	at := func(asOf string) counted {
		t.Helper()
		var out struct {
			Node struct {
				Partnerships struct{ TotalCount int }
				Network      struct {
					AsOf                                string
					PartnerCities, UndatedPartnerCities int
				}
			}
		}
		a.MustPost(t, network, map[string]any{"id": testville, "asOf": asOf}).MustData(t, &out)
		n := out.Node
		return counted{n.Network.AsOf, n.Partnerships.TotalCount, n.Network.PartnerCities, n.Network.UndatedPartnerCities}
	}
	for _, tt := range []struct {
		asOf string
		want counted
	}{
		{"1994-06-30", counted{"1994-06-30", 0, 0, 1}},
		{"1994", counted{"1994-12-31", 1, 1, 1}}, // a year asked for is its last day
		{"1994-12", counted{"1994-12-31", 1, 1, 1}},
		{"2001-02", counted{"2001-02-28", 0, 0, 1}}, // ended in February 2001
	} {
		if diff := cmp.Diff(at(tt.asOf), tt.want); diff != "" {
			t.Errorf("as of %s (-got +want):\n%s", tt.asOf, diff)
		}
	}

	const update = `mutation($input: UpdatePartnershipInput!) { updatePartnership(input: $input) {
  partnership { id version since until } errors { field message code } } }`
	src := map[string]any{"ids": []any{}}
	var s struct {
		Node struct{ Sources []struct{ ID string } }
	}
	a.MustPost(t, `query($id: ID!) { node(id: $id) { ... on Partnership { sources { id } } } }`, map[string]any{"id": tie.ID}).MustData(t, &s)
	src["ids"] = []any{s.Node.Sources[0].ID}
	updated := func(input map[string]any) partnership {
		t.Helper()
		var out struct {
			UpdatePartnership struct {
				Partnership partnership
				Errors      []userError
			}
		}
		input["id"], input["sources"] = tie.ID, src
		a.MustPostAs(t, writer, update, map[string]any{"input": input}).MustData(t, &out)
		if len(out.UpdatePartnership.Errors) > 0 {
			t.Fatalf("update %v: %s", input, dump(t, out))
		}
		return out.UpdatePartnership.Partnership
	}
	str := func(s string) *string { return &s }
	// A more precise start; until left out is kept.
	if got, want := updated(map[string]any{"version": 1, "since": "1994-05-12"}), (partnership{tie.ID, 2, str("1994-05-12"), str("2001-02")}); !cmp.Equal(got, want) {
		t.Errorf("more precise since: %s, want %s", dump(t, got), dump(t, want))
	}
	// An explicit null clears since, in a variable as in a literal.
	if got, want := updated(map[string]any{"version": 2, "since": nil}), (partnership{tie.ID, 3, nil, str("2001-02")}); !cmp.Equal(got, want) {
		t.Errorf("since: null: %s, want %s", dump(t, got), dump(t, want))
	}
	var literal struct {
		UpdatePartnership struct{ Partnership partnership }
	}
	a.MustPostAs(t, writer, `mutation($id: ID!, $src: SourcesInput!) { updatePartnership(input: {id: $id, version: 3, until: null, sources: $src}) {
  partnership { id version since until } } }`, map[string]any{"id": tie.ID, "src": src}).MustData(t, &literal)
	if got, want := literal.UpdatePartnership.Partnership, (partnership{tie.ID, 4, nil, nil}); !cmp.Equal(got, want) {
		t.Errorf("until: null as a literal: %s, want %s", dump(t, got), dump(t, want))
	}

	// Dates that do not exist are refused, with the reason.
	for in, want := range map[string]string{
		"1994-13":    "there is no month 13",
		"1994-02-30": "there is no day 30 in 1994-02",
		"94":         `"94" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD`,
	} {
		r := a.MustPost(t, network, map[string]any{"id": testville, "asOf": in})
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, want) {
			t.Errorf("asOf %q: %s, want an error %q", in, r.Raw, want)
		}
	}
}
