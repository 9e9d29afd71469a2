package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/knowledge"
)

// MustKey creates an API key with the scopes and returns its secret.
func MustKey(tb testing.TB, a *api, name string, scopes ...knowledge.Scope) string {
	tb.Helper()
	secret, hash, err := auth.NewSecret()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := a.db.CreateKey(context.Background(), name, hash, scopes, nil); err != nil {
		tb.Fatal(err)
	}
	return secret
}

// MustPostAs sends a query with an API key.
func (a *api) MustPostAs(tb testing.TB, secret, query string, vars map[string]any) response {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(mustJSON(tb, map[string]any{"query": query, "variables": vars})))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	return a.MustDo(tb, req)
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	return dump(tb, v)
}

type userError struct {
	Field   []string
	Message string
	Code    string
}

const createCity = `mutation($input: CityInput!) { createCity(input: $input) {
  city { id version name country { code } names { language name } sources { title } }
  errors { field message code } clientMutationId } }`

func cityInput(name string, extra map[string]any) map[string]any {
	in := map[string]any{
		"name": name, "country": "CN",
		"sources": map[string]any{"new": []any{map[string]any{"title": "Synthetic gazette", "url": "https://example.test/gazette/" + name}}},
	}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in}
}

func TestKeysAndScopes(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	reader := MustKey(t, a, "reader", knowledge.ScopeRead)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	revoked := MustKey(t, a, "revoked", knowledge.ScopeRead, knowledge.ScopeWrite)
	keys, err := a.db.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Name == "revoked" {
			if _, err := a.db.RevokeKey(context.Background(), k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := a.MustTableCounts(t)
	tests := []struct {
		name       string
		secret     string
		header     string
		wantStatus int
		wantCode   string
	}{
		{"anonymous may not write", "", "", 200, "UNAUTHENTICATED"},
		{"read scope may not write", reader, "", 200, "FORBIDDEN"},
		{"unknown key", "amity_not-a-real-key", "", 401, "UNAUTHENTICATED"},
		{"revoked key", revoked, "", 401, "UNAUTHENTICATED"},
		{"not a bearer header", "", "Basic dXNlcjpwYXNz", 401, "UNAUTHENTICATED"},
	}
	messages := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(mustJSON(t, map[string]any{"query": createCity, "variables": cityInput("Testopolis", nil)})))
			req.Header.Set("Content-Type", "application/json")
			if tt.secret != "" {
				req.Header.Set("Authorization", "Bearer "+tt.secret)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp := a.MustDo(t, req)
			if resp.Status != tt.wantStatus || len(resp.Errors) == 0 || resp.Errors[0].code() != tt.wantCode {
				t.Fatalf("got status %d %s, want %d %s", resp.Status, resp.Raw, tt.wantStatus, tt.wantCode)
			}
			messages[tt.name] = resp.Errors[0].Message
		})
	}
	// An unknown key and a revoked one get the same answer: nothing tells which keys exist.
	if messages["unknown key"] != messages["revoked key"] {
		t.Errorf("unknown and revoked keys answer differently: %q vs %q", messages["unknown key"], messages["revoked key"])
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("refused writes changed the database:\n%s", diff)
	}
	// A valid key with the scope writes; the same key reads too.
	resp := a.MustPostAs(t, writer, createCity, cityInput("Testopolis", nil))
	if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), `"name":"Testopolis"`) {
		t.Fatalf("writer: %s", resp.Raw)
	}
	if resp := a.MustPostAs(t, reader, `{ city(name: "Testopolis") { name } }`, nil); string(resp.Data) != `{"city":{"name":"Testopolis"}}` {
		t.Errorf("reader: %s", resp.Raw)
	}
	// Only admin keys read the audit log.
	if resp := a.MustPostAs(t, writer, `{ auditLog { totalCount } }`, nil); len(resp.Errors) == 0 || resp.Errors[0].code() != "FORBIDDEN" {
		t.Errorf("writer reading the audit log: %s", resp.Raw)
	}
}

