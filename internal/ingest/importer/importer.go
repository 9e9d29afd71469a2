// Package importer reads the bulk import formats of `amity import` (Amity's NDJSON
// knowledge format, the GeoNames gazetteer and the ISO 3166-1 JSON of Debian's
// iso-codes), validates them into a Batch, and reports progress and a summary. It knows
// nothing of SQL: the store (internal/postgres) writes a validated Batch in one
// transaction.
package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/amity/amity/internal/ingest/seed"
)

// Format names an import file format.
type Format string

// The formats Parse reads. FormatAuto picks one from the file's name and first bytes.
const (
	FormatAuto     Format = "auto"
	FormatNDJSON   Format = "ndjson"
	FormatGeoNames Format = "geonames"
	FormatISO3166  Format = "iso3166"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatAuto, FormatNDJSON, FormatGeoNames, FormatISO3166:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, ndjson, geonames or iso3166)", s)
}

// Detect picks the format of a file from its name and its first bytes. The extension
// decides when it is unambiguous; otherwise the content does, because GeoNames dumps
// are often renamed.
func Detect(name string, head []byte) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ndjson", ".jsonl":
		return FormatNDJSON, nil
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")) && bytes.Contains(head, []byte(`"3166-1"`)):
		return FormatISO3166, nil
	case bytes.HasPrefix(trimmed, []byte("{")):
		return FormatNDJSON, nil
	case bytes.Count(firstLine(head), []byte("\t")) == geonamesColumns-1:
		return FormatGeoNames, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format (want NDJSON, a GeoNames cities file or ISO 3166-1 JSON); give --format", name)
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// Parse reads a whole file of the given format (not FormatAuto) into a validated Batch.
// name is used in error messages. The error is an *Error listing every problem found,
// up to MaxProblems, when the file is malformed.
func Parse(name string, r io.Reader, f Format, p *Progress) (*Batch, error) {
	switch f {
	case FormatNDJSON:
		return ParseNDJSON(name, r, p)
	case FormatGeoNames:
		return ParseGeoNames(name, r, p)
	case FormatISO3166:
		return ParseISO3166(name, r, p)
	}
	return nil, fmt.Errorf("%s: parse: format %q is not a concrete format", name, f)
}

// The entity kinds of a Batch, named as in seed so that ids derive the same way.
const (
	KindSource      = seed.KindSource
	KindCountry     = seed.KindCountry
	KindCity        = seed.KindCity
	KindOfficial    = seed.KindOfficial
	KindAgreement   = seed.KindAgreement
	KindPartnership = seed.KindPartnership
	KindInstitution = seed.KindInstitution
	KindFigure      = seed.KindFigure
)

// Kinds lists the entity kinds in the order the store writes them (parents first),
// which is also the order of a summary.
var Kinds = []string{KindSource, KindCountry, KindCity, KindOfficial, KindInstitution, KindAgreement, KindPartnership, KindFigure}

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

	// bad holds why the JSON was not a reference; validation reports it with its path,
	// which an error returned from UnmarshalJSON would lose.
	bad string
}

// UnmarshalJSON accepts a string or an object; a malformed value is kept for Validate.
func (r *Ref) UnmarshalJSON(b []byte) error {
	*r = Ref{}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		r.Key = s
		return nil
	}
	type plain Ref
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		r.bad = fmt.Sprintf("not a reference (want a key, or an object with one of key, wikidata, geonames, code, url): %s", strings.TrimPrefix(err.Error(), "json: "))
		return nil
	}
	*r = Ref(p)
	return nil
}

// IsZero reports whether the reference names nothing.
func (r Ref) IsZero() bool { return r == Ref{} }

// String renders the reference as it reads in an error message.
func (r Ref) String() string {
	switch {
	case r.Key != "":
		return fmt.Sprintf("%q", r.Key)
	case r.Wikidata != "":
		return fmt.Sprintf("with Wikidata id %q", r.Wikidata)
	case r.GeoNames != 0:
		return fmt.Sprintf("with GeoNames id %d", r.GeoNames)
	case r.Code != "":
		return fmt.Sprintf("%q", r.Code)
	case r.URL != "":
		return fmt.Sprintf("with URL %q", r.URL)
	}
	return "(none)"
}

