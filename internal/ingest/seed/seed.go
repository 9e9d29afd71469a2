// Package seed holds Amity's shipped knowledge bundle: the human-editable YAML file of
// facts embedded in the binary, its Go model, parsing and validation, and the
// deterministic ids the loader gives every entity. It knows nothing of SQL; the store
// (internal/postgres) loads a validated Bundle.
package seed

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/amity/amity/internal/knowledge"
)

//go:embed knowledge.yaml
var shippedYAML []byte

// Bundle is a set of facts with their sources, as written in a knowledge YAML file.
// References between entities are keys, never ids.
type Bundle struct {
	Sources      []Source      `yaml:"sources"`
	Countries    []Country     `yaml:"countries"`
	Cities       []City        `yaml:"cities"`
	Officials    []Official    `yaml:"officials"`
	Agreements   []Agreement   `yaml:"agreements"`
	Partnerships []Partnership `yaml:"partnerships"`
	Institutions []Institution `yaml:"institutions"`
	Figures      []Figure      `yaml:"figures"`
}

// Source is a document that states facts. Every other entity cites sources by key.
type Source struct {
	Key         string   `yaml:"key"`
	Title       string   `yaml:"title"`
	Publisher   string   `yaml:"publisher,omitempty"`
	URL         string   `yaml:"url,omitempty"`
	PublishedOn string   `yaml:"publishedOn,omitempty"` // YYYY-MM-DD
	Languages   []string `yaml:"languages,omitempty"`
	Excerpt     string   `yaml:"excerpt,omitempty"`
}

// Country is keyed by its ISO 3166-1 alpha-2 code, which is also its stored code.
type Country struct {
	Key         string `yaml:"key"`
	Name        string `yaml:"name"`
	WikidataQID string `yaml:"wikidataQid,omitempty"`
}

// City is a city with its names in other languages and spellings. Name is its English
// name; Names may repeat it to attach a source.
type City struct {
	Key         string      `yaml:"key"`
	Name        string      `yaml:"name"`
	Country     string      `yaml:"country"` // country key
	Population  *int64      `yaml:"population,omitempty"`
	Latitude    *float64    `yaml:"latitude,omitempty"`
	Longitude   *float64    `yaml:"longitude,omitempty"`
	WikidataQID string      `yaml:"wikidataQid,omitempty"`
	GeoNamesID  *int64      `yaml:"geonamesId,omitempty"`
	Names       []Name      `yaml:"names,omitempty"`
	Sources     []string    `yaml:"sources,omitempty"`
	Statements  []Statement `yaml:"statements,omitempty"`
}

// Name is one spelling of a city's or official's name in one language. Source is
// optional because an entity's own name needs no citation; a spelling a document uses
// should cite it.
type Name struct {
	Language string `yaml:"language"` // lowercase BCP 47 tag: "zh", "ru", "zh-Hans"
	Name     string `yaml:"name"`
	Source   string `yaml:"source,omitempty"`
}

// Official is a person who acts for a city, such as a mayor or a minister.
type Official struct {
	Key        string      `yaml:"key"`
	Name       string      `yaml:"name"`
	Title      string      `yaml:"title,omitempty"`
	City       string      `yaml:"city,omitempty"` // city key
	Names      []Name      `yaml:"names,omitempty"`
	Sources    []string    `yaml:"sources"`
	Statements []Statement `yaml:"statements,omitempty"`
}

// Agreement is a signed document between cities.
type Agreement struct {
	Key          string      `yaml:"key"`
	Title        string      `yaml:"title"`
	Kind         string      `yaml:"kind"`               // one of AgreementKinds
	SignedOn     string      `yaml:"signedOn,omitempty"` // YYYY-MM-DD
	SignedIn     string      `yaml:"signedIn,omitempty"` // city key
	Summary      string      `yaml:"summary,omitempty"`
	Areas        []string    `yaml:"areas,omitempty"`        // each one of AgreementAreas
	Parties      []string    `yaml:"parties"`                // city keys, in the order the agreement names them
	Signatories  []Signatory `yaml:"signatories,omitempty"`  // in signing order
	Institutions []string    `yaml:"institutions,omitempty"` // institution keys that came of it
	Sources      []string    `yaml:"sources"`
	Statements   []Statement `yaml:"statements,omitempty"`
}

// Signatory is an official who signed an agreement on behalf of one of its parties.
type Signatory struct {
	Official string `yaml:"official"` // official key
	Party    string `yaml:"party"`    // city key, one of the agreement's parties
	Role     string `yaml:"role,omitempty"`
}

