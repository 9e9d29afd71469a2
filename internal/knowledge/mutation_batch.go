package knowledge

import (
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// A mutation is written as a batch of one record, by the writer every file goes
// through: after its input's Check, each write input becomes the record of its entity
// (Entry.ID, and Entry.Version for an update), referring to stored entities by id,
// with the lists it gives stated whole (Entry.Replace) and the sources it creates as
// records of their own. The record is on line MutationLine and the new sources follow
// it, so that a problem the writer finds is traced back to the input's field
// (MutationProblems).

// MutationLine is the line of a mutation's own record in its batch; the new source
// i is on line MutationLine+1+i.
const MutationLine = 1

// mutationBatch starts the batch of a mutation: its file is the mutation's name.
func mutationBatch(mutation string) *Batch {
	return &Batch{File: mutation, Format: "mutation"}
}

// mutationEntry is the Entry of a mutation's record: version is nil for a create.
func mutationEntry(id uuid.UUID, version *int, cleared []string) Entry {
	return Entry{Line: MutationLine, ID: id, Version: version, Cleared: cleared}
}

// text is an optional text field of an update and its name in the record.
type text struct {
	field string
	value *string
}

// blanked adds to cleared the optional texts an update gives empty: a record cannot
// tell an empty text from one left out (which keeps the stored value), and an empty
// text says there is none.
func blanked(cleared []string, texts ...text) []string {
	out := cleared
	for _, t := range texts {
		if t.value != nil && *t.value == "" && !slices.Contains(out, t.field) {
			out = append(out[:len(out):len(out)], t.field)
		}
	}
	return out
}

// sourceRefs adds the new sources to the batch, each under a fresh id, and returns
// the references of all the sources cited: the existing ones, then the new ones.
func (s SourceRefs) refs(b *Batch) []Ref {
	out := make([]Ref, 0, len(s.IDs)+len(s.New))
	for _, id := range s.IDs {
		out = append(out, Ref{ID: id})
	}
	for i, ns := range s.New {
		id := uuid.New()
		b.Sources = append(b.Sources, ns.record(id, MutationLine+1+i))
		out = append(out, Ref{ID: id})
	}
	return out
}

// Batch is the new sources as a batch of their own (for a write that cites sources
// without being a fact itself: a retraction, a merge), and the ids of all the sources
// cited.
func (s SourceRefs) Batch() (*Batch, []uuid.UUID) {
	b := mutationBatch("sources")
	refs := s.refs(b)
	ids := make([]uuid.UUID, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return b, ids
}

func (s NewSource) record(id uuid.UUID, line int) SourceRecord {
	return SourceRecord{Entry: Entry{Line: line, ID: id}, Title: s.Title, Publisher: deref(s.Publisher),
		URL: deref(s.URL), PublishedOn: dateText(s.PublishedOn), Excerpt: deref(s.Excerpt), Languages: s.Languages}
}

// Batch is the source to create, as a batch of one record under id.
func (s NewSource) Batch(id uuid.UUID) *Batch {
	b := mutationBatch(MutationName("Source", nil))
	b.Sources = []SourceRecord{s.record(id, MutationLine)}
	return b
}

// Batch is the update as a batch of one record.
func (u SourceUpdate) Batch() *Batch {
	b := mutationBatch(MutationName("Source", &u.ID))
	b.Sources = []SourceRecord{{Entry: mutationEntry(u.ID, &u.Version, blanked(u.Clear, text{"publisher", u.Publisher}, text{"url", u.URL}, text{"excerpt", u.Excerpt})), Title: deref(u.Title),
		Publisher: deref(u.Publisher), URL: deref(u.URL), PublishedOn: dateText(u.PublishedOn), Excerpt: deref(u.Excerpt)}}
	return b
}

// Batch is the write as a batch of one record under id (the new city's, or w.ID).
func (w CityWrite) Batch(id uuid.UUID) *Batch {
	b := mutationBatch(MutationName("City", w.ID))
	c := CityRecord{Entry: mutationEntry(id, version(w.ID, w.Version), renamed(w.Clear, cityClears)),
		Name: deref(w.Name), Wikidata: deref(w.WikidataID)}
	if w.CountryCode != nil {
		c.Country = Ref{Code: strings.ToUpper(*w.CountryCode)}
	}
	if w.Population != nil {
		n := int64(*w.Population)
		c.Population = &n
	}
	if w.Location != nil {
		c.Latitude, c.Longitude = &w.Location.Latitude, &w.Location.Longitude
	}
	if w.GeonamesID != nil {
		n := int64(*w.GeonamesID)
		c.GeoNames = &n
	}
	if w.Names != nil {
		c.Names, c.Replace = nameRecords(*w.Names), []string{"names"}
	}
	c.Sources = w.Sources.refs(b)
	b.Cities = []CityRecord{c}
	return b
}

// Batch is the write as a batch of one record under id.
func (w OfficialWrite) Batch(id uuid.UUID) *Batch {
	b := mutationBatch(MutationName("Official", w.ID))
	o := OfficialRecord{Entry: mutationEntry(id, version(w.ID, w.Version), blanked(w.Clear, text{"title", w.Title})),
		Name: deref(w.Name), Title: deref(w.Title), City: idRef(w.CityID)}
	if w.Names != nil {
		o.Names, o.Replace = nameRecords(*w.Names), []string{"names"}
	}
	o.Sources = w.Sources.refs(b)
	b.Officials = []OfficialRecord{o}
	return b
}

// Batch is the write as a batch of one record under id. The lists it gives (parties,
// areas, signatories) replace the stored ones.
func (w AgreementWrite) Batch(id uuid.UUID) *Batch {
	b := mutationBatch(MutationName("Agreement", w.ID))
	a := AgreementRecord{Entry: mutationEntry(id, version(w.ID, w.Version), blanked(w.Clear, text{"summary", w.Summary})),
		Title: deref(w.Title), SignedOn: dateText(w.SignedOn), SignedIn: idRef(w.SignedInID), Summary: deref(w.Summary)}
	if w.Kind != nil {
		a.Kind = string(*w.Kind)
	}
	if w.Areas != nil {
		a.Replace = append(a.Replace, "areas")
		for _, area := range *w.Areas {
			a.Areas = append(a.Areas, string(area))
		}
	}
	if w.Parties != nil {
		a.Replace = append(a.Replace, "parties")
		for _, c := range *w.Parties {
			a.Parties = append(a.Parties, Ref{ID: c})
		}
	}
	if w.Signatories != nil {
		a.Replace = append(a.Replace, "signatories")
		for _, s := range *w.Signatories {
			a.Signatories = append(a.Signatories, SignatoryRecord{Official: Ref{ID: s.OfficialID}, Party: Ref{ID: s.PartyID}, Role: deref(s.Role)})
		}
	}
	a.Sources = w.Sources.refs(b)
	b.Agreements = []AgreementRecord{a}
	return b
}

// Batch is the write as a batch of one record under id.
func (w PartnershipWrite) Batch(id uuid.UUID) *Batch {
	b := mutationBatch(MutationName("Partnership", w.ID))
	cleared := w.Clear
	if w.ClearAgreement {
		cleared = append(append(Cleared{}, cleared...), "agreement")
	}
	p := PartnershipRecord{Entry: mutationEntry(id, version(w.ID, w.Version), cleared),
		Since: dateText(w.Since), Until: dateText(w.Until), Agreement: idRef(w.AgreementID)}
	if w.Kind != nil {
		p.Kind = string(*w.Kind)
	}
	for _, c := range w.CityIDs {
		p.Cities = append(p.Cities, Ref{ID: c})
	}
	p.Sources = w.Sources.refs(b)
	b.Partnerships = []PartnershipRecord{p}
	return b
}

// Batch is the write as a batch of one record under id. The agreements it gives
// replace the stored links.
func (w InstitutionWrite) Batch(id uuid.UUID) *Batch {
	b := mutationBatch(MutationName("Institution", w.ID))
	in := InstitutionRecord{Entry: mutationEntry(id, version(w.ID, w.Version), blanked(w.Clear, text{"description", w.Description})),
		Name: deref(w.Name), FoundedOn: dateText(w.FoundedOn), Description: deref(w.Description)}
	if w.Kind != nil {
		in.Kind = string(*w.Kind)
	}
	if c := idRef(w.CityID); c != nil {
		in.City = *c
	}
	if w.AgreementIDs != nil {
		in.Replace = []string{"agreements"}
		for _, a := range *w.AgreementIDs {
			in.Agreements = append(in.Agreements, Ref{ID: a})
		}
	}
	in.Sources = w.Sources.refs(b)
	b.Institutions = []InstitutionRecord{in}
	return b
}

// cityClears are the city fields an update clears, by their names in the input, as
// the record names them.
var cityClears = map[string][]string{"location": {"latitude", "longitude"}, "wikidataId": {"wikidata"}}

// renamed is the cleared fields under the record's names.
func renamed(c Cleared, names map[string][]string) []string {
	var out []string
	for _, f := range c {
		if n, ok := names[f]; ok {
			out = append(out, n...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// MutationName is the name of the mutation that writes an entity of the GraphQL type:
// createCity for a new one (id nil), updateCity for a stored one.
func MutationName(typ string, id *uuid.UUID) string {
	if id == nil {
		return "create" + typ
	}
	return "update" + typ
}

func version(id *uuid.UUID, v int) *int {
	if id == nil {
		return nil
	}
	return &v
}

func idRef(id *uuid.UUID) *Ref {
	if id == nil {
		return nil
	}
	return &Ref{ID: *id}
}

func nameRecords(ns []Name) []NameRecord {
	out := make([]NameRecord, len(ns))
	for i, n := range ns {
		out[i] = NameRecord{Language: n.Language, Name: n.Name}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func dateText(d *Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// inputFields are, per kind, the input's names of the record's fields where they
// differ.
var inputFields = map[string]map[string]string{
	KindCity: {"wikidata": "wikidataId", "geonames": "geonamesId", "latitude": "location", "longitude": "location"},
}

// MutationProblems records the problems the writer found with a mutation's batch b
// (as a *FileError) at the input's fields: "agreement.signatories[1].party" of the
// record is input.signatories.1.party, "city.sources[2]" is input.sources.ids.2 or
// input.sources.new.N, and a new source's "source.url" is input.sources.new.N.url.
func MutationProblems(p *Problems, b *Batch, fe *FileError) {
	cited := 0
	b.EachRef(func(u RefUse) {
		if u.Line == MutationLine && u.Kind == KindSource && strings.HasSuffix(u.field, ".sources") && u.Ref.ID != uuid.Nil {
			cited++
		}
	})
	created := len(b.Sources)
	if b.Len() == len(b.Sources) && created > 0 && b.Sources[0].Line == MutationLine {
		created-- // a createSource or updateSource: the source is the record itself
	}
	existing := cited - created
	for _, fp := range fe.All() {
		kind, rest, _ := strings.Cut(fp.Field, ".")
		path := fieldPath(rest)
		switch {
		case fp.Line > MutationLine:
			path = append(Path("sources", "new", fp.Line-MutationLine-1), path...)
		case len(path) >= 2 && path[0] == "sources":
			i, _ := strconv.Atoi(path[1])
			if i < existing {
				path = append(Path("sources", "ids", i), path[2:]...)
			} else {
				path = append(Path("sources", "new", i-existing), path[2:]...)
			}
		case len(path) > 0:
			if name, ok := inputFields[kind][path[0]]; ok {
				path[0] = name
			}
		}
		code := fp.Code
		if code == "" {
			code = CodeInvalid
		}
		p.Add(code, path, "%s", fp.Message)
	}
}

// fieldPath splits a record's field ("signatories[1].party") into a path.
func fieldPath(field string) []string {
	if field == "" {
		return nil
	}
	field = strings.NewReplacer("[", ".", "]", "").Replace(field)
	return strings.Split(field, ".")
}
