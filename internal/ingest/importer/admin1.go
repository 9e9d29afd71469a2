package importer

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/amity/amity/internal/knowledge"
)

// admin1Columns is the width of GeoNames' admin1CodesASCII.txt: code ("AR.05"), name,
// ASCII name, geonameid.
const admin1Columns = 4

// admin1Key is how a line of admin1CodesASCII.txt starts: a country code, a dot and the
// admin1 code. Format detection needs it because four tab-separated columns alone say
// little.
var admin1Key = regexp.MustCompile(`^[A-Z]{2}\.[0-9A-Za-z]+\t`)

// ParseAdmin1 reads GeoNames' admin1CodesASCII.txt, the names of the countries'
// first-level divisions (tab-separated: "AR.05", the name, the ASCII name, the
// geonameid), into divisions. The file has no header; lines starting with # are
// skipped, as in the cities files. A division's country must be stored or in the same
// import.
func ParseAdmin1(name string, r io.Reader, p *Progress) (*knowledge.Batch, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	b := &knowledge.Batch{File: name, Format: string(FormatAdmin1)}
	ps := &knowledge.FileProblems{File: name}
	for line := 1; len(data) > 0; line++ {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		text := bytes.TrimRight(raw, "\r")
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		p.Add(1)
		cols := bytes.Split(text, []byte{'\t'})
		if len(cols) != admin1Columns {
			ps.Addf(line, "", "%d tab-separated columns, want %d (GeoNames admin1CodesASCII.txt)", len(cols), admin1Columns)
			continue
		}
		if !utf8.Valid(text) {
			ps.Addf(line, "", "not valid UTF-8")
			continue
		}
		cc, code, ok := bytes.Cut(cols[0], []byte{'.'})
		if !ok {
			ps.Addf(line, "code", "%q is not a country code, a dot and an admin1 code (such as \"AR.05\")", cols[0])
			continue
		}
		d := knowledge.DivisionRecord{Line: line, Country: knowledge.Ref{Code: string(cc)}, Code: string(code),
			Name: string(cols[1]), ASCIIName: string(cols[2])}
		if len(cols[3]) > 0 {
			id, err := strconv.ParseInt(string(cols[3]), 10, 64)
			if err != nil {
				ps.Addf(line, "geonameid", "%q is not an integer", cols[3])
				continue
			}
			d.GeoNames = &id
		}
		b.Divisions = append(b.Divisions, d)
	}
	if len(b.Divisions) == 0 && ps.Len() == 0 {
		ps.Addf(0, "", "no admin1 rows")
	}
	b.Check(ps)
	// The batch comes back with the problems: --skip-invalid writes what is valid.
	return b, ps.Err()
}
