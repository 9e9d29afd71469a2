package knowledge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// A Batch is a set of facts as they arrive by file: the shipped knowledge, an NDJSON
// knowledge file, a GeoNames gazetteer or the ISO 3166 country list all decode into
// one. Its entities are keyed records that refer to each other by Ref (a key, or a
// natural identifier), never by id; Check holds a batch to the same rules as the
// mutations, and the store writes it in one transaction, resolving each Ref against
// the batch and the database.

// The kinds of entity a batch holds. Each kind is its own key space, so a city and an
// official may share a key without sharing an id.
const (
	KindSource      = "source"
	KindCountry     = "country"
	KindDivision    = "division"
	KindCity        = "city"
	KindOfficial    = "official"
	KindAgreement   = "agreement"
	KindPartnership = "partnership"
	KindInstitution = "institution"
	KindFigure      = "figure"
	KindStatement   = "statement"
)

// Kinds lists the entity kinds in the order the store writes them (parents first),
// which is also the order of a summary. Statements are not entities of their own: they
// change their subject.
var Kinds = []string{KindSource, KindCountry, KindDivision, KindCity, KindOfficial, KindInstitution, KindAgreement, KindPartnership, KindFigure}

// KeyNamespace is the UUIDv5 namespace of every id derived from a key. It must never
// change: the ids it yields are the public, stable global ids of the shipped facts.
var KeyNamespace = uuid.MustParse("052c999d-bdca-4051-8e36-8326a972f045")

// KeyID is the id of the entity of the given kind and key: UUIDv5 of kind+":"+key in
// KeyNamespace. The same key yields the same id in every database, which keeps the
// shipped facts' global ids stable and makes re-importing a file idempotent.
func KeyID(kind, key string) uuid.UUID {
	return uuid.NewSHA1(KeyNamespace, []byte(kind+":"+key))
}

// StatementKey derives a statement's key from its subject, property, source and n, its
// 1-based ordinal among the subject's statements of that property and source. Keying by
// property and source rather than by position keeps ids stable when statements are
// added to a subject or reordered across properties. subject and source are the
// references as written (see Ref.KeyText).
func StatementKey(subjectKind, subject, property, source string, n int) string {
	return fmt.Sprintf("%s/%s/%s/%s/%d", subjectKind, subject, property, source, n)
}

// Ref refers to an entity by one stable identifier: its key (for a country, its ISO
// code), its Wikidata item, its GeoNames id (cities), its ISO code (countries) or its
// URL (sources). In JSON it is a string (a key, or a country's code) or an object with
// exactly one of "key", "wikidata", "geonames", "code" and "url".
type Ref struct {
	Key      string `json:"key,omitempty"`
	Wikidata string `json:"wikidata,omitempty"`
	GeoNames int64  `json:"geonames,omitempty"`
	Code     string `json:"code,omitempty"`
	URL      string `json:"url,omitempty"`

	// A city may also be named by its name and country (an ISO code or the country's
	// name), optionally with coordinates, and Create to create it when no stored city
	// matches: the store reconciles it by the rule of docs/import.md ("Cities by
	// name"). Lat and Lon hold the coordinates when Located is set; they are values,
	// not pointers, so that a Ref stays comparable by value.
	Name    string `json:"name,omitempty"`
	Country string `json:"country,omitempty"`
	// Admin1 narrows a name to a first-level division: its GeoNames admin1 code
	// ("01") or its name ("Córdoba").
	Admin1  string  `json:"admin1,omitempty"`
	Lat     float64 `json:"-"`
	Lon     float64 `json:"-"`
	Located bool    `json:"-"`
	Create  bool    `json:"create,omitempty"`

	// ID names a stored entity (or one of the batch's records, by its Entry.ID) by
	// its id: how a mutation, which knows ids and not keys, refers.
	ID uuid.UUID `json:"-"`

	// bad holds why the JSON was not a reference; Check reports it with its path,
	// which an error returned from UnmarshalJSON would lose.
	bad string
}

