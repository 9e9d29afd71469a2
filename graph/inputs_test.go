package graph_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/knowledge"
)

// The limits every input path keeps (internal/knowledge/limits.go) and the relationship
// rules on updates, as a client meets them.

// TestReadArgumentsRefuseBadText: a NUL, a control character or an overlong value in a
// lookup, a filter or a search is the client's mistake, answered with BAD_USER_INPUT
// and the field, before the database sees it (whose error text would reach the client).
func TestReadArgumentsRefuseBadText(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	long := strings.Repeat("Shenzhen", 900_000/8) // 900 KB
	cases := []struct {
		name, query string
		value       string
		field       string
	}{
		{"city name NUL", `query($v: String!) { city(name: $v) { id } }`, "Shen\x00zhen", "name"},
		{"city name 900 KB", `query($v: String!) { city(name: $v) { id } }`, long, "name"},
		{"city name newline", `query($v: String!) { city(name: $v) { id } }`, "Shen\nzhen", "name"},
		{"city wikidata NUL", `query($v: String!) { city(wikidata: $v) { id } }`, "Q\x001", "wikidata"},
		{"country code NUL", `query($v: String!) { country(code: $v) { name } }`, "C\x00", "code"},
		{"cities nameContains NUL", `query($v: String!) { cities(filter: {nameContains: $v}) { totalCount } }`, "sh\x00", "filter.nameContains"},
		{"cities country NUL", `query($v: String!) { cities(filter: {country: $v}) { totalCount } }`, "C\x00", "filter.country"},
		{"officials nameContains NUL", `query($v: String!) { officials(filter: {nameContains: $v}) { totalCount } }`, "W\x00", "filter.nameContains"},
		{"institutions country NUL", `query($v: String!) { institutions(filter: {country: $v}) { totalCount } }`, "C\x00", "filter.country"},
		{"search NUL", `query($v: String!) { search(query: $v) { totalCount } }`, "Mos\x00kva", "query"},
		{"search bell", `query($v: String!) { search(query: $v) { totalCount } }`, "Mos\akva", "query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := a.MustPost(t, c.query, map[string]any{"v": c.value})
			if len(resp.Errors) != 1 {
				t.Fatalf("want one error, got %.300s", resp.Raw)
			}
			e := resp.Errors[0]
			if e.code() != "BAD_USER_INPUT" || e.Extensions["field"] != c.field {
				t.Errorf("want BAD_USER_INPUT at %q, got %.300s", c.field, resp.Raw)
			}
			if strings.Contains(e.Message, "pq:") || strings.Contains(e.Message, "SQL") || len(e.Message) > 300 {
				t.Errorf("message leaks or echoes: %.300s", e.Message)
			}
			if resp.Statements != 0 {
				t.Errorf("%d SQL statements ran for a refused argument", resp.Statements)
			}
		})
	}
	// What the rule allows still answers.
	var ok struct{ City struct{ Name string } }
	a.MustPost(t, `query($v: String!) { city(name: $v) { name } }`, map[string]any{"v": "Shenzhen"}).MustData(t, &ok)
	if ok.City.Name != "Shenzhen" {
		t.Errorf("city(name: Shenzhen) = %+v", ok)
	}
}