func TestWritesWithProvenanceAndAudit(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "Testland Foreign Affairs Office", knowledge.ScopeRead, knowledge.ScopeWrite)
	admin := MustKey(t, a, "auditor", knowledge.ScopeAdmin)

	var created struct {
		CreateCity struct {
			City struct {
				ID, Name string
				Version  int
				Sources  []struct{ Title string }
			}
			Errors []userError
		}
	}
	a.MustPostAs(t, writer, createCity, cityInput("Testopolis", map[string]any{
		"names": []any{map[string]any{"language": "ru", "name": "Тестополь"}}, "population": 12345,
	})).MustData(t, &created)
	city := created.CreateCity.City
	if len(created.CreateCity.Errors) > 0 || city.Version != 1 || len(city.Sources) != 1 {
		t.Fatalf("createCity: %s", dump(t, created))
	}
	var moscow struct{ City struct{ ID string } }
	a.MustPost(t, `{ city(name: "Moscow") { id } }`, nil).MustData(t, &moscow)
	var srcs struct {
		Sources struct{ Nodes []struct{ ID string } }
	}
	a.MustPost(t, `{ sources { nodes { id } } }`, nil).MustData(t, &srcs)
	existingSource := srcs.Sources.Nodes[0].ID

	// An official of the new city, and an agreement it signs with Moscow.
	var off struct {
		CreateOfficial struct {
			Official struct{ ID string }
			Errors   []userError
		}
	}
	a.MustPostAs(t, writer, `mutation($input: OfficialInput!) { createOfficial(input: $input) { official { id } errors { field message code } } }`,
		map[string]any{"input": map[string]any{"name": "Testa Mayorova", "title": "Mayor of Testopolis", "city": city.ID,
			"sources": map[string]any{"ids": []any{existingSource}}}}).MustData(t, &off)
	if len(off.CreateOfficial.Errors) > 0 {
		t.Fatalf("createOfficial: %s", dump(t, off))
	}
	const createAgreement = `mutation($input: AgreementInput!) { createAgreement(input: $input) {
  agreement { id version title signedOn areas parties { name } signatories { official { name } party { name } } sources { id } }
  errors { field message code } clientMutationId } }`
	agreementInput := func(signatoryParty string) map[string]any {
		return map[string]any{"input": map[string]any{
			"title": "Testopolis–Moscow test memorandum", "kind": "MEMORANDUM", "signedOn": "2025-01-15",
			"areas": []any{"CULTURE", "EDUCATION"}, "parties": []any{city.ID, moscow.City.ID},
			"signatories":      []any{map[string]any{"official": off.CreateOfficial.Official.ID, "party": signatoryParty, "role": "Mayor"}},
			"sources":          map[string]any{"ids": []any{existingSource}},
			"clientMutationId": "agreement-1",
		}}
	}
	// The mayor of Testopolis does not represent Moscow.
	var bad struct{ CreateAgreement struct{ Errors []userError } }
	a.MustPostAs(t, writer, createAgreement, agreementInput(moscow.City.ID)).MustData(t, &bad)
	if len(bad.CreateAgreement.Errors) == 0 {
		t.Fatalf("a signatory for a party the official does not represent was accepted")
	}

	var ag struct {
		CreateAgreement struct {
			Agreement struct {
				ID      string
				Version int
				Parties []struct{ Name string }
			}
			Errors           []userError
			ClientMutationID string
		}
	}
	a.MustPostAs(t, writer, createAgreement, agreementInput(city.ID)).MustData(t, &ag)
	if len(ag.CreateAgreement.Errors) > 0 || len(ag.CreateAgreement.Agreement.Parties) != 2 || ag.CreateAgreement.ClientMutationID != "agreement-1" {
		t.Fatalf("createAgreement: %s", dump(t, ag))
	}
	// A retry with the same client mutation id returns the same agreement, writing nothing.
	countsBefore := a.MustTableCounts(t)
	var retry struct {
		CreateAgreement struct {
			Agreement struct{ ID string }
			Errors    []userError
		}
	}
	a.MustPostAs(t, writer, createAgreement, agreementInput(city.ID)).MustData(t, &retry)
	if retry.CreateAgreement.Agreement.ID != ag.CreateAgreement.Agreement.ID {
		t.Errorf("retry created %s, first call %s", retry.CreateAgreement.Agreement.ID, ag.CreateAgreement.Agreement.ID)
	}
	if diff := cmp.Diff(countsBefore, a.MustTableCounts(t)); diff != "" {
		t.Errorf("retry wrote:\n%s", diff)
	}
	// The same id for a different write is refused.
	changed := agreementInput(city.ID)
	changed["input"].(map[string]any)["title"] = "Another test memorandum"
	a.MustPostAs(t, writer, createAgreement, changed).MustData(t, &retry)
	if len(retry.CreateAgreement.Errors) != 1 || retry.CreateAgreement.Errors[0].Code != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("reused client mutation id: %s", dump(t, retry))
	}

	// A partnership created by the agreement; then an update with a stale version.
	const createPartnership = `mutation($input: PartnershipInput!) { createPartnership(input: $input) {
  partnership { id version kind since partner { name } cities { name } agreement { title } } errors { field message code } } }`
	var ps struct {
		CreatePartnership struct {
			Partnership struct {
				ID      string
				Version int
			}
			Errors []userError
		}
	}
	a.MustPostAs(t, writer, createPartnership, map[string]any{"input": map[string]any{
		"kind": "FRIENDLY_EXCHANGE", "cities": []any{city.ID, moscow.City.ID}, "since": "2025-01-15",
		"agreement": ag.CreateAgreement.Agreement.ID, "sources": map[string]any{"ids": []any{existingSource}},
	}}).MustData(t, &ps)
	if len(ps.CreatePartnership.Errors) > 0 {
		t.Fatalf("createPartnership: %s", dump(t, ps))
	}
	const updatePartnership = `mutation($input: UpdatePartnershipInput!) { updatePartnership(input: $input) {
  partnership { version until } errors { field message code } } }`
	var up struct {
		UpdatePartnership struct {
			Partnership *struct {
				Version int
				Until   string
			}
			Errors []userError
		}
	}
	upd := func(version int) map[string]any {
		return map[string]any{"input": map[string]any{"id": ps.CreatePartnership.Partnership.ID, "version": version,
			"until": "2026-01-01", "sources": map[string]any{"ids": []any{existingSource}}}}
	}
	a.MustPostAs(t, writer, updatePartnership, upd(1)).MustData(t, &up)
	if up.UpdatePartnership.Partnership == nil || up.UpdatePartnership.Partnership.Version != 2 {
		t.Fatalf("update: %s", dump(t, up))
	}
	a.MustPostAs(t, writer, updatePartnership, upd(1)).MustData(t, &up)
	if len(up.UpdatePartnership.Errors) != 1 || up.UpdatePartnership.Errors[0].Code != "STALE_VERSION" {
		t.Errorf("stale update: %s", dump(t, up))
	}

	// Retracting the city fails while its partnership and agreement stand.
	const retract = `mutation($input: RetractInput!) { retract(input: $input) { retractedId errors { field message code } } }`
	var rt struct {
		Retract struct {
			RetractedID *string
			Errors      []userError
		}
	}
	a.MustPostAs(t, writer, retract, map[string]any{"input": map[string]any{"id": city.ID, "version": 1,
		"reason": "test", "sources": map[string]any{"ids": []any{existingSource}}}}).MustData(t, &rt)
	if rt.Retract.RetractedID != nil || len(rt.Retract.Errors) == 0 || rt.Retract.Errors[0].Code != "CONFLICT" {
		t.Errorf("retracting a city with partnerships: %s", dump(t, rt))
	}
	// Retracting the partnership works, and it leaves the live graph.
	a.MustPostAs(t, writer, retract, map[string]any{"input": map[string]any{"id": ps.CreatePartnership.Partnership.ID, "version": 2,
		"reason": "The tie was entered twice in the test gazette.", "sources": map[string]any{"ids": []any{existingSource}}}}).MustData(t, &rt)
	if rt.Retract.RetractedID == nil || *rt.Retract.RetractedID != ps.CreatePartnership.Partnership.ID {
		t.Fatalf("retract: %s", dump(t, rt))
	}
	var gone struct{ Node any }
	a.MustPost(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ps.CreatePartnership.Partnership.ID}).MustData(t, &gone)
	if gone.Node != nil {
		t.Errorf("retracted partnership still answers: %v", gone.Node)
	}

	// The audit log has every write, newest first, with who and what.
	var log struct {
		AuditLog struct {
			TotalCount int
			Nodes      []struct {
				Action, Actor, EntityType, EntityID string
				Before, After, Reason               *string
				Sources                             []string
			}
		}
	}
	a.MustPostAs(t, admin, `query($e: ID) { auditLog(entity: $e) { totalCount nodes { action actor entityType entityId before after reason sources } } }`,
		map[string]any{"e": ps.CreatePartnership.Partnership.ID}).MustData(t, &log)
	var actions []string
	for _, n := range log.AuditLog.Nodes {
		actions = append(actions, n.Action)
		if n.Actor != "Testland Foreign Affairs Office" || len(n.Sources) == 0 {
			t.Errorf("entry %+v: want the writer's key name and the cited sources", n)
		}
	}
	if diff := cmp.Diff([]string{"RETRACT", "UPDATE", "CREATE"}, actions); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if n := log.AuditLog.Nodes; len(n) == 3 && (n[0].After != nil || n[0].Before == nil || *n[0].Reason == "" || n[2].Before != nil) {
		t.Errorf("before/after of retract and create: %s", dump(t, n))
	}
	// The audit log refuses changes, whoever asks.
	if _, err := a.db.Exec(`DELETE FROM audit_log`); err == nil {
		t.Error("audit_log accepted a DELETE")
	}
}