// UnmarshalJSON accepts a string or an object; a malformed value is kept for Check.
func (r *Ref) UnmarshalJSON(b []byte) error {
	*r = Ref{}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		r.Key = s
		return nil
	}
	var p struct {
		Key       string   `json:"key"`
		Wikidata  string   `json:"wikidata"`
		GeoNames  int64    `json:"geonames"`
		Code      string   `json:"code"`
		URL       string   `json:"url"`
		Name      string   `json:"name"`
		Country   string   `json:"country"`
		Admin1    string   `json:"admin1"`
		Latitude  *float64 `json:"latitude"`
		Longitude *float64 `json:"longitude"`
		Create    bool     `json:"create"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		r.bad = fmt.Sprintf("not a reference (want a key, or an object with one of key, wikidata, geonames, code, url, or a city's name and country): %s", strings.TrimPrefix(err.Error(), "json: "))
		return nil
	}
	*r = Ref{Key: p.Key, Wikidata: p.Wikidata, GeoNames: p.GeoNames, Code: p.Code, URL: p.URL,
		Name: p.Name, Country: p.Country, Admin1: p.Admin1, Create: p.Create}
	switch {
	case (p.Latitude == nil) != (p.Longitude == nil):
		r.bad = "latitude and longitude go together"
	case p.Latitude != nil:
		r.Lat, r.Lon, r.Located = *p.Latitude, *p.Longitude, true
	}
	return nil
}

// IsZero reports whether the reference names nothing.
func (r Ref) IsZero() bool { return r == Ref{} }

// ByName reports whether the reference names a city by its name and country.
func (r Ref) ByName() bool {
	return r.Name != "" || r.Country != "" || r.Admin1 != "" || r.Located || r.Create
}

// String renders the reference as it reads in an error message.
func (r Ref) String() string {
	switch {
	case r.Key != "":
		return fmt.Sprintf("%q", r.Key)
	case r.ID != uuid.Nil:
		return "with id " + r.ID.String()
	case r.Wikidata != "":
		return fmt.Sprintf("with Wikidata id %q", r.Wikidata)
	case r.GeoNames != 0:
		return fmt.Sprintf("with GeoNames id %d", r.GeoNames)
	case r.Code != "":
		return fmt.Sprintf("%q", r.Code)
	case r.URL != "":
		return fmt.Sprintf("with URL %q", r.URL)
	case r.ByName():
		in := fmt.Sprintf("%q in %q", r.Name, r.Country)
		if r.Admin1 != "" {
			in = fmt.Sprintf("%q in %q, %q", r.Name, r.Admin1, r.Country)
		}
		if r.Located {
			return fmt.Sprintf("%s near %.4f,%.4f", in, r.Lat, r.Lon)
		}
		return in
	}
	return "(none)"
}

// KeyText is the reference as a statement's key spells it: the key itself, so that a
// statement about a keyed subject citing a keyed source keeps the id it has always had,
// and otherwise the identifier with its name ("wikidata:Q42", "geonames:2038349",
// "url:https://…").
func (r Ref) KeyText() string {
	switch {
	case r.Key != "":
		return r.Key
	case r.Code != "":
		return r.Code
	case r.ID != uuid.Nil:
		return "id:" + r.ID.String()
	case r.Wikidata != "":
		return "wikidata:" + r.Wikidata
	case r.GeoNames != 0:
		return fmt.Sprintf("geonames:%d", r.GeoNames)
	case r.URL != "":
		return "url:" + r.URL
	case r.ByName() && r.Admin1 != "":
		// Two Córdobas of one country are two subjects.
		return "name:" + r.Country + "/" + r.Admin1 + "/" + r.Name
	case r.ByName():
		return "name:" + r.Country + "/" + r.Name
	}
	return ""
}

// Normalize returns the reference in the one form the store looks it up by: a
// country's key is its code.
func (r Ref) Normalize(kind string) Ref {
	if kind == KindCountry && r.Key != "" {
		return Ref{Code: r.Key}
	}
	return r
}

// Batch is one file's facts, each record with the line it came from.
type Batch struct {
	File string
	// Format names the file format the batch was read from (ndjson, geonames, iso3166).
	Format       string
	Sources      []SourceRecord
	Countries    []CountryRecord
	Divisions    []DivisionRecord
	Cities       []CityRecord
	Officials    []OfficialRecord
	Agreements   []AgreementRecord
	Partnerships []PartnershipRecord
	Institutions []InstitutionRecord
	Figures      []FigureRecord
	Statements   []StatementRecord

	index *batchIndex
}

// Len is the number of entities in the batch (statements are not entities).
func (b *Batch) Len() int {
	return len(b.Sources) + len(b.Countries) + len(b.Divisions) + len(b.Cities) + len(b.Officials) + len(b.Agreements) +
		len(b.Partnerships) + len(b.Institutions) + len(b.Figures)
}

// Clearable lists, for each kind, the optional fields a file may set to null, by their
// names in the file. A field a line leaves out keeps its stored value (a gazetteer that
// knows no Wikidata ids does not erase them); a field a line sets to null clears it, so
// that a correction ("the source gives no date after all") can be imported. A record
// keeps the names of the fields its line set to null in Cleared, and Check refuses a
// null anywhere else: a required field, and the lists, which an import adds to and
// never shortens.
var Clearable = map[string][]string{
	KindSource:      {"publisher", "url", "publishedOn", "excerpt"},
	KindCountry:     {"wikidata"},
	KindCity:        {"population", "latitude", "longitude", "wikidata", "geonames"},
	KindOfficial:    {"title", "city", "wikidata"},
	KindAgreement:   {"signedOn", "signedIn", "summary"},
	KindPartnership: {"since", "until", "agreement"},
	KindInstitution: {"foundedOn", "description", "wikidata"},
}

// Entry is what every record carries besides its facts: where it came from, which
// of its fields it clears, and, for a record a mutation makes, which stored entity it
// writes and how.
type Entry struct {
	Line int `json:"-"`
	// Cleared lists the fields the line sets to null (see Clearable).
	Cleared []string `json:"-"`
	// ID is the entity's id when a mutation names it: the stored entity an update
	// changes, or the id a create gives the new one. A file's record has none; its id
	// derives from its key (KeyID).
	ID uuid.UUID `json:"-"`
	// Version, for an update, is the version of the entity the writer read: the write
	// is refused (STALE_VERSION) when the stored entity has another, and NOT_FOUND
	// when there is none. Nil for a create and for a file's record.
	Version *int `json:"-"`
	// Replace names the lists the record states whole (such as "names" or
	// "parties"): what is stored beyond them is removed. A file's lists only add.
	Replace []string `json:"-"`
}

// Replaces reports whether the record states the list whole.
func (e Entry) Replaces(list string) bool { return slices.Contains(e.Replace, list) }

// SourceRecord is a document that states facts.
type SourceRecord struct {
	Entry
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Publisher   string   `json:"publisher,omitempty"`
	URL         string   `json:"url,omitempty"`
	PublishedOn string   `json:"publishedOn,omitempty"`
	Languages   []string `json:"languages,omitempty"`
	Excerpt     string   `json:"excerpt,omitempty"`
}

// CountryRecord is keyed by its ISO 3166-1 alpha-2 code. Names are its other names
// (the official name, the ISO short name a common name replaces): added, never
// removed.
type CountryRecord struct {
	Entry
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Wikidata string   `json:"wikidata,omitempty"`
	Names    []string `json:"names,omitempty"`
}

// DivisionRecord is a country's first-level division as GeoNames' admin1CodesASCII.txt
// gives it, keyed by its country and its admin1 code (DivisionKey).
type DivisionRecord struct {
	Line      int
	Country   Ref // by code
	Code      string
	Name      string
	ASCIIName string // "" when not given
	GeoNames  *int64
}

// Key is the division's key, its country's code and its admin1 code as GeoNames
// writes them ("AR.05"); its id is KeyID(KindDivision, key).
func (d DivisionRecord) Key() string { return d.Country.Code + "." + d.Code }

// NameRecord is one spelling of a city's or official's name in one language. Source is
// optional because an entity's own name needs no citation; a spelling a document uses
// should cite it.
type NameRecord struct {
	Language string `json:"language"`
	Name     string `json:"name"`
	Source   *Ref   `json:"source,omitempty"`
}

// CityRecord is a city; GeoNames rows become cities keyed "geonames-<id>".
type CityRecord struct {
	Entry
	Key        string   `json:"key"`
	Name       string   `json:"name"`
	Country    Ref      `json:"country"`
	Population *int64   `json:"population,omitempty"`
	Latitude   *float64 `json:"latitude,omitempty"`
	Longitude  *float64 `json:"longitude,omitempty"`
	Wikidata   string   `json:"wikidata,omitempty"`
	GeoNames   *int64   `json:"geonames,omitempty"`
	// Admin1 is the GeoNames admin1 code of the city's first-level division, unique
	// within its country ("" when not given).
	Admin1  string       `json:"admin1,omitempty"`
	Names   []NameRecord `json:"names,omitempty"`
	Sources []Ref        `json:"sources,omitempty"`
}

// OfficialRecord is a person who acts for a city.
type OfficialRecord struct {
	Entry
	Key      string       `json:"key"`
	Name     string       `json:"name"`
	Title    string       `json:"title,omitempty"`
	City     *Ref         `json:"city,omitempty"`
	Wikidata string       `json:"wikidata,omitempty"`
	Names    []NameRecord `json:"names,omitempty"`
	Sources  []Ref        `json:"sources"`
}

// AgreementRecord is a signed document between cities.
type AgreementRecord struct {
	Entry
	Key          string            `json:"key"`
	Title        string            `json:"title"`
	Kind         string            `json:"kind"`
	SignedOn     string            `json:"signedOn,omitempty"`
	SignedIn     *Ref              `json:"signedIn,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	Areas        []string          `json:"areas,omitempty"`
	Parties      []Ref             `json:"parties"`
	Signatories  []SignatoryRecord `json:"signatories,omitempty"`
	Institutions []Ref             `json:"institutions,omitempty"`
	Sources      []Ref             `json:"sources"`
}

