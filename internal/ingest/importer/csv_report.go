package importer

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// The outcomes of a row of a partner's spreadsheet (docs/import.md, "The report").
// An outcome is what the import decided for the row; whether the row was stored is
// RowOutcome.Written, since a file refused as a whole stores none of its rows.
const (
	RowMatched   = "matched"   // both cities are stored cities
	RowCreated   = "created"   // one city or both are created, as the row asked
	RowAmbiguous = "ambiguous" // a city's name fits several stored cities; the reasons list them
	RowRefused   = "refused"   // anything else is wrong with the row; the reasons say what
	// RowUnchecked is a row with no problem of its own whose cities were not looked up:
	// the file was refused for other rows' problems before its cities were.
	RowUnchecked = "unchecked"
)

// RowOutcomesOrder lists the outcomes in the order a summary counts them.
var RowOutcomesOrder = []string{RowMatched, RowCreated, RowAmbiguous, RowRefused, RowUnchecked}

// RowOutcome is what an import did with one row of a partner's spreadsheet.
type RowOutcome struct {
	Line    int
	Outcome string
	Written bool
	// City and PartnerCity are the row's cities as it names them.
	City, PartnerCity knowledge.Ref
	// CityID and PartnerCityID are the cities they resolved to, stored or created;
	// uuid.Nil where none was decided.
	CityID, PartnerCityID uuid.UUID
	Reasons               []string
}

// RowOutcomes returns the outcome of every row of a spreadsheet, in line order: parsed
// is the batch as ParseCSV read it, rejected the rows refused with their reasons (by
// SkipInvalid, or Rejections of a refused file's problems), byName what the store
// decided for each city (knowledge.BatchSummary.ByName; nil when it never looked), and
// written whether the import committed.
func RowOutcomes(parsed *knowledge.Batch, rejected []Rejection, byName map[knowledge.Ref]knowledge.CityMatch, written bool) []RowOutcome {
	reasons := make(map[int][]string, len(rejected))
	for _, rj := range rejected {
		reasons[rj.Line] = rj.Reasons
	}
	var out []RowOutcome
	seen := map[int]bool{}
	for _, p := range parsed.Partnerships {
		seen[p.Line] = true
		o := RowOutcome{Line: p.Line, Reasons: slices.Clone(reasons[p.Line])}
		var ms [2]knowledge.CityMatch
		looked := [2]bool{}
		if len(p.Cities) == 2 {
			o.City, o.PartnerCity = p.Cities[0], p.Cities[1]
			ms[0], looked[0] = byName[p.Cities[0]]
			ms[1], looked[1] = byName[p.Cities[1]]
			o.CityID, o.PartnerCityID = ms[0].ID, ms[1].ID
		}
		// A row rejected before the store looked (a bad date) may name a city that
		// another row's look-up refused: the row is told that too.
		for i, m := range ms {
			if r := fmt.Sprintf("partnership.cities[%d]: %s", i, m.Problem); m.Problem != "" && !slices.Contains(o.Reasons, r) {
				o.Reasons = append(o.Reasons, r)
			}
		}
		switch {
		case ms[0].Ambiguous || ms[1].Ambiguous:
			o.Outcome = RowAmbiguous
		case len(o.Reasons) > 0:
			o.Outcome = RowRefused
		case !looked[0] || !looked[1]:
			o.Outcome = RowUnchecked
		case ms[0].Created || ms[1].Created:
			o.Outcome = RowCreated
		default:
			o.Outcome = RowMatched
		}
		o.Written = written && (o.Outcome == RowMatched || o.Outcome == RowCreated)
		out = append(out, o)
	}
	// Rows that could not be read as a partnership at all (the wrong number of
	// fields, not UTF-8) are known only by their problems.
	for _, rj := range rejected {
		if !seen[rj.Line] {
			out = append(out, RowOutcome{Line: rj.Line, Outcome: RowRefused, Reasons: rj.Reasons})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// WriteRowOutcomes writes the outcomes as a CSV file, one row per row of the
// spreadsheet: line, outcome, written (yes or no), city and partner_city as the row
// names them ("Name, admin1, country"), the global ids of the cities they resolved to
// (what node(id:) takes; empty where none), and the reasons, joined by "; ".
func WriteRowOutcomes(w io.Writer, rows []RowOutcome) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "outcome", "written", "city", "partner_city", "city_id", "partner_city_id", "reasons"}); err != nil {
		return err
	}
	for _, o := range rows {
		written := "no"
		if o.Written {
			written = "yes"
		}
		if err := cw.Write([]string{strconv.Itoa(o.Line), o.Outcome, written, cityText(o.City), cityText(o.PartnerCity),
			globalCityID(o.CityID), globalCityID(o.PartnerCityID), strings.Join(o.Reasons, "; ")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CountRowOutcomes counts the rows of each outcome.
func CountRowOutcomes(rows []RowOutcome) map[string]int {
	n := map[string]int{}
	for _, o := range rows {
		n[o.Outcome]++
	}
	return n
}

func cityText(r knowledge.Ref) string {
	var parts []string
	for _, s := range []string{r.Name, r.Admin1, r.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func globalCityID(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return knowledge.GlobalID(knowledge.TypeCity, id)
}
