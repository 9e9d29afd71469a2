package importer

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/amity/amity/internal/knowledge"
)

// A partner's spreadsheet: one partnership per row of a CSV file with a header, both
// cities named by name and country (docs/import.md, "A partner's spreadsheet"). The
// decoder only decodes: every rule is the batch's (Batch.Check) and the store's
// (reconciliation, duplicates it alone can see).

// The columns of a partner's spreadsheet, in the order the documentation lists them.
// The prefix "partner_" names the second city's columns.
var csvColumns = []string{
	"city", "country", "admin1", "latitude", "longitude",
	"partner_city", "partner_country", "partner_admin1", "partner_latitude", "partner_longitude",
	"kind", "since", "until", "source_url", "source_title", "create",
}

// csvRequired are the columns a header must name: without one of them, every row
// would be refused for the same reason.
var csvRequired = []string{"city", "country", "partner_city", "partner_country", "kind", "source_url"}

// CSVOptions are the settings of ParseCSV.
type CSVOptions struct {
	// CreateCities creates every city no stored city matches, as a "create" column of
	// "yes" on every row would.
	CreateCities bool
}

// ParseCSV reads a partner's spreadsheet into a checked Batch: each row a partnership
// of two cities named by name (knowledge.Ref.ByName) citing the row's source, and one
// source per distinct source_url that a row gives a source_title (a URL without a
// title refers to a source stored or defined by another row). Lines are the file's
// lines, also when a quoted field spans several. A UTF-8 byte order mark is skipped;
// the delimiter is ';' when the header has more semicolons than commas (spreadsheets
// export ';' where the decimal separator is a comma), else ','.
//
// A partnership's key derives from its kind and its two cities as written (in lower
// case, in either order), so that importing the same file again finds the same rows.
// A pair listed again gets the key with "-2", "-3", …, so that the batch's rule
// reports it as a pair already on an earlier line, with both lines.
func ParseCSV(name string, r io.Reader, opts CSVOptions, p *Progress) (*knowledge.Batch, error) {
	b := &knowledge.Batch{File: name, Format: string(FormatCSV)}
	ps := &knowledge.FileProblems{File: name}
	cr := newCSVReader(r)
	header, err := cr.Read()
	if err == io.EOF {
		ps.Addf(0, "", "empty file: want a header row naming the columns (%s)", strings.Join(csvColumns, ", "))
		return nil, ps.Err()
	}
	if err != nil {
		return nil, csvReadError(name, ps, err)
	}
	cols := csvHeader(ps, header)
	if ps.Len() > 0 {
		return nil, ps.Err()
	}

	d := csvDecoder{b: b, ps: ps, cols: cols, width: len(header), create: opts.CreateCities,
		sources: map[string]int{}, keys: map[string]int{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(name, ps, err)
		}
		p.Add(1)
		line, _ := cr.FieldPos(0)
		d.row(line, rec)
	}
	b.Check(ps)
	// The batch comes back with the problems: --skip-invalid writes what is valid.
	return b, ps.Err()
}

// newCSVReader reads a CSV file past its byte order mark, with the delimiter its
// header uses.
func newCSVReader(r io.Reader) *csv.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(len(utf8BOM)); bytes.Equal(bom, utf8BOM) {
		br.Discard(len(utf8BOM)) //nolint:errcheck // the bytes were just peeked
	}
	head, _ := br.Peek(64 << 10) // a short file ends before 64 KiB
	cr := csv.NewReader(br)
	cr.Comma = csvDelimiter(firstLine(head))
	cr.FieldsPerRecord = -1 // a row of the wrong width is that row's problem, not the file's
	return cr
}

// writeCSVRejects writes the rejected rows of a CSV file as a CSV file that can be
// imported again once fixed: the header and each rejected row as they were, with the
// same delimiter, and a last column "reasons" ("line N: reason; reason"), which is to
// be deleted before the file is imported again.
func writeCSVRejects(w io.Writer, r io.Reader, byLine map[int]Rejection) (int, error) {
	cr := newCSVReader(r)
	cw := csv.NewWriter(w)
	cw.Comma = cr.Comma
	header, err := cr.Read()
	if err != nil {
		return 0, err
	}
	if err := cw.Write(append(header, "reasons")); err != nil {
		return 0, err
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
		line, _ := cr.FieldPos(0)
		rj, ok := byLine[line]
		if !ok {
			continue
		}
		if err := cw.Write(append(rec, fmt.Sprintf("line %d: %s", line, strings.Join(rj.Reasons, "; ")))); err != nil {
			return n, err
		}
		n++
	}
	cw.Flush()
	return n, cw.Error()
}

// csvReadError reports a syntax error (a stray quote) at its line: the reader cannot
// tell where the rows after it begin, so the rest of the file is unread and nothing
// of it can be written.
func csvReadError(name string, ps *knowledge.FileProblems, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: read: %w", name, err)
	}
	ps.Addf(pe.Line, "", "not CSV: %v at column %d (put a field with quotes, commas or line breaks in double quotes, and double its quotes; the rest of the file was not read)", pe.Err, pe.Column)
	return ps.Err()
}

// csvDelimiter picks the delimiter from the header line.
func csvDelimiter(header []byte) rune {
	if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		return ';'
	}
	return ','
}

// csvColumn is a header's name as the format spells it: names are compared in lower
// case, with spaces and hyphens as underscores ("Partner City" is partner_city).
func csvColumn(h string) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(h)))
}

