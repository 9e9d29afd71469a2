package seed

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// The enumerations the database checks. They are repeated here so that an editor learns
// of a mistake with the path to it rather than from a failed load.
var (
	// AgreementKinds are the values Agreement.Kind may take.
	AgreementKinds = []string{"MEMORANDUM", "SISTER_CITY_AGREEMENT", "FRIENDLY_EXCHANGE_AGREEMENT", "COOPERATION_AGREEMENT", "OTHER"}
	// AgreementAreas are the values Agreement.Areas may hold.
	AgreementAreas = []string{"TRADE", "INVESTMENT", "TECHNOLOGY", "EDUCATION", "CULTURE", "TRANSPORTATION",
		"INFRASTRUCTURE", "TOURISM", "HEALTH", "ENVIRONMENT", "SCIENCE", "SPORT", "YOUTH", "URBAN_PLANNING", "OTHER"}
	// PartnershipKinds are the values Partnership.Kind may take.
	PartnershipKinds = []string{"SISTER_CITY", "FRIENDLY_EXCHANGE"}
	// InstitutionKinds are the values Institution.Kind may take.
	InstitutionKinds = []string{"UNIVERSITY", "SCHOOL", "RESEARCH_INSTITUTE", "CULTURAL_CENTER", "HOSPITAL",
		"COMPANY", "CHAMBER_OF_COMMERCE", "GOVERNMENT_OFFICE", "PARK", "OTHER"}
	// FigureMetrics are the values Figure.Metric may take.
	FigureMetrics = []string{"FRIENDLY_CITIES", "FRIENDLY_COUNTRIES", "SISTER_CITIES", "FRIENDLY_EXCHANGE_CITIES"}
)

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	languageRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	propertyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.]{0,63}$`)
	urlRE      = regexp.MustCompile(`^https?://`)
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// Problem is one thing wrong with a bundle, at a path such as
// "agreements[0].signatories[1].party".
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem Validate found, so that an editor fixes them all
// in one pass rather than one per run.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("invalid bundle (%d problems):\n%s", len(e.Problems), strings.Join(lines, "\n"))
}

// validator collects problems and knows every key in the bundle.
type validator struct {
	problems []Problem
	keys     map[string]map[string]string // kind -> key -> path of its first use
}

