package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// A list nested in its parent's row travels as a text array of text arrays, one per
// row of the list (array(SELECT array[...]) cast to text): one statement then reads a
// page and the lists of its rows, where one statement per list costs PostgreSQL more
// than the lists themselves (docs/benchmarks.md, "Dates inlined"). Text, not JSON:
// building JSON cost PostgreSQL twice what the separate statements did.

// nestedRows is the SQL of the nested list: the columns as a text array per row of
// what from joins where, in no order. A nested list has a few rows, which its reader
// puts in order: a Sort for each row of the page cost PostgreSQL more than the rest of
// the list (docs/benchmarks.md, "Lists put in order by their reader").
func nestedRows(list []namedCol, from, where, as string) string {
	exprs := make([]string, len(list))
	for i, c := range list {
		exprs[i] = c.expr + "::text"
	}
	return fmt.Sprintf("array(SELECT array[%s] FROM %s WHERE %s)::text AS %s",
		strings.Join(exprs, ", "), from, where, as)
}

// prefixed is list with its names under the prefix.
func prefixed(list []namedCol, prefix string) []namedCol {
	out := make([]namedCol, len(list))
	for i, c := range list {
		out[i] = namedCol{c.expr, prefix + c.name}
	}
	return out
}

// parseTextRows reads the text form of a two-dimensional text array ("{}" when the
// list is empty): one slice of fields per row, nil for NULL. A field is a substring of s
// unless it has escapes, and a row's fields share one allocation (a row has at most
// width fields without growing): a page's nested lists hold a few hundred fields.
func parseTextRows(s string, width int) ([][]*string, error) {
	bad := func(why string) error { return fmt.Errorf("nested rows %.60q: %s", s, why) }
	if s == "{}" {
		return nil, nil
	}
	if len(s) < 4 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, bad("not a two-dimensional array")
	}
	var rows [][]*string
	i, end := 1, len(s)-1
	for i < end {
		if s[i] != '{' {
			return nil, bad("a row does not start with {")
		}
		i++
		values := make([]string, 0, width)
		row := make([]*string, 0, width)
		for {
			var field *string
			if s[i] == '"' {
				i++
				from, escaped := i, false
				for ; i < end && s[i] != '"'; i++ {
					if s[i] == '\\' {
						escaped = true
						i++
					}
				}
				if i >= end {
					return nil, bad("an unterminated quote")
				}
				v := s[from:i]
				if escaped {
					v = unescapeArrayText(v)
				}
				i++
				values = append(values, v)
				field = &values[len(values)-1]
			} else {
				j := i
				for j < end && s[j] != ',' && s[j] != '}' {
					j++
				}
				if v := s[i:j]; v != "NULL" {
					values = append(values, v)
					field = &values[len(values)-1]
				}
				i = j
			}
			row = append(row, field)
			if i >= end {
				return nil, bad("a row does not end with }")
			}
			if s[i] == '}' {
				i++
				break
			}
			i++ // the comma
		}
		rows = append(rows, row)
		if i < end {
			if s[i] != ',' {
				return nil, bad("rows not separated by commas")
			}
			i++
		}
	}
	return rows, nil
}

// unescapeArrayText drops the backslashes of a quoted array element: each escapes the
// byte after it.
func unescapeArrayText(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for k := 0; k < len(v); k++ {
		if v[k] == '\\' && k+1 < len(v) {
			k++
		}
		b.WriteByte(v[k])
	}
	return b.String()
}

// errUnknownColumn is a nested column no row type knows: a bug, caught by the tests.
var errUnknownColumn = errors.New("unknown column")

func textUUID(v *string) (uuid.UUID, error) {
	if v == nil {
		return uuid.Nil, errors.New("NULL id")
	}
	return uuid.Parse(*v)
}

func textOptUUID(v *string) (*uuid.UUID, error) {
	if v == nil {
		return nil, nil
	}
	id, err := uuid.Parse(*v)
	return &id, err
}

func textInt(v *string) (int, error) {
	if v == nil {
		return 0, errors.New("NULL number")
	}
	return strconv.Atoi(*v)
}

func textOptInt(v *string) (*int, error) {
	if v == nil {
		return nil, nil
	}
	n, err := strconv.Atoi(*v)
	return &n, err
}

func textOptFloat(v *string) (*float64, error) {
	if v == nil {
		return nil, nil
	}
	f, err := strconv.ParseFloat(*v, 64)
	return &f, err
}

func textString(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

// setText sets the field of the city that the column (as cityColumnList names it)
// fills.
func (r *cityCore) setText(name string, v *string) (err error) {
	country := func() *countryCore {
		if r.Country == nil {
			r.Country = &countryCore{}
		}
		return r.Country
	}
	switch name {
	case "id":
		r.ID, err = textUUID(v)
	case "version":
		r.Version, err = textInt(v)
	case "country_id":
		r.CountryID, err = textUUID(v)
	case "name":
		r.Name = textString(v)
	case "population":
		r.Population, err = textOptInt(v)
	case "latitude":
		r.Latitude, err = textOptFloat(v)
	case "longitude":
		r.Longitude, err = textOptFloat(v)
	case "wikidata_qid":
		r.WikidataQID = v
	case "geonames_id":
		r.GeonamesID, err = textOptInt(v)
	case "admin1_code":
		r.Admin1 = v
	case "country.name":
		country().Name = textString(v)
	case "country.code":
		country().Code = textString(v)
	case "country.wikidata_qid":
		country().WikidataQID = v
	default:
		return fmt.Errorf("city %s: %w", name, errUnknownColumn)
	}
	return err
}

// setText sets the field of the official that the column (as officialColumnList names
// it) fills.
func (r *officialCore) setText(name string, v *string) (err error) {
	switch name {
	case "id":
		r.ID, err = textUUID(v)
	case "version":
		r.Version, err = textInt(v)
	case "name":
		r.Name = textString(v)
	case "title":
		r.Title = v
	case "city_id":
		r.CityID, err = textOptUUID(v)
	case "wikidata_qid":
		r.QID = v
	default:
		return fmt.Errorf("official %s: %w", name, errUnknownColumn)
	}
	return err
}
