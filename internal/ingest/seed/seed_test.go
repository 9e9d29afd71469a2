package seed

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShippedYAMLIsValid(t *testing.T) {
	b, err := ShippedYAML()
	if err != nil {
		t.Fatalf("Shipped: %v", err)
	}
	got := map[string]int{
		"sources":      len(b.Sources),
		"countries":    len(b.Countries),
		"cities":       len(b.Cities),
		"officials":    len(b.Officials),
		"agreements":   len(b.Agreements),
		"partnerships": len(b.Partnerships),
		"institutions": len(b.Institutions),
		"figures":      len(b.Figures),
	}
	want := map[string]int{
		"sources": 2, "countries": 2, "cities": 2, "officials": 2,
		"agreements": 1, "partnerships": 1, "institutions": 3, "figures": 4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shipped entity counts (-want +got):\n%s", diff)
	}
	if d := ShippedYAMLDigest(); len(d) != 64 || d != Digest(shippedYAML) {
		t.Errorf("ShippedDigest = %q, want the sha256 hex of the embedded file", d)
	}
}

// The shipped facts the product brief names must survive edits to the file.
func TestShippedYAMLFacts(t *testing.T) {
	b, err := ShippedYAML()
	if err != nil {
		t.Fatalf("Shipped: %v", err)
	}
	a := b.Agreements[0]
	if a.SignedOn != "2024-03-06" || a.SignedIn != "shenzhen" || a.Kind != "MEMORANDUM" {
		t.Errorf("agreement = %s on %s in %s, want MEMORANDUM on 2024-03-06 in shenzhen", a.Kind, a.SignedOn, a.SignedIn)
	}
	if diff := cmp.Diff([]string{"shenzhen", "moscow"}, a.Parties); diff != "" {
		t.Errorf("parties (-want +got):\n%s", diff)
	}
	for _, f := range b.Figures {
		if f.Source != "bnn-2024-03-07" || f.AsOf != "2024-03-07" || f.City != "shenzhen" {
			t.Errorf("figure %s: source %s as of %s for %s", f.Key, f.Source, f.AsOf, f.City)
		}
	}
	// Every statement key is unique, or two statements would share an id.
	keys := make(map[string]bool)
	for _, s := range b.Statements() {
		if keys[s.Key] {
			t.Errorf("duplicate statement key %q", s.Key)
		}
		keys[s.Key] = true
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; "" means success
	}{
		{name: "minimal", yaml: "sources:\n  - key: s\n    title: T\n"},
		{name: "unknown top-level field", yaml: "sources: []\nrumours: []\n", wantErr: "field rumours not found"},
		{name: "unknown nested field", yaml: "sources:\n  - key: s\n    title: T\n    author: X\n", wantErr: "field author not found"},
		{name: "wrong type", yaml: "sources: {key: s}\n", wantErr: "cannot unmarshal"},
		{name: "empty", yaml: "", wantErr: "empty document"},
		{name: "two documents", yaml: "sources: []\n---\nsources: []\n", wantErr: "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// valid is a small bundle that passes Validate; each case of TestValidate breaks it in
// one way.
const valid = `
sources:
  - {key: s1, title: Report, url: "https://example.org/a", publishedOn: 2024-03-07, languages: [en]}
  - {key: s2, title: Notice, languages: [zh, en]}
countries:
  - {key: CN, name: China}
  - {key: RU, name: Russian Federation}
  - {key: UA, name: Ukraine}
cities:
  - key: shenzhen
    name: Shenzhen
    country: CN
    names: [{language: zh, name: 深圳, source: s2}]
  - key: moscow
    name: Moscow
    country: RU
    names: [{language: ru, name: Москва}, {language: zh-Hans, name: 莫斯科}]
    statements: [{property: capitalOf, value: Russian Federation, source: s2}]
  - {key: kyiv, name: Kyiv, country: UA}
officials:
  - {key: wang, name: Wang Shourui, city: shenzhen, sources: [s1]}
  - {key: cheremin, name: Sergey Cheremin, city: moscow, sources: [s1, s2]}
agreements:
  - key: memo
    title: Memorandum
    kind: MEMORANDUM
    signedOn: 2024-03-06
    signedIn: shenzhen
    areas: [TRADE, HEALTH]
    parties: [shenzhen, moscow]
    signatories:
      - {official: wang, party: shenzhen, role: Vice Mayor}
      - {official: cheremin, party: moscow}
    sources: [s1, s2]
    statements: [{property: signedOn, value: "2024-03-06", source: s2, quote: on 6 March}]
partnerships:
  - {key: tie, kind: FRIENDLY_EXCHANGE, cities: [shenzhen, moscow], since: 2024-03-06, agreement: memo, sources: [s1]}
institutions:
  - {key: uni, name: Shenzhen MSU-BIT University, kind: UNIVERSITY, city: shenzhen, sources: [s1]}
figures:
  - {key: f1, city: shenzhen, metric: FRIENDLY_CITIES, value: 93, asOf: 2024-03-07, source: s1}
`

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(b *Bundle)
		want   []string // every problem, in order, as "path: message"
		prefix bool     // compare only up to the colon of each message
	}{
		{name: "valid", edit: func(*Bundle) {}},
		{
			name: "signatory for a city that is not a party",
			edit: func(b *Bundle) { b.Agreements[0].Signatories[1].Party = "kyiv" },
			want: []string{`agreements[0].signatories[1].party: "kyiv" is not a party of this agreement`},
		},
		{
			name: "unknown references",
			edit: func(b *Bundle) {
				b.Cities[0].Country = "XX"
				b.Officials[0].City = "paris"
				b.Agreements[0].Parties[1] = "paris"
				b.Partnerships[0].Agreement = "nope"
				b.Institutions[0].Agreements = []string{"nope"}
				b.Figures[0].Source = "s9"
				b.Cities[1].Names[0].Source = "s9"
			},
			want: []string{
				`cities[0].country: unknown country "XX"`,
				`cities[1].names[0].source: unknown source "s9"`,
				`officials[0].city: unknown city "paris"`,
				`agreements[0].parties[1]: unknown city "paris"`,
				`agreements[0].signatories[1].party: "moscow" is not a party of this agreement`,
				`partnerships[0].agreement: unknown agreement "nope"`,
				`institutions[0].agreements[0]: unknown agreement "nope"`,
				`figures[0].source: unknown source "s9"`,
			},
		},
		{
			name: "duplicate and malformed keys",
			edit: func(b *Bundle) {
				b.Cities[2].Key = "shenzhen"
				b.Countries[2].Key = "ua"
				b.Sources[1].Key = "S 2"
				b.Institutions[0].Key = ""
			},
			want: []string{
				`sources[1].key: "S 2" is not a slug (lowercase letters and digits joined by single hyphens)`,
				`countries[2].key: "ua" is not an ISO 3166-1 alpha-2 code (two capital letters)`,
				`cities[2].key: duplicate key "shenzhen" (first at cities[0])`,
				`institutions[0].key: required`,
				// The renamed keys leave their references dangling.
				`cities[0].names[0].source: unknown source "s2"`,
				`cities[1].statements[0].source: unknown source "s2"`,
				`cities[2].country: unknown country "UA"`,
				`officials[1].sources[1]: unknown source "s2"`,
				`agreements[0].sources[1]: unknown source "s2"`,
				`agreements[0].statements[0].source: unknown source "s2"`,
			},
		},
		{
			name: "missing required fields",
			edit: func(b *Bundle) {
				b.Sources[0].Title = " "
				b.Countries[0].Name = ""
				b.Cities[0].Name = ""
				b.Officials[0].Name = ""
				b.Agreements[0].Title = ""
				b.Agreements[0].Kind = ""
				b.Agreements[0].Signatories[0].Party = ""
				b.Partnerships[0].Kind = ""
				b.Institutions[0].City = ""
				b.Figures[0].Value = nil
				b.Cities[1].Statements[0].Value = ""
			},
			want: []string{
				`sources[0].title: required`,
				`countries[0].name: required`,
				`cities[0].name: required`,
				`cities[1].statements[0].value: required`,
				`officials[0].name: required`,
				`agreements[0].title: required`,
				`agreements[0].kind: required`,
				`agreements[0].signatories[0].party: required`,
				`partnerships[0].kind: required`,
				`institutions[0].city: required`,
				`figures[0].value: required`,
			},
		},
		{
			name: "provenance is required",
			edit: func(b *Bundle) {
				b.Officials[0].Sources = nil
				b.Agreements[0].Sources = nil
				b.Partnerships[0].Sources = nil
				b.Institutions[0].Sources = nil
				b.Figures[0].Source = ""
				b.Agreements[0].Statements[0].Source = ""
			},
			want: []string{
				`officials[0].sources: required: cite at least one source`,
				`agreements[0].sources: required: cite at least one source`,
				`agreements[0].statements[0].source: required`,
				`partnerships[0].sources: required: cite at least one source`,
				`institutions[0].sources: required: cite at least one source`,
				`figures[0].source: required`,
			},
		},
		{
			name: "enum values",
			edit: func(b *Bundle) {
				b.Agreements[0].Kind = "MOU"
				b.Agreements[0].Areas = []string{"TRADE", "trade", "TRADE"}
				b.Partnerships[0].Kind = "TWIN_TOWN"
				b.Institutions[0].Kind = "COLLEGE"
				b.Figures[0].Metric = "PARTNERS"
			},
			prefix: true,
			want: []string{
				`agreements[0].kind: "MOU" is not one of`,
				`agreements[0].areas[1]: "trade" is not one of`,
				`agreements[0].areas[2]: duplicate area "TRADE"`,
				`partnerships[0].kind: "TWIN_TOWN" is not one of`,
				`institutions[0].kind: "COLLEGE" is not one of`,
				`figures[0].metric: "PARTNERS" is not one of`,
			},
		},
		{
			name: "dates",
			edit: func(b *Bundle) {
				b.Sources[0].PublishedOn = "2024-02-30"
				b.Agreements[0].SignedOn = "6 March 2024"
				b.Partnerships[0].Since = "2024-3-6"
				b.Institutions[0].FoundedOn = "2023-13-01"
				b.Figures[0].AsOf = "2024-03-07T00:00:00Z"
			},
			want: []string{
				`sources[0].publishedOn: "2024-02-30" is not a calendar date in the form YYYY-MM-DD`,
				`agreements[0].signedOn: "6 March 2024" is not a calendar date in the form YYYY-MM-DD`,
				`partnerships[0].since: "2024-3-6" is not a calendar date in the form YYYY-MM-DD`,
				`institutions[0].foundedOn: "2023-13-01" is not a calendar date in the form YYYY-MM-DD`,
				`figures[0].asOf: "2024-03-07T00:00:00Z" is not a calendar date in the form YYYY-MM-DD`,
			},
		},
		{
			name: "partnership period and cities",
			edit: func(b *Bundle) {
				b.Partnerships[0].Until = "2024-03-05"
				b.Partnerships = append(b.Partnerships,
					Partnership{Key: "self", Kind: "SISTER_CITY", Cities: []string{"kyiv", "kyiv"}, Sources: []string{"s1"}},
					Partnership{Key: "three", Kind: "SISTER_CITY", Cities: []string{"kyiv", "moscow", "shenzhen"}, Sources: []string{"s1"}},
					Partnership{Key: "again", Kind: "FRIENDLY_EXCHANGE", Cities: []string{"moscow", "shenzhen"}, Sources: []string{"s1"}},
				)
			},
			want: []string{
				`partnerships[0].until: 2024-03-05 is before since 2024-03-06`,
				`partnerships[1].cities: a partnership joins two different cities, got "kyiv" twice`,
				`partnerships[2].cities: must name exactly two cities, got 3`,
				`partnerships[3]: duplicate FRIENDLY_EXCHANGE partnership of "moscow" and "shenzhen" (first at partnerships[0])`,
			},
		},
		{
			name: "language tags and names",
			edit: func(b *Bundle) {
				b.Sources[0].Languages = []string{"EN", "en-"}
				b.Cities[1].Names = append(b.Cities[1].Names, Name{Language: "ru", Name: "Москва"}, Name{Language: "", Name: "Moskau"})
			},
			want: []string{
				`sources[0].languages[0]: "EN" is not a lowercase BCP 47 language tag such as "zh" or "zh-Hans"`,
				`sources[0].languages[1]: "en-" is not a lowercase BCP 47 language tag such as "zh" or "zh-Hans"`,
				`cities[1].names[2]: duplicate name "Москва" in language "ru"`,
				`cities[1].names[3].language: required`,
			},
		},
		{
			name: "statements, signatories and limits",
			edit: func(b *Bundle) {
				b.Cities[1].Statements[0].Property = "capital of"
				b.Agreements[0].Signatories[1].Official = "wang"
				b.Agreements[0].Summary = strings.Repeat("字", 10001)
				b.Figures[0].Value = new(int64(-1))
				b.Sources[1].URL = "ftp://example.org"
			},
			want: []string{
				`sources[1].url: "ftp://example.org" is not an http or https URL`,
				`cities[1].statements[0].property: "capital of" is not a property name (a letter, then up to 63 letters, digits, '_' or '.')`,
				`agreements[0].summary: is too long: 10001 characters, at most 10000`,
				`agreements[0].signatories[1].official: "wang" already signs this agreement`,
				`agreements[0].signatories[1].party: "wang" represents "shenzhen" and signs for that city, not for "moscow"`,
				`figures[0].value: -1 is not between 0 and 2147483647`,
			},
		},
		{
			// The limits of every way in (internal/knowledge): the bundle is held to the
			// API's text rules, list caps and ranges.
			name: "the limits of every input path",
			edit: func(b *Bundle) {
				b.Sources[0].Excerpt = strings.Repeat("x", 4001)
				b.Sources[1].Title = "Not\x00ice"
				b.Cities[0].Name = "Shen\nzhen"
				b.Cities[1].Population = new(int64(3_000_000_000))
				b.Officials[0].Title = "Vice\tMayor"
				b.Agreements[0].SignedOn = "0000-03-06"
				b.Institutions[0].Description = "Line one.\nLine two.\tTabbed."
				many := make([]Name, 1001)
				for i := range many {
					many[i] = Name{Language: "en", Name: strings.Repeat("n", i+1)}
				}
				b.Cities[2].Names = many
				b.Partnerships[0].Sources = slices.Repeat([]string{"s1"}, 51)
			},
			want: []string{
				`sources[0].excerpt: is too long: 4001 characters, at most 4000`,
				`sources[1].title: contains a NUL character (U+0000)`,
				`cities[0].name: contains the control character U+000A (line breaks and tabs are not allowed here)`,
				`cities[1].population: 3000000000 is not between 0 and 2147483647`,
				`cities[2].names: has 1001 items, at most 1000`,
				`officials[0].title: contains the control character U+0009 (line breaks and tabs are not allowed here)`,
				`agreements[0].signedOn: year 0 is not between 1 and 9999`,
				`partnerships[0].sources: has 51 items, at most 50`,
			},
		},
		{
			name: "an official signs for the city he represents, a partnership stands on its cities' agreement",
			edit: func(b *Bundle) {
				b.Officials[1].City = "kyiv"
				b.Agreements = append(b.Agreements, Agreement{Key: "other", Title: "Other", Kind: "MEMORANDUM",
					Parties: []string{"moscow", "kyiv"}, Sources: []string{"s1"}})
				b.Partnerships[0].Agreement = "other"
			},
			want: []string{
				`agreements[0].signatories[1].party: "cheremin" represents "kyiv" and signs for that city, not for "moscow"`,
				`partnerships[0].agreement: "other" is not between the partnership's two cities: both must be among its parties`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse([]byte(valid))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.edit(b)
			err = b.Validate()
			var got []string
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Validate error %T is not a *ValidationError: %v", err, err)
				}
				for _, p := range ve.Problems {
					s := p.String()
					if tt.prefix {
						if i := strings.Index(s, " is not one of"); i >= 0 {
							s = s[:i+len(" is not one of")]
						}
					}
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
