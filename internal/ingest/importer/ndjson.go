package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/amity/amity/internal/knowledge"
)

// maxLine bounds one NDJSON line; a longer one is almost certainly not NDJSON.
const maxLine = 16 << 20

// ParseNDJSON reads Amity's NDJSON knowledge format: one JSON object per line, its
// "type" naming the entity (see docs/import.md). Blank lines are skipped, and so is a
// UTF-8 byte order mark at the start of the file. Decoding is strict: an unknown field,
// a field given twice, or bytes that are not UTF-8 are errors, because each would
// otherwise change a fact silently (encoding/json keeps the last of two fields and
// replaces invalid UTF-8 with U+FFFD).
func ParseNDJSON(name string, r io.Reader, p *Progress) (*knowledge.Batch, error) {
	b := &knowledge.Batch{File: name, Format: string(FormatNDJSON)}
	ps := &knowledge.FileProblems{File: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		p.Add(1)
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, utf8BOM)
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		if !utf8.Valid(text) {
			ps.Addf(line, "", "not valid UTF-8 (at byte %d of the line)", invalidUTF8At(text)+1)
			continue
		}
		if err := decodeLine(b, line, text); err != nil {
			var le *lineError
			if errors.As(err, &le) {
				ps.Addf(line, le.field, "%s", le.msg)
			} else {
				ps.Addf(line, "", "%v", err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			// The rest of the file is unread: no batch, so that nothing can be written
			// as if it were the whole file.
			ps.Addf(line+1, "", "line longer than %d bytes (the rest of the file was not read)", maxLine)
			b.Check(ps)
			return nil, ps.Err()
		} else {
			return nil, fmt.Errorf("%s: read: %w", name, err)
		}
	}
	b.Check(ps)
	// The batch comes back with the problems: --skip-invalid writes what is valid.
	return b, ps.Err()
}

// utf8BOM is the byte order mark some editors write at the start of a UTF-8 file.
var utf8BOM = []byte("\ufeff")

// invalidUTF8At returns the offset of the first byte of b that is not UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

type lineError struct{ field, msg string }

func (e *lineError) Error() string { return e.field + ": " + e.msg }

// lineTypes lists the values of "type", as an error message names them.
const lineTypes = "source, country, city, official, agreement, partnership, institution, figure, statement"

// decodeLine appends the record of one line to the batch.
func decodeLine(b *knowledge.Batch, line int, text []byte) error {
	var probe struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(text, &probe); err != nil {
		return &lineError{msg: "not a JSON object: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if probe.Type == nil {
		return &lineError{field: "type", msg: "required: one of " + lineTypes}
	}
	typ := *probe.Type
	// Each line decodes into its record plus the "type" field itself, so that strict
	// decoding accepts "type" and nothing the record does not define.
	switch typ {
	case knowledge.KindSource:
		var v struct {
			typeField
			knowledge.SourceRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.SourceRecord.Line, v.SourceRecord.Cleared = line, cleared
		b.Sources = append(b.Sources, v.SourceRecord)
	case knowledge.KindCountry:
		var v struct {
			typeField
			knowledge.CountryRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.CountryRecord.Line, v.CountryRecord.Cleared = line, cleared
		b.Countries = append(b.Countries, v.CountryRecord)
	case knowledge.KindCity:
		var v struct {
			typeField
			knowledge.CityRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.CityRecord.Line, v.CityRecord.Cleared = line, cleared
		b.Cities = append(b.Cities, v.CityRecord)
	case knowledge.KindOfficial:
		var v struct {
			typeField
			knowledge.OfficialRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.OfficialRecord.Line, v.OfficialRecord.Cleared = line, cleared
		b.Officials = append(b.Officials, v.OfficialRecord)
	case knowledge.KindAgreement:
		var v struct {
			typeField
			knowledge.AgreementRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.AgreementRecord.Line, v.AgreementRecord.Cleared = line, cleared
		b.Agreements = append(b.Agreements, v.AgreementRecord)
	case knowledge.KindPartnership:
		var v struct {
			typeField
			knowledge.PartnershipRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.PartnershipRecord.Line, v.PartnershipRecord.Cleared = line, cleared
		b.Partnerships = append(b.Partnerships, v.PartnershipRecord)
	case knowledge.KindInstitution:
		var v struct {
			typeField
			knowledge.InstitutionRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.InstitutionRecord.Line, v.InstitutionRecord.Cleared = line, cleared
		b.Institutions = append(b.Institutions, v.InstitutionRecord)
	case knowledge.KindFigure:
		var v struct {
			typeField
			knowledge.FigureRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.FigureRecord.Line, v.FigureRecord.Cleared = line, cleared
		b.Figures = append(b.Figures, v.FigureRecord)
	case knowledge.KindStatement:
		var v struct {
			typeField
			knowledge.StatementRecord
		}
		cleared, err := strict(typ, text, &v)
		if err != nil {
			return err
		}
		v.StatementRecord.Line, v.StatementRecord.Cleared = line, cleared
		b.Statements = append(b.Statements, v.StatementRecord)
	default:
		return &lineError{field: "type", msg: fmt.Sprintf("%q is not one of %s", typ, lineTypes)}
	}
	return nil
}

type typeField struct {
	Type string `json:"type"`
}

// strict decodes one line, turning encoding/json's errors into a field path under the
// line's type ("city.population"), and returns the fields the line sets to null: JSON
// null and a missing field decode alike, but null clears a stored value
// (knowledge.Clearable) where a missing field keeps it.
func strict(typ string, text []byte, v any) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return nil, &lineError{msg: "more than one JSON value on the line"}
	}
	if err == nil {
		if field := repeatedField(text); field != "" {
			return nil, &lineError{field: typ + "." + field, msg: "given twice on the line"}
		}
		return nullFields(text), nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil, &lineError{field: typ + "." + jsonPath(te.Field), msg: fmt.Sprintf("want %s, got JSON %s", jsonType(te.Type.String()), te.Value)}
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		f := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return nil, &lineError{field: typ + "." + f, msg: "unknown field"}
	}
	return nil, &lineError{msg: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

// nullFields returns the names of the line's own fields whose value is null, in order;
// text is already known to be a valid JSON object. Only a line's own fields clear
// anything: a null inside a reference or a name is that value's business.
func nullFields(text []byte) []string {
	if !bytes.Contains(text, []byte("null")) {
		return nil // the common case, without a second decoding
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(text, &fields) != nil {
		return nil
	}
	var out []string
	for name, raw := range fields {
		if string(raw) == "null" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// jsonPath drops the Go names of the embedded structs a line decodes into ("City.population"):
// every field of the format is lower camel case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && !(p[0] >= 'A' && p[0] <= 'Z') {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

func jsonType(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "int64", "int":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	}
	if strings.HasPrefix(goType, "[]") {
		return "a list"
	}
	return "an object"
}

// repeatedField returns the path of the first object field the JSON text gives twice
// ("names[1].name"), or "". encoding/json would keep the last silently. text is
// already known to be valid JSON.
func repeatedField(text []byte) string {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var walk func(path string) string
	walk = func(path string) string {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return ""
				}
				key, _ := k.(string)
				at := key
				if path != "" {
					at = path + "." + key
				}
				if seen[key] {
					return at
				}
				seen[key] = true
				if f := walk(at); f != "" {
					return f
				}
			}
			dec.Token() // the closing brace
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if f := walk(fmt.Sprintf("%s[%d]", path, i)); f != "" {
					return f
				}
			}
			dec.Token() // the closing bracket
		}
		return ""
	}
	return walk("")
}
