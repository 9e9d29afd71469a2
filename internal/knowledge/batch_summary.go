package knowledge

import (
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// BatchCounts says what an import did to the entities of one kind. An entity counts as
// updated when a stored value changed or it gained a name, source or link; as
// unchanged when the file only repeated what the database held.
type BatchCounts struct {
	Created, Updated, Unchanged int64
}

// BatchSummary is the outcome of importing one file.
type BatchSummary struct {
	File    string
	Format  string
	Counts  map[string]BatchCounts // by kind; kinds the file did not hold are absent
	Elapsed time.Duration
	// ByName holds what the import decided for each city the file refers to by name,
	// also when the file was refused once its cities were looked up.
	ByName map[Ref]CityMatch
}

// Rows is the number of entities the file held.
func (s BatchSummary) Rows() int64 {
	var n int64
	for _, c := range s.Counts {
		n += c.Created + c.Updated + c.Unchanged
	}
	return n
}

// Changed reports whether the import wrote anything.
func (s BatchSummary) Changed() bool {
	for _, c := range s.Counts {
		if c.Created+c.Updated > 0 {
			return true
		}
	}
	return false
}

// Write prints the summary as a small table, kinds in Kinds order.
func (s BatchSummary) Write(w io.Writer) {
	rate := ""
	if secs := s.Elapsed.Seconds(); secs > 0 {
		rate = fmt.Sprintf(", %.0f rows/s", float64(s.Rows())/secs)
	}
	fmt.Fprintf(w, "%s (%s): %d rows in %s%s\n", s.File, s.Format, s.Rows(), s.Elapsed.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "  %-12s %10s %10s %10s\n", "type", "created", "updated", "unchanged")
	for _, k := range Kinds {
		c, ok := s.Counts[k]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "  %-12s %10d %10d %10d\n", k, c.Created, c.Updated, c.Unchanged)
	}
}

// CityMatch is what an import decided for a city referred to by name and country
// (Ref.ByName), by the rule of docs/import.md ("Cities by name"): so that a partner's
// list can be answered row by row.
type CityMatch struct {
	// ID is the city the reference names: a stored one, or the one the import creates
	// for it. It is uuid.Nil when the reference was refused.
	ID      uuid.UUID
	Created bool
	// Ambiguous is set when the reference was refused because more than one stored city
	// may be the one; Problem then lists the candidates.
	Ambiguous bool
	// Problem says why the reference was refused, or is "".
	Problem string
}
