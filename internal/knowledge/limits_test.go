package knowledge

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestTextRules(t *testing.T) {
	tests := []struct {
		name string
		rule TextRule
		in   string
		want string // "" for allowed; else a prefix of the problem
	}{
		{"a name", NameText, "Москва", ""},
		{"a name at the limit", NameText, strings.Repeat("深", 200), ""},
		{"a name over the limit, counted in characters", NameText, strings.Repeat("深", 201), "is too long: 201 characters, at most 200"},
		{"invalid UTF-8", NameText, "Bad\xff\xfeName", "is not valid UTF-8"},
		{"NUL in a name", NameText, "Bad\x00Name", "contains a NUL character"},
		{"NUL in an excerpt", ExcerptText, "Bad\x00Name", "contains a NUL character"},
		{"newline in a name", NameText, "Bad\nName", "contains the control character U+000A (line breaks"},
		{"tab in a title", TitleText, "A\tB", "contains the control character U+0009"},
		{"newline in an excerpt", ExcerptText, "One.\r\n\r\n\tTwo.", ""},
		{"escape in an excerpt", ExcerptText, "One\x1b[31m", "contains the control character U+001B (only line breaks"},
		{"C1 control in a summary", SummaryText, "One\u0085two", "contains the control character U+0085"},
		{"DEL in a URL", URLText, "https://a.example/\x7f", "contains the control character U+007F"},
		{"an excerpt at 4,000", ExcerptText, strings.Repeat("x", 4000), ""},
		{"an excerpt of 5 MiB", ExcerptText, strings.Repeat("x", 5<<20), "is too long: 5242880 characters, at most 4000"},
		{"a long text with a NUL is reported for the NUL", ExcerptText, strings.Repeat("x", 5000) + "\x00", "contains a NUL"},
		{"a lookup of 900 KB", LookupText, strings.Repeat("x", 900_000), "is too long"},
		{"a client mutation id of 200", ClientMutationIDText, strings.Repeat("a", 200), ""},
		{"a client mutation id of 201", ClientMutationIDText, strings.Repeat("a", 201), "is too long"},
	}
	for _, tt := range tests {
		got := tt.rule.Problem(tt.in)
		if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: Problem = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestClientMutationIDProblem(t *testing.T) {
	for in, bad := range map[string]bool{"": true, "  ": true, "a\x00b": true, strings.Repeat("a", 201): true,
		"a": false, "8f14e45f-ceea-467f-a0e6-7a6b3b5f9a3c": false} {
		if got := ClientMutationIDProblem(in) != ""; got != bad {
			t.Errorf("ClientMutationIDProblem(%.20q) refused = %v, want %v", in, got, bad)
		}
	}
}

func TestRangesAndLists(t *testing.T) {
	for n, bad := range map[int64]bool{-1: true, 0: false, 2147483647: false, 3_000_000_000: true} {
		if got := PopulationProblem(n) != ""; got != bad {
			t.Errorf("PopulationProblem(%d) refused = %v, want %v", n, got, bad)
		}
	}
	for y, bad := range map[int]bool{0: true, 1: false, 2024: false, 9999: false, 10000: true} {
		if got := DateProblem(DayDate(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))) != ""; got != bad {
			t.Errorf("DateProblem(year %d) refused = %v, want %v", y, got, bad)
		}
	}
	if ListProblem(MaxNames, MaxNames) != "" || ListProblem(MaxNames+1, MaxNames) == "" {
		t.Error("ListProblem does not cut at the cap")
	}
}

// problems runs a check and returns its problems as "path: code".
func problems(check func(p *Problems)) []string {
	var p Problems
	check(&p)
	var out []string
	for _, f := range p.list {
		out = append(out, strings.Join(f.Path, ".")+": "+f.Code)
	}
	return out
}

func TestWriteChecksHoldTheLimits(t *testing.T) {
	src := SourceRefs{IDs: []uuid.UUID{uuid.New()}}
	name := func(s string) *string { return &s }
	many := func(n int) []NewSource {
		out := make([]NewSource, n)
		for i := range out {
			out[i] = NewSource{Title: "T"}
		}
		return out
	}
	names := make([]Name, MaxNames+1)
	for i := range names {
		names[i] = Name{Language: "en", Name: strings.Repeat("n", i%200+1) + string(rune('a'+i/200))}
	}
	zero := DayDate(time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC))
	areas := make([]CooperationArea, MaxAreas+1)
	tests := []struct {
		name  string
		check func(p *Problems)
		want  []string
	}{
		{"a valid city", func(p *Problems) { (&CityWrite{Name: name("X"), CountryCode: name("CN"), Sources: src}).Check(p) }, nil},
		{"a name with a newline", func(p *Problems) {
			(&CityWrite{Name: name("X\nY"), CountryCode: name("CN"), Sources: src}).Check(p)
		}, []string{"input.name: INVALID"}},
		{"1,001 names", func(p *Problems) {
			(&CityWrite{Name: name("X"), CountryCode: name("CN"), Names: &names, Sources: src}).Check(p)
		}, []string{"input.names: INVALID"}},
		{"21 new sources", func(p *Problems) {
			(&CityWrite{Name: name("X"), CountryCode: name("CN"), Sources: SourceRefs{New: many(21)}}).Check(p)
		}, []string{"input.sources.new: INVALID"}},
		{"51 sources in all", func(p *Problems) {
			(&CityWrite{Name: name("X"), CountryCode: name("CN"), Sources: SourceRefs{IDs: make([]uuid.UUID, 40), New: many(11)}}).Check(p)
		}, []string{"input.sources: INVALID"}},
		{"a source in year 0", func(p *Problems) { NewSource{Title: "T", PublishedOn: &zero}.Check(p, Path("sources", "new", 0)) },
			[]string{"input.sources.new.0.publishedOn: INVALID"}},
		{"16 areas", func(p *Problems) {
			parties := []uuid.UUID{uuid.New(), uuid.New()}
			(&AgreementWrite{Title: name("T"), Kind: new(AgreementKind("MEMORANDUM")), Parties: &parties, Areas: &areas, Sources: src}).Check(p)
		}, []string{"input.areas: INVALID"}},
		{"a reason with paragraphs", func(p *Problems) { (&Retraction{Reason: "One.\n\nTwo.", Sources: src}).Check(p) }, nil},
		{"a client mutation id of NUL", func(p *Problems) { CheckClientMutationID(p, name("\x00")) }, []string{"input.clientMutationId: INVALID"}},
	}
	for _, tt := range tests {
		if got := problems(tt.check); strings.Join(got, ";") != strings.Join(tt.want, ";") {
			t.Errorf("%s: problems %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRelationshipRules(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	path := Path("x")
	tests := []struct {
		name  string
		check func(p *Problems)
		want  []string
	}{
		{"an official who signs for his city stays", func(p *Problems) { RepresentsParty(p, path, a, []uuid.UUID{a, a}) }, nil},
		{"an official who signs nothing moves", func(p *Problems) { RepresentsParty(p, path, b, nil) }, nil},
		{"a signatory moves away", func(p *Problems) { RepresentsParty(p, path, b, []uuid.UUID{a}) }, []string{"input.x: CONFLICT"}},
		{"an agreement of both cities", func(p *Problems) { AgreementJoinsPartners(p, path, [2]uuid.UUID{a, b}, []uuid.UUID{c, b, a}) }, nil},
		{"an agreement of one of them", func(p *Problems) { AgreementJoinsPartners(p, path, [2]uuid.UUID{a, b}, []uuid.UUID{a, c}) },
			[]string{"input.x: INVALID"}},
		{"an agreement of other cities", func(p *Problems) { AgreementJoinsPartners(p, path, [2]uuid.UUID{a, b}, []uuid.UUID{c}) },
			[]string{"input.x: INVALID"}},
		{"parties keep the partners", func(p *Problems) { PartnersStayParties(p, path, []uuid.UUID{a, b, c}, [][2]uuid.UUID{{a, b}, {b, c}}) }, nil},
		{"parties drop a partner", func(p *Problems) { PartnersStayParties(p, path, []uuid.UUID{a, c}, [][2]uuid.UUID{{a, c}, {a, b}}) },
			[]string{"input.x: CONFLICT"}},
		{"parties keep the signatures", func(p *Problems) {
			SignatoriesStayParties(p, path, []uuid.UUID{a, b}, []SignatoryWrite{{PartyID: a}, {PartyID: b}})
		}, nil},
		{"parties drop a signature's city", func(p *Problems) {
			SignatoriesStayParties(p, path, []uuid.UUID{a, c}, []SignatoryWrite{{PartyID: a}, {PartyID: b}})
		}, []string{"input.x: CONFLICT"}},
	}
	for _, tt := range tests {
		if got := problems(tt.check); strings.Join(got, ";") != strings.Join(tt.want, ";") {
			t.Errorf("%s: problems %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestQueryArguments(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		field string // "" when allowed
	}{
		{"a city filter", CityQuery{NameContains: "shen", CountryCode: "CN"}.Validate(), ""},
		{"NUL in nameContains", CityQuery{NameContains: "sh\x00"}.Validate(), "filter.nameContains"},
		{"NUL in a city filter's country", CityQuery{CountryCode: "C\x00"}.Validate(), "filter.country"},
		{"newline in an official filter", OfficialQuery{NameContains: "a\nb"}.Validate(), "filter.nameContains"},
		{"NUL in an institution filter's country", InstitutionQuery{CountryCode: "\x00"}.Validate(), "filter.country"},
		{"a search", SearchQuery{Text: "Moskva"}.Validate(), ""},
		{"NUL in a search", SearchQuery{Text: "Mos\x00kva"}.Validate(), "query"},
		{"a search of 201 characters", SearchQuery{Text: strings.Repeat("a", 201)}.Validate(), "query"},
		{"a search of 21 types", SearchQuery{Text: "a", Types: make([]string, 21)}.Validate(), "types"},
		{"a lookup", CheckLookup("name", "Shenzhen"), ""},
		{"a lookup of 900 KB", CheckLookup("name", strings.Repeat("x", 900_000)), "name"},
	}
	for _, tt := range tests {
		var e *Error
		switch {
		case tt.field == "" && tt.err != nil:
			t.Errorf("%s: %v", tt.name, tt.err)
		case tt.field != "" && (tt.err == nil || !errors.As(tt.err, &e) || e.Field != tt.field || e.Code != EINVALID):
			t.Errorf("%s: error %v, want BAD_USER_INPUT at %s", tt.name, tt.err, tt.field)
		}
	}
}
