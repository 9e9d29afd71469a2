package knowledge_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/knowledge"
)

// problemsOf checks b and returns its problems as "line: field: message".
func problemsOf(t *testing.T, b *knowledge.Batch) []string {
	t.Helper()
	ps := knowledge.FileProblems{File: "f"}
	b.Check(&ps)
	err := ps.Err()
	if err == nil {
		return nil
	}
	var fe *knowledge.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Err() = %T, want *knowledge.FileError", err)
	}
	var out []string
	for _, p := range fe.Problems {
		out = append(out, p.String())
	}
	return out
}

// The relationship rules of the mutations (rules.go) hold for a file wherever it says
// enough to apply them, and so do the one-row-per-fact rules of the store.
func TestBatchRelationshipRules(t *testing.T) {
	key := func(k string) knowledge.Ref { return knowledge.Ref{Key: k} }
	ptr := func(r knowledge.Ref) *knowledge.Ref { return &r }
	src := []knowledge.Ref{key("s")}
	one := int64(1)
	base := func() *knowledge.Batch {
		return &knowledge.Batch{
			Sources: []knowledge.SourceRecord{{Entry: knowledge.Entry{Line: 1}, Key: "s", Title: "S"}},
			Cities: []knowledge.CityRecord{
				{Entry: knowledge.Entry{Line: 2}, Key: "a", Name: "A", Country: knowledge.Ref{Code: "XA"}},
				{Entry: knowledge.Entry{Line: 3}, Key: "b", Name: "B", Country: knowledge.Ref{Code: "XA"}},
				{Entry: knowledge.Entry{Line: 4}, Key: "c", Name: "C", Country: knowledge.Ref{Code: "XA"}},
			},
			Officials: []knowledge.OfficialRecord{{Entry: knowledge.Entry{Line: 5}, Key: "o", Name: "O", City: ptr(key("a")), Sources: src}},
			Agreements: []knowledge.AgreementRecord{{Entry: knowledge.Entry{Line: 6}, Key: "m", Title: "M", Kind: "MEMORANDUM",
				Parties: []knowledge.Ref{key("a"), key("b")}, Signatories: []knowledge.SignatoryRecord{{Official: key("o"), Party: key("a")}},
				Sources: src}},
			Partnerships: []knowledge.PartnershipRecord{{Entry: knowledge.Entry{Line: 7}, Key: "ab", Kind: "SISTER_CITY", Cities: []knowledge.Ref{key("a"), key("b")},
				Agreement: ptr(key("m")), Sources: src}},
			Figures: []knowledge.FigureRecord{{Entry: knowledge.Entry{Line: 8}, Key: "f", City: key("a"), Metric: "SISTER_CITIES", Value: &one, AsOf: "2024-01-01", Source: key("s")}},
			Statements: []knowledge.StatementRecord{{Entry: knowledge.Entry{Line: 9}, Subject: knowledge.SubjectRef{Official: ptr(key("o"))}, Property: "title",
				Value: "Mayor", Source: key("s")}},
		}
	}
	tests := []struct {
		name string
		edit func(b *knowledge.Batch)
		want []string
	}{
		{name: "valid", edit: func(*knowledge.Batch) {}},
		{
			name: "an official signs for a city he does not represent",
			edit: func(b *knowledge.Batch) { b.Agreements[0].Signatories[0].Party = key("b") },
			want: []string{`f:6: agreement.signatories[0].party: official "o" represents city "a" and signs for it, not for "b"`},
		},
		{
			name: "a partnership stands on an agreement between other cities",
			edit: func(b *knowledge.Batch) { b.Partnerships[0].Cities[1] = key("c") },
			want: []string{`f:7: partnership.agreement: "m" is not between the partnership's two cities: both must be among its parties`},
		},
		{
			name: "the same tie twice, the other way round",
			edit: func(b *knowledge.Batch) {
				b.Partnerships = append(b.Partnerships, knowledge.PartnershipRecord{Entry: knowledge.Entry{Line: 10}, Key: "ba", Kind: "SISTER_CITY",
					Cities: []knowledge.Ref{key("b"), key("a")}, Sources: src})
			},
			want: []string{`f:10: partnership.cities: another SISTER_CITY partnership of "a" and "b" is on line 7`},
		},
		{
			name: "the same figure twice",
			edit: func(b *knowledge.Batch) {
				f := b.Figures[0]
				f.Line, f.Key = 10, "g"
				b.Figures = append(b.Figures, f)
			},
			want: []string{`f:10: figure: line 8 already states SISTER_CITIES of city "a" as of "2024-01-01" by source "s"`},
		},
		{
			name: "statements",
			edit: func(b *knowledge.Batch) {
				b.Statements = append(b.Statements,
					knowledge.StatementRecord{Entry: knowledge.Entry{Line: 10}, Subject: knowledge.SubjectRef{City: ptr(key("a")), Official: ptr(key("o"))}, Property: "x", Value: "y", Source: key("s")},
					knowledge.StatementRecord{Entry: knowledge.Entry{Line: 11}, Subject: knowledge.SubjectRef{Agreement: ptr(knowledge.Ref{Wikidata: "Q1"})}, Property: "x.y_z", Value: "y", Source: key("s")},
					knowledge.StatementRecord{Entry: knowledge.Entry{Line: 12}, Subject: knowledge.SubjectRef{City: ptr(key("a"))}, Property: "x y", Value: " ", Quote: "a\x00b"},
				)
			},
			want: []string{
				// In the order of their lines, whichever pass found them.
				`f:10: statement.subject: give exactly one of city, official, agreement, partnership, institution`,
				`f:11: statement.subject.agreement: an agreement is referred to by key`,
				`f:12: statement.property: "x y" is not a property name (a letter, then up to 63 letters, digits, '_' or '.')`,
				`f:12: statement.value: required`,
				`f:12: statement.source: required`,
				`f:12: statement.quote: contains a NUL character (U+0000)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base()
			tt.edit(b)
			if diff := cmp.Diff(problemsOf(t, b), tt.want); diff != "" {
				t.Errorf("problems (-got +want):\n%s", diff)
			}
		})
	}
}

func TestIsAdmin1Code(t *testing.T) {
	for s, want := range map[string]bool{
		"01": true, "ENG": true, "ca": true, "A1b2": true, "12345678901234567890": true,
		"": false, "123456789012345678901": false, "0 1": false, "01-": false, "É1": false, "01\n": false,
	} {
		if got := knowledge.IsAdmin1Code(s); got != want {
			t.Errorf("IsAdmin1Code(%q) = %v, want %v", s, got, want)
		}
	}
}
