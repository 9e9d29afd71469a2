package postgres

// This file is in package postgres so that it can hand mapError to the external tests
// in store_test.go (package postgres_test). Those tests need pgtest, which imports this
// package, so they cannot live in package postgres themselves.

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// MapError exposes mapError to the external tests.
var MapError = mapError

// Fixture is the small knowledge graph that MustLoadFixture inserts. Its ids are fixed
// and, within a table, increase with the number in the key, so the order of ties broken
// by id (and which city of a partnership is city_a) is known in advance. The maps are
// keyed by short names such as "shenzhen" or "a01".
type Fixture struct {
	Countries    map[string]uuid.UUID
	Cities       map[string]uuid.UUID
	Officials    map[string]uuid.UUID
	Agreements   map[string]uuid.UUID
	Institutions map[string]uuid.UUID
	Sources      map[string]uuid.UUID
	Partnerships map[string]uuid.UUID
	Statements   map[string]uuid.UUID
	Figures      map[string]uuid.UUID
}

// FixtureID is the id of the n-th row of a table in the fixture: one prefix per table,
// so ids never collide across tables and sort by n within one.
func FixtureID(table, n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("%08x-0000-4000-8000-%012x", table, n))
}

// Table prefixes of FixtureID.
const (
	tCountry = iota + 1
	tCity
	tOfficial
	tAgreement
	tInstitution
	tSource
	tPartnership
	tStatement
	tFigure
)

// fixtureCities lists the cities in id order. The hub, Shenzhen, sits in the middle, so
// it is city_b of its partnerships with lower-numbered cities and city_a of the others.
var fixtureCities = []struct {
	key, country, name string
	population         any // int or nil
	lat, lon           any // float64 or nil
}{
	{"zhuhai", "CN", "Zhuhai", 2_470_000, 22.27, 113.57},
	{"guangzhou", "CN", "Guangzhou", 18_800_000, 23.13, 113.26},
	{"moscow", "RU", "Moscow", 13_100_000, 55.75, 37.62},
	{"petersburg", "RU", "Saint Petersburg", 5_600_000, 59.94, 30.31},
	{"kazan", "RU", "Kazan", nil, nil, nil},
	{"shenzhen", "CN", "Shenzhen", 17_560_000, 22.54, 114.06},
	{"nice", "FR", "Nice", 342_000, 43.70, 7.27},
	{"orleans", "FR", "Orléans", nil, 47.90, 1.90},
	{"paris", "FR", "Paris", 2_100_000, 48.86, 2.35},
	{"lyon", "FR", "Lyon", 520_000, 45.76, 4.84},
	{"springfield-fr", "FR", "Springfield", nil, nil, nil},
	{"springfield-ru", "RU", "Springfield", 100_000, nil, nil},
	{"evry", "FR", "Évry", 53_000, nil, nil},
}

