package knowledge

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Codes of the problems a write reports back in its payload, one per field.
const (
	CodeInvalid         = "INVALID"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeStaleVersion    = "STALE_VERSION"
	CodeMissingSource   = "MISSING_SOURCE"
	CodeIdempotencyUsed = "IDEMPOTENCY_KEY_REUSED"
	// CodeRetracted: a retried client mutation id whose entity was retracted since.
	CodeRetracted = "RETRACTED"
)

// FieldProblem is what is wrong with one field of a write's input.
type FieldProblem struct {
	// Path leads from the input to the field, such as ["input", "signatories", "1", "party"].
	Path    []string
	Message string
	Code    string
}

// InputError lists every problem found with a write's input. A write that returns it
// has changed nothing.
type InputError struct {
	Problems []FieldProblem
}

func (e *InputError) Error() string {
	var parts []string
	for _, p := range e.Problems {
		parts = append(parts, strings.Join(p.Path, ".")+": "+p.Message)
	}
	return strings.Join(parts, "; ")
}

// Problems collects field problems while a write is checked.
type Problems struct{ list []FieldProblem }

// Add records a problem at the path (relative to "input").
func (p *Problems) Add(code string, path []string, format string, args ...any) {
	p.list = append(p.list, FieldProblem{Path: append([]string{"input"}, path...), Message: fmt.Sprintf(format, args...), Code: code})
}

// Invalid records an INVALID problem.
func (p *Problems) Invalid(path []string, format string, args ...any) {
	p.Add(CodeInvalid, path, format, args...)
}

// Any reports whether a problem was recorded.
func (p *Problems) Any() bool { return len(p.list) > 0 }

// Err returns the problems as an *InputError, or nil if there are none.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &InputError{Problems: p.list}
}

// Path builds a field path from its parts; numbers become list indexes.
func Path(parts ...any) []string {
	out := make([]string, len(parts))
	for i, part := range parts {
		switch v := part.(type) {
		case string:
			out[i] = v
		case int:
			out[i] = strconv.Itoa(v)
		default:
			out[i] = fmt.Sprint(v)
		}
	}
	return out
}

// Text checks a text field against the rule for its kind (see limits.go); required
// means it may not be blank.
func (p *Problems) Text(path []string, s *string, required bool, rule TextRule) {
	if s == nil {
		if required {
			p.Invalid(path, "is required")
		}
		return
	}
	if msg := rule.Problem(*s); msg != "" {
		p.Invalid(path, "%s", msg)
		return
	}
	if required && strings.TrimSpace(*s) == "" {
		p.Invalid(path, "may not be blank")
	}
}

// List checks a list's length against its cap.
func (p *Problems) List(path []string, n, max int) bool {
	if msg := ListProblem(n, max); msg != "" {
		p.Invalid(path, "%s", msg)
		return false
	}
	return true
}

// ID refuses the nil UUID as a reference: it names no entity (and would read as no
// reference at all).
func (p *Problems) ID(path []string, what string, id *uuid.UUID) {
	if id != nil && *id == uuid.Nil {
		p.Add(CodeNotFound, path, "no %s has this id", what)
	}
}

// Date checks a date's year.
func (p *Problems) Date(path []string, d *Date) {
	if d != nil {
		if msg := DateProblem(*d); msg != "" {
			p.Invalid(path, "%s", msg)
		}
	}
}

// CheckClientMutationID checks a write's client mutation id, before anything is
// looked up by it.
func CheckClientMutationID(p *Problems, id *string) {
	if id == nil {
		return
	}
	if msg := ClientMutationIDProblem(*id); msg != "" {
		p.Invalid(Path("clientMutationId"), "%s", msg)
	}
}

var (
	languageTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
)

// SourceRefs are the sources a write cites: existing ones by id and new ones in full.
type SourceRefs struct {
	IDs []uuid.UUID
	New []NewSource
}

// Check requires at least one source and checks the new ones.
func (s SourceRefs) Check(p *Problems, path []string) {
	if len(s.IDs)+len(s.New) == 0 {
		p.Add(CodeMissingSource, path, "cite at least one source: an existing one by id, or a new one")
	}
	if !p.List(path, len(s.IDs)+len(s.New), MaxSourceRefs) ||
		!p.List(append(append([]string{}, path...), "new"), len(s.New), MaxNewSources) {
		return // a list that long is not looked at item by item
	}
	for i, id := range s.IDs {
		p.ID(append(append([]string{}, path...), "ids", strconv.Itoa(i)), "source", &id)
	}
	for i, ns := range s.New {
		ns.Check(p, append(append([]string{}, path...), "new", strconv.Itoa(i)))
	}
}