func TestInvalidWritesChangeNothing(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	var ids struct {
		Shenzhen, Moscow struct{ ID string }
		Sources          struct{ Nodes []struct{ ID string } }
	}
	a.MustPost(t, `{ shenzhen: city(name: "Shenzhen") { id } moscow: city(name: "Moscow") { id } sources { nodes { id } } }`, nil).MustData(t, &ids)
	src := map[string]any{"ids": []any{ids.Sources.Nodes[0].ID}}
	before := a.MustTableCounts(t)
	tests := []struct {
		name      string
		query     string
		input     map[string]any
		wantField string
		wantCode  string
	}{
		{"a fact without a source", createCity, cityInput("Nosourceville", map[string]any{"sources": map[string]any{}}), "input.sources", "MISSING_SOURCE"},
		{"an unknown source", createCity, cityInput("Ghostville", map[string]any{"sources": map[string]any{"ids": []any{"U291cmNlOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA"}}}), "input.sources.ids.0", "NOT_FOUND"},
		{"an unknown country", createCity, cityInput("Nowhere", map[string]any{"country": "ZZ"}), "input.country", "NOT_FOUND"},
		{"a bad country code", createCity, cityInput("Nowhere", map[string]any{"country": "China"}), "input.country", "INVALID"},
		{"a latitude off the globe", createCity, cityInput("Nowhere", map[string]any{"location": map[string]any{"latitude": 91, "longitude": 0}}), "input.location.latitude", "INVALID"},
		{"a blank name", createCity, cityInput(" ", nil), "input.name", "INVALID"},
		{"a source URL that is not http", createCity, cityInput("Ftpville", map[string]any{"sources": map[string]any{"new": []any{map[string]any{"title": "x", "url": "ftp://x"}}}}), "input.sources.new.0.url", "INVALID"},
		{"a source URL that exists", createCity, cityInput("Dupville", map[string]any{"sources": map[string]any{"new": []any{map[string]any{"title": "x", "url": "http://fao.sz.gov.cn/xxgk/zyxw/content/post_1131038.html"}}}}), "input.sources.new.0.url", "CONFLICT"},
		{"a partnership with itself", `mutation($input: PartnershipInput!) { createPartnership(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"kind": "SISTER_CITY", "cities": []any{ids.Shenzhen.ID, ids.Shenzhen.ID}, "sources": src}}, "input.cities", "INVALID"},
		{"a partnership that ends before it begins", `mutation($input: PartnershipInput!) { createPartnership(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"kind": "SISTER_CITY", "cities": []any{ids.Shenzhen.ID, ids.Moscow.ID}, "since": "2020-01-01", "until": "2019-01-01", "sources": src}}, "input.until", "INVALID"},
		{"a partnership that exists", `mutation($input: PartnershipInput!) { createPartnership(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"kind": "FRIENDLY_EXCHANGE", "cities": []any{ids.Moscow.ID, ids.Shenzhen.ID}, "sources": src}}, "input.cities", "CONFLICT"},
		{"an agreement with one party", `mutation($input: AgreementInput!) { createAgreement(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"title": "Solo", "kind": "OTHER", "parties": []any{ids.Shenzhen.ID}, "sources": src}}, "input.parties", "INVALID"},
		{"a signatory for a city that is not a party", `mutation($input: AgreementInput!) { createAgreement(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"title": "Odd", "kind": "OTHER", "parties": []any{ids.Shenzhen.ID, ids.Moscow.ID},
				"signatories": []any{map[string]any{"official": "T2ZmaWNpYWw6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw", "party": "Q2l0eTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA"}},
				"sources":     src}}, "input.signatories.0.party", "INVALID"},
		{"an ID of the wrong type", `mutation($input: OfficialInput!) { createOfficial(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"name": "X", "city": ids.Sources.Nodes[0].ID, "sources": src}}, "input.city", "INVALID"},
		{"an overlong title", `mutation($input: InstitutionInput!) { createInstitution(input: $input) { errors { field code } } }`,
			map[string]any{"input": map[string]any{"name": strings.Repeat("x", 301), "kind": "SCHOOL", "city": ids.Shenzhen.ID, "sources": src}}, "input.name", "INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := a.MustPostAs(t, writer, tt.query, tt.input)
			if len(resp.Errors) > 0 {
				t.Fatalf("GraphQL errors: %s", resp.Raw)
			}
			var data map[string]struct{ Errors []userError }
			resp.MustData(t, &data)
			var got []string
			for _, payload := range data {
				for _, e := range payload.Errors {
					got = append(got, strings.Join(e.Field, ".")+" "+e.Code)
				}
			}
			want := tt.wantField + " " + tt.wantCode
			found := false
			for _, g := range got {
				found = found || g == want
			}
			if !found {
				t.Errorf("got problems %v, want %s", got, want)
			}
		})
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("invalid writes changed the database (-before +after):\n%s", diff)
	}
}