// SignatoryRecord is an official who signed for one of the agreement's parties.
type SignatoryRecord struct {
	Official Ref    `json:"official"`
	Party    Ref    `json:"party"`
	Role     string `json:"role,omitempty"`
}

// PartnershipRecord is a tie between two cities, in either order.
type PartnershipRecord struct {
	Entry
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	Cities    []Ref  `json:"cities"`
	Since     string `json:"since,omitempty"`
	Until     string `json:"until,omitempty"`
	Agreement *Ref   `json:"agreement,omitempty"`
	Sources   []Ref  `json:"sources"`
}

// InstitutionRecord is a university, company or other body in a city.
type InstitutionRecord struct {
	Entry
	Key         string `json:"key"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	City        Ref    `json:"city"`
	FoundedOn   string `json:"foundedOn,omitempty"`
	Description string `json:"description,omitempty"`
	Wikidata    string `json:"wikidata,omitempty"`
	Agreements  []Ref  `json:"agreements,omitempty"`
	Sources     []Ref  `json:"sources"`
}

// FigureRecord is a number a source states about a city ("friendly ties with 93
// cities"), kept apart from what the graph itself can count.
type FigureRecord struct {
	Entry
	Key    string `json:"key"`
	City   Ref    `json:"city"`
	Metric string `json:"metric"`
	Value  *int64 `json:"value"` // a pointer so that a missing value is an error, not 0
	AsOf   string `json:"asOf,omitempty"`
	Source Ref    `json:"source"`
}

// StatementRecord is one source's word on one property of one entity, its subject:
// where sources disagree (a spelling, a date), each keeps its own statement and the
// entity's own field holds the reconciled value.
type StatementRecord struct {
	Entry
	Subject  SubjectRef `json:"subject"`
	Property string     `json:"property"`
	Value    string     `json:"value"`
	Source   Ref        `json:"source"`
	Quote    string     `json:"quote,omitempty"` // verbatim text of the source, where there is one
}

// SubjectRef names the entity a statement is about: exactly one of its fields, named
// for the entity's kind (a Subject), holds a reference to it ({"official": "sergey-cheremin"}).
type SubjectRef struct {
	City        *Ref `json:"city,omitempty"`
	Official    *Ref `json:"official,omitempty"`
	Agreement   *Ref `json:"agreement,omitempty"`
	Partnership *Ref `json:"partnership,omitempty"`
	Institution *Ref `json:"institution,omitempty"`
}

// Of returns the subject's kind (a Subject) and reference; n is how many kinds were
// given, which Check requires to be exactly one.
func (s SubjectRef) Of() (kind string, ref Ref, n int) {
	for _, c := range []struct {
		kind string
		ref  *Ref
	}{{string(CitySubject), s.City}, {string(OfficialSubject), s.Official}, {string(AgreementSubject), s.Agreement},
		{string(PartnershipSubject), s.Partnership}, {string(InstitutionSubject), s.Institution}} {
		if c.ref != nil {
			kind, ref = c.kind, *c.ref
			n++
		}
	}
	return kind, ref, n
}

// StatementKeys returns the derived key of each statement of the batch, in order: the
// key of its id, KeyID(KindStatement, key).
func (b *Batch) StatementKeys() []string {
	type group struct {
		kind, subject, property, source string
	}
	seen := map[group]int{}
	keys := make([]string, len(b.Statements))
	for i, s := range b.Statements {
		kind, ref, _ := s.Subject.Of()
		g := group{kind, ref.Normalize(kind).KeyText(), s.Property, s.Source.KeyText()}
		seen[g]++
		keys[i] = StatementKey(g.kind, g.subject, g.property, g.source, seen[g])
	}
	return keys
}

// EachEntry calls f with the kind and Entry of every record that is an entity, kind
// by kind.
func (b *Batch) EachEntry(f func(kind string, e Entry)) {
	for _, r := range b.Sources {
		f(KindSource, r.Entry)
	}
	for _, r := range b.Countries {
		f(KindCountry, r.Entry)
	}
	for _, r := range b.Cities {
		f(KindCity, r.Entry)
	}
	for _, r := range b.Officials {
		f(KindOfficial, r.Entry)
	}
	for _, r := range b.Institutions {
		f(KindInstitution, r.Entry)
	}
	for _, r := range b.Agreements {
		f(KindAgreement, r.Entry)
	}
	for _, r := range b.Partnerships {
		f(KindPartnership, r.Entry)
	}
	for _, r := range b.Figures {
		f(KindFigure, r.Entry)
	}
}
