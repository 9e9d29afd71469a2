package knowledge

import (
	"fmt"
	"io"
	"time"
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
