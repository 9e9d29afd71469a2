package postgres

// This file is in package postgres so that the plan test (plans_test.go, package
// postgres_test) can EXPLAIN the very statements the lookups run.

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// LookupStatement is one statement a name lookup runs, with its arguments.
type LookupStatement struct {
	Name string
	SQL  string
	Args []any
}

// LookupStatements returns the statements of city(name:), cities(filter:
// {nameContains}) and cities(near:) (a page and its count) and search (a first page and the next, for a
// long and a short query), with the given texts. afterCity is the city a search
// cursor stands on.
func LookupStatements(name, contains, long, short string, afterCity uuid.UUID) []LookupStatement {
	out := []LookupStatement{{"city(name:)", cityByNameSQL, []any{name}}, {"city(name:, country:)", cityByNameInCountrySQL, []any{name, "TL"}}}
	out = append(out, DivisionStatements(name, "XT", "01")...)

	byName, whereName, nameArgs := cityQuery(knowledge.CityQuery{Name: name})
	out = append(out, LookupStatement{"cities(name) page", byName.pageSQL(whereName, &nameArgs, plan{limit: 20}), nameArgs})

	l, where, a := cityQuery(knowledge.CityQuery{NameContains: contains})
	countArgs := append(args(nil), a...)
	out = append(out, LookupStatement{"cities(nameContains) page", l.pageSQL(where, &a, plan{limit: 20}), a})
	out = append(out, LookupStatement{"cities(nameContains) count", "SELECT count(*) FROM " + l.from + " WHERE " + where, countArgs})

	// cities(near:): a circle within the map, and one across the antimeridian (two boxes).
	for _, n := range []knowledge.Near{{Latitude: 22.5, Longitude: 114.1, RadiusKm: 300}, {Latitude: 10, Longitude: 179.5, RadiusKm: 300}} {
		l, where, a := cityQuery(knowledge.CityQuery{Near: &n})
		label := fmt.Sprintf("cities(near %g, %g)", n.Latitude, n.Longitude)
		countArgs := append(args(nil), a...)
		out = append(out, LookupStatement{label + " page", l.pageSQL(where, &a, plan{limit: 20}), a})
		out = append(out, LookupStatement{label + " count", "SELECT count(*) FROM " + l.from + " WHERE " + where, countArgs})
	}

	for _, text := range []string{long, short} {
		out = append(out, LookupStatement{"search " + text, searchPageSQL(nil, "true", "$2"), []any{text, 21}})
		s := args{text}
		seek := searchSeek(&s, searchCursor{Score: 2, Type: knowledge.SearchCity, ID: afterCity})
		out = append(out, LookupStatement{"search " + text + " after", searchPageSQL(nil, seek, s.add(21)), s})
	}
	return out
}

// DivisionStatements are the lookups by division, for the plan checks at world scale.
func DivisionStatements(name, country, admin1 string) []LookupStatement {
	div, where, a := cityQuery(knowledge.CityQuery{CountryCode: country, Admin1: admin1})
	return []LookupStatement{{"city(name:, country:, admin1:)", cityByNameInDivisionSQL, []any{name, country, admin1}},
		{"cities(country, admin1) page", div.pageSQL(where, &a, plan{limit: 20}), a}}
}