// Normalize returns the reference in the one form the store looks it up by: a
// country's key is its code.
func (r Ref) Normalize(kind string) Ref {
	if kind == KindCountry && r.Key != "" {
		return Ref{Code: r.Key}
	}
	return r
}

// Batch is one validated import file: its entities with the line each came from.
// References are Refs; the store resolves them against the file and the database.
type Batch struct {
	File         string
	Format       Format
	Sources      []Source
	Countries    []Country
	Cities       []City
	Officials    []Official
	Agreements   []Agreement
	Partnerships []Partnership
	Institutions []Institution
	Figures      []Figure

	index *index
}

// Len is the number of entities in the batch.
func (b *Batch) Len() int {
	return len(b.Sources) + len(b.Countries) + len(b.Cities) + len(b.Officials) + len(b.Agreements) +
		len(b.Partnerships) + len(b.Institutions) + len(b.Figures)
}

// Source is a document that states facts.
type Source struct {
	Line        int      `json:"-"`
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Publisher   string   `json:"publisher,omitempty"`
	URL         string   `json:"url,omitempty"`
	PublishedOn string   `json:"publishedOn,omitempty"`
	Languages   []string `json:"languages,omitempty"`
	Excerpt     string   `json:"excerpt,omitempty"`
}

// Country is keyed by its ISO 3166-1 alpha-2 code.
type Country struct {
	Line     int    `json:"-"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Wikidata string `json:"wikidata,omitempty"`
}

// Name is one spelling of a city's or official's name in one language.
type Name struct {
	Language string `json:"language"`
	Name     string `json:"name"`
	Source   *Ref   `json:"source,omitempty"`
}

// City is a city; GeoNames rows become cities keyed "geonames-<id>".
type City struct {
	Line       int      `json:"-"`
	Key        string   `json:"key"`
	Name       string   `json:"name"`
	Country    Ref      `json:"country"`
	Population *int64   `json:"population,omitempty"`
	Latitude   *float64 `json:"latitude,omitempty"`
	Longitude  *float64 `json:"longitude,omitempty"`
	Wikidata   string   `json:"wikidata,omitempty"`
	GeoNames   *int64   `json:"geonames,omitempty"`
	Names      []Name   `json:"names,omitempty"`
	Sources    []Ref    `json:"sources,omitempty"`
}

// Official is a person who acts for a city.
type Official struct {
	Line     int    `json:"-"`
	Key      string `json:"key"`
	Name     string `json:"name"`
	Title    string `json:"title,omitempty"`
	City     *Ref   `json:"city,omitempty"`
	Wikidata string `json:"wikidata,omitempty"`
	Names    []Name `json:"names,omitempty"`
	Sources  []Ref  `json:"sources"`
}

// Agreement is a signed document between cities.
type Agreement struct {
	Line         int         `json:"-"`
	Key          string      `json:"key"`
	Title        string      `json:"title"`
	Kind         string      `json:"kind"`
	SignedOn     string      `json:"signedOn,omitempty"`
	SignedIn     *Ref        `json:"signedIn,omitempty"`
	Summary      string      `json:"summary,omitempty"`
	Areas        []string    `json:"areas,omitempty"`
	Parties      []Ref       `json:"parties"`
	Signatories  []Signatory `json:"signatories,omitempty"`
	Institutions []Ref       `json:"institutions,omitempty"`
	Sources      []Ref       `json:"sources"`
}

// Signatory is an official who signed for one of the agreement's parties.
type Signatory struct {
	Official Ref    `json:"official"`
	Party    Ref    `json:"party"`
	Role     string `json:"role,omitempty"`
}

// Partnership is a tie between two cities.
type Partnership struct {
	Line      int    `json:"-"`
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	Cities    []Ref  `json:"cities"`
	Since     string `json:"since,omitempty"`
	Until     string `json:"until,omitempty"`
	Agreement *Ref   `json:"agreement,omitempty"`
	Sources   []Ref  `json:"sources"`
}

// Institution is a university, company or other body in a city.
type Institution struct {
	Line        int    `json:"-"`
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

// Figure is a number a source states about a city.
type Figure struct {
	Line   int    `json:"-"`
	Key    string `json:"key"`
	City   Ref    `json:"city"`
	Metric string `json:"metric"`
	Value  *int64 `json:"value"`
	AsOf   string `json:"asOf,omitempty"`
	Source Ref    `json:"source"`
}
