package graph_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/knowledge"
)

const mergeCities = `mutation($input: MergeCitiesInput!) { mergeCities(input: $input) {
  city { id name population names { language name } }
  mergedId
  moved { names sources conflicts }
  errors { field code }
  clientMutationId } }`

// An admin merges two records of one city; the old ID keeps answering with the
// survivor, through node and city(id:), and the audit log shows the merge. A key
// without the admin scope is refused and changes nothing.
func TestMergeCitiesMutation(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
	admin := MustKey(t, a, "data office", knowledge.ScopeAdmin)
	create := func(name string, extra map[string]any) (id string) {
		t.Helper()
		var out struct {
			CreateCity struct {
				City struct{ ID string }
			}
		}
		a.MustPostAs(t, writer, createCity, cityInput(name, extra)).MustData(t, &out)
		return out.CreateCity.City.ID
	}
	survivor := create("Testville", map[string]any{"population": 150000})
	merged := create("Testvile", map[string]any{"population": 140000})
	input := func(survivorVersion, mergedVersion int) map[string]any {
		return map[string]any{"input": map[string]any{"survivor": survivor, "survivorVersion": survivorVersion,
			"merged": merged, "mergedVersion": mergedVersion, "reason": "one city spelt twice", "clientMutationId": "m-1"}}
	}

	// Read before the merge, so that the read cache holds the merged city: the merge's
	// notifications must drop it.
	const readOld = `query($id: ID!) { node(id: $id) { id ... on City { name } } city(id: $id) { id } nodes(ids: [$id]) { id } }`
	var early struct{ Node struct{ ID, Name string } }
	a.MustPost(t, readOld, map[string]any{"id": merged}).MustData(t, &early)
	if early.Node.Name != "Testvile" {
		t.Fatalf("before the merge, node(merged) = %+v", early.Node)
	}

	before := a.MustTableCounts(t)
	if resp := a.MustPostAs(t, writer, mergeCities, input(1, 1)); len(resp.Errors) == 0 || resp.Errors[0].code() != "FORBIDDEN" {
		t.Fatalf("a writer merging: %s, want FORBIDDEN", resp.Raw)
	}
	if diff := cmp.Diff(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("a refused merge changed the database:\n%s", diff)
	}

	var stale struct {
		MergeCities struct {
			Errors []userError
		}
	}
	a.MustPostAs(t, admin, mergeCities, map[string]any{"input": map[string]any{"survivor": survivor, "survivorVersion": 1,
		"merged": merged, "mergedVersion": 7}}).MustData(t, &stale)
	if want := []userError{{Field: []string{"input", "mergedVersion"}, Code: "STALE_VERSION"}}; !cmp.Equal(stale.MergeCities.Errors, want, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Message" }, cmp.Ignore())) {
		t.Errorf("stale merge errors = %+v, want %+v", stale.MergeCities.Errors, want)
	}

	var got struct {
		MergeCities struct {
			City struct {
				ID, Name   string
				Population int
				Names      []struct{ Language, Name string }
			}
			MergedID string
			Moved    *struct{ Names, Sources, Conflicts int }
			Errors   []userError
		}
	}
	a.MustPostAs(t, admin, mergeCities, input(1, 1)).MustData(t, &got)
	m := got.MergeCities
	if len(m.Errors) > 0 || m.City.ID != survivor || m.MergedID != merged || m.City.Population != 150000 {
		t.Fatalf("merge = %+v", m)
	}
	if m.Moved == nil || *m.Moved != (struct{ Names, Sources, Conflicts int }{1, 1, 1}) {
		t.Errorf("moved = %+v, want the name, the source and the population conflict", m.Moved)
	}
	// A retry answers from the first call.
	var replay struct {
		MergeCities struct {
			City  struct{ ID string }
			Moved *struct{ Names int }
		}
	}
	a.MustPostAs(t, admin, mergeCities, input(1, 1)).MustData(t, &replay)
	if replay.MergeCities.City.ID != survivor || replay.MergeCities.Moved != nil {
		t.Errorf("replayed merge = %+v, want the survivor and no counts", replay.MergeCities)
	}

	// The old ID answers with the survivor.
	var read struct {
		Node  struct{ ID, Name string }
		City  struct{ ID string }
		Nodes []struct{ ID string }
	}
	a.MustPost(t, readOld, map[string]any{"id": merged}).MustData(t, &read)
	if read.Node.ID != survivor || read.Node.Name != "Testville" || read.City.ID != survivor || len(read.Nodes) != 1 || read.Nodes[0].ID != survivor {
		t.Errorf("old ID reads %+v, want the survivor %s", read, survivor)
	}
	var audit struct {
		AuditLog struct {
			Nodes []struct {
				Action string
				After  *string
			}
		}
	}
	a.MustPostAs(t, admin, `query($id: ID!) { auditLog(entity: $id, first: 1) { nodes { action after } } }`,
		map[string]any{"id": merged}).MustData(t, &audit)
	if n := audit.AuditLog.Nodes; len(n) != 1 || n[0].Action != "MERGE" || n[0].After != nil {
		b, _ := json.Marshal(audit)
		t.Errorf("merged city's last audit entry = %s, want a MERGE with no after", b)
	}
}
