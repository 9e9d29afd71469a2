package knowledge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in        string
		first     string // the stored day, or "" when refused
		last      string
		precision DatePrecision
		err       string
	}{
		{in: "1994", first: "1994-01-01", last: "1994-12-31", precision: PrecisionYear},
		{in: "1994-05", first: "1994-05-01", last: "1994-05-31", precision: PrecisionMonth},
		{in: "1996-02", first: "1996-02-01", last: "1996-02-29", precision: PrecisionMonth},
		{in: "1994-05-12", first: "1994-05-12", last: "1994-05-12", precision: PrecisionDay},
		{in: "2024-02-29", first: "2024-02-29", last: "2024-02-29", precision: PrecisionDay},
		{in: "0001", first: "0001-01-01", last: "0001-12-31", precision: PrecisionYear},
		{in: "9999-12", first: "9999-12-01", last: "9999-12-31", precision: PrecisionMonth},
		{in: "1994-13", err: `"1994-13" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no month 13`},
		{in: "1994-00", err: "there is no month 00"},
		{in: "1994-02-30", err: `"1994-02-30" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD: there is no day 30 in 1994-02`},
		{in: "2023-02-29", err: "there is no day 29 in 2023-02"},
		{in: "94", err: `"94" is not a calendar date in the form YYYY, YYYY-MM or YYYY-MM-DD`},
		{in: "1994-5", err: "is not a calendar date"},
		{in: "1994-05-12T00:00:00Z", err: "is not a calendar date"},
		{in: "", err: "is not a calendar date"},
		{in: "+1994", err: "is not a calendar date"},
		{in: "0000", first: "0000-01-01", last: "0000-12-31", precision: PrecisionYear}, // a form, out of the limits (DateProblem)
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDate(%q) = %v, %v; want the error %q", tt.in, d, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		got := [4]string{d.First().Format(time.DateOnly), d.Last().Format(time.DateOnly), d.Precision.String(), d.String()}
		want := [4]string{tt.first, tt.last, tt.precision.String(), tt.in}
		if got != want {
			t.Errorf("ParseDate(%q) = first, last, precision, string %v; want %v", tt.in, got, want)
		}
	}
}

// A full date marshals as its time.Time did, so that the hash of a retried write with
// full dates is the one it always was; an imprecise one as given.
func TestDateJSON(t *testing.T) {
	day := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	old, _ := json.Marshal(day)
	for _, tt := range []struct {
		d    Date
		want string
	}{{DayDate(day), string(old)}, {MustParseDate("1994"), `"1994"`}, {MustParseDate("1994-05"), `"1994-05"`}} {
		got, err := json.Marshal(tt.d)
		if err != nil || string(got) != tt.want {
			t.Errorf("json.Marshal(%v) = %s, %v; want %s", tt.d, got, err, tt.want)
		}
	}
}