// MustLoadFixture inserts the fixture graph into db, which must be empty.
func MustLoadFixture(tb testing.TB, db *DB) *Fixture {
	tb.Helper()
	ctx := context.Background()
	f := &Fixture{
		Countries: map[string]uuid.UUID{}, Cities: map[string]uuid.UUID{}, Officials: map[string]uuid.UUID{},
		Agreements: map[string]uuid.UUID{}, Institutions: map[string]uuid.UUID{}, Sources: map[string]uuid.UUID{},
		Partnerships: map[string]uuid.UUID{}, Statements: map[string]uuid.UUID{}, Figures: map[string]uuid.UUID{},
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		tb.Fatalf("fixture: begin: %v", err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		tb.Helper()
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			tb.Fatalf("fixture: %s %v: %v", q, args, err)
		}
	}

	// Sources: two pairs share a date or have none, so ties fall back to the id.
	for i, s := range []struct {
		key, title string
		published  any
		url        any
		langs      string
	}{
		{"s01", "Shenzhen Foreign Affairs Office: friendly cities", "2023-01-10", "https://fao.sz.gov.cn/friendly", "{zh}"},
		{"s02", "Moscow and Shenzhen become sister cities", "2016-05-02", "https://mos.ru/news/1", "{ru,en}"},
		{"s03", "Undated source A", nil, nil, "{}"},
		{"s04", "Lyon press release", "2022-03-16", "https://lyon.fr/press/42", "{fr}"},
		{"s05", "Undated source B", nil, "http://example.org/b", "{en}"},
		{"s06", "Same day as the Lyon release", "2022-03-16", nil, "{en,fr}"},
	} {
		id := FixtureID(tSource, i+1)
		f.Sources[s.key] = id
		exec(`INSERT INTO sources (id, title, publisher, url, published_on, languages) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, s.title, "Publisher "+s.key, s.url, s.published, s.langs)
	}

	// Countries: DE has no cities.
	for i, c := range []struct{ code, name, qid string }{
		{"CN", "China", "Q148"}, {"RU", "Russia", "Q159"}, {"FR", "France", "Q142"}, {"DE", "Germany", "Q183"},
	} {
		id := FixtureID(tCountry, i+1)
		f.Countries[c.code] = id
		exec(`INSERT INTO countries (id, code, name, wikidata_qid) VALUES ($1, $2, $3, $4)`, id, c.code, c.name, c.qid)
	}

	for i, c := range fixtureCities {
		id := FixtureID(tCity, i+1)
		f.Cities[c.key] = id
		exec(`INSERT INTO cities (id, country_id, name, population, latitude, longitude, geonames_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, f.Countries[c.country], c.name, c.population, c.lat, c.lon, 1000+i)
	}
	exec(`UPDATE cities SET wikidata_qid = 'Q15174' WHERE id = $1`, f.Cities["shenzhen"])

	for _, n := range []struct {
		city, lang, name string
		source           any
	}{
		{"shenzhen", "en", "Shenzhen", f.Sources["s01"]}, // the English name, stated by a source
		{"shenzhen", "zh", "深圳", f.Sources["s01"]},
		{"shenzhen", "ru", "Шэньчжэнь", nil},
		{"moscow", "ru", "Москва", nil},
		{"moscow", "zh", "莫斯科", nil},
		{"kazan", "ru", "Казань", nil},
		{"kazan", "tt", "Qazan", nil},
		{"orleans", "fr", "Orléans", nil},
		{"guangzhou", "en", "Canton", nil},
		{"guangzhou", "zh", "广州", nil},
		// Lyon is also known as "Nice" here, so that a name that is one city's English
		// name and another's alias has a defined winner (the more important city:
		// docs/cities.md).
		{"lyon", "en", "Nice", nil},
	} {
		exec(`INSERT INTO city_names (city_id, language, name, source_id) VALUES ($1, $2, $3, $4)`,
			f.Cities[n.city], n.lang, n.name, n.source)
	}

	// Officials: two share a name; Wang Wei has no city.
	for i, o := range []struct {
		key, name string
		title     any
		city      string
	}{
		{"o01", "Sergey Sobyanin", "Mayor of Moscow", "moscow"},
		{"o02", "Qin Weizhong", "Mayor of Shenzhen", "shenzhen"},
		{"o03", "Anna Ivanova", nil, "moscow"},
		{"o04", "Alexander Beglov", "Governor of Saint Petersburg", "petersburg"},
		{"o05", "Grégory Doucet", "Mayor of Lyon", "lyon"},
		{"o06", "Anna Ivanova", "Deputy governor", "petersburg"},
		{"o07", "Wang Wei", nil, ""},
	} {
		id := FixtureID(tOfficial, i+1)
		f.Officials[o.key] = id
		var city any
		if o.city != "" {
			city = f.Cities[o.city]
		}
		exec(`INSERT INTO officials (id, name, title, city_id) VALUES ($1, $2, $3, $4)`, id, o.name, o.title, city)
	}
	exec(`INSERT INTO official_names (official_id, language, name, source_id) VALUES ($1, 'ru', 'Сергей Собянин', $2)`,
		f.Officials["o01"], f.Sources["s02"])
	exec(`INSERT INTO official_names (official_id, language, name) VALUES ($1, 'zh', '覃伟中'), ($1, 'en', 'Qin Weizhong')`,
		f.Officials["o02"])

	// Agreements: a01 and a07 share a date, a04 and a05 have none.
	for i, a := range []struct {
		key, title, kind string
		signed           any
		in               string
	}{
		{"a01", "Shenzhen–Moscow sister city agreement", "SISTER_CITY_AGREEMENT", "2016-05-01", "moscow"},
		{"a02", "Memorandum on technology", "MEMORANDUM", "2019-09-09", "petersburg"},
		{"a03", "Shenzhen–Lyon cooperation", "COOPERATION_AGREEMENT", "2022-03-15", "lyon"},
		{"a04", "Undated friendly exchange", "FRIENDLY_EXCHANGE_AGREEMENT", nil, ""},
		{"a05", "Undated Paris–Guangzhou", "OTHER", nil, ""},
		{"a06", "Moscow–Saint Petersburg", "SISTER_CITY_AGREEMENT", "2001-01-01", "moscow"},
		{"a07", "Shenzhen–Nice memorandum", "MEMORANDUM", "2016-05-01", "nice"},
	} {
		id := FixtureID(tAgreement, i+1)
		f.Agreements[a.key] = id
		var in any
		if a.in != "" {
			in = f.Cities[a.in]
		}
		exec(`INSERT INTO agreements (id, title, kind, signed_on, signed_in_id, summary) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, a.title, a.kind, a.signed, in, "Summary of "+a.key)
	}
	for _, p := range []struct {
		agreement, city string
		position        int
	}{
		{"a01", "moscow", 0}, {"a01", "shenzhen", 1},
		{"a02", "shenzhen", 0}, {"a02", "petersburg", 1},
		{"a03", "shenzhen", 0}, {"a03", "lyon", 1}, // position, not name, decides
		{"a04", "shenzhen", 0}, {"a04", "zhuhai", 1},
		{"a05", "paris", 0}, {"a05", "guangzhou", 0}, // same position: by name
		{"a06", "moscow", 0}, {"a06", "petersburg", 1},
		{"a07", "shenzhen", 0}, {"a07", "nice", 1},
	} {
		exec(`INSERT INTO agreement_parties (agreement_id, city_id, position) VALUES ($1, $2, $3)`,
			f.Agreements[p.agreement], f.Cities[p.city], p.position)
	}
	for _, a := range []struct{ agreement, area string }{
		{"a01", "CULTURE"}, {"a01", "TRADE"}, {"a01", "EDUCATION"}, // enum order: TRADE, EDUCATION, CULTURE
		{"a02", "TECHNOLOGY"}, {"a03", "OTHER"}, {"a03", "INVESTMENT"},
	} {
		exec(`INSERT INTO agreement_areas (agreement_id, area) VALUES ($1, $2)`, f.Agreements[a.agreement], a.area)
	}
	for _, s := range []struct {
		agreement, official, party string
		role                       any
		position                   int
	}{
		{"a01", "o02", "shenzhen", "Mayor", 1}, {"a01", "o01", "moscow", "Mayor", 0},
		{"a02", "o02", "shenzhen", nil, 0}, {"a02", "o04", "petersburg", "Governor", 1},
		{"a03", "o05", "lyon", "Mayor", 0}, {"a03", "o02", "shenzhen", "Mayor", 1},
		{"a04", "o02", "shenzhen", nil, 0},
		{"a06", "o01", "moscow", nil, 0}, {"a06", "o04", "petersburg", nil, 1},
		{"a07", "o02", "shenzhen", nil, 0},
	} {
		exec(`INSERT INTO signatories (agreement_id, official_id, party_city_id, role, position) VALUES ($1, $2, $3, $4, $5)`,
			f.Agreements[s.agreement], f.Officials[s.official], f.Cities[s.party], s.role, s.position)
	}

	for i, in := range []struct {
		key, name, kind, city string
		founded               any
		agreements            []string
	}{
		{"i01", "Shenzhen University", "UNIVERSITY", "shenzhen", "1983-05-01", []string{"a02", "a03"}},
		{"i02", "Moscow State University", "UNIVERSITY", "moscow", "1755-01-25", []string{"a01"}},
		{"i03", "Lyon Chamber of Commerce", "CHAMBER_OF_COMMERCE", "lyon", nil, []string{"a03"}},
		{"i04", "Shenzhen Museum", "CULTURAL_CENTER", "shenzhen", nil, nil},
		{"i05", "BGI", "COMPANY", "shenzhen", "1999-09-09", nil},
	} {
		id := FixtureID(tInstitution, i+1)
		f.Institutions[in.key] = id
		exec(`INSERT INTO institutions (id, name, kind, city_id, founded_on) VALUES ($1, $2, $3, $4, $5)`,
			id, in.name, in.kind, f.Cities[in.city], in.founded)
		for _, a := range in.agreements {
			exec(`INSERT INTO institution_agreements (institution_id, agreement_id) VALUES ($1, $2)`, id, f.Agreements[a])
		}
	}

	// Partnerships: the hub (Shenzhen, city 6) has eight, of both kinds, some undated,
	// two on the same day and two with Moscow (one of each kind).
	for i, p := range []struct {
		key, kind, x, y string
		since, until    any
		agreement       string
	}{
		{"p01", "FRIENDLY_EXCHANGE", "shenzhen", "zhuhai", nil, nil, "a04"},
		{"p02", "SISTER_CITY", "shenzhen", "moscow", "2016-05-01", nil, "a01"},
		{"p03", "FRIENDLY_EXCHANGE", "moscow", "shenzhen", "2010-01-01", "2016-04-30", ""},
		{"p04", "FRIENDLY_EXCHANGE", "shenzhen", "petersburg", "2019-09-09", nil, "a02"},
		{"p05", "SISTER_CITY", "shenzhen", "nice", "2016-05-01", nil, "a07"},
		{"p06", "SISTER_CITY", "paris", "shenzhen", nil, nil, ""},
		{"p07", "FRIENDLY_EXCHANGE", "shenzhen", "lyon", "2022-03-15", nil, "a03"},
		{"p08", "SISTER_CITY", "evry", "shenzhen", "1999-12-31", "2020-01-01", ""},
		{"p09", "SISTER_CITY", "moscow", "petersburg", "2001-01-01", nil, "a06"},
		{"p10", "FRIENDLY_EXCHANGE", "paris", "guangzhou", nil, nil, ""},
	} {
		id := FixtureID(tPartnership, i+1)
		f.Partnerships[p.key] = id
		a, b := f.Cities[p.x], f.Cities[p.y]
		if a.String() > b.String() {
			a, b = b, a
		}
		var agreement any
		if p.agreement != "" {
			agreement = f.Agreements[p.agreement]
		}
		exec(`INSERT INTO partnerships (id, kind, city_a_id, city_b_id, since, until, agreement_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, p.kind, a, b, p.since, p.until, agreement)
	}

	// Provenance: entity-level sources and statements, overlapping on purpose.
	for _, c := range []struct {
		table, col string
		owner      uuid.UUID
		source     string
	}{
		{"city_sources", "city_id", f.Cities["shenzhen"], "s01"},
		{"city_sources", "city_id", f.Cities["shenzhen"], "s03"},
		{"agreement_sources", "agreement_id", f.Agreements["a01"], "s02"},
		{"official_sources", "official_id", f.Officials["o01"], "s02"},
		{"institution_sources", "institution_id", f.Institutions["i01"], "s06"},
		{"partnership_sources", "partnership_id", f.Partnerships["p02"], "s02"},
	} {
		exec(fmt.Sprintf(`INSERT INTO %s (%s, source_id) VALUES ($1, $2)`, c.table, c.col), c.owner, f.Sources[c.source])
	}
	for i, s := range []struct {
		key, col        string
		owner           uuid.UUID
		property, value string
		source          string
		quote           any
		position        int
	}{
		{"st01", "agreement_id", f.Agreements["a01"], "title", "Agreement on sister city relations", "s04", nil, 1},
		{"st02", "agreement_id", f.Agreements["a01"], "signedOn", "2016-05-01", "s02", "signed on 1 May 2016", 0},
		{"st03", "city_id", f.Cities["shenzhen"], "population", "17560000", "s01", nil, 0},
		{"st04", "city_id", f.Cities["shenzhen"], "population", "17500000", "s05", nil, 1},
		{"st05", "official_id", f.Officials["o01"], "title", "Mayor of Moscow", "s02", nil, 0},
		{"st06", "partnership_id", f.Partnerships["p02"], "since", "2016-05-01", "s02", nil, 0},
	} {
		id := FixtureID(tStatement, i+1)
		f.Statements[s.key] = id
		exec(fmt.Sprintf(`INSERT INTO statements (id, %s, property, value, source_id, quote, position) VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.col),
			id, s.owner, s.property, s.value, f.Sources[s.source], s.quote, s.position)
	}
	for i, r := range []struct {
		key, city, metric string
		value             int
		asOf              any
		source            string
	}{
		{"f01", "shenzhen", "SISTER_CITIES", 25, "2023-01-01", "s01"},
		{"f02", "shenzhen", "FRIENDLY_CITIES", 80, nil, "s05"},
		{"f03", "shenzhen", "FRIENDLY_CITIES", 93, "2023-01-01", "s01"},
		{"f04", "shenzhen", "FRIENDLY_CITIES", 88, "2020-01-01", "s03"},
		{"f05", "moscow", "FRIENDLY_COUNTRIES", 70, nil, "s02"},
	} {
		id := FixtureID(tFigure, i+1)
		f.Figures[r.key] = id
		exec(`INSERT INTO reported_figures (id, city_id, metric, value, as_of, source_id) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, f.Cities[r.city], r.metric, r.value, r.asOf, f.Sources[r.source])
	}

	if err := tx.Commit(); err != nil {
		tb.Fatalf("fixture: commit: %v", err)
	}
	return f
}