// NewSource is a source to create.
type NewSource struct {
	Title       string
	Publisher   *string
	URL         *string
	PublishedOn *Date
	Excerpt     *string
	Languages   []string
}

// Check records what is wrong with the new source.
func (s NewSource) Check(p *Problems, path []string) {
	checkSource(p, path, &s.Title, true, s.Publisher, s.URL, s.Excerpt)
	p.Date(append(append([]string{}, path...), "publishedOn"), s.PublishedOn)
	if !p.List(append(append([]string{}, path...), "languages"), len(s.Languages), MaxLanguages) {
		return
	}
	for i, l := range s.Languages {
		if !languageTag.MatchString(l) {
			p.Invalid(append(append([]string{}, path...), "languages", strconv.Itoa(i)), "%q is not a language tag such as en or zh-Hant", l)
		}
	}
}

// checkSource checks a source's text fields, for a new source and for an update.
func checkSource(p *Problems, path []string, title *string, titleRequired bool, publisher, link, excerpt *string) {
	at := func(f string) []string { return append(append([]string{}, path...), f) }
	p.Text(at("title"), title, titleRequired, TitleText)
	p.Text(at("publisher"), publisher, false, PublisherText)
	p.Text(at("excerpt"), excerpt, false, ExcerptText)
	if link != nil {
		if msg := URLText.Problem(*link); msg != "" {
			p.Invalid(at("url"), "%s", msg)
			return
		}
		u, err := url.Parse(*link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Invalid(at("url"), "must be an http or https URL of at most %d characters", URLText.Max)
		}
	}
}

// Cleared names the optional fields an update sets to null, by their names in the
// input: those it clears. A field left out keeps its value, as a nil field of a write
// does. Left out of the JSON when empty, so that the hash a retry is recognised by
// (postgres.writeTx) is the one earlier versions computed for the same call.
type Cleared []string

// Has reports whether the update clears the field.
func (c Cleared) Has(field string) bool { return slices.Contains(c, field) }

// ClearableOnUpdate lists, per type, the optional fields an update may clear with an
// explicit null. A partnership's agreement is cleared by PartnershipWrite.ClearAgreement.
var ClearableOnUpdate = map[string][]string{
	TypeSource:      {"publisher", "url", "publishedOn", "excerpt"},
	TypeCity:        {"population", "location", "wikidataId"},
	TypeOfficial:    {"title", "city"},
	TypeAgreement:   {"signedOn", "signedIn", "summary"},
	TypePartnership: {"since", "until"},
	TypeInstitution: {"foundedOn", "description"},
}

// checkCleared refuses clearing a field the type does not let an update clear.
func checkCleared(p *Problems, typ string, c Cleared) {
	for _, f := range c {
		if !slices.Contains(ClearableOnUpdate[typ], f) {
			p.Invalid(Path(f), "cannot be cleared: null clears only %s", strings.Join(ClearableOnUpdate[typ], ", "))
		}
	}
}

// SourceUpdate changes a source's fields; nil fields keep their value, and those in
// Clear are cleared.
type SourceUpdate struct {
	ID          uuid.UUID
	Version     int
	Title       *string
	Publisher   *string
	URL         *string
	PublishedOn *Date
	Excerpt     *string
	Clear       Cleared `json:",omitempty"`
}

// Check records what is wrong with the update; a title, when given, may not be blank.
func (u SourceUpdate) Check(p *Problems) {
	checkSource(p, nil, u.Title, u.Title != nil, u.Publisher, u.URL, u.Excerpt)
	p.Date(Path("publishedOn"), u.PublishedOn)
	checkCleared(p, TypeSource, u.Clear)
}

// Name is a name in one language.
type Name struct {
	Language string
	Name     string
}

func checkNames(p *Problems, path []string, names []Name) {
	if !p.List(path, len(names), MaxNames) {
		return
	}
	seen := map[Name]bool{}
	for i, n := range names {
		at := append(append([]string{}, path...), strconv.Itoa(i))
		if !languageTag.MatchString(n.Language) {
			p.Invalid(append(at, "language"), "%q is not a language tag such as en or zh-Hant", n.Language)
		}
		p.Text(append(at, "name"), &n.Name, true, NameText)
		if seen[n] {
			p.Invalid(at, "repeats %s %q", n.Language, n.Name)
		}
		seen[n] = true
	}
}

// CityWrite creates a city (ID nil) or updates one.
type CityWrite struct {
	ID          *uuid.UUID
	Version     int
	Name        *string
	CountryCode *string // create only
	Names       *[]Name // nil keeps the names; given, replaces them
	Population  *int
	Location    *Location
	WikidataID  *string
	GeonamesID  *int
	Sources     SourceRefs
	Clear       Cleared `json:",omitempty"` // update only
}

