package graph_test

import (
	"os"
	"strings"
	"testing"

	"github.com/amity/amity/internal/edge/server"
)

func TestFederation(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.GraphQL.Federation = true
	a := MustAPIWith(t, cfg)
	MustInsertAtlas(t, a)

	var sdl struct {
		Service struct{ SDL string } `json:"_service"`
	}
	a.MustPost(t, `{ _service { sdl } }`, nil).MustData(t, &sdl)
	for _, want := range []string{`type City implements Node @key(fields: "id") @key(fields: "wikidataId")`, `@key(fields: "code")`, "@link"} {
		if !strings.Contains(sdl.Service.SDL, want) {
			t.Errorf("SDL lacks %q", want)
		}
	}
	// schema.graphqls is printed from graph/schema by make generate: a generated header,
	// a blank line, then the served SDL. A stale print fails here.
	printed, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	if _, body, _ := strings.Cut(string(printed), "\n\n"); body != sdl.Service.SDL {
		t.Error("schema.graphqls is not the SDL the server serves: run make generate")
	}

	var ids struct {
		City struct{ ID string }
	}
	a.MustPost(t, `{ city(name: "Shenzhen") { id } }`, nil).MustData(t, &ids)
	const q = `query($r: [_Any!]!) { _entities(representations: $r) {
  __typename ... on City { name } ... on Country { name } ... on Official { name } ... on Agreement { title } ... on Institution { name } } }`
	var got struct {
		Entities []map[string]any `json:"_entities"`
	}
	a.MustPost(t, q, map[string]any{"r": []any{
		map[string]any{"__typename": "City", "id": ids.City.ID},
		map[string]any{"__typename": "City", "wikidataId": "Q900101"},
		map[string]any{"__typename": "Country", "code": "RU"},
		map[string]any{"__typename": "Country", "code": "ZZ"},
	}}).MustData(t, &got)
	want := []string{"City Shenzhen", "City Testville", "Country Russian Federation", "<nil>"}
	for i, e := range got.Entities {
		s := "<nil>"
		if e != nil {
			s = e["__typename"].(string) + " " + e["name"].(string)
		}
		if i >= len(want) || s != want[i] {
			t.Errorf("entity %d: got %s, want %s", i, s, want[i])
		}
	}

	// Off by default: the fields are refused with a clear code.
	off := MustAPI(t)
	resp := off.MustPost(t, `{ _service { sdl } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].code() != "FEDERATION_DISABLED" {
		t.Errorf("federation off: %s", resp.Raw)
	}
}