// TestWriteLimits: lists and texts over their caps, and control characters where the
// field takes a single line, are refused field by field and change nothing.
func TestWriteLimits(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "limits", knowledge.ScopeRead, knowledge.ScopeWrite)
	manyNames := make([]any, 1001)
	for i := range manyNames {
		manyNames[i] = map[string]any{"language": "en", "name": "Name " + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)}
	}
	manySources := make([]any, 21)
	for i := range manySources {
		manySources[i] = map[string]any{"title": "Gazette", "url": "https://example.test/many/" + strings.Repeat("a", i+1)}
	}
	cases := []struct {
		name  string
		extra map[string]any
		field string
	}{
		{"1001 names", map[string]any{"names": manyNames}, "input.names"},
		{"21 new sources", map[string]any{"sources": map[string]any{"new": manySources}}, "input.sources.new"},
		{"newline in a name", map[string]any{"name": "Test\nopolis"}, "input.name"},
		{"NUL in a localized name", map[string]any{"names": []any{map[string]any{"language": "en", "name": "Te\x00st"}}}, "input.names.0.name"},
		{"NUL in an excerpt", map[string]any{"sources": map[string]any{"new": []any{map[string]any{
			"title": "Gazette", "url": "https://example.test/nul", "excerpt": "one\x00two"}}}}, "input.sources.new.0.excerpt"},
		{"escape in a title", map[string]any{"sources": map[string]any{"new": []any{map[string]any{
			"title": "Gaz\x1bette", "url": "https://example.test/esc"}}}}, "input.sources.new.0.title"},
		{"publishedOn in year 0", map[string]any{"sources": map[string]any{"new": []any{map[string]any{
			"title": "Gazette", "url": "https://example.test/y0", "publishedOn": "0000-06-01"}}}}, "input.sources.new.0.publishedOn"},
	}
	before := a.MustTableCounts(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got struct {
				CreateCity struct {
					City   *struct{ ID string }
					Errors []userError
				}
			}
			a.MustPostAs(t, writer, createCity, cityInput("Testopolis", c.extra)).MustData(t, &got)
			if got.CreateCity.City != nil || len(got.CreateCity.Errors) != 1 {
				t.Fatalf("want one problem, got %s", dump(t, got))
			}
			e := got.CreateCity.Errors[0]
			if strings.Join(e.Field, ".") != c.field || e.Code != "INVALID" || strings.Contains(e.Message, "pq:") {
				t.Errorf("want INVALID at %s, got %+v", c.field, e)
			}
		})
	}
	// A list of IDs over its cap is one problem, not one per ID.
	parties := make([]any, 5000)
	for i := range parties {
		parties[i] = "not an id"
	}
	var ag struct {
		CreateAgreement struct {
			Agreement *struct{ ID string }
			Errors    []userError
		}
	}
	a.MustPostAs(t, writer, `mutation($input: AgreementInput!) { createAgreement(input: $input) { agreement { id } errors { field message code } } }`,
		map[string]any{"input": map[string]any{"title": "T", "kind": "MEMORANDUM", "parties": parties,
			"sources": map[string]any{"new": []any{map[string]any{"title": "Gazette"}}}}}).MustData(t, &ag)
	if errs := ag.CreateAgreement.Errors; len(errs) != 1 || strings.Join(errs[0].Field, ".") != "input.parties" || errs[0].Code != "INVALID" {
		t.Errorf("5,000 parties: want one INVALID at input.parties, got %d problems: %.300s", len(errs), dump(t, errs))
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("refused writes changed the database:\n%s", diff)
	}
	// An excerpt may have paragraphs.
	var ok struct {
		CreateCity struct {
			City   *struct{ ID string }
			Errors []userError
		}
	}
	a.MustPostAs(t, writer, createCity, cityInput("Testopolis", map[string]any{
		"sources": map[string]any{"new": []any{map[string]any{"title": "Gazette", "url": "https://example.test/ok",
			"excerpt": "First paragraph.\n\n\tSecond paragraph."}}}})).MustData(t, &ok)
	if ok.CreateCity.City == nil {
		t.Errorf("an excerpt with line breaks was refused: %s", dump(t, ok))
	}
}

