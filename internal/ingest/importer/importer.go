// Package importer reads the file formats of `amity import` (Amity's NDJSON knowledge
// format, the GeoNames gazetteer and its first-level divisions, the ISO 3166-1 JSON of
// Debian's iso-codes and a partner's spreadsheet of partnerships as CSV) into
// the domain's knowledge.Batch, checks it with the domain's rules (Batch.Check), and
// reports progress. It knows nothing of SQL: the store (internal/postgres) writes a
// checked Batch in one transaction.
package importer

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/amity/amity/internal/knowledge"
)

// Format names an import file format.
type Format string

// The formats Parse reads. FormatAuto picks one from the file's name and first bytes.
const (
	FormatAuto     Format = "auto"
	FormatNDJSON   Format = "ndjson"
	FormatGeoNames Format = "geonames"
	FormatISO3166  Format = "iso3166"
	FormatCSV      Format = "csv"
	FormatAdmin1   Format = "admin1"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatAuto, FormatNDJSON, FormatGeoNames, FormatISO3166, FormatAdmin1, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, ndjson, geonames, admin1, iso3166 or csv)", s)
}

// Detect picks the format of a file from its name and its first bytes. The extension
// decides when it is unambiguous; otherwise the content does, because GeoNames dumps
// are often renamed.
func Detect(name string, head []byte) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ndjson", ".jsonl":
		return FormatNDJSON, nil
	case ".csv":
		return FormatCSV, nil
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")) && bytes.Contains(head, []byte(`"3166-1"`)):
		return FormatISO3166, nil
	case bytes.HasPrefix(trimmed, []byte("{")):
		return FormatNDJSON, nil
	case bytes.Count(firstLine(head), []byte("\t")) == geonamesColumns-1:
		return FormatGeoNames, nil
	case admin1Key.Match(firstLine(trimmed)) && bytes.Count(firstLine(head), []byte("\t")) == admin1Columns-1:
		return FormatAdmin1, nil
	case bytes.Contains(bytes.ToLower(firstLine(trimmed)), []byte("partner_city")),
		bytes.Contains(bytes.ToLower(firstLine(trimmed)), []byte("partner city")):
		// A partner's spreadsheet saved under another name: its header says so.
		return FormatCSV, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format (want NDJSON, a GeoNames cities file, GeoNames admin1CodesASCII.txt, ISO 3166-1 JSON or a CSV of partnerships); give --format", name)
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// Parse reads a whole file of the given format (not FormatAuto) into a checked Batch.
// name is used in error messages. The error is a *knowledge.FileError listing every
// problem found when the file is malformed (the first knowledge.MaxFileProblems listed).
// With a *knowledge.FileError whose problems all have a line, the batch is returned
// too, holding every record that could be read, for SkipInvalid; with any other error
// it is nil.
func Parse(name string, r io.Reader, f Format, p *Progress) (*knowledge.Batch, error) {
	switch f {
	case FormatNDJSON:
		return ParseNDJSON(name, r, p)
	case FormatGeoNames:
		return ParseGeoNames(name, r, p)
	case FormatISO3166:
		return ParseISO3166(name, r, p)
	case FormatCSV:
		return ParseCSV(name, r, CSVOptions{}, p)
	case FormatAdmin1:
		return ParseAdmin1(name, r, p)
	}
	return nil, fmt.Errorf("%s: parse: format %q is not a concrete format", name, f)
}