// TestConcurrentUpdatesAreDetected races two updates from the same version: exactly one
// wins, the other is told its version is stale.
func TestConcurrentUpdatesAreDetected(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	var c struct {
		CreateCity struct{ City struct{ ID string } }
	}
	a.MustPostAs(t, writer, createCity, cityInput("Racetown", nil)).MustData(t, &c)
	const update = `mutation($input: UpdateCityInput!) { updateCity(input: $input) { city { version population } errors { code } } }`
	var wg sync.WaitGroup
	results := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := a.MustPostAs(t, writer, update, map[string]any{"input": map[string]any{"id": c.CreateCity.City.ID, "version": 1,
				"population": 1000 + i, "sources": map[string]any{"new": []any{map[string]any{"title": "Race report"}}}}})
			results[i] = string(resp.Data)
		}()
	}
	wg.Wait()
	stale := 0
	for _, r := range results {
		if strings.Contains(r, "STALE_VERSION") {
			stale++
		}
	}
	if stale != 1 {
		t.Errorf("want exactly one stale update, got %v", results)
	}
}

// TestSourceWrites creates and updates a source directly: problems point at the
// source's own fields.
func TestSourceWrites(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	const create = `mutation($in: SourceInput!) { createSource(input: $in) { source { id version title } errors { field code } } }`
	var ok struct {
		CreateSource struct {
			Source *struct {
				ID      string
				Version int
			}
			Errors []userError
		}
	}
	a.MustPostAs(t, writer, create, map[string]any{"in": map[string]any{"title": "Testland gazette", "url": "https://gazette.example/1"}}).MustData(t, &ok)
	if ok.CreateSource.Source == nil || len(ok.CreateSource.Errors) > 0 {
		t.Fatalf("createSource: %s", dump(t, ok))
	}
	var dup struct{ CreateSource struct{ Errors []userError } }
	a.MustPostAs(t, writer, create, map[string]any{"in": map[string]any{"title": "Again", "url": "https://gazette.example/1"}}).MustData(t, &dup)
	if len(dup.CreateSource.Errors) != 1 || strings.Join(dup.CreateSource.Errors[0].Field, ".") != "input.url" || dup.CreateSource.Errors[0].Code != "CONFLICT" {
		t.Errorf("duplicate URL: %s", dump(t, dup))
	}
	const update = `mutation($in: UpdateSourceInput!) { updateSource(input: $in) { source { version title } errors { field code } } }`
	var bad struct{ UpdateSource struct{ Errors []userError } }
	a.MustPostAs(t, writer, update, map[string]any{"in": map[string]any{"id": ok.CreateSource.Source.ID, "version": 1, "title": " "}}).MustData(t, &bad)
	if len(bad.UpdateSource.Errors) != 1 || strings.Join(bad.UpdateSource.Errors[0].Field, ".") != "input.title" {
		t.Errorf("blank title: %s", dump(t, bad))
	}
	var up struct {
		UpdateSource struct {
			Source struct {
				Version int
				Title   string
			}
		}
	}
	a.MustPostAs(t, writer, update, map[string]any{"in": map[string]any{"id": ok.CreateSource.Source.ID, "version": 1, "publisher": "Testland press office"}}).MustData(t, &up)
	if up.UpdateSource.Source.Version != 2 || up.UpdateSource.Source.Title != "Testland gazette" {
		t.Errorf("update keeps the title and bumps the version: %s", dump(t, up))
	}
}