// csvHeader maps each known column to its index, and records what is wrong with the
// header: an unknown, repeated or missing column refuses the file, since each would
// misread every row.
func csvHeader(ps *knowledge.FileProblems, header []string) map[string]int {
	known := map[string]bool{}
	for _, c := range csvColumns {
		known[c] = true
	}
	cols := map[string]int{}
	unknown := false
	for i, h := range header {
		c := csvColumn(h)
		switch {
		case !known[c]:
			ps.Addf(1, "", "unknown column %q (the columns are %s)", h, strings.Join(csvColumns, ", "))
			unknown = true
		case hasKey(cols, c):
			ps.Addf(1, "", "column %q given twice (columns %d and %d)", c, cols[c]+1, i+1)
		default:
			cols[c] = i
		}
	}
	// An unknown column is often a required one misspelt: that one message says it.
	for _, c := range csvRequired {
		if !hasKey(cols, c) && !unknown {
			ps.Addf(1, "", "missing column %q (required: %s)", c, strings.Join(csvRequired, ", "))
		}
	}
	return cols
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// csvDecoder turns rows into the batch's records.
type csvDecoder struct {
	b      *knowledge.Batch
	ps     *knowledge.FileProblems
	cols   map[string]int
	width  int
	create bool
	// sources maps a URL to its record in b.Sources; keys counts each derived key.
	sources map[string]int
	keys    map[string]int
}

// row decodes one row into a partnership, and a source when it gives a new URL a
// title. A row it can decode only in part still yields a partnership, so that the
// batch's rules report everything else wrong with it at once.
func (d *csvDecoder) row(line int, rec []string) {
	blank := true
	for _, f := range rec {
		blank = blank && strings.TrimSpace(f) == ""
	}
	if blank {
		return // spreadsheets export empty rows as a line of delimiters
	}
	if len(rec) != d.width {
		d.ps.Addf(line, "", "%d fields, but the header names %d columns", len(rec), d.width)
		return
	}
	for i, f := range rec {
		if !utf8.ValidString(f) {
			d.ps.Addf(line, "", "column %d is not valid UTF-8 (save the spreadsheet as \"CSV UTF-8\")", i+1)
			return
		}
	}
	get := func(col string) string {
		if i, ok := d.cols[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	create := d.create
	switch v := strings.ToLower(get("create")); v {
	case "", "0", "false", "no", "n":
	case "1", "true", "yes", "y", "x":
		create = true
	default:
		d.ps.Addf(line, "create", "%q is not yes or no (also true/false, 1/0, y/n, x or empty)", get("create"))
	}
	side := func(prefix string) knowledge.Ref {
		r := knowledge.Ref{Name: get(prefix + "city"), Country: get(prefix + "country"), Admin1: get(prefix + "admin1"), Create: create}
		if r.Name == "" && r.Country == "" {
			d.ps.Addf(line, prefix+"city", "required: a city's name and country")
		}
		lat, lon := get(prefix+"latitude"), get(prefix+"longitude")
		if lat == "" && lon == "" {
			return r
		}
		if lat == "" || lon == "" {
			d.ps.Addf(line, prefix+"latitude", "latitude and longitude go together: give both or neither")
			return r
		}
		var ok bool
		if r.Lat, ok = d.degrees(line, prefix+"latitude", lat); !ok {
			return r
		}
		if r.Lon, ok = d.degrees(line, prefix+"longitude", lon); !ok {
			return r
		}
		r.Located = true
		return r
	}
	p := knowledge.PartnershipRecord{
		Entry: knowledge.Entry{Line: line},
		// Spreadsheets spell the kinds as words: "sister city" is SISTER_CITY.
		Kind:   strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToUpper(get("kind"))),
		Cities: []knowledge.Ref{side(""), side("partner_")},
		Since:  get("since"),
		Until:  get("until"),
	}
	p.Key = csvKey(p.Kind, p.Cities[0], p.Cities[1])
	if d.keys[p.Key]++; d.keys[p.Key] > 1 {
		p.Key += "-" + strconv.Itoa(d.keys[p.Key])
	}
	if url := get("source_url"); url != "" {
		p.Sources = []knowledge.Ref{{URL: url}}
		d.source(line, url, get("source_title"))
	}
	d.b.Partnerships = append(d.b.Partnerships, p)
}

// degrees reads a coordinate; a decimal comma, as ';' spreadsheets write it, is a point.
func (d *csvDecoder) degrees(line int, col, s string) (float64, bool) {
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.ps.Addf(line, col, "%q is not a number of decimal degrees", s)
		return 0, false
	}
	return v, true
}

// source records the source a row cites, once per URL, on the first line that gives
// it a title. One URL is one source, so a second title for it is the row's problem.
func (d *csvDecoder) source(line int, url, title string) {
	if title == "" {
		return
	}
	if i, ok := d.sources[url]; ok {
		if s := d.b.Sources[i]; s.Title != title {
			d.ps.Addf(line, "source_title", "line %d gives this source_url the title %q: one URL is one source, with one title", s.Line, s.Title)
		}
		return
	}
	sum := sha1.Sum([]byte(url))
	d.sources[url] = len(d.b.Sources)
	d.b.Sources = append(d.b.Sources, knowledge.SourceRecord{Entry: knowledge.Entry{Line: line}, Key: "csv-source-" + hex.EncodeToString(sum[:8]), Title: title, URL: url})
}

// csvKey derives a partnership's key from its kind and its two cities as written, in
// lower case and in either order: the same pair of the same kind has the same key
// whichever way round a row lists it.
func csvKey(kind string, a, b knowledge.Ref) string {
	sa, sb := csvCityText(a), csvCityText(b)
	if sb < sa {
		sa, sb = sb, sa
	}
	sum := sha1.Sum([]byte(kind + "\x00" + sa + "\x00" + sb))
	return "csv-" + hex.EncodeToString(sum[:8])
}

func csvCityText(r knowledge.Ref) string {
	return strings.ToLower(r.Name + "\x00" + r.Country + "\x00" + r.Admin1)
}