// Check records what is wrong with the write, apart from what needs the database.
func (w *CityWrite) Check(p *Problems) {
	create := w.ID == nil
	p.Text(Path("name"), w.Name, create, NameText)
	if create {
		if w.CountryCode == nil || !countryCode.MatchString(strings.ToUpper(*w.CountryCode)) {
			p.Invalid(Path("country"), "must be an ISO 3166-1 alpha-2 code such as CN")
		}
	}
	if w.Names != nil {
		checkNames(p, Path("names"), *w.Names)
	}
	if w.Population != nil {
		if msg := PopulationProblem(int64(*w.Population)); msg != "" {
			p.Invalid(Path("population"), "%s", msg)
		}
	}
	if l := w.Location; l != nil {
		if l.Latitude < -90 || l.Latitude > 90 {
			p.Invalid(Path("location", "latitude"), "must be between -90 and 90")
		}
		if l.Longitude < -180 || l.Longitude > 180 {
			p.Invalid(Path("location", "longitude"), "must be between -180 and 180")
		}
	}
	if w.WikidataID != nil && !ValidWikidataID(*w.WikidataID) {
		p.Invalid(Path("wikidataId"), "must be a Wikidata item such as Q15174")
	}
	if w.GeonamesID != nil && *w.GeonamesID <= 0 {
		p.Invalid(Path("geonamesId"), "must be a positive GeoNames id")
	}
	checkCleared(p, TypeCity, w.Clear)
	w.Sources.Check(p, Path("sources"))
}

// OfficialWrite creates an official (ID nil) or updates one.
type OfficialWrite struct {
	ID      *uuid.UUID
	Version int
	Name    *string
	Title   *string
	CityID  *uuid.UUID
	Names   *[]Name
	Sources SourceRefs
	Clear   Cleared `json:",omitempty"` // update only
}

// Check records what is wrong with the write, apart from what needs the database.
func (w *OfficialWrite) Check(p *Problems) {
	p.ID(Path("city"), "city", w.CityID)
	p.Text(Path("name"), w.Name, w.ID == nil, NameText)
	p.Text(Path("title"), w.Title, false, TitleText)
	if w.Names != nil {
		checkNames(p, Path("names"), *w.Names)
	}
	checkCleared(p, TypeOfficial, w.Clear)
	w.Sources.Check(p, Path("sources"))
}

// SignatoryWrite is an official's signature for a party.
type SignatoryWrite struct {
	OfficialID uuid.UUID
	PartyID    uuid.UUID
	Role       *string
}

// AgreementWrite creates an agreement (ID nil) or updates one.
type AgreementWrite struct {
	ID          *uuid.UUID
	Version     int
	Title       *string
	Kind        *AgreementKind
	SignedOn    *Date
	SignedInID  *uuid.UUID
	Summary     *string
	Areas       *[]CooperationArea
	Parties     *[]uuid.UUID
	Signatories *[]SignatoryWrite
	Sources     SourceRefs
	Clear       Cleared `json:",omitempty"` // update only
}

// Check records what is wrong with the write, apart from what needs the database.
func (w *AgreementWrite) Check(p *Problems) {
	p.ID(Path("signedIn"), "city", w.SignedInID)
	if w.Parties != nil && len(*w.Parties) <= MaxParties {
		for i, id := range *w.Parties {
			p.ID(Path("parties", i), "city", &id)
		}
	}
	if w.Signatories != nil && len(*w.Signatories) <= MaxSignatories {
		for i, s := range *w.Signatories {
			p.ID(Path("signatories", i, "official"), "official", &s.OfficialID)
			p.ID(Path("signatories", i, "party"), "city", &s.PartyID)
		}
	}
	create := w.ID == nil
	p.Text(Path("title"), w.Title, create, TitleText)
	if create && w.Kind == nil {
		p.Invalid(Path("kind"), "is required")
	}
	p.Text(Path("summary"), w.Summary, false, SummaryText)
	p.Date(Path("signedOn"), w.SignedOn)
	checkCleared(p, TypeAgreement, w.Clear)
	if w.Areas != nil {
		p.List(Path("areas"), len(*w.Areas), MaxAreas)
	}
	listsOK := (w.Parties == nil || p.List(Path("parties"), len(*w.Parties), MaxParties)) &&
		(w.Signatories == nil || p.List(Path("signatories"), len(*w.Signatories), MaxSignatories))
	if listsOK && (w.Parties != nil || create) {
		var parties []uuid.UUID
		if w.Parties != nil {
			parties = *w.Parties
		}
		seen := map[uuid.UUID]bool{}
		for i, id := range parties {
			if seen[id] {
				p.Invalid(Path("parties", i), "names a party twice")
			}
			seen[id] = true
		}
		if len(seen) < 2 {
			p.Invalid(Path("parties"), "an agreement needs at least two parties")
		}
		if w.Signatories != nil {
			signed := map[uuid.UUID]bool{}
			for i, s := range *w.Signatories {
				if !seen[s.PartyID] {
					p.Invalid(Path("signatories", i, "party"), "is not one of the agreement's parties")
				}
				if signed[s.OfficialID] {
					p.Invalid(Path("signatories", i, "official"), "signs twice")
				}
				signed[s.OfficialID] = true
				p.Text(Path("signatories", i, "role"), s.Role, false, RoleText)
			}
		}
	}
	w.Sources.Check(p, Path("sources"))
}