func (v *validator) addf(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate checks the bundle against everything the loader and the database rely on
// and returns a *ValidationError naming every problem, or nil. Length limits mirror the
// database's checks.
func (b *Bundle) Validate() error {
	v := &validator{keys: make(map[string]map[string]string)}

	// Keys first, so that references can be checked whatever the order of the lists.
	for i, s := range b.Sources {
		v.key(fmt.Sprintf("sources[%d]", i), knowledge.KindSource, s.Key, slugRE)
	}
	for i, c := range b.Countries {
		v.key(fmt.Sprintf("countries[%d]", i), knowledge.KindCountry, c.Key, countryRE)
	}
	for i, c := range b.Cities {
		v.key(fmt.Sprintf("cities[%d]", i), knowledge.KindCity, c.Key, slugRE)
	}
	for i, o := range b.Officials {
		v.key(fmt.Sprintf("officials[%d]", i), knowledge.KindOfficial, o.Key, slugRE)
	}
	for i, a := range b.Agreements {
		v.key(fmt.Sprintf("agreements[%d]", i), knowledge.KindAgreement, a.Key, slugRE)
	}
	for i, p := range b.Partnerships {
		v.key(fmt.Sprintf("partnerships[%d]", i), knowledge.KindPartnership, p.Key, slugRE)
	}
	for i, in := range b.Institutions {
		v.key(fmt.Sprintf("institutions[%d]", i), knowledge.KindInstitution, in.Key, slugRE)
	}
	for i, f := range b.Figures {
		v.key(fmt.Sprintf("figures[%d]", i), knowledge.KindFigure, f.Key, slugRE)
	}

	urls := make(map[string]string)
	for i, s := range b.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		v.text(p+".title", s.Title, true, knowledge.TitleText)
		v.text(p+".publisher", s.Publisher, false, knowledge.PublisherText)
		v.text(p+".excerpt", s.Excerpt, false, knowledge.ExcerptText)
		v.list(p+".languages", len(s.Languages), knowledge.MaxLanguages)
		if s.URL != "" {
			if v.text(p+".url", s.URL, false, knowledge.URLText) && !urlRE.MatchString(s.URL) {
				v.addf(p+".url", "%q is not an http or https URL", s.URL)
			}
			// The database keeps one source per URL: a second key would be merged away.
			if first, ok := urls[s.URL]; ok {
				v.addf(p+".url", "duplicate URL %q (first at %s)", s.URL, first)
			} else {
				urls[s.URL] = p + ".url"
			}
		}
		v.date(p+".publishedOn", s.PublishedOn)
		langs := make(map[string]bool)
		for j, l := range s.Languages {
			lp := fmt.Sprintf("%s.languages[%d]", p, j)
			v.language(lp, l)
			if langs[l] {
				v.addf(lp, "duplicate language %q", l)
			}
			langs[l] = true
		}
	}

	for i, c := range b.Countries {
		p := fmt.Sprintf("countries[%d]", i)
		v.text(p+".name", c.Name, true, knowledge.NameText)
		v.qid(p+".wikidataQid", c.WikidataQID)
	}

	qids := make(map[string]string)
	geonames := make(map[int64]string)
	for i, c := range b.Cities {
		p := fmt.Sprintf("cities[%d]", i)
		v.text(p+".name", c.Name, true, knowledge.NameText)
		v.ref(p+".country", knowledge.KindCountry, c.Country, true)
		if c.Population != nil {
			if msg := knowledge.PopulationProblem(*c.Population); msg != "" {
				v.addf(p+".population", "%s", msg)
			}
		}
		if (c.Latitude == nil) != (c.Longitude == nil) {
			v.addf(p, "latitude and longitude must be given together")
		}
		if c.Latitude != nil && (*c.Latitude < -90 || *c.Latitude > 90 || math.IsNaN(*c.Latitude)) {
			v.addf(p+".latitude", "%v is not between -90 and 90", *c.Latitude)
		}
		if c.Longitude != nil && (*c.Longitude < -180 || *c.Longitude > 180 || math.IsNaN(*c.Longitude)) {
			v.addf(p+".longitude", "%v is not between -180 and 180", *c.Longitude)
		}
		if c.WikidataQID != "" {
			v.qid(p+".wikidataQid", c.WikidataQID)
			if first, ok := qids[c.WikidataQID]; ok {
				v.addf(p+".wikidataQid", "duplicate Wikidata id %q (first at %s)", c.WikidataQID, first)
			} else {
				qids[c.WikidataQID] = p
			}
		}
		if c.GeoNamesID != nil {
			if *c.GeoNamesID <= 0 {
				v.addf(p+".geonamesId", "must be positive, got %d", *c.GeoNamesID)
			} else if first, ok := geonames[*c.GeoNamesID]; ok {
				v.addf(p+".geonamesId", "duplicate GeoNames id %d (first at %s)", *c.GeoNamesID, first)
			} else {
				geonames[*c.GeoNamesID] = p
			}
		}
		v.names(p+".names", c.Names)
		v.sources(p+".sources", c.Sources, false)
		v.statements(p+".statements", c.Statements)
	}

	for i, o := range b.Officials {
		p := fmt.Sprintf("officials[%d]", i)
		v.text(p+".name", o.Name, true, knowledge.NameText)
		v.text(p+".title", o.Title, false, knowledge.TitleText)
		v.ref(p+".city", knowledge.KindCity, o.City, false)
		v.names(p+".names", o.Names)
		v.sources(p+".sources", o.Sources, true)
		v.statements(p+".statements", o.Statements)
	}

	officialCity := make(map[string]string) // official key -> city key, for those with a city
	for _, o := range b.Officials {
		if o.City != "" {
			officialCity[o.Key] = o.City
		}
	}
	agreementParties := make(map[string][]uuid.UUID)
	for _, a := range b.Agreements {
		for _, c := range a.Parties {
			agreementParties[a.Key] = append(agreementParties[a.Key], knowledge.KeyID(knowledge.KindCity, c))
		}
	}
	for i, a := range b.Agreements {
		p := fmt.Sprintf("agreements[%d]", i)
		v.text(p+".title", a.Title, true, knowledge.TitleText)
		v.enum(p+".kind", a.Kind, AgreementKinds)
		v.date(p+".signedOn", a.SignedOn)
		v.ref(p+".signedIn", knowledge.KindCity, a.SignedIn, false)
		v.text(p+".summary", a.Summary, false, knowledge.SummaryText)
		v.list(p+".areas", len(a.Areas), knowledge.MaxAreas)
		v.list(p+".parties", len(a.Parties), knowledge.MaxParties)
		v.list(p+".signatories", len(a.Signatories), knowledge.MaxSignatories)
		v.list(p+".institutions", len(a.Institutions), knowledge.MaxLinks)
		seen := make(map[string]bool)
		for j, area := range a.Areas {
			ap := fmt.Sprintf("%s.areas[%d]", p, j)
			v.enum(ap, area, AgreementAreas)
			if seen[area] {
				v.addf(ap, "duplicate area %q", area)
			}
			seen[area] = true
		}
		if len(a.Parties) == 0 {
			v.addf(p+".parties", "required: at least one party city")
		}
		parties := make(map[string]bool)
		for j, c := range a.Parties {
			cp := fmt.Sprintf("%s.parties[%d]", p, j)
			v.ref(cp, knowledge.KindCity, c, true)
			if parties[c] {
				v.addf(cp, "duplicate party %q", c)
			}
			parties[c] = true
		}
		signers := make(map[string]bool)
		for j, s := range a.Signatories {
			sp := fmt.Sprintf("%s.signatories[%d]", p, j)
			v.ref(sp+".official", knowledge.KindOfficial, s.Official, true)
			if s.Official != "" && signers[s.Official] {
				v.addf(sp+".official", "%q already signs this agreement", s.Official)
			}
			signers[s.Official] = true
			if s.Party == "" {
				v.addf(sp+".party", "required")
			} else if !parties[s.Party] {
				v.addf(sp+".party", "%q is not a party of this agreement", s.Party)
			} else if city, ok := officialCity[s.Official]; ok && v.known(knowledge.KindCity, city) {
				var rp knowledge.Problems
				knowledge.RepresentsParty(&rp, nil, knowledge.KeyID(knowledge.KindCity, city), []uuid.UUID{knowledge.KeyID(knowledge.KindCity, s.Party)})
				if rp.Any() {
					v.addf(sp+".party", "%q represents %q and signs for that city, not for %q", s.Official, city, s.Party)
				}
			}
			v.text(sp+".role", s.Role, false, knowledge.RoleText)
		}
		v.refList(p+".institutions", knowledge.KindInstitution, a.Institutions)
		v.sources(p+".sources", a.Sources, true)
		v.statements(p+".statements", a.Statements)
	}

	ties := make(map[string]string)
	for i, pt := range b.Partnerships {
		p := fmt.Sprintf("partnerships[%d]", i)
		v.enum(p+".kind", pt.Kind, PartnershipKinds)
		if len(pt.Cities) != 2 {
			v.addf(p+".cities", "must name exactly two cities, got %d", len(pt.Cities))
		}
		for j, c := range pt.Cities {
			v.ref(fmt.Sprintf("%s.cities[%d]", p, j), knowledge.KindCity, c, true)
		}
		if len(pt.Cities) == 2 && pt.Cities[0] != "" {
			if pt.Cities[0] == pt.Cities[1] {
				v.addf(p+".cities", "a partnership joins two different cities, got %q twice", pt.Cities[0])
			} else {
				// The database stores a tie once whichever way round it is written.
				pair := slices.Clone(pt.Cities)
				slices.Sort(pair)
				tie := pair[0] + "|" + pair[1] + "|" + pt.Kind
				if first, ok := ties[tie]; ok {
					v.addf(p, "duplicate %s partnership of %q and %q (first at %s)", pt.Kind, pair[0], pair[1], first)
				} else {
					ties[tie] = p
				}
			}
		}
		since, sinceOK := v.date(p+".since", pt.Since)
		until, untilOK := v.date(p+".until", pt.Until)
		if sinceOK && untilOK && until.Before(since) {
			v.addf(p+".until", "%s is before since %s", pt.Until, pt.Since)
		}
		v.ref(p+".agreement", knowledge.KindAgreement, pt.Agreement, false)
		if parties, ok := agreementParties[pt.Agreement]; ok && len(pt.Cities) == 2 {
			var rp knowledge.Problems
			knowledge.AgreementJoinsPartners(&rp, nil, [2]uuid.UUID{knowledge.KeyID(knowledge.KindCity, pt.Cities[0]), knowledge.KeyID(knowledge.KindCity, pt.Cities[1])}, parties)
			if rp.Any() {
				v.addf(p+".agreement", "%q is not between the partnership's two cities: both must be among its parties", pt.Agreement)
			}
		}
		v.sources(p+".sources", pt.Sources, true)
		v.statements(p+".statements", pt.Statements)
	}

	for i, in := range b.Institutions {
		p := fmt.Sprintf("institutions[%d]", i)
		v.text(p+".name", in.Name, true, knowledge.InstitutionNameText)
		v.enum(p+".kind", in.Kind, InstitutionKinds)
		v.ref(p+".city", knowledge.KindCity, in.City, true)
		v.date(p+".foundedOn", in.FoundedOn)
		v.text(p+".description", in.Description, false, knowledge.SummaryText)
		v.refList(p+".agreements", knowledge.KindAgreement, in.Agreements)
		v.sources(p+".sources", in.Sources, true)
		v.statements(p+".statements", in.Statements)
	}

	figures := make(map[string]string)
	for i, f := range b.Figures {
		p := fmt.Sprintf("figures[%d]", i)
		v.ref(p+".city", knowledge.KindCity, f.City, true)
		v.enum(p+".metric", f.Metric, FigureMetrics)
		switch {
		case f.Value == nil:
			v.addf(p+".value", "required")
		case *f.Value < 0 || *f.Value > knowledge.MaxFigure:
			v.addf(p+".value", "%d is not between 0 and %d", *f.Value, knowledge.MaxFigure)
		}
		v.date(p+".asOf", f.AsOf)
		v.ref(p+".source", knowledge.KindSource, f.Source, true)
		// The database keeps one figure per city, metric, date and source.
		id := f.City + "|" + f.Metric + "|" + f.AsOf + "|" + f.Source
		if f.City == "" || f.Metric == "" || f.Source == "" {
			continue
		}
		if first, ok := figures[id]; ok {
			v.addf(p, "duplicate figure: %s already states %s of %q as of %q (first at %s)", f.Source, f.Metric, f.City, f.AsOf, first)
		} else {
			figures[id] = p
		}
	}

	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// key records an entity's key, reporting a missing, malformed or duplicate one.
func (v *validator) key(path, kind, key string, re *regexp.Regexp) {
	p := path + ".key"
	if key == "" {
		v.addf(p, "required")
		return
	}
	if !re.MatchString(key) {
		if kind == knowledge.KindCountry {
			v.addf(p, "%q is not an ISO 3166-1 alpha-2 code (two capital letters)", key)
		} else {
			v.addf(p, "%q is not a slug (lowercase letters and digits joined by single hyphens)", key)
		}
	}
	if v.keys[kind] == nil {
		v.keys[kind] = make(map[string]string)
	}
	if first, ok := v.keys[kind][key]; ok {
		v.addf(p, "duplicate key %q (first at %s)", key, first)
		return
	}
	v.keys[kind][key] = path
}

// ref checks a reference to an entity of kind by key.
func (v *validator) ref(path, kind, key string, required bool) {
	if key == "" {
		if required {
			v.addf(path, "required")
		}
		return
	}
	if _, ok := v.keys[kind][key]; !ok {
		v.addf(path, "unknown %s %q", kind, key)
	}
}

// known reports whether the bundle has an entity of kind with the key.
func (v *validator) known(kind, key string) bool {
	_, ok := v.keys[kind][key]
	return ok
}

// refList checks a list of references: each must be known and named once.
func (v *validator) refList(path, kind string, keys []string) {
	seen := make(map[string]bool)
	for i, k := range keys {
		p := fmt.Sprintf("%s[%d]", path, i)
		v.ref(p, kind, k, true)
		if k != "" && seen[k] {
			v.addf(p, "duplicate %s %q", kind, k)
		}
		seen[k] = true
	}
}

// sources checks a list of cited sources; required means at least one, because
// provenance is what the product promises.
func (v *validator) sources(path string, keys []string, required bool) {
	if required && len(keys) == 0 {
		v.addf(path, "required: cite at least one source")
	}
	if v.list(path, len(keys), knowledge.MaxSourceRefs) {
		v.refList(path, knowledge.KindSource, keys)
	}
}

func (v *validator) names(path string, names []Name) {
	if !v.list(path, len(names), knowledge.MaxNames) {
		return
	}
	seen := make(map[[2]string]bool)
	for i, n := range names {
		p := fmt.Sprintf("%s[%d]", path, i)
		v.language(p+".language", n.Language)
		v.text(p+".name", n.Name, true, knowledge.NameText)
		v.ref(p+".source", knowledge.KindSource, n.Source, false)
		// The database keys a name by language and spelling, so it can cite one source.
		k := [2]string{n.Language, n.Name}
		if seen[k] {
			v.addf(p, "duplicate name %q in language %q", n.Name, n.Language)
		}
		seen[k] = true
	}
}

func (v *validator) statements(path string, stmts []Statement) {
	if !v.list(path, len(stmts), knowledge.MaxStatements) {
		return
	}
	for i, s := range stmts {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case s.Property == "":
			v.addf(p+".property", "required")
		case !propertyRE.MatchString(s.Property):
			v.addf(p+".property", "%q is not a property name (a letter, then up to 63 letters, digits, '_' or '.')", s.Property)
		}
		v.text(p+".value", s.Value, true, knowledge.StatementValueText)
		v.ref(p+".source", knowledge.KindSource, s.Source, true)
		v.text(p+".quote", s.Quote, false, knowledge.QuoteText)
	}
}

