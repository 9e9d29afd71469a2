package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/amity/amity/internal/knowledge"
)

// geonamesColumns is the width of GeoNames' "geoname" table dumps (cities15000.txt,
// cities1000.txt, allCountries.txt, …): geonameid, name, asciiname, alternatenames,
// latitude, longitude, feature class, feature code, country code, cc2, admin1–4 codes,
// population, elevation, dem, timezone, modification date.
const geonamesColumns = 19

// GeoNamesSource is the source every city of a GeoNames file cites, so that gazetteer
// rows keep their provenance like every other fact.
var GeoNamesSource = knowledge.SourceRecord{
	Key:       "geonames",
	Title:     "GeoNames geographical database",
	Publisher: "GeoNames",
	URL:       "https://www.geonames.org/",
}

// UndeterminedLanguage tags GeoNames' alternate names, whose language the cities files
// do not give: BCP 47's "und" (undetermined).
const UndeterminedLanguage = "und"

// GeoNamesKey is the key of the city with a GeoNames id when it comes from a
// gazetteer: its id is knowledge.KeyID("city", GeoNamesKey(id)).
func GeoNamesKey(id int64) string { return "geonames-" + strconv.FormatInt(id, 10) }

// ParseGeoNames reads a GeoNames gazetteer file (tab-separated, 19 columns) into
// cities with their alternate names. Every row must be a populated place (feature
// class P), so that loading allCountries.txt by mistake does not turn mountains into
// cities. A population of 0 is GeoNames' "unknown" and is left empty.
func ParseGeoNames(name string, r io.Reader, p *Progress) (*knowledge.Batch, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	b := &knowledge.Batch{File: name, Format: string(FormatGeoNames), Sources: []knowledge.SourceRecord{GeoNamesSource}}
	ps := &knowledge.FileProblems{File: name}
	src := &knowledge.Ref{Key: GeoNamesSource.Key}
	sources := []knowledge.Ref{*src}

	// The rows are independent: the file is parsed in one piece per processor, each
	// from a line boundary, and the pieces joined in order.
	pieces := runtime.GOMAXPROCS(0)
	if n := len(data) / (1 << 20); n < pieces {
		pieces = max(n, 1)
	}
	// Each piece fills its own range of one slice, sized by its lines, so that joining
	// them moves no record: a CityRecord is large and full of pointers, and copying
	// 200,000 of them cost a gazetteer load 0.6 s of CPU and stalled the garbage
	// collector, which cannot stop a goroutine in the middle of the copy.
	type piece struct {
		data   []byte
		line   int // of the piece's first line
		lines  int
		cities []knowledge.CityRecord
		ps     knowledge.FileProblems
	}
	parts := make([]piece, 0, pieces)
	total := 0
	for start, line := 0, 1; start < len(data) || len(parts) == 0; {
		end := len(data)
		if len(parts) < pieces-1 {
			end = start + (len(data)-start)/(pieces-len(parts))
			if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
				end += i + 1
			} else {
				end = len(data)
			}
		}
		lines := bytes.Count(data[start:end], []byte{'\n'})
		if end == len(data) && end > start && data[end-1] != '\n' {
			lines++ // a last line without its newline
		}
		parts = append(parts, piece{data: data[start:end], line: line, lines: lines, ps: knowledge.FileProblems{File: name}})
		line += lines
		total += lines
		start = end
	}
	all := make([]knowledge.CityRecord, total)
	var wg sync.WaitGroup
	for i, off := 0, 0; i < len(parts); i++ {
		pc := &parts[i]
		pc.cities = all[off : off : off+pc.lines]
		off += pc.lines
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc.cities = parseGeoNamesPiece(pc.cities, pc.data, pc.line, &pc.ps, p, src, sources)
		}()
	}
	wg.Wait()
	// A piece that skipped lines (comments, blank or refused rows) leaves a gap, which
	// the later pieces' records close up.
	n := 0
	for i := range parts {
		n += copy(all[n:], parts[i].cities)
		ps.Merge(&parts[i].ps)
	}
	b.Cities = all[:n:n]
	if len(b.Cities) == 0 && ps.Len() == 0 {
		ps.Addf(0, "", "no GeoNames rows")
	}
	b.Check(ps)
	// The batch comes back with the problems: --skip-invalid writes what is valid.
	return b, ps.Err()
}

// maxGeoNamesLine is the longest line a GeoNames file may have.
const maxGeoNamesLine = 1 << 20

