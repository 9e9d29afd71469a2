package knowledge_test

import (
	"strings"
	"testing"

	"github.com/amity/amity/internal/knowledge"
)

// Control characters are refused in every name and text, on every path: a file's
// records (Batch.Check, which every import format goes through) and the mutations'
// writes hold each text field to the same TextRule. Prose fields take line breaks and
// tabs, and nothing else of C0 or C1.
func TestControlCharactersRefusedEverywhere(t *testing.T) {
	const bell = "Test\aville"         // U+0007 in a one-line field
	const escape = "Test\x1b[31mville" // U+001B in a prose field
	const next = "Test\u0085ville"     // U+0085 (C1) in a one-line field
	src := []knowledge.Ref{{Key: "s"}}
	one := int64(1)
	str := func(s string) *string { return &s }
	batch := func(edit func(b *knowledge.Batch)) *knowledge.Batch {
		b := &knowledge.Batch{
			Sources:   []knowledge.SourceRecord{{Entry: knowledge.Entry{Line: 1}, Key: "s", Title: "Testville Gazette", URL: "https://example.org/s"}},
			Countries: []knowledge.CountryRecord{{Entry: knowledge.Entry{Line: 2}, Code: "XT", Name: "Testland"}},
			Cities:    []knowledge.CityRecord{{Entry: knowledge.Entry{Line: 3}, Key: "testville", Name: "Testville", Country: knowledge.Ref{Key: "XT"}}},
			Officials: []knowledge.OfficialRecord{{Entry: knowledge.Entry{Line: 4}, Key: "alex", Name: "Alex Example", Sources: src}},
			Agreements: []knowledge.AgreementRecord{{Entry: knowledge.Entry{Line: 5}, Key: "memo", Title: "Memo", Kind: "MEMORANDUM",
				Parties: []knowledge.Ref{{Key: "testville"}}, Sources: src}},
			Institutions: []knowledge.InstitutionRecord{{Entry: knowledge.Entry{Line: 6}, Key: "inst", Name: "Testville Institute", Kind: "UNIVERSITY",
				City: knowledge.Ref{Key: "testville"}, Sources: src}},
			Figures: []knowledge.FigureRecord{{Entry: knowledge.Entry{Line: 7}, Key: "fig", City: knowledge.Ref{Key: "testville"}, Metric: "FRIENDLY_CITIES",
				Value: &one, Source: knowledge.Ref{Key: "s"}}},
			Statements: []knowledge.StatementRecord{{Entry: knowledge.Entry{Line: 8}, Subject: knowledge.SubjectRef{City: &knowledge.Ref{Key: "testville"}},
				Property: "name", Value: "Testville", Source: knowledge.Ref{Key: "s"}}},
		}
		edit(b)
		return b
	}
	if got := problemsOf(t, batch(func(*knowledge.Batch) {})); got != nil {
		t.Fatalf("the clean batch has problems: %v", got)
	}
	files := []struct {
		field string
		edit  func(b *knowledge.Batch)
	}{
		{"source.title", func(b *knowledge.Batch) { b.Sources[0].Title = bell }},
		{"source.publisher", func(b *knowledge.Batch) { b.Sources[0].Publisher = next }},
		{"source.excerpt", func(b *knowledge.Batch) { b.Sources[0].Excerpt = escape }},
		{"source.url", func(b *knowledge.Batch) { b.Sources[0].URL = "https://example.org/\a" }},
		{"country.name", func(b *knowledge.Batch) { b.Countries[0].Name = bell }},
		{"city.name", func(b *knowledge.Batch) { b.Cities[0].Name = bell }},
		{"city.name", func(b *knowledge.Batch) { b.Cities[0].Name = next }},
		{"city.names[0].name", func(b *knowledge.Batch) {
			b.Cities[0].Names = []knowledge.NameRecord{{Language: "en", Name: bell}}
		}},
		{"official.name", func(b *knowledge.Batch) { b.Officials[0].Name = "Alex\nExample" }},
		{"official.title", func(b *knowledge.Batch) { b.Officials[0].Title = bell }},
		{"official.names[0].name", func(b *knowledge.Batch) {
			b.Officials[0].Names = []knowledge.NameRecord{{Language: "en", Name: bell}}
		}},
		{"agreement.title", func(b *knowledge.Batch) { b.Agreements[0].Title = bell }},
		{"agreement.summary", func(b *knowledge.Batch) { b.Agreements[0].Summary = escape }},
		{"agreement.signatories[0].role", func(b *knowledge.Batch) {
			b.Agreements[0].Signatories = []knowledge.SignatoryRecord{{Official: knowledge.Ref{Key: "alex"},
				Party: knowledge.Ref{Key: "testville"}, Role: bell}}
		}},
		{"institution.name", func(b *knowledge.Batch) { b.Institutions[0].Name = bell }},
		{"institution.description", func(b *knowledge.Batch) { b.Institutions[0].Description = escape }},
		{"statement.value", func(b *knowledge.Batch) { b.Statements[0].Value = bell }},
		{"statement.quote", func(b *knowledge.Batch) { b.Statements[0].Quote = escape }},
	}
	for _, tc := range files {
		t.Run("file/"+tc.field, func(t *testing.T) {
			got := problemsOf(t, batch(tc.edit))
			if len(got) != 1 || !strings.Contains(got[0], ": "+tc.field+": contains the control character U+") {
				t.Errorf("problems %q, want one: %s contains a control character", got, tc.field)
			}
		})
	}

	writes := []struct {
		name  string
		check func(p *knowledge.Problems)
	}{
		{"city name", func(p *knowledge.Problems) {
			(&knowledge.CityWrite{Name: str(bell), CountryCode: str("XT")}).Check(p)
		}},
		{"city alternate name", func(p *knowledge.Problems) {
			names := []knowledge.Name{{Language: "en", Name: next}}
			(&knowledge.CityWrite{Name: str("Testville"), CountryCode: str("XT"), Names: &names}).Check(p)
		}},
		{"official title", func(p *knowledge.Problems) {
			(&knowledge.OfficialWrite{Name: str("Alex Example"), Title: str(bell)}).Check(p)
		}},
		{"agreement summary", func(p *knowledge.Problems) {
			(&knowledge.AgreementWrite{Title: str("Memo"), Summary: str(escape)}).Check(p)
		}},
		{"institution name", func(p *knowledge.Problems) {
			(&knowledge.InstitutionWrite{Name: str(bell)}).Check(p)
		}},
		{"new source title", func(p *knowledge.Problems) {
			knowledge.NewSource{Title: bell, URL: str("https://example.org/s")}.Check(p, knowledge.Path("source"))
		}},
		{"retraction reason", func(p *knowledge.Problems) {
			(&knowledge.Retraction{Reason: escape}).Check(p)
		}},
	}
	for _, tc := range writes {
		t.Run("mutation/"+tc.name, func(t *testing.T) {
			var p knowledge.Problems
			tc.check(&p)
			err := p.Err()
			if err == nil || !strings.Contains(err.Error(), "control character U+") {
				t.Errorf("err = %v, want a control character refused", err)
			}
		})
	}
}
