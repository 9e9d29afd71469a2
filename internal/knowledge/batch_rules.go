package knowledge

import (
	"fmt"
	"github.com/google/uuid"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The forms the database checks, held here too so that a bad line is reported with its
// position instead of failing the whole write on the first one. Language tags and
// country codes are those of the mutations (languageTag, countryCode).
var (
	slugRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	urlRE      = regexp.MustCompile(`^https?://`)
	propertyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.]{0,63}$`)
)

// IsAdmin1Code reports whether s has the form of a GeoNames admin1 code ("01", "ENG",
// "CA"): 1 to 20 ASCII letters and digits, as the database checks it
// (cities_admin1_code_check, divisions_code_check). By hand rather than by a regular
// expression: a gazetteer checks it once a row.
func IsAdmin1Code(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// The enumerations as a file spells them: the values of the domain's enum types.
var (
	agreementKindNames   = enumNames(agreementKinds)
	areaNames            = enumNames(cooperationAreas)
	partnershipKindNames = enumNames(partnershipKinds)
	institutionKindNames = enumNames(institutionKinds)
	figureMetricNames    = enumNames(figureMetrics)
)

func enumNames[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// RefUse is one reference in a batch: what it names, and where it is written.
type RefUse struct {
	Kind string
	Ref  Ref // normalized (see Ref.Normalize)
	Line int

	// The field is put together only when a message needs it: a gazetteer holds
	// millions of references.
	field string // the field, or the list the reference is an element of
	index int    // the reference's index in that list, or -1
	sub   string // what follows the index, as in "city.names[2].source"
}

// Field names where the reference is written, as in "partnership.cities[1]".
func (u RefUse) Field() string {
	if u.index < 0 {
		return u.field
	}
	return u.field + "[" + strconv.Itoa(u.index) + "]" + u.sub
}

// Refs lists every reference of the batch, in file order within each kind.
func (b *Batch) Refs() []RefUse {
	var out []RefUse
	b.EachRef(func(u RefUse) { out = append(out, u) })
	return out
}

// EachRef calls f with every reference of the batch, in the order of Refs.
func (b *Batch) EachRef(f func(RefUse)) {
	at := func(kind string, r Ref, line int, field string, index int, sub string) {
		if !r.IsZero() || r.bad != "" {
			f(RefUse{Kind: kind, Ref: r.Normalize(kind), Line: line, field: field, index: index, sub: sub})
		}
	}
	one := func(kind string, r Ref, line int, field string) { at(kind, r, line, field, -1, "") }
	opt := func(kind string, r *Ref, line int, field string) {
		if r != nil {
			one(kind, *r, line, field)
		}
	}
	list := func(kind string, rs []Ref, line int, field string) {
		for i, r := range rs {
			at(kind, r, line, field, i, "")
		}
	}
	names := func(ns []NameRecord, line int, field string) {
		for i, n := range ns {
			if n.Source != nil {
				at(KindSource, *n.Source, line, field, i, ".source")
			}
		}
	}
	for _, d := range b.Divisions {
		one(KindCountry, d.Country, d.Line, "division.country")
	}
	for i := range b.Cities { // by pointer: a CityRecord is 400 bytes, and a gazetteer has 200,000
		c := &b.Cities[i]
		one(KindCountry, c.Country, c.Line, "city.country")
		names(c.Names, c.Line, "city.names")
		list(KindSource, c.Sources, c.Line, "city.sources")
	}
	for _, o := range b.Officials {
		opt(KindCity, o.City, o.Line, "official.city")
		names(o.Names, o.Line, "official.names")
		list(KindSource, o.Sources, o.Line, "official.sources")
	}
	for _, in := range b.Institutions {
		one(KindCity, in.City, in.Line, "institution.city")
		list(KindAgreement, in.Agreements, in.Line, "institution.agreements")
		list(KindSource, in.Sources, in.Line, "institution.sources")
	}
	for _, a := range b.Agreements {
		opt(KindCity, a.SignedIn, a.Line, "agreement.signedIn")
		list(KindCity, a.Parties, a.Line, "agreement.parties")
		for i, s := range a.Signatories {
			at(KindOfficial, s.Official, a.Line, "agreement.signatories", i, ".official")
			at(KindCity, s.Party, a.Line, "agreement.signatories", i, ".party")
		}
		list(KindInstitution, a.Institutions, a.Line, "agreement.institutions")
		list(KindSource, a.Sources, a.Line, "agreement.sources")
	}
	for _, p := range b.Partnerships {
		list(KindCity, p.Cities, p.Line, "partnership.cities")
		opt(KindAgreement, p.Agreement, p.Line, "partnership.agreement")
		list(KindSource, p.Sources, p.Line, "partnership.sources")
	}
	for _, fg := range b.Figures {
		one(KindCity, fg.City, fg.Line, "figure.city")
		one(KindSource, fg.Source, fg.Line, "figure.source")
	}
	for _, st := range b.Statements {
		if kind, r, n := st.Subject.Of(); n == 1 {
			one(kind, r, st.Line, "statement.subject."+kind)
		}
		one(KindSource, st.Source, st.Line, "statement.source")
	}
}

// index records the identifiers the batch's own entities carry, so that a reference
// the file satisfies itself needs no database look-up. It is built one kind at a time,
// when a reference of that kind is first asked about: a gazetteer refers to countries
// and a source only, and its cities need no index.
type batchIndex struct {
	built    map[string]bool
	keys     map[string]map[string]int // kind -> key -> line
	qids     map[string]map[string]int // kind -> QID -> line
	geonames map[int64]int
	urls     map[string]int
}

func (ix *batchIndex) build(b *Batch, kind string) {
	ix.built[kind] = true
	keys, qids := map[string]int{}, map[string]int{}
	ix.keys[kind], ix.qids[kind] = keys, qids
	key := func(k string, line int) {
		if _, ok := keys[k]; !ok {
			keys[k] = line
		}
	}
	// A record a mutation makes answers to its id too, under a key no file can
	// write (idKey).
	byID := func(e Entry) {
		if e.ID != uuid.Nil {
			key(idKey(e.ID), e.Line)
		}
	}
	qid := func(q string, line int) {
		if _, ok := qids[q]; q != "" && !ok {
			qids[q] = line
		}
	}
	switch kind {
	case KindSource:
		for _, s := range b.Sources {
			byID(s.Entry)
			key(s.Key, s.Line)
			if _, ok := ix.urls[s.URL]; s.URL != "" && !ok {
				ix.urls[s.URL] = s.Line
			}
		}
	case KindCountry:
		for _, c := range b.Countries {
			byID(c.Entry)
			key(c.Code, c.Line)
			qid(c.Wikidata, c.Line)
		}
	case KindCity:
		for _, c := range b.Cities {
			byID(c.Entry)
			key(c.Key, c.Line)
			qid(c.Wikidata, c.Line)
			if c.GeoNames != nil {
				if _, ok := ix.geonames[*c.GeoNames]; !ok {
					ix.geonames[*c.GeoNames] = c.Line
				}
			}
		}
	case KindOfficial:
		for _, o := range b.Officials {
			byID(o.Entry)
			key(o.Key, o.Line)
			qid(o.Wikidata, o.Line)
		}
	case KindAgreement:
		for _, a := range b.Agreements {
			byID(a.Entry)
			key(a.Key, a.Line)
		}
	case KindPartnership:
		for _, p := range b.Partnerships {
			byID(p.Entry)
			key(p.Key, p.Line)
		}
	case KindInstitution:
		for _, in := range b.Institutions {
			byID(in.Entry)
			key(in.Key, in.Line)
			qid(in.Wikidata, in.Line)
		}
	case KindFigure:
		for _, f := range b.Figures {
			byID(f.Entry)
			key(f.Key, f.Line)
		}
	}
}

func idKey(id uuid.UUID) string { return "\x00" + id.String() }

// Defines reports whether an entity of the batch itself answers to the (normalized)
// reference, so that the store need not find it in the database.
func (b *Batch) Defines(kind string, r Ref) bool {
	if b.index == nil {
		b.index = &batchIndex{built: map[string]bool{}, keys: map[string]map[string]int{}, qids: map[string]map[string]int{},
			geonames: map[int64]int{}, urls: map[string]int{}}
	}
	ix := b.index
	if !ix.built[kind] {
		ix.build(b, kind)
	}
	var ok bool
	switch {
	case r.Key != "":
		_, ok = ix.keys[kind][r.Key]
	case r.ID != uuid.Nil:
		_, ok = ix.keys[kind][idKey(r.ID)]
	case r.Code != "":
		_, ok = ix.keys[kind][r.Code]
	case r.Wikidata != "":
		_, ok = ix.qids[kind][r.Wikidata]
	case r.GeoNames != 0:
		_, ok = ix.geonames[r.GeoNames]
	case r.URL != "":
		_, ok = ix.urls[r.URL]
	}
	return ok
}

// count is the number of entities of kind in the batch.
func (b *Batch) count(kind string) int {
	switch kind {
	case KindSource:
		return len(b.Sources)
	case KindCountry:
		return len(b.Countries)
	case KindDivision:
		return len(b.Divisions)
	case KindCity:
		return len(b.Cities)
	case KindOfficial:
		return len(b.Officials)
	case KindAgreement:
		return len(b.Agreements)
	case KindPartnership:
		return len(b.Partnerships)
	case KindInstitution:
		return len(b.Institutions)
	case KindFigure:
		return len(b.Figures)
	}
	return 0
}

// Check holds the batch to every rule that needs no database and records each problem
// in ps with its line and field: required fields, forms, enumerations, lengths, dates,
// duplicate identifiers within the file, reference forms, citations, and the
// relationship rules (rules.go) where the file itself says enough to apply them. They
// are the rules of the mutations (writes.go), for facts that come by file.
func (b *Batch) Check(ps *FileProblems) {
	v := batchChecker{ps: ps, languages: map[string]bool{}}
	keys := map[string]map[string]int{}
	dupKey := func(kind string, line int, field, key string, re *regexp.Regexp, what string) {
		if key == "" {
			ps.Addf(line, field, "required")
			return
		}
		if re == slugRE && isSlug(key) {
			// The common case, without the regular expression.
		} else if !re.MatchString(key) {
			ps.Addf(line, field, "%q is not %s", key, what)
		}
		if keys[kind] == nil {
			keys[kind] = make(map[string]int, b.count(kind))
		}
		if first, ok := keys[kind][key]; ok {
			ps.Addf(line, field, "duplicate %s %q (first on line %d)", kind, key, first)
			return
		}
		keys[kind][key] = line
	}
	const slugWhat = "a slug (lowercase letters and digits joined by single hyphens)"
	uniq := map[string]map[string]int{}
	unique := func(line int, field, what, value string) {
		if value == "" {
			return
		}
		if uniq[field] == nil {
			kind, _, _ := strings.Cut(field, ".")
			uniq[field] = make(map[string]int, b.count(kind))
		}
		if first, ok := uniq[field][value]; ok {
			ps.Addf(line, field, "duplicate %s %s (first on line %d)", what, value, first)
			return
		}
		uniq[field][value] = line
	}

	for _, s := range b.Sources {
		dupKey(KindSource, s.Line, "source.key", s.Key, slugRE, slugWhat)
		v.cleared(s.Line, KindSource, s.Cleared)
		v.text(s.Line, "source.title", s.Title, true, TitleText)
		v.text(s.Line, "source.publisher", s.Publisher, false, PublisherText)
		v.text(s.Line, "source.excerpt", s.Excerpt, false, ExcerptText)
		if s.URL != "" {
			if v.text(s.Line, "source.url", s.URL, false, URLText) && !urlRE.MatchString(s.URL) {
				ps.Addf(s.Line, "source.url", "%q is not an http or https URL", s.URL)
			}
			unique(s.Line, "source.url", "URL", fmt.Sprintf("%q", s.URL))
		}
		v.date(s.Line, "source.publishedOn", s.PublishedOn)
		if !v.list(s.Line, "source.languages", len(s.Languages), MaxLanguages) {
			continue
		}
		for i, l := range s.Languages {
			v.language(s.Line, fmt.Sprintf("source.languages[%d]", i), l)
			if strings.Contains(l, ",") || slices.Index(s.Languages, l) != i {
				ps.Addf(s.Line, fmt.Sprintf("source.languages[%d]", i), "duplicate language %q", l)
			}
		}
	}
	for _, c := range b.Countries {
		dupKey(KindCountry, c.Line, "country.code", c.Code, countryCode, "an ISO 3166-1 alpha-2 code (two capital letters)")
		v.cleared(c.Line, KindCountry, c.Cleared)
		v.text(c.Line, "country.name", c.Name, true, NameText)
		v.qid(c.Line, "country.wikidata", c.Wikidata)
		unique(c.Line, "country.wikidata", "Wikidata id", c.Wikidata)
		if v.list(c.Line, "country.names", len(c.Names), MaxNames) {
			for i, n := range c.Names {
				f := fmt.Sprintf("country.names[%d]", i)
				v.text(c.Line, f, n, true, NameText)
				if slices.Index(c.Names, n) != i {
					ps.Addf(c.Line, f, "duplicate name %q", n)
				}
			}
		}
	}
	divisions := make(map[string]int, len(b.Divisions))
	for _, d := range b.Divisions {
		v.required(d.Line, "division.country", d.Country)
		if !IsAdmin1Code(d.Code) {
			ps.Addf(d.Line, "division.code", "%q is not a GeoNames admin1 code (1 to 20 letters and digits)", d.Code)
		} else if first, ok := divisions[d.Key()]; ok {
			ps.Addf(d.Line, "division.code", "duplicate division %q (first on line %d)", d.Key(), first)
		} else {
			divisions[d.Key()] = d.Line
		}
		v.text(d.Line, "division.name", d.Name, true, NameText)
		v.text(d.Line, "division.asciiName", d.ASCIIName, false, NameText)
		if d.GeoNames != nil {
			if *d.GeoNames <= 0 {
				ps.Addf(d.Line, "division.geonames", "must be positive, got %d", *d.GeoNames)
			}
			unique(d.Line, "division.geonames", "GeoNames id", strconv.FormatInt(*d.GeoNames, 10))
		}
	}
	for i := range b.Cities { // by pointer, as in EachRef
		c := &b.Cities[i]
		dupKey(KindCity, c.Line, "city.key", c.Key, slugRE, slugWhat)
		v.cleared(c.Line, KindCity, c.Cleared)
		if slices.Contains(c.Cleared, "latitude") != slices.Contains(c.Cleared, "longitude") {
			ps.Addf(c.Line, "city.latitude", "latitude and longitude go together: set both to null to clear the location")
		}
		v.text(c.Line, "city.name", c.Name, true, NameText)
		v.required(c.Line, "city.country", c.Country)
		if c.Population != nil {
			if msg := PopulationProblem(*c.Population); msg != "" {
				ps.Addf(c.Line, "city.population", "%s", msg)
			}
		}
		if (c.Latitude == nil) != (c.Longitude == nil) {
			ps.Addf(c.Line, "city.latitude", "latitude and longitude go together: give both or neither")
		}
		if c.Latitude != nil && !(*c.Latitude >= -90 && *c.Latitude <= 90) {
			ps.Addf(c.Line, "city.latitude", "%v is not between -90 and 90", *c.Latitude)
		}
		if c.Longitude != nil && !(*c.Longitude >= -180 && *c.Longitude <= 180) {
			ps.Addf(c.Line, "city.longitude", "%v is not between -180 and 180", *c.Longitude)
		}
		v.qid(c.Line, "city.wikidata", c.Wikidata)
		unique(c.Line, "city.wikidata", "Wikidata id", c.Wikidata)
		if c.Admin1 != "" && !IsAdmin1Code(c.Admin1) {
			ps.Addf(c.Line, "city.admin1", "%q is not a GeoNames admin1 code (1 to 20 letters and digits)", c.Admin1)
		}
		if c.GeoNames != nil {
			if *c.GeoNames <= 0 {
				ps.Addf(c.Line, "city.geonames", "must be positive, got %d", *c.GeoNames)
			}
			unique(c.Line, "city.geonames", "GeoNames id", strconv.FormatInt(*c.GeoNames, 10))
		}
		v.names(c.Line, "city.names", c.Names)
		v.list(c.Line, "city.sources", len(c.Sources), MaxSourceRefs)
	}
	for _, o := range b.Officials {
		dupKey(KindOfficial, o.Line, "official.key", o.Key, slugRE, slugWhat)
		v.cleared(o.Line, KindOfficial, o.Cleared)
		v.text(o.Line, "official.name", o.Name, true, NameText)
		v.text(o.Line, "official.title", o.Title, false, TitleText)
		v.qid(o.Line, "official.wikidata", o.Wikidata)
		unique(o.Line, "official.wikidata", "Wikidata id", o.Wikidata)
		v.names(o.Line, "official.names", o.Names)
		v.cites(o.Line, "official.sources", o.Sources)
	}
	// The relationship rules, where the file says enough: references by key that the
	// file itself defines. Other forms name rows the store resolves, and it holds them
	// to the rules that need the database.
	officialCity := map[Ref]Ref{}
	for _, o := range b.Officials {
		if o.City != nil && o.Key != "" {
			officialCity[Ref{Key: o.Key}] = *o.City
		}
	}
	parties := map[string][]uuid.UUID{}
	for _, a := range b.Agreements {
		for _, c := range a.Parties {
			if c.Key == "" {
				parties[a.Key] = nil
				break
			}
			parties[a.Key] = append(parties[a.Key], KeyID(KindCity, c.Key))
		}
	}
	for _, a := range b.Agreements {
		dupKey(KindAgreement, a.Line, "agreement.key", a.Key, slugRE, slugWhat)
		v.cleared(a.Line, KindAgreement, a.Cleared)
		v.text(a.Line, "agreement.title", a.Title, true, TitleText)
		v.enum(a.Line, "agreement.kind", a.Kind, agreementKindNames)
		v.date(a.Line, "agreement.signedOn", a.SignedOn)
		v.text(a.Line, "agreement.summary", a.Summary, false, SummaryText)
		if !v.list(a.Line, "agreement.areas", len(a.Areas), MaxAreas) ||
			!v.list(a.Line, "agreement.parties", len(a.Parties), MaxParties) ||
			!v.list(a.Line, "agreement.signatories", len(a.Signatories), MaxSignatories) ||
			!v.list(a.Line, "agreement.institutions", len(a.Institutions), MaxLinks) {
			continue // lists that long are not looked at item by item
		}
		for i, area := range a.Areas {
			f := fmt.Sprintf("agreement.areas[%d]", i)
			v.enum(a.Line, f, area, areaNames)
			if slices.Index(a.Areas, area) != i {
				ps.Addf(a.Line, f, "duplicate area %q", area)
			}
		}
		if len(a.Parties) == 0 {
			ps.Addf(a.Line, "agreement.parties", "required: at least one party city")
		}
		v.noRepeats(a.Line, "agreement.parties", a.Parties)
		for i, s := range a.Signatories {
			f := fmt.Sprintf("agreement.signatories[%d]", i)
			v.required(a.Line, f+".official", s.Official)
			if !s.Official.IsZero() && slices.IndexFunc(a.Signatories, func(o SignatoryRecord) bool { return o.Official == s.Official }) != i {
				ps.Addf(a.Line, f+".official", "%s already signs this agreement", s.Official)
			}
			v.required(a.Line, f+".party", s.Party)
			if !s.Party.IsZero() && !slices.Contains(a.Parties, s.Party) {
				ps.Addf(a.Line, f+".party", "%s is not one of this agreement's parties (write it as in parties)", s.Party)
			}
			if city, ok := officialCity[s.Official]; ok && !s.Party.IsZero() && s.Party.Key != "" && city.Key != "" {
				var rp Problems
				RepresentsParty(&rp, nil, KeyID(KindCity, city.Key), []uuid.UUID{KeyID(KindCity, s.Party.Key)})
				if rp.Any() {
					ps.Addf(a.Line, f+".party", "official %s represents city %s and signs for it, not for %s", s.Official, city, s.Party)
				}
			}
			v.text(a.Line, f+".role", s.Role, false, RoleText)
		}
		v.noRepeats(a.Line, "agreement.institutions", a.Institutions)
		v.cites(a.Line, "agreement.sources", a.Sources)
	}
	type partnershipTie struct {
		cities [2]Ref
		kind   string
	}
	ties := map[partnershipTie]int{}
	for _, p := range b.Partnerships {
		dupKey(KindPartnership, p.Line, "partnership.key", p.Key, slugRE, slugWhat)
		v.cleared(p.Line, KindPartnership, p.Cleared)
		v.enum(p.Line, "partnership.kind", p.Kind, partnershipKindNames)
		switch {
		case len(p.Cities) != 2:
			ps.Addf(p.Line, "partnership.cities", "must name exactly two cities, got %d", len(p.Cities))
		case p.Cities[0] == p.Cities[1] && !p.Cities[0].IsZero():
			ps.Addf(p.Line, "partnership.cities", "a partnership joins two different cities, got %s twice", p.Cities[0])
		}
		since, okS := v.date(p.Line, "partnership.since", p.Since)
		until, okU := v.date(p.Line, "partnership.until", p.Until)
		// As for a mutation (PartnershipWrite.Check): only an until whose period ends
		// before since's begins is impossible.
		if okS && okU && until.Last().Before(since.First()) {
			ps.Addf(p.Line, "partnership.until", "%s is before since %s", p.Until, p.Since)
		}
		if len(p.Cities) == 2 && p.Cities[0] != p.Cities[1] && !p.Cities[0].IsZero() && !p.Cities[1].IsZero() {
			// The store keeps a tie once whichever way round it is written.
			pair := [2]Ref{p.Cities[0].Normalize(KindCity), p.Cities[1].Normalize(KindCity)}
			if pair[1].String() < pair[0].String() {
				pair[0], pair[1] = pair[1], pair[0]
			}
			tie := partnershipTie{pair, p.Kind}
			if first, ok := ties[tie]; ok {
				ps.Addf(p.Line, "partnership.cities", "another %s partnership of %s and %s is on line %d", p.Kind, pair[0], pair[1], first)
			} else {
				ties[tie] = p.Line
			}
			if between, ok := parties[refKeyOf(p.Agreement)]; ok && between != nil && p.Cities[0].Key != "" && p.Cities[1].Key != "" {
				var rp Problems
				AgreementJoinsPartners(&rp, nil, [2]uuid.UUID{KeyID(KindCity, p.Cities[0].Key), KeyID(KindCity, p.Cities[1].Key)}, between)
				if rp.Any() {
					ps.Addf(p.Line, "partnership.agreement", "%s is not between the partnership's two cities: both must be among its parties", *p.Agreement)
				}
			}
		}
		v.cites(p.Line, "partnership.sources", p.Sources)
	}
	for _, in := range b.Institutions {
		dupKey(KindInstitution, in.Line, "institution.key", in.Key, slugRE, slugWhat)
		v.cleared(in.Line, KindInstitution, in.Cleared)
		v.text(in.Line, "institution.name", in.Name, true, InstitutionNameText)
		v.enum(in.Line, "institution.kind", in.Kind, institutionKindNames)
		v.required(in.Line, "institution.city", in.City)
		v.date(in.Line, "institution.foundedOn", in.FoundedOn)
		v.text(in.Line, "institution.description", in.Description, false, SummaryText)
		v.list(in.Line, "institution.agreements", len(in.Agreements), MaxLinks)
		v.qid(in.Line, "institution.wikidata", in.Wikidata)
		unique(in.Line, "institution.wikidata", "Wikidata id", in.Wikidata)
		v.noRepeats(in.Line, "institution.agreements", in.Agreements)
		v.cites(in.Line, "institution.sources", in.Sources)
	}
	type figureFact struct {
		city         Ref
		metric, asOf string
		source       Ref
	}
	facts := map[figureFact]int{}
	for _, f := range b.Figures {
		dupKey(KindFigure, f.Line, "figure.key", f.Key, slugRE, slugWhat)
		v.cleared(f.Line, KindFigure, f.Cleared)
		v.required(f.Line, "figure.city", f.City)
		v.enum(f.Line, "figure.metric", f.Metric, figureMetricNames)
		switch {
		case f.Value == nil:
			ps.Addf(f.Line, "figure.value", "required")
		case *f.Value < 0 || *f.Value > MaxFigure:
			ps.Addf(f.Line, "figure.value", "%d is not between 0 and %d", *f.Value, MaxFigure)
		}
		v.date(f.Line, "figure.asOf", f.AsOf)
		if f.Source.IsZero() && f.Source.bad == "" {
			ps.Addf(f.Line, "figure.source", "required: a figure cites the source that states it")
		}
		// The store keeps one figure per city, metric, date and source.
		if !f.City.IsZero() && !f.Source.IsZero() && f.Metric != "" {
			same := figureFact{f.City, f.Metric, f.AsOf, f.Source}
			if first, ok := facts[same]; ok {
				ps.Addf(f.Line, "figure", "line %d already states %s of city %s as of %q by source %s", first, f.Metric, f.City, f.AsOf, f.Source)
			} else {
				facts[same] = f.Line
			}
		}
	}
	perSubject := map[[2]string]int{}
	for _, st := range b.Statements {
		v.cleared(st.Line, KindStatement, st.Cleared)
		kind, r, n := st.Subject.Of()
		switch {
		case n != 1:
			ps.Addf(st.Line, "statement.subject", "give exactly one of city, official, agreement, partnership, institution")
		case r.IsZero() && r.bad == "":
			ps.Addf(st.Line, "statement.subject."+kind, "required")
		default:
			k := [2]string{kind, r.Normalize(kind).KeyText()}
			if perSubject[k]++; perSubject[k] == MaxStatements+1 {
				ps.Addf(st.Line, "statement.subject."+kind, "%s %s already has %d statements, at most %d", kind, r, MaxStatements, MaxStatements)
			}
		}
		switch {
		case st.Property == "":
			ps.Addf(st.Line, "statement.property", "required")
		case !propertyRE.MatchString(st.Property):
			ps.Addf(st.Line, "statement.property", "%q is not a property name (a letter, then up to 63 letters, digits, '_' or '.')", st.Property)
		}
		v.text(st.Line, "statement.value", st.Value, true, StatementValueText)
		v.required(st.Line, "statement.source", st.Source)
		v.text(st.Line, "statement.quote", st.Quote, false, QuoteText)
	}

	// A reference is usually repeated (a gazetteer names a few countries and one
	// source a million times): one that passed is not checked again.
	var passed RefMap[bool]
	b.EachRef(func(u RefUse) {
		if _, ok := passed.Get(u.Kind, u.Ref); ok {
			return
		}
		before := ps.Len()
		v.refForm(u)
		if ps.Len() == before {
			passed.Put(u.Kind, u.Ref, true)
		}
	})
}

type batchChecker struct {
	ps *FileProblems
	// languages holds the language tags already found well-formed.
	languages map[string]bool
}

// article is the indefinite article of a kind's name.
func article(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}

// refKeyOf is the key an optional reference gives, or "".
func refKeyOf(r *Ref) string {
	if r == nil {
		return ""
	}
	return r.Key
}

// isSlug is slugRE's test, by hand: ^[a-z0-9]+(-[a-z0-9]+)*$.
func isSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// textOK reports whether text() finds nothing wrong with a required s.
func textOK(s string, rule TextRule) bool {
	return strings.TrimSpace(s) != "" && rule.Problem(s) == ""
}

// text holds a field to the rule of its kind (TextRule: UTF-8, control
// characters, length), the same as the API's, and reports whether it passed.
func (v batchChecker) text(line int, field, s string, required bool, rule TextRule) bool {
	if msg := rule.Problem(s); msg != "" {
		v.ps.Addf(line, field, "%s", msg)
		return false
	}
	if strings.TrimSpace(s) == "" && required {
		v.ps.Addf(line, field, "required")
		return false
	}
	return true
}

// list holds a list to its cap (Max*), and reports whether it passed.
func (v batchChecker) list(line int, field string, n, max int) bool {
	if msg := ListProblem(n, max); msg != "" {
		v.ps.Addf(line, field, "%s", msg)
		return false
	}
	return true
}

func (v batchChecker) enum(line int, field, s string, allowed []string) {
	if s == "" {
		v.ps.Addf(line, field, "required")
		return
	}
	if !slices.Contains(allowed, s) {
		v.ps.Addf(line, field, "%q is not one of %s", s, strings.Join(allowed, ", "))
	}
}

// cleared refuses a null on a field that is not Clearable: a required field cannot be
// cleared, and a list is added to, never shortened, by an import.
func (v batchChecker) cleared(line int, kind string, fields []string) {
	for _, f := range fields {
		switch {
		case slices.Contains(Clearable[kind], f):
		case len(Clearable[kind]) == 0:
			v.ps.Addf(line, kind+"."+f, "null clears nothing on a %s line; leave the field out instead", kind)
		default:
			v.ps.Addf(line, kind+"."+f, "null clears only an optional value (%s); leave the field out instead",
				strings.Join(Clearable[kind], ", "))
		}
	}
}

// date checks a date by the one rule of dates, ParseDate, and its year by the limit
// of dates, DateProblem.
func (v batchChecker) date(line int, field, s string) (Date, bool) {
	if s == "" {
		return Date{}, false
	}
	d, err := ParseDate(s)
	if err != nil {
		v.ps.Addf(line, field, "%s", err)
		return Date{}, false
	}
	if msg := DateProblem(d); msg != "" {
		v.ps.Addf(line, field, "%s", msg)
		return Date{}, false
	}
	return d, true
}

func (v batchChecker) language(line int, field, s string) {
	if s == "" {
		v.ps.Addf(line, field, "required")
		return
	}
	if v.languages[s] {
		return
	}
	if languageTag.MatchString(s) {
		if v.languages != nil {
			v.languages[s] = true
		}
	} else {
		v.ps.Addf(line, field, "%q is not a lowercase BCP 47 language tag such as \"zh\", \"zh-Hans\" or \"und\"", s)
	}
}

func (v batchChecker) qid(line int, field, s string) {
	if s != "" && !ValidWikidataID(s) {
		v.ps.Addf(line, field, "%q is not a Wikidata id such as \"Q42\"", s)
	}
}

func (v batchChecker) required(line int, field string, r Ref) {
	if r.IsZero() && r.bad == "" {
		v.ps.Addf(line, field, "required")
	}
}

// cites enforces provenance: a fact-bearing line names at least one source.
func (v batchChecker) cites(line int, field string, rs []Ref) {
	if len(rs) == 0 {
		v.ps.Addf(line, field, "required: cite at least one source (a source key or {\"url\": ...})")
	}
	if v.list(line, field, len(rs), MaxSourceRefs) {
		v.noRepeats(line, field, rs)
	}
}

func (v batchChecker) noRepeats(line int, field string, rs []Ref) {
	for i, r := range rs {
		if !r.IsZero() && slices.Index(rs, r) != i {
			v.ps.Addf(line, fmt.Sprintf("%s[%d]", field, i), "%s is named twice", r)
		}
	}
}

func (v batchChecker) names(line int, field string, ns []NameRecord) {
	if !v.list(line, field, len(ns), MaxNames) {
		return
	}
	for i, n := range ns {
		if v.languages[n.Language] && textOK(n.Name, NameText) &&
			slices.IndexFunc(ns, func(o NameRecord) bool { return o.Language == n.Language && o.Name == n.Name }) == i {
			continue // the common case, without formatting the field
		}
		f := fmt.Sprintf("%s[%d]", field, i)
		v.language(line, f+".language", n.Language)
		v.text(line, f+".name", n.Name, true, NameText)
		if slices.IndexFunc(ns, func(o NameRecord) bool { return o.Language == n.Language && o.Name == n.Name }) != i {
			v.ps.Addf(line, f, "duplicate name %q in language %q", n.Name, n.Language)
		}
	}
}

// refForms lists the identifiers each kind is referred to by.
var refForms = map[string]string{
	KindSource:      "key, url",
	KindCountry:     "code (or a plain string), wikidata",
	KindCity:        "key, wikidata, geonames, or name and country",
	KindOfficial:    "key, wikidata",
	KindInstitution: "key, wikidata",
	KindAgreement:   "key",
	KindPartnership: "key",
}

// byName checks a reference to a city by name and country (see Ref).
func (v batchChecker) byName(u RefUse) {
	r := u.Ref
	if r.Name == "" {
		v.ps.Addf(u.Line, u.Field()+".name", "required with a country")
	} else {
		v.text(u.Line, u.Field()+".name", r.Name, true, NameText)
	}
	if r.Country == "" {
		v.ps.Addf(u.Line, u.Field()+".country", "required with a name (an ISO 3166-1 alpha-2 code or the country's name)")
	} else {
		v.text(u.Line, u.Field()+".country", r.Country, true, NameText)
	}
	v.text(u.Line, u.Field()+".admin1", r.Admin1, false, NameText)
	if r.Located && (r.Lat < -90 || r.Lat > 90 || r.Lon < -180 || r.Lon > 180) {
		v.ps.Addf(u.Line, u.Field()+".latitude", "coordinates %g,%g are out of range (latitude -90..90, longitude -180..180)", r.Lat, r.Lon)
	}
}

// refForm checks that a reference uses exactly one identifier, one its kind has, in
// the right form.
func (v batchChecker) refForm(u RefUse) {
	r := u.Ref
	if r.bad != "" {
		v.ps.Addf(u.Line, u.Field(), "%s", r.bad)
		return
	}
	set := 0
	if r.ByName() {
		set++
	}
	for _, b := range []bool{r.Key != "", r.Wikidata != "", r.GeoNames != 0, r.Code != "", r.URL != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		v.ps.Addf(u.Line, u.Field(), "a reference gives exactly one of key, wikidata, geonames, code, url, or a city's name and country")
		return
	}
	allowed := refForms[u.Kind]
	ok := true
	switch {
	case r.ByName():
		ok = u.Kind == KindCity
		if ok {
			v.byName(u)
		}
	case r.Key != "":
		ok = u.Kind != KindCountry
		if ok && !isSlug(r.Key) {
			v.ps.Addf(u.Line, u.Field(), "%q is not a slug key", r.Key)
		}
	case r.Code != "":
		ok = u.Kind == KindCountry
		if ok && !countryCode.MatchString(r.Code) {
			v.ps.Addf(u.Line, u.Field(), "%q is not an ISO 3166-1 alpha-2 code (two capital letters)", r.Code)
		}
	case r.Wikidata != "":
		ok = u.Kind != KindSource && u.Kind != KindAgreement && u.Kind != KindPartnership
		if ok {
			v.qid(u.Line, u.Field(), r.Wikidata)
		}
	case r.GeoNames != 0:
		ok = u.Kind == KindCity
		if ok && r.GeoNames < 0 {
			v.ps.Addf(u.Line, u.Field(), "GeoNames id must be positive, got %d", r.GeoNames)
		}
	case r.URL != "":
		ok = u.Kind == KindSource
		if msg := URLText.Problem(r.URL); ok && msg != "" {
			v.ps.Addf(u.Line, u.Field(), "%s", msg)
		}
	}
	if !ok {
		v.ps.Addf(u.Line, u.Field(), "%s %s is referred to by %s", article(u.Kind), u.Kind, allowed)
	}
}