// text holds a required or optional string to the rule of its kind, the same for every
// way in (knowledge.TextRule: UTF-8, control characters, length in characters), and
// reports whether it passed.
func (v *validator) text(path, s string, required bool, rule knowledge.TextRule) bool {
	if msg := rule.Problem(s); msg != "" {
		v.addf(path, "%s", msg)
		return false
	}
	if required && strings.TrimSpace(s) == "" {
		v.addf(path, "required")
		return false
	}
	return true
}

// list holds a list to its cap (knowledge.Max*), and reports whether it passed.
func (v *validator) list(path string, n, max int) bool {
	if msg := knowledge.ListProblem(n, max); msg != "" {
		v.addf(path, "%s", msg)
		return false
	}
	return true
}

func (v *validator) enum(path, s string, allowed []string) {
	if s == "" {
		v.addf(path, "required")
		return
	}
	if !slices.Contains(allowed, s) {
		v.addf(path, "%q is not one of %s", s, strings.Join(allowed, ", "))
	}
}

// date checks an optional ISO 8601 calendar date and returns it when it is one.
func (v *validator) date(path, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if !dateRE.MatchString(s) || err != nil {
		v.addf(path, "%q is not a calendar date in the form YYYY-MM-DD", s)
		return time.Time{}, false
	}
	if msg := knowledge.DateProblem(t); msg != "" {
		v.addf(path, "%s", msg)
		return time.Time{}, false
	}
	return t, true
}

func (v *validator) language(path, s string) {
	if s == "" {
		v.addf(path, "required")
		return
	}
	if !languageRE.MatchString(s) {
		v.addf(path, "%q is not a lowercase BCP 47 language tag such as \"zh\" or \"zh-Hans\"", s)
	}
}

func (v *validator) qid(path, s string) {
	if s != "" && !knowledge.ValidWikidataID(s) {
		v.addf(path, "%q is not a Wikidata id such as \"Q1490\"", s)
	}
}