// parseGeoNamesPiece parses the rows of data, whose first line is line, appending them
// to cities, which has room for one record a line.
func parseGeoNamesPiece(cities []knowledge.CityRecord, data []byte, line int, ps *knowledge.FileProblems, p *Progress, src *knowledge.Ref, sources []knowledge.Ref) []knowledge.CityRecord {
	var cols [geonamesColumns][]byte
	rows := 0
	for ; len(data) > 0; line++ {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(raw) >= maxGeoNamesLine {
			ps.Addf(line, "", "line longer than %d bytes", maxGeoNamesLine)
			continue
		}
		text := bytes.TrimRight(raw, "\r\n")
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		if rows++; rows%4096 == 0 {
			p.Add(4096)
		}
		if c, ok := parseGeoNamesRow(ps, line, text, &cols); ok {
			c.Sources = sources
			for i := range c.Names {
				c.Names[i].Source = src
			}
			cities = append(cities, c)
		}
	}
	p.Add(rows % 4096)
	return cities
}

func parseGeoNamesRow(ps *knowledge.FileProblems, line int, text []byte, cols *[geonamesColumns][]byte) (knowledge.CityRecord, bool) {
	n := 0
	for rest := text; ; n++ {
		i := bytes.IndexByte(rest, '\t')
		if n < geonamesColumns {
			if i < 0 {
				cols[n] = rest
			} else {
				cols[n] = rest[:i]
			}
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	if n+1 != geonamesColumns {
		ps.Addf(line, "", "%d tab-separated columns, want %d (a GeoNames cities file)", n+1, geonamesColumns)
		return knowledge.CityRecord{}, false
	}
	if !utf8.Valid(text) {
		ps.Addf(line, "", "not valid UTF-8")
		return knowledge.CityRecord{}, false
	}
	before := ps.Len()
	var c knowledge.CityRecord
	c.Line = line
	id, err := strconv.ParseInt(string(cols[0]), 10, 64)
	if err != nil || id <= 0 {
		ps.Addf(line, "geonameid", "%q is not a positive integer", cols[0])
	}
	c.Key = GeoNamesKey(id)
	c.GeoNames = &id
	c.Name = string(cols[1])
	lat, err1 := strconv.ParseFloat(string(cols[4]), 64)
	lon, err2 := strconv.ParseFloat(string(cols[5]), 64)
	if err1 != nil {
		ps.Addf(line, "latitude", "%q is not a number", cols[4])
	}
	if err2 != nil {
		ps.Addf(line, "longitude", "%q is not a number", cols[5])
	}
	c.Latitude, c.Longitude = &lat, &lon
	if string(cols[6]) != "P" {
		ps.Addf(line, "feature class", "%q is not P (a populated place): import a GeoNames cities file", cols[6])
	}
	if len(cols[8]) == 0 {
		ps.Addf(line, "country code", "required")
	}
	c.Country = knowledge.Ref{Code: string(cols[8])}
	// The admin1 code, unique within the country; Check holds it to its form.
	c.Admin1 = string(cols[10])
	if len(cols[14]) > 0 {
		pop, err := strconv.ParseInt(string(cols[14]), 10, 64)
		switch {
		case err != nil:
			ps.Addf(line, "population", "%q is not an integer", cols[14])
		case pop > 0:
			c.Population = &pop
		}
	}
	if ps.Len() != before {
		return knowledge.CityRecord{}, false
	}
	// GeoNames lists the name itself, codes and near-duplicates among the alternate
	// names; keep each distinct spelling once, as long as it keeps the rule of names
	// (knowledge.NameText, the API's): an alternate name that breaks it is left out,
	// as the gazetteer's noise, while a row's own name that breaks it refuses the row.
	var seen map[string]bool // once there are too many names to compare one by one
	add := func(s string) {
		if s == "" || s == c.Name || strings.TrimSpace(s) == "" || knowledge.NameText.Problem(s) != "" {
			return
		}
		if seen != nil {
			if seen[s] {
				return
			}
			seen[s] = true
		} else {
			for _, n := range c.Names {
				if n.Name == s {
					return
				}
			}
			if len(c.Names) == 16 {
				seen = make(map[string]bool, 64)
				for _, n := range c.Names {
					seen[n.Name] = true
				}
				seen[s] = true
			}
		}
		c.Names = append(c.Names, knowledge.NameRecord{Language: UndeterminedLanguage, Name: s})
	}
	add(string(cols[2]))
	for alt := cols[3]; len(alt) > 0; {
		i := bytes.IndexByte(alt, ',')
		if i < 0 {
			add(string(alt))
			break
		}
		add(string(alt[:i]))
		alt = alt[i+1:]
	}
	return c, true
}

// GeoNamesCountryInfoSource is GeoNames' table of countries, the source of the one
// country an ISO 3166 import adds to the file's: Kosovo (see Kosovo).
var GeoNamesCountryInfoSource = knowledge.SourceRecord{
	Key:       "geonames-countryinfo",
	Title:     "GeoNames countryInfo.txt",
	Publisher: "GeoNames",
	URL:       "https://download.geonames.org/export/dump/countryInfo.txt",
}

// Kosovo is the country GeoNames lists under the user-assigned code XK, which ISO 3166-1
// does not assign and iso-codes therefore lacks, while current GeoNames cities files
// have rows in it. GeoNames' countryInfo.txt (GeoNamesCountryInfoSource) states the code
// XK and the name Kosovo; nothing more is taken from it.
var Kosovo = knowledge.CountryRecord{Code: "XK", Name: "Kosovo"}

// ParseISO3166 reads the ISO 3166-1 JSON of Debian's iso-codes package
// (/usr/share/iso-codes/json/iso_3166-1.json): {"3166-1": [{"alpha_2", "name",
// "common_name", "official_name", …}]}. Each entry becomes a country named as users
// know it: its common_name where iso-codes gives one ("South Korea", "Taiwan"), else
// its name (the ISO short name, "Russian Federation": iso-codes has no other). A file
// without XK gains Kosovo, citing GeoNamesCountryInfoSource, so that a current GeoNames
// cities file can follow it. The official name and the ISO short name a common name
// replaces are kept as the country's other names (country_names).
func ParseISO3166(name string, r io.Reader, p *Progress) (*knowledge.Batch, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	b := &knowledge.Batch{File: name, Format: string(FormatISO3166)}
	ps := &knowledge.FileProblems{File: name}
	entries, lines, err := isoEntries(data)
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			ps.Addf(0, le.field, "%s", le.msg)
			return nil, ps.Err()
		}
		return nil, err
	}
	hasKosovo := false
	for i, raw := range entries {
		line := lines[i]
		p.Add(1)
		var e struct {
			Alpha2       string  `json:"alpha_2"`
			Name         string  `json:"name"`
			CommonName   *string `json:"common_name"`
			OfficialName string  `json:"official_name"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			ps.Addf(line, "", "not an ISO 3166-1 entry: %s", strings.TrimPrefix(err.Error(), "json: "))
			continue
		}
		name := e.Name
		if e.CommonName != nil {
			// Given, it is held to the rules as name is: an empty one is an error, not
			// a reason to fall back silently.
			name = *e.CommonName
		}
		// The names the country is not called by are kept as names of its own, so that
		// "Korea, Republic of" and "Argentine Republic" still find it.
		var others []string
		for _, n := range []string{e.Name, e.OfficialName} {
			if n != "" && n != name && !slices.Contains(others, n) {
				others = append(others, n)
			}
		}
		b.Countries = append(b.Countries, knowledge.CountryRecord{Entry: knowledge.Entry{Line: line}, Code: e.Alpha2, Name: name, Names: others})
		hasKosovo = hasKosovo || e.Alpha2 == Kosovo.Code
	}
	if !hasKosovo && len(b.Countries) > 0 {
		b.Sources = append(b.Sources, GeoNamesCountryInfoSource)
		b.Countries = append(b.Countries, Kosovo)
	}
	b.Check(ps)
	// The batch comes back with the problems: --skip-invalid writes what is valid.
	return b, ps.Err()
}

// isoEntries returns the entries of an ISO 3166-1 JSON document with the line each
// starts on. Entries are located in the file by their text so that problems name a line.
func isoEntries(data []byte) ([]json.RawMessage, []int, error) {
	var doc struct {
		Entries []json.RawMessage `json:"3166-1"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, &lineError{msg: "not ISO 3166-1 JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if doc.Entries == nil {
		return nil, nil, &lineError{field: "3166-1", msg: "required: the list of countries"}
	}
	lines := make([]int, len(doc.Entries))
	offset := 0
	for i, raw := range doc.Entries {
		if j := bytes.Index(data[offset:], raw); j >= 0 {
			lines[i] = 1 + bytes.Count(data[:offset+j], []byte("\n"))
			offset += j + len(raw)
		}
	}
	return doc.Entries, lines, nil
}
