package knowledge

import (
	"fmt"
	"regexp"
	"time"
)

// DatePrecision says how much of a date its source gives: the day, only the month, or
// only the year. Sources often say "in 1994" or "in May 1994"; keeping what they say,
// rather than inventing a first of January, is what lets a view tell a fact dated
// 1994 from one dated 1994-01-01.
type DatePrecision uint8

// The precisions of a date. The zero value is a full date, so that a Date built from
// a time.Time alone is one.
const (
	PrecisionDay DatePrecision = iota
	PrecisionMonth
	PrecisionYear
)

// String is the precision as the store spells it: "day", "month" or "year".
func (p DatePrecision) String() string {
	switch p {
	case PrecisionDay:
		return "day"
	case PrecisionMonth:
		return "month"
	case PrecisionYear:
		return "year"
	}
	return fmt.Sprintf("DatePrecision(%d)", uint8(p))
}

// Date is a date as a source gives it: Time is the first day of the period it names
// (1994-01-01 for "1994", 1994-05-01 for "1994-05"), at midnight UTC, and Precision
// how much of it is known. Keeping the first day lets the store sort and index dates
// of every precision together.
type Date struct {
	Time      time.Time
	Precision DatePrecision
}

// DayDate is the full date of t's calendar day.
func DayDate(t time.Time) Date {
	return Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
}

// DateForms names the forms ParseDate accepts, as error messages say them.
const DateForms = "YYYY, YYYY-MM or YYYY-MM-DD"

var dateForm = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)

// ParseDate reads a date in one of the three ISO 8601 forms a source may give: a year
// ("1994"), a year and month ("1994-05") or a calendar date ("1994-05-12"). It is the
// one rule for dates on every way in (the Date scalar, the NDJSON import, the shipped
// knowledge): a month or day that does not exist ("1994-13", "1994-02-30") or a year
// not written with four digits ("94") is refused with the reason. The range of years
// is a limit, checked with the others (DateProblem), so that a mutation answers it as
// a problem of its input's field.
func ParseDate(s string) (Date, error) {
	if !dateForm.MatchString(s) {
		return Date{}, fmt.Errorf("%q is not a calendar date in the form %s", s, DateForms)
	}
	layout, precision := "2006", PrecisionYear
	switch len(s) {
	case len("2006-01"):
		layout, precision = "2006-01", PrecisionMonth
	case len("2006-01-02"):
		layout, precision = time.DateOnly, PrecisionDay
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a calendar date in the form %s: %s", s, DateForms, dateReason(s))
	}
	return Date{Time: t, Precision: precision}, nil
}

// dateReason says which part of a well-formed but impossible date is wrong.
func dateReason(s string) string {
	var month, day int
	fmt.Sscanf(s[min(5, len(s)):], "%d-%d", &month, &day) //nolint:errcheck // the form is checked; a missing day stays 0
	if month < 1 || month > 12 {
		return fmt.Sprintf("there is no month %s", s[5:7])
	}
	return fmt.Sprintf("there is no day %s in %s", s[8:], s[:7])
}

// MustParseDate is ParseDate for dates known to be valid (tests, constants); it
// panics on any other.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String writes the date as it was given: "1994", "1994-05" or "1994-05-12".
func (d Date) String() string {
	switch d.Precision {
	case PrecisionYear:
		return d.Time.Format("2006")
	case PrecisionMonth:
		return d.Time.Format("2006-01")
	}
	return d.Time.Format(time.DateOnly)
}

// First is the first day of the period the date names.
func (d Date) First() time.Time { return d.Time }

// Last is the last day of the period the date names: 1994-12-31 for "1994",
// 1994-05-31 for "1994-05", the day itself for a full date. A fact dated "since 1994"
// is certain to have begun by then, which is the day from which asOf counts it
// (docs/dates.md).
func (d Date) Last() time.Time {
	switch d.Precision {
	case PrecisionYear:
		return d.Time.AddDate(1, 0, -1)
	case PrecisionMonth:
		return d.Time.AddDate(0, 1, -1)
	}
	return d.Time
}

// MarshalJSON writes a full date as its time.Time always has been written
// ("1994-05-12T00:00:00Z") and an imprecise one as given ("1994"). A write's JSON is
// what a retry is recognised by (postgres.writeTx), so a write with full dates hashes
// as it did before dates had a precision.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.Precision == PrecisionDay {
		return d.Time.MarshalJSON()
	}
	return []byte(`"` + d.String() + `"`), nil
}
