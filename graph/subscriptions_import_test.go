package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/postgres"
)

// Partnerships and agreements that come by `amity import` reach subscribers as those
// of the mutations do, each as an event of its own, filtered by city, although the
// import announced them with one notification per kind.
func TestSubscriptionImportedFacts(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	ts := serve(t, a.handler)
	srv := a.handler.(*server.Server)
	shenzhen := mustCityID(t, a, "Shenzhen")

	c := mustDialWS(t, ts.URL, nil)
	c.subscribe("sz", subPartnerships, map[string]any{"city": shenzhen})
	c.subscribe("all", subPartnerships, nil)
	c.subscribe("agr", subAgreements, map[string]any{"city": shenzhen})
	waitSubscribers(t, srv, 3)

	const file = `{"type":"source","key":"import-gazette","title":"Import gazette","url":"https://example.org/import-gazette"}
{"type":"city","key":"importville","name":"Importville","country":"CN","sources":["import-gazette"]}
{"type":"agreement","key":"shenzhen-moscow-sister-2025","title":"Sister city agreement","kind":"SISTER_CITY_AGREEMENT","parties":["shenzhen","moscow"],"sources":["import-gazette"]}
{"type":"partnership","key":"shenzhen-moscow-sister","kind":"SISTER_CITY","cities":["moscow","shenzhen"],"since":"2025-05-01","agreement":"shenzhen-moscow-sister-2025","sources":["import-gazette"]}
{"type":"partnership","key":"importville-moscow","kind":"SISTER_CITY","cities":["importville","moscow"],"since":"2025-05-02","sources":["import-gazette"]}
`
	b, err := importer.Parse("ties.ndjson", strings.NewReader(file), importer.FormatNDJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Import(context.Background(), a.db.DB, b, nil); err != nil {
		t.Fatal(err)
	}

	var ev partnershipEvent
	c.event("sz", &ev)
	if p := ev.PartnershipChanged; p.Action != "CREATED" || p.Partnership == nil || p.Partnership.Kind != "SISTER_CITY" ||
		p.Partnership.Since != "2025-05-01" || len(p.CityIDs) != 2 {
		t.Errorf("Shenzhen's subscriber got %s, want the imported Shenzhen–Moscow sister city", dump(t, ev))
	}
	var since []string
	for range 2 {
		c.event("all", &ev)
		if ev.PartnershipChanged.Partnership != nil {
			since = append(since, ev.PartnershipChanged.Partnership.Since)
		}
	}
	if strings.Join(since, ",") != "2025-05-01,2025-05-02" {
		t.Errorf("the unfiltered subscriber got partnerships since %v, want both imported ones in file order", since)
	}
	var agr struct {
		AgreementAdded struct {
			Title   string
			Parties []struct{ Name string }
		}
	}
	c.event("agr", &agr)
	if agr.AgreementAdded.Title != "Sister city agreement" || len(agr.AgreementAdded.Parties) != 2 {
		t.Errorf("agreementAdded got %s, want the imported agreement", dump(t, agr))
	}
	for _, id := range []string{"sz", "all", "agr"} {
		if m, ok := c.poll(id, 200*time.Millisecond); ok {
			t.Errorf("%s: unexpected %s %s", id, m.Type, m.Payload)
		}
	}
}
