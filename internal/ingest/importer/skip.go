package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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
// a dropped line defines (a partnership naming a rejected city), with that reason. A
// source is the exception: a spreadsheet's row defines the source it cites beside its
// partnership, and other rows cite it too, so a source is dropped only for a problem
// of its own (its field "source.…", or none) and stays for its row's partnership's. The
// rest is checked again (Batch.Check) until no problem remains, so the batch returned
// passes the domain's rules. It fails when a problem concerns the whole file (line 0):
// such a file cannot be imported in part.
//
// b must be the batch as parsed: SkipInvalid leaves it as it is, so that it can be
// called again with more problems (those the store finds).
func SkipInvalid(b *knowledge.Batch, problems []knowledge.FileProblem) (*knowledge.Batch, []Rejection, error) {
	reasons := map[int][]string{}
	badSource := map[int]bool{}
	add := func(p knowledge.FileProblem) error {
		if p.Line <= 0 {
			return fmt.Errorf("%s: cannot skip invalid lines: %s", b.File, p)
		}
		reasons[p.Line] = append(reasons[p.Line], reason(p))
		badSource[p.Line] = badSource[p.Line] || fieldKind(p.Field) == "" || fieldKind(p.Field) == knowledge.KindSource
		return nil
	}
	for _, p := range problems {
		if err := add(p); err != nil {
			return nil, nil, err
		}
	}
	for {
		kept := keepLines(b, reasons, badSource)
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

// fieldKind is the kind of record a problem's field belongs to ("source" of
// "source.title"), or "" for a problem of the whole line or of a format's column.
func fieldKind(field string) string {
	k, _, _ := strings.Cut(field, ".")
	k, _, _ = strings.Cut(k, "[")
	if slices.Contains(knowledge.Kinds, k) || k == knowledge.KindStatement {
		return k
	}
	return ""
}

// reason is a problem as a reject file gives it: "field: message", or the message.
func reason(p knowledge.FileProblem) string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// Rejections groups problems by line, as SkipInvalid rejects lines: for a report of
// a file refused as a whole, whose every problem is a line's. Problems of the whole
// file (line 0) are left out.
func Rejections(problems []knowledge.FileProblem) []Rejection {
	reasons := map[int][]string{}
	for _, p := range problems {
		if p.Line > 0 {
			reasons[p.Line] = append(reasons[p.Line], reason(p))
		}
	}
	return rejections(reasons)
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
// rejected, and of the sources of lines whose reasons are not the source's
// (badSource). Records at line 0 (a format's own source, such as GeoNames') are kept.
func keepLines(b *knowledge.Batch, reasons map[int][]string, badSource map[int]bool) *knowledge.Batch {
	ok := func(line int) bool { _, bad := reasons[line]; return !bad }
	return &knowledge.Batch{
		File:         b.File,
		Format:       b.Format,
		Sources:      keep(b.Sources, func(r knowledge.SourceRecord) bool { return !badSource[r.Line] }),
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
// one line; a CSV file's reject file is a CSV file (see writeCSVRejects). It returns
// how many lines (CSV: rows) it wrote.
func WriteRejects(w io.Writer, r io.Reader, f Format, rejected []Rejection) (int, error) {
	if len(rejected) == 0 {
		return 0, nil
	}
	byLine := make(map[int]Rejection, len(rejected))
	for _, rj := range rejected {
		byLine[rj.Line] = rj
	}
	if f == FormatCSV {
		return writeCSVRejects(w, r, byLine)
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
