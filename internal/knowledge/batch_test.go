package knowledge_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

func TestKeyID(t *testing.T) {
	a, b := knowledge.KeyID(knowledge.KindCity, "shenzhen"), knowledge.KeyID(knowledge.KindCity, "shenzhen")
	if a != b {
		t.Errorf("KeyID is not deterministic: %s vs %s", a, b)
	}
	if a.Version() != 5 {
		t.Errorf("KeyID version = %d, want 5", a.Version())
	}
	if knowledge.KeyID(knowledge.KindOfficial, "shenzhen") == a {
		t.Error("a city and an official with the same key share an id")
	}
	// Pinned: changing the namespace or the derivation would change every shipped global id.
	if want := uuid.NewSHA1(uuid.MustParse("052c999d-bdca-4051-8e36-8326a972f045"), []byte("city:shenzhen")); a != want {
		t.Errorf("KeyID(city, shenzhen) = %s, want %s", a, want)
	}
}

func TestStatementKeysAreStable(t *testing.T) {
	x := &knowledge.Ref{Key: "x"}
	stmt := func(property string) knowledge.StatementRecord {
		return knowledge.StatementRecord{Subject: knowledge.SubjectRef{City: x}, Property: property, Source: knowledge.Ref{Key: "s"}}
	}
	b := &knowledge.Batch{Statements: []knowledge.StatementRecord{stmt("p"), stmt("q"), stmt("p")}}
	keys := b.StatementKeys()
	if diff := cmp.Diff([]string{"city/x/p/s/1", "city/x/q/s/1", "city/x/p/s/2"}, keys); diff != "" {
		t.Errorf("statement keys (-want +got):\n%s", diff)
	}
	// A statement of another property before them leaves the others' keys alone.
	b.Statements = append([]knowledge.StatementRecord{stmt("r")}, b.Statements...)
	keys = b.StatementKeys()
	if diff := cmp.Diff([]string{"city/x/r/s/1", "city/x/p/s/1", "city/x/q/s/1", "city/x/p/s/2"}, keys); diff != "" {
		t.Errorf("statement keys after insert (-want +got):\n%s", diff)
	}
	// A statement about another subject, or naming its subject by another identifier,
	// counts apart.
	b.Statements = append(b.Statements, knowledge.StatementRecord{Subject: knowledge.SubjectRef{Official: x}, Property: "p", Source: knowledge.Ref{Key: "s"}},
		knowledge.StatementRecord{Subject: knowledge.SubjectRef{City: &knowledge.Ref{Wikidata: "Q1"}}, Property: "p", Source: knowledge.Ref{URL: "https://example.org/"}})
	keys = b.StatementKeys()
	if diff := cmp.Diff([]string{"official/x/p/s/1", "city/wikidata:Q1/p/url:https://example.org//1"}, keys[4:]); diff != "" {
		t.Errorf("statement keys of other subjects (-want +got):\n%s", diff)
	}
	// Two cities of one name and country named by their divisions are two subjects.
	byName := func(admin1 string) knowledge.StatementRecord {
		return knowledge.StatementRecord{Subject: knowledge.SubjectRef{City: &knowledge.Ref{Name: "Testville", Country: "XT", Admin1: admin1}},
			Property: "p", Source: knowledge.Ref{Key: "s"}}
	}
	b.Statements = []knowledge.StatementRecord{byName("01"), byName("02"), byName("")}
	keys = b.StatementKeys()
	if diff := cmp.Diff([]string{"city/name:XT/01/Testville/p/s/1", "city/name:XT/02/Testville/p/s/1", "city/name:XT/Testville/p/s/1"}, keys); diff != "" {
		t.Errorf("statement keys of cities by name (-want +got):\n%s", diff)
	}
}
