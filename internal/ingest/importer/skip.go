package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/amity/amity/internal/knowledge"
)

// Rejection is one line of a file that `amity import --skip-invalid` left out, with
// every reason found for it.
type Rejection struct {
	Line    int
	Reasons []string // "field: message", or the message alone
}

// SkipInvalid returns the part of b that the problems leave valid: every record on a
// line with a problem is dropped, and so is every record that refers to an entity only
// a dropped line defines (a partnership naming a rejected city), with that reason. The
// rest is checked again (Batch.Check) until no problem remains, so the batch returned
// passes the domain's rules. It fails when a problem concerns the whole file (line 0):
// such a file cannot be imported in part.
//
// b must be the batch as parsed: SkipInvalid leaves it as it is, so that it can be
// called again with more problems (those the store finds).
func SkipInvalid(b *knowledge.Batch, problems []knowledge.FileProblem) (*knowledge.Batch, []Rejection, error) {
	reasons := map[int][]string{}
	add := func(p knowledge.FileProblem) error {
		if p.Line <= 0 {
			return fmt.Errorf("%s: cannot skip invalid lines: %s", b.File, p)
		}
		r := p.Message
		if p.Field != "" {
			r = p.Field + ": " + p.Message
		}
		reasons[p.Line] = append(reasons[p.Line], r)
		return nil
	}
	for _, p := range problems {
		if err := add(p); err != nil {
			return nil, nil, err
		}
	}
	for {
		kept := keepLines(b, reasons)
		dependent := false
		kept.EachRef(func(u knowledge.RefUse) {
			if b.Defines(u.Kind, u.Ref) && !kept.Defines(u.Kind, u.Ref) {
				reasons[u.Line] = append(reasons[u.Line], fmt.Sprintf("%s: refers to %s %s, which is on a rejected line", u.Field(), u.Kind, u.Ref))
				dependent = true
			}
		})
		if dependent {
			continue
		}
		ps := &knowledge.FileProblems{File: b.File}
		kept.Check(ps)
		if ps.Len() == 0 {
			return kept, rejections(reasons), nil
		}
		var fe *knowledge.FileError
		if !errors.As(ps.Err(), &fe) {
			return nil, nil, ps.Err()
		}
		for _, p := range fe.All() {
			if err := add(p); err != nil {
				return nil, nil, err
			}
		}
	}
}

func rejections(reasons map[int][]string) []Rejection {
	out := make([]Rejection, 0, len(reasons))
	for line, rs := range reasons {
		out = append(out, Rejection{Line: line, Reasons: dedupe(rs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

func dedupe(rs []string) []string {
	out := rs[:0:0]
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// keepLines returns a new batch of b's records whose lines have no reason to be
// rejected. Records at line 0 (a format's own source, such as GeoNames') are kept.
func keepLines(b *knowledge.Batch, reasons map[int][]string) *knowledge.Batch {
	ok := func(line int) bool { _, bad := reasons[line]; return !bad }
	return &knowledge.Batch{
		File:         b.File,
		Format:       b.Format,
		Sources:      keep(b.Sources, func(r knowledge.SourceRecord) bool { return ok(r.Line) }),
		Countries:    keep(b.Countries, func(r knowledge.CountryRecord) bool { return ok(r.Line) }),
		Divisions:    keep(b.Divisions, func(r knowledge.DivisionRecord) bool { return ok(r.Line) }),
		Cities:       keep(b.Cities, func(r knowledge.CityRecord) bool { return ok(r.Line) }),
		Officials:    keep(b.Officials, func(r knowledge.OfficialRecord) bool { return ok(r.Line) }),
		Agreements:   keep(b.Agreements, func(r knowledge.AgreementRecord) bool { return ok(r.Line) }),
		Partnerships: keep(b.Partnerships, func(r knowledge.PartnershipRecord) bool { return ok(r.Line) }),
		Institutions: keep(b.Institutions, func(r knowledge.InstitutionRecord) bool { return ok(r.Line) }),
		Figures:      keep(b.Figures, func(r knowledge.FigureRecord) bool { return ok(r.Line) }),
		Statements:   keep(b.Statements, func(r knowledge.StatementRecord) bool { return ok(r.Line) }),
	}
}

func keep[T any](xs []T, ok func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}

// RejectsSuffix is appended to an input file's name to name its reject file.
const RejectsSuffix = ".rejects"

// WriteRejects writes the rejected lines of a file, read from r (the file itself, in
// the given format), to w: each rejected line as it was, then a tab and a last column
// of its reasons, "line N: reason; reason". A line of NDJSON or of a GeoNames file is
// copied byte for byte; an ISO 3166 entry, which spans lines, is written as its JSON on
// one line. It returns how many lines it wrote.
func WriteRejects(w io.Writer, r io.Reader, f Format, rejected []Rejection) (int, error) {
	if len(rejected) == 0 {
		return 0, nil
	}
	byLine := make(map[int]Rejection, len(rejected))
	for _, rj := range rejected {
		byLine[rj.Line] = rj
	}
	bw := bufio.NewWriter(w)
	n := 0
	emit := func(text []byte, rj Rejection) error {
		reasons := strings.Join(rj.Reasons, "; ")
		// The column is one field: no tab or line break of a message may split it.
		reasons = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(reasons)
		if _, err := fmt.Fprintf(bw, "%s\tline %d: %s\n", text, rj.Line, reasons); err != nil {
			return err
		}
		n++
		return nil
	}
	if f == FormatISO3166 {
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, err
		}
		entries, lines, err := isoEntries(bytes.TrimPrefix(data, utf8BOM))
		if err != nil {
			return 0, err
		}
		for i, raw := range entries {
			if rj, ok := byLine[lines[i]]; ok {
				var buf bytes.Buffer
				if json.Compact(&buf, raw) != nil {
					buf.Reset()
					buf.Write(raw)
				}
				if err := emit(buf.Bytes(), rj); err != nil {
					return n, err
				}
			}
		}
		return n, bw.Flush()
	}
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if len(text) > 0 {
			if rj, ok := byLine[line]; ok {
				t := bytes.TrimRight(text, "\r\n")
				if line == 1 {
					t = bytes.TrimPrefix(t, utf8BOM)
				}
				if err := emit(t, rj); err != nil {
					return n, err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}