// Partnership is a tie between two cities. Cities holds exactly two city keys in any
// order; the store orders them itself.
type Partnership struct {
	Key        string      `yaml:"key"`
	Kind       string      `yaml:"kind"` // one of PartnershipKinds
	Cities     []string    `yaml:"cities"`
	Since      string      `yaml:"since,omitempty"`     // YYYY-MM-DD
	Until      string      `yaml:"until,omitempty"`     // YYYY-MM-DD
	Agreement  string      `yaml:"agreement,omitempty"` // agreement key
	Sources    []string    `yaml:"sources"`
	Statements []Statement `yaml:"statements,omitempty"`
}

// Institution is a university, company or other body in a city.
type Institution struct {
	Key         string      `yaml:"key"`
	Name        string      `yaml:"name"`
	Kind        string      `yaml:"kind"` // one of InstitutionKinds
	City        string      `yaml:"city"` // city key
	FoundedOn   string      `yaml:"foundedOn,omitempty"`
	Description string      `yaml:"description,omitempty"`
	Agreements  []string    `yaml:"agreements,omitempty"` // agreement keys it came of
	Sources     []string    `yaml:"sources"`
	Statements  []Statement `yaml:"statements,omitempty"`
}

// Figure is a number a source states about a city ("friendly ties with 93 cities"),
// kept apart from what the graph itself can count.
type Figure struct {
	Key    string `yaml:"key"`
	City   string `yaml:"city"`   // city key
	Metric string `yaml:"metric"` // one of FigureMetrics
	Value  *int64 `yaml:"value"`  // a pointer so that a missing value is an error, not 0
	AsOf   string `yaml:"asOf,omitempty"`
	Source string `yaml:"source"`
}

// Statement is one source's word on one property of the entity that carries it. Where
// sources disagree, each keeps its own statement.
type Statement struct {
	Property string `yaml:"property"`
	Value    string `yaml:"value"`
	Source   string `yaml:"source"`
	Quote    string `yaml:"quote,omitempty"` // verbatim text of the source, where there is one
}

// SubjectStatement is a statement with the entity it is about and its derived key.
type SubjectStatement struct {
	SubjectKind string // knowledge.KindCity, knowledge.KindOfficial, knowledge.KindAgreement, knowledge.KindPartnership or knowledge.KindInstitution
	SubjectKey  string
	// Key is the statement's derived key: ID(knowledge.KindStatement, Key) is its id.
	Key string
	// Position is the statement's index in its subject's list.
	Position int
	Statement
}

// Statements lists every statement in the bundle with its subject and key, subjects in
// bundle order.
func (b *Bundle) Statements() []SubjectStatement {
	var out []SubjectStatement
	add := func(kind, key string, stmts []Statement) {
		seen := make(map[[2]string]int)
		for i, s := range stmts {
			seen[[2]string{s.Property, s.Source}]++
			out = append(out, SubjectStatement{
				SubjectKind: kind,
				SubjectKey:  key,
				Key:         knowledge.StatementKey(kind, key, s.Property, s.Source, seen[[2]string{s.Property, s.Source}]),
				Position:    i,
				Statement:   s,
			})
		}
	}
	for _, c := range b.Cities {
		add(knowledge.KindCity, c.Key, c.Statements)
	}
	for _, o := range b.Officials {
		add(knowledge.KindOfficial, o.Key, o.Statements)
	}
	for _, a := range b.Agreements {
		add(knowledge.KindAgreement, a.Key, a.Statements)
	}
	for _, p := range b.Partnerships {
		add(knowledge.KindPartnership, p.Key, p.Statements)
	}
	for _, in := range b.Institutions {
		add(knowledge.KindInstitution, in.Key, in.Statements)
	}
	return out
}

// Parse decodes a bundle strictly: an unknown field is an error, because a misspelt
// field would otherwise drop a fact silently. Parse does not validate; call Validate.
func Parse(data []byte) (*Bundle, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("parse bundle: empty document")
		}
		return nil, fmt.Errorf("parse bundle: %w", err)
	}
	// A second document would be ignored by Decode; refuse it rather than lose it.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("parse bundle: more than one YAML document")
	}
	return &b, nil
}

// ShippedYAML parses and validates the embedded YAML bundle.
func ShippedYAML() (*Bundle, error) {
	b, err := Parse(shippedYAML)
	if err != nil {
		return nil, fmt.Errorf("shipped bundle: %w", err)
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("shipped bundle: %w", err)
	}
	return b, nil
}

// ShippedYAMLDigest is Digest of the embedded YAML bundle.
func ShippedYAMLDigest() string { return Digest(shippedYAML) }
