package knowledge

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The limits every way in holds a fact to: the mutations, `amity import` (NDJSON,
// GeoNames, ISO 3166) and the shipped knowledge. They live here, in one place, so that a
// fact refused by one path cannot come in by another, and docs/partners.md lists them
// in one table. The text lengths are those of the database's checks (which count
// characters, not bytes); the checks here come first so that a refusal names the field
// instead of quoting PostgreSQL.

// TextRule is the rule for one kind of text field.
type TextRule struct {
	// Max is the length limit in characters (Unicode code points).
	Max int
	// Lines allows line breaks and tabs: prose (an excerpt, a summary) may have
	// paragraphs, a name or an identifier never does.
	Lines bool
}

// The kinds of text fields.
var (
	// NameText: a city's, official's or country's name and every localized name.
	NameText = TextRule{Max: 200}
	// InstitutionNameText: an institution's name.
	InstitutionNameText = TextRule{Max: 300}
	// TitleText: a source's or an agreement's title, an official's title.
	TitleText = TextRule{Max: 500}
	// PublisherText: a source's publisher.
	PublisherText = TextRule{Max: 300}
	// URLText: a source's URL.
	URLText = TextRule{Max: 2000}
	// RoleText: the role in which an official signs.
	RoleText = TextRule{Max: 500}
	// ExcerptText: a source's excerpt.
	ExcerptText = TextRule{Max: 4000, Lines: true}
	// SummaryText: an agreement's summary or an institution's description.
	SummaryText = TextRule{Max: 10000, Lines: true}
	// ReasonText: why a fact is retracted.
	ReasonText = TextRule{Max: 2000, Lines: true}
	// StatementValueText: what one source states of a property (a statement).
	StatementValueText = TextRule{Max: 2000}
	// QuoteText: a source's own words for a statement.
	QuoteText = TextRule{Max: 4000, Lines: true}
	// ClientMutationIDText: a write's client mutation id.
	ClientMutationIDText = TextRule{Max: 200}
	// LookupText: a text argument of a query (a name to look up, a filter, a search).
	// Longer values cannot match a name, and would only cost database time.
	LookupText = TextRule{Max: 200}
)

// Problem says what is wrong with s, or "" if nothing is. Length is checked last, so
// that a long text with a NUL in it is reported for the NUL.
func (r TextRule) Problem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if c, ok := r.badControl(s); ok {
		if c == 0 {
			return "contains a NUL character (U+0000)"
		}
		if r.Lines {
			return fmt.Sprintf("contains the control character U+%04X (only line breaks and tabs are allowed)", c)
		}
		return fmt.Sprintf("contains the control character U+%04X (line breaks and tabs are not allowed here)", c)
	}
	if len(s) > r.Max { // a character is at least one byte
		if n := utf8.RuneCountInString(s); n > r.Max {
			return fmt.Sprintf("is too long: %d characters, at most %d", n, r.Max)
		}
	}
	return ""
}

// badControl finds the first control character the rule refuses.
func (r TextRule) badControl(s string) (rune, bool) {
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			continue // the common case
		}
		if r.Lines && (c == '\n' || c == '\r' || c == '\t') {
			continue
		}
		if unicode.IsControl(c) {
			return c, true
		}
	}
	return 0, false
}

// List caps: how many items one write (a mutation, a line of an import file) may
// give. They bound what one call can plant for every later reader to download.
const (
	// MaxNames: the names of one city or official. GeoNames' most-named cities have a
	// few hundred alternate names.
	MaxNames = 1000
	// MaxSourceRefs: the sources one write cites, existing and new together.
	MaxSourceRefs = 50
	// MaxNewSources: the sources one mutation creates.
	MaxNewSources = 20
	// MaxLanguages: the languages of one source.
	MaxLanguages = 20
	// MaxParties: the parties of one agreement.
	MaxParties = 100
	// MaxSignatories: the signatories of one agreement.
	MaxSignatories = 100
	// MaxAreas: the cooperation areas of one agreement (there are 15 areas).
	MaxAreas = 15
	// MaxLinks: the agreements an institution is linked to, or the institutions an
	// agreement is.
	MaxLinks = 100
	// MaxStatements: the per-source statements about one fact in one file.
	MaxStatements = 100
)

// ListProblem says what is wrong with a list of n items capped at max, or "".
func ListProblem(n, max int) string {
	if n > max {
		return fmt.Sprintf("has %d items, at most %d", n, max)
	}
	return ""
}

// Numeric ranges.
const (
	// MaxPopulation is the largest population, and the largest reported figure:
	// GraphQL's Int is 32-bit, so a larger number could be stored but never read.
	MaxPopulation = math.MaxInt32
	MaxFigure     = math.MaxInt32
	// MinYear and MaxYear bound every date: ISO 8601's four-digit years, without the
	// year 0 (which PostgreSQL's calendar does not have).
	MinYear = 1
	MaxYear = 9999
)

// PopulationProblem says what is wrong with a population, or "".
func PopulationProblem(n int64) string {
	if n < 0 || n > MaxPopulation {
		return fmt.Sprintf("%d is not between 0 and %d", n, MaxPopulation)
	}
	return ""
}

// DateProblem says what is wrong with a date, or "".
func DateProblem(d Date) string {
	if y := d.Time.Year(); y < MinYear || y > MaxYear {
		return fmt.Sprintf("year %d is not between %d and %d", y, MinYear, MaxYear)
	}
	return ""
}

// CheckLookup returns an invalid-input Error about the query argument field, or nil.
func CheckLookup(field, s string) error {
	if msg := LookupText.Problem(s); msg != "" {
		return FieldErrorf(field, "%s %s", field, msg)
	}
	return nil
}

// ClientMutationIDProblem says what is wrong with a client mutation id, or "".
func ClientMutationIDProblem(id string) string {
	if strings.TrimSpace(id) == "" {
		return "may not be blank: leave it out, or send a fresh id (a UUID) per intended write"
	}
	return ClientMutationIDText.Problem(id)
}

// WikidataPattern is the form of a Wikidata item id, as every way in checks it and as
// the database's wikidata_qid checks hold it (migration 00007): Q and a number without
// a leading zero, since Wikidata numbers its items from Q1 and Q012 names no item.
const WikidataPattern = `^Q[1-9][0-9]*$`

var wikidataQID = regexp.MustCompile(WikidataPattern)

// ValidWikidataID reports whether s is a Wikidata item id such as Q15174.
func ValidWikidataID(s string) bool { return wikidataQID.MatchString(s) }