// TestClientMutationIDLimits: an empty, overlong or NUL-bearing client mutation id is
// INVALID at input.clientMutationId, with the documented limit, and changes nothing.
func TestClientMutationIDLimits(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "cmid", knowledge.ScopeRead, knowledge.ScopeWrite)
	before := a.MustTableCounts(t)
	for name, id := range map[string]string{"empty": "", "201 characters": strings.Repeat("a", 201), "NUL": "a\x00b", "blank": "   "} {
		t.Run(name, func(t *testing.T) {
			var got struct {
				CreateCity struct {
					City   *struct{ ID string }
					Errors []userError
				}
			}
			a.MustPostAs(t, writer, createCity, cityInput("Cmidville", map[string]any{"clientMutationId": id})).MustData(t, &got)
			if got.CreateCity.City != nil || len(got.CreateCity.Errors) != 1 {
				t.Fatalf("want one problem, got %s", dump(t, got))
			}
			e := got.CreateCity.Errors[0]
			if strings.Join(e.Field, ".") != "input.clientMutationId" || e.Code != "INVALID" ||
				strings.Contains(e.Message, "mutation_requests") || strings.Contains(e.Message, "pq:") {
				t.Errorf("want INVALID at input.clientMutationId, got %+v", e)
			}
		})
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("refused writes changed the database:\n%s", diff)
	}
	// 200 characters is the limit, and allowed.
	var ok struct {
		CreateCity struct {
			City   *struct{ ID string }
			Errors []userError
		}
	}
	a.MustPostAs(t, writer, createCity, cityInput("Cmidville", map[string]any{"clientMutationId": strings.Repeat("a", 200)})).MustData(t, &ok)
	if ok.CreateCity.City == nil {
		t.Errorf("a 200-character client mutation id was refused: %s", dump(t, ok))
	}
}

// TestRetryAfterRetraction: retrying a client mutation id whose entity was retracted
// since answers RETRACTED, not a null entity without an error.
func TestRetryAfterRetraction(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "retry", knowledge.ScopeRead, knowledge.ScopeWrite)
	type payload struct {
		CreateCity struct {
			City *struct {
				ID      string
				Version int
			}
			Errors []userError
		}
	}
	in := cityInput("Retractville", map[string]any{"clientMutationId": "retract-then-retry"})
	var first payload
	a.MustPostAs(t, writer, createCity, in).MustData(t, &first)
	if first.CreateCity.City == nil {
		t.Fatalf("createCity: %s", dump(t, first))
	}
	var rt struct{ Retract struct{ Errors []userError } }
	a.MustPostAs(t, writer, retractMutation, map[string]any{"input": map[string]any{"id": first.CreateCity.City.ID, "version": 1,
		"reason": "entered in error", "sources": map[string]any{"new": []any{map[string]any{"title": "Correction"}}}}}).MustData(t, &rt)
	if len(rt.Retract.Errors) > 0 {
		t.Fatalf("retract: %s", dump(t, rt))
	}
	before := a.MustTableCounts(t)
	var retry payload
	a.MustPostAs(t, writer, createCity, in).MustData(t, &retry)
	if retry.CreateCity.City != nil || len(retry.CreateCity.Errors) != 1 {
		t.Fatalf("want one problem, got %s", dump(t, retry))
	}
	e := retry.CreateCity.Errors[0]
	if e.Code != "RETRACTED" || strings.Join(e.Field, ".") != "input.clientMutationId" || !strings.Contains(e.Message, "retracted since") {
		t.Errorf("want RETRACTED, got %+v", e)
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("the retry wrote:\n%s", diff)
	}
}

const retractMutation = `mutation($input: RetractInput!) { retract(input: $input) { retractedId errors { field message code } } }`