// PartnershipWrite creates a partnership (ID nil) or updates one.
type PartnershipWrite struct {
	ID          *uuid.UUID
	Version     int
	Kind        *PartnershipKind
	CityIDs     []uuid.UUID // create only: exactly two
	Since       *Date
	Until       *Date
	AgreementID *uuid.UUID
	// ClearAgreement takes the partnership off its agreement (an update's explicit
	// null): it then stands on its sources alone. Left out of the JSON when false, so
	// that the hash a retry is recognised by (postgres.writeTx) is the one earlier
	// versions computed for the same call.
	ClearAgreement bool `json:",omitempty"`
	Sources        SourceRefs
	Clear          Cleared `json:",omitempty"` // update only
}

// Check records what is wrong with the write, apart from what needs the database.
func (w *PartnershipWrite) Check(p *Problems) {
	for i, id := range w.CityIDs {
		p.ID(Path("cities", i), "city", &id)
	}
	p.ID(Path("agreement"), "agreement", w.AgreementID)
	if w.ID == nil {
		if w.Kind == nil {
			p.Invalid(Path("kind"), "is required")
		}
		switch {
		case len(w.CityIDs) != 2:
			p.Invalid(Path("cities"), "a partnership joins exactly two cities, got %d", len(w.CityIDs))
		case w.CityIDs[0] == w.CityIDs[1]:
			p.Invalid(Path("cities"), "a partnership joins two different cities")
		}
	}
	p.Date(Path("since"), w.Since)
	p.Date(Path("until"), w.Until)
	checkCleared(p, TypePartnership, w.Clear)
	// An imprecise until may share its period with since ("since 1994-05, until
	// 1994"): only an until that ends before since begins is impossible.
	if w.Since != nil && w.Until != nil && w.Until.Last().Before(w.Since.First()) {
		p.Invalid(Path("until"), "is before since")
	}
	w.Sources.Check(p, Path("sources"))
}

// InstitutionWrite creates an institution (ID nil) or updates one.
type InstitutionWrite struct {
	ID           *uuid.UUID
	Version      int
	Name         *string
	Kind         *InstitutionKind
	CityID       *uuid.UUID
	FoundedOn    *Date
	Description  *string
	AgreementIDs *[]uuid.UUID
	Sources      SourceRefs
	Clear        Cleared `json:",omitempty"` // update only
}

// Check records what is wrong with the write, apart from what needs the database.
func (w *InstitutionWrite) Check(p *Problems) {
	p.ID(Path("city"), "city", w.CityID)
	if w.AgreementIDs != nil && len(*w.AgreementIDs) <= MaxLinks {
		for i, id := range *w.AgreementIDs {
			p.ID(Path("agreements", i), "agreement", &id)
		}
	}
	create := w.ID == nil
	p.Text(Path("name"), w.Name, create, InstitutionNameText)
	if create && w.Kind == nil {
		p.Invalid(Path("kind"), "is required")
	}
	if create && w.CityID == nil {
		p.Invalid(Path("city"), "is required")
	}
	p.Text(Path("description"), w.Description, false, SummaryText)
	p.Date(Path("foundedOn"), w.FoundedOn)
	checkCleared(p, TypeInstitution, w.Clear)
	if w.AgreementIDs != nil {
		p.List(Path("agreements"), len(*w.AgreementIDs), MaxLinks)
	}
	w.Sources.Check(p, Path("sources"))
}

// Retraction takes a fact out of the live graph, for a reason, citing sources.
type Retraction struct {
	Type    string // a relay type name: City, Official, Agreement, Partnership or Institution
	ID      uuid.UUID
	Version int
	Reason  string
	Sources SourceRefs
}

// Check records what is wrong with the retraction, apart from what needs the database.
func (r *Retraction) Check(p *Problems) {
	p.Text(Path("reason"), &r.Reason, true, ReasonText)
	r.Sources.Check(p, Path("sources"))
}
