package postgres

import (
	"fmt"

	"github.com/amity/amity/internal/knowledge"
)

// A date that may be imprecise is stored in two columns: the first day of its period,
// which every index and ordering uses, and its precision (migration 00011). Reads
// select it as one text, amity_date_text(date, precision) ("1994", "1994-05",
// "1994-05-12"), which dbDate reads back by the one rule of dates, knowledge.ParseDate.

// dbDate scans a date as amity_date_text writes it; NULL leaves it nil.
type dbDate struct{ d *knowledge.Date }

// Scan implements sql.Scanner.
func (s *dbDate) Scan(v any) error {
	var text string
	switch v := v.(type) {
	case nil:
		s.d = nil
		return nil
	case []byte:
		text = string(v)
	case string:
		text = v
	default:
		return fmt.Errorf("scan date: unexpected %T", v)
	}
	d, err := knowledge.ParseDate(text)
	if err != nil {
		return fmt.Errorf("scan date: %w", err)
	}
	s.d = &d
	return nil
}

// dateArgs are a date's two column values, its first day and its precision, or two
// NULLs for no date.
func dateArgs(d *knowledge.Date) (day, precision any) {
	if d == nil {
		return nil, nil
	}
	return d.Time, d.Precision.String()
}