// TestRelationshipRulesOnUpdates: what creation refuses, updates refuse too; a
// partnership's agreement can be cleared; retracting an agreement audits the
// institutions that lose their link to it.
func TestRelationshipRulesOnUpdates(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "rules", knowledge.ScopeRead, knowledge.ScopeWrite)
	admin := MustKey(t, a, "rules-auditor", knowledge.ScopeAdmin)
	var src struct {
		Sources struct{ Nodes []struct{ ID string } }
	}
	a.MustPost(t, `{ sources(first: 1) { nodes { id } } }`, nil).MustData(t, &src)
	sources := map[string]any{"ids": []any{src.Sources.Nodes[0].ID}}
	var cities struct {
		Moscow, Shenzhen struct{ ID string }
	}
	a.MustPost(t, `{ moscow: city(name: "Moscow") { id } shenzhen: city(name: "Shenzhen") { id } }`, nil).MustData(t, &cities)
	moscow, shenzhen := cities.Moscow.ID, cities.Shenzhen.ID

	// must runs a mutation that must succeed and returns its entity's id.
	must := func(query, field, entity string, input map[string]any) string {
		t.Helper()
		var out map[string]map[string]any
		a.MustPostAs(t, writer, query, map[string]any{"input": input}).MustData(t, &out)
		e, _ := out[field][entity].(map[string]any)
		id, _ := e["id"].(string)
		if errs, _ := out[field]["errors"].([]any); len(errs) > 0 || id == "" {
			t.Fatalf("%s: %s", field, dump(t, out))
		}
		return id
	}
	var city struct {
		CreateCity struct{ City struct{ ID string } }
	}
	a.MustPostAs(t, writer, createCity, cityInput("Ruleville", nil)).MustData(t, &city)
	ruleville := city.CreateCity.City.ID
	official := must(`mutation($input: OfficialInput!) { createOfficial(input: $input) { official { id } errors { field message code } } }`,
		"createOfficial", "official", map[string]any{"name": "Rula Mayor", "city": ruleville, "sources": sources})
	const createAgreement = `mutation($input: AgreementInput!) { createAgreement(input: $input) { agreement { id } errors { field message code } } }`
	agreement := must(createAgreement, "createAgreement", "agreement", map[string]any{"title": "Ruleville–Moscow memorandum", "kind": "MEMORANDUM",
		"parties": []any{ruleville, moscow}, "signatories": []any{map[string]any{"official": official, "party": ruleville}}, "sources": sources})
	other := must(createAgreement, "createAgreement", "agreement", map[string]any{"title": "Moscow–Shenzhen memorandum", "kind": "MEMORANDUM",
		"parties": []any{moscow, shenzhen}, "sources": sources})
	const createPartnership = `mutation($input: PartnershipInput!) { createPartnership(input: $input) { partnership { id } errors { field message code } } }`
	partnership := must(createPartnership, "createPartnership", "partnership", map[string]any{"kind": "FRIENDLY_EXCHANGE",
		"cities": []any{ruleville, moscow}, "agreement": agreement, "sources": sources})
	institution := must(`mutation($input: InstitutionInput!) { createInstitution(input: $input) { institution { id } errors { field message code } } }`,
		"createInstitution", "institution", map[string]any{"name": "Ruleville–Moscow Culture House", "kind": "CULTURAL_CENTER",
			"city": ruleville, "agreements": []any{agreement}, "sources": sources})

	refused := func(name, query, field string, input map[string]any, wantField, wantCode string) {
		t.Helper()
		before := a.MustTableCounts(t)
		var out map[string]struct{ Errors []userError }
		a.MustPostAs(t, writer, query, map[string]any{"input": input}).MustData(t, &out)
		errs := out[field].Errors
		if len(errs) != 1 || strings.Join(errs[0].Field, ".") != wantField || errs[0].Code != wantCode {
			t.Errorf("%s: want %s at %s, got %s", name, wantCode, wantField, dump(t, errs))
		}
		if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
			t.Errorf("%s changed the database:\n%s", name, diff)
		}
	}
	const updateOfficial = `mutation($input: UpdateOfficialInput!) { updateOfficial(input: $input) { official { version } errors { field message code } } }`
	refused("moving a signatory away", updateOfficial, "updateOfficial",
		map[string]any{"id": official, "version": 1, "city": moscow, "sources": sources}, "input.city", "CONFLICT")
	const updatePartnership = `mutation($input: UpdatePartnershipInput!) { updatePartnership(input: $input) {
  partnership { version agreement { id } } errors { field message code } } }`
	refused("an agreement between other cities", updatePartnership, "updatePartnership",
		map[string]any{"id": partnership, "version": 1, "agreement": other, "sources": sources}, "input.agreement", "INVALID")
	refused("creating on an agreement between other cities", createPartnership, "createPartnership",
		map[string]any{"kind": "SISTER_CITY", "cities": []any{ruleville, moscow}, "agreement": other, "sources": sources}, "input.agreement", "INVALID")
	const updateAgreement = `mutation($input: UpdateAgreementInput!) { updateAgreement(input: $input) { agreement { version } errors { field message code } } }`
	refused("dropping a partner city from the parties", updateAgreement, "updateAgreement",
		map[string]any{"id": agreement, "version": 1, "parties": []any{ruleville, shenzhen}, "sources": sources}, "input.parties", "CONFLICT")

	type partnershipPayload struct {
		UpdatePartnership struct {
			Partnership *struct {
				Version   int
				Agreement *struct{ ID string }
			}
			Errors []userError
		}
	}
	// Left out, the agreement stays; null clears it.
	var kept partnershipPayload
	a.MustPostAs(t, writer, updatePartnership, map[string]any{"input": map[string]any{"id": partnership, "version": 1, "since": "2025-01-01",
		"sources": sources}}).MustData(t, &kept)
	if p := kept.UpdatePartnership.Partnership; p == nil || p.Agreement == nil || p.Agreement.ID != agreement {
		t.Fatalf("an update without agreement: %s", dump(t, kept))
	}
	var cleared partnershipPayload
	a.MustPostAs(t, writer, updatePartnership, map[string]any{"input": map[string]any{"id": partnership, "version": 2, "agreement": nil,
		"sources": sources}}).MustData(t, &cleared)
	if p := cleared.UpdatePartnership.Partnership; p == nil || p.Agreement != nil || p.Version != 3 {
		t.Fatalf("agreement: null did not clear it: %s", dump(t, cleared))
	}
	// A literal null clears too (nothing left to clear: the write succeeds, changes
	// nothing, and so makes no new version).
	var literal partnershipPayload
	a.MustPostAs(t, writer, `mutation($id: ID!, $src: ID!) { updatePartnership(input: {id: $id, version: 3, agreement: null, sources: {ids: [$src]}}) {
  partnership { version agreement { id } } errors { field message code } } }`, map[string]any{"id": partnership, "src": src.Sources.Nodes[0].ID}).MustData(t, &literal)
	if p := literal.UpdatePartnership.Partnership; p == nil || p.Agreement != nil || p.Version != 3 {
		t.Fatalf("agreement: null (literal): %s", dump(t, literal))
	}

	// With no partnership on it, the agreement's parties may change, but not away from
	// a kept signature.
	refused("dropping a signatory's city from the parties", updateAgreement, "updateAgreement",
		map[string]any{"id": agreement, "version": 1, "parties": []any{moscow, shenzhen}, "sources": sources}, "input.parties", "CONFLICT")

	// Retracting the agreement takes the institution's link, and says so in its history.
	var rt struct{ Retract struct{ Errors []userError } }
	a.MustPostAs(t, writer, retractMutation, map[string]any{"input": map[string]any{"id": agreement, "version": 1,
		"reason": "never signed", "sources": sources}}).MustData(t, &rt)
	if len(rt.Retract.Errors) > 0 {
		t.Fatalf("retract: %s", dump(t, rt))
	}
	var log struct {
		AuditLog struct {
			Nodes []struct {
				Action, EntityType string
				Reason             *string
			}
		}
		Node struct {
			Version    int
			Agreements struct{ TotalCount int }
		}
	}
	a.MustPostAs(t, admin, `query($id: ID!) { auditLog(entity: $id) { nodes { action entityType reason } }
  node(id: $id) { ... on Institution { version agreements { totalCount } } } }`, map[string]any{"id": institution}).MustData(t, &log)
	nodes := log.AuditLog.Nodes
	if len(nodes) != 2 || nodes[0].Action != "UPDATE" || nodes[0].Reason == nil || !strings.Contains(*nodes[0].Reason, "never signed") {
		t.Errorf("the institution's history after the agreement's retraction: %s", dump(t, nodes))
	}
	if log.Node.Version != 2 || log.Node.Agreements.TotalCount != 0 {
		t.Errorf("institution after the retraction: %s", dump(t, log.Node))
	}
}
