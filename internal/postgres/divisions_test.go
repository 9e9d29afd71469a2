package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// Synthetic GeoNames data (no real place): two cities named Testville in Testland
// (XT), in its divisions 01 and 02, like the Córdobas of Argentina and Spain, and a
// town whose row gives no division.
func geoNamesRow(id int64, name string, lat, lon float64, admin1 string, population int) string {
	return fmt.Sprintf("%d\t%s\t%s\t\t%g\t%g\tP\tPPL\tXT\t\t%s\t\t\t\t%d\t\t1\tEtc/UTC\t2024-01-01\n", id, name, name, lat, lon, admin1, population)
}

var divisionCities = geoNamesRow(99200001, "Testville", 10, 10, "01", 5000) +
	geoNamesRow(99200002, "Testville", -20, 30, "02", 6000) +
	geoNamesRow(99200003, "Nodivtown", 1, 1, "", 700)

// divisionNames is a synthetic admin1CodesASCII.txt for Testland: "Bétaprovince" has an
// accent its ASCII name lacks.
const divisionNames = "XT.01\tAlphaprovince\tAlphaprovince\t99100001\nXT.02\tBétaprovince\tBetaprovince\t99100002\n"

func divisionsDB(t *testing.T, withNames bool) *postgres.DB {
	t.Helper()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	if _, err := importBytes(db.DB, "cities1000.txt", []byte(divisionCities), importer.FormatAuto); err != nil {
		t.Fatalf("cities: %v", err)
	}
	if withNames {
		if _, err := importBytes(db.DB, "admin1CodesASCII.txt", []byte(divisionNames), importer.FormatAuto); err != nil {
			t.Fatalf("divisions: %v", err)
		}
	}
	return db
}

func geoNamesCityID(id int64) string { return cityID(importer.GeoNamesKey(id)) }

func TestImportGeoNamesAdmin1(t *testing.T) {
	t.Parallel()
	db := divisionsDB(t, false)
	codes := func() map[int64]string {
		var rows []struct {
			GeoNames int64   `db:"geonames_id"`
			Admin1   *string `db:"admin1_code"`
		}
		if err := db.Select(&rows, `SELECT geonames_id, admin1_code FROM cities`); err != nil {
			t.Fatal(err)
		}
		out := map[int64]string{}
		for _, r := range rows {
			out[r.GeoNames] = text(r.Admin1)
		}
		return out
	}
	want := map[int64]string{99200001: "01", 99200002: "02", 99200003: ""}
	if diff := cmp.Diff(codes(), want); diff != "" {
		t.Errorf("admin1 codes (-got +want):\n%s", diff)
	}
	// A later file without the code keeps it, as it keeps every optional value.
	sum, err := importBytes(db.DB, "cities1000.txt", []byte(strings.Replace(divisionCities, "\t01\t", "\t\t", 1)), importer.FormatGeoNames)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Counts[knowledge.KindCity]; got != (knowledge.BatchCounts{Unchanged: 3}) {
		t.Errorf("re-import without the code: %+v, want 3 unchanged", got)
	}
	if diff := cmp.Diff(codes(), want); diff != "" {
		t.Errorf("admin1 codes after a file without them (-got +want):\n%s", diff)
	}
	// A code that is no admin1 code refuses the row.
	_, err = importBytes(db.DB, "bad.txt", []byte(geoNamesRow(99200009, "Badville", 0, 0, "0-1", 1)), importer.FormatGeoNames)
	if err == nil || !strings.Contains(err.Error(), `bad.txt:1: city.admin1: "0-1" is not a GeoNames admin1 code`) {
		t.Errorf("bad code: err = %v", err)
	}
}

func TestImportDivisions(t *testing.T) {
	t.Parallel()
	db := divisionsDB(t, false)
	if f, err := importer.Detect("admin1.txt", []byte(divisionNames)); err != nil || f != importer.FormatAdmin1 {
		t.Errorf("Detect = %q, %v; want admin1", f, err)
	}
	sum, err := importBytes(db.DB, "admin1CodesASCII.txt", []byte(divisionNames), importer.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Counts[knowledge.KindDivision]; got != (knowledge.BatchCounts{Created: 2}) {
		t.Errorf("first import: %+v, want 2 created", got)
	}
	type division struct {
		Code     string `db:"code"`
		Name     string `db:"name"`
		ASCII    string `db:"ascii_name"`
		GeoNames int64  `db:"geonames_id"`
	}
	var got []division
	if err := db.Select(&got, `SELECT code, name, ascii_name, geonames_id FROM divisions ORDER BY code`); err != nil {
		t.Fatal(err)
	}
	want := []division{{"01", "Alphaprovince", "Alphaprovince", 99100001}, {"02", "Bétaprovince", "Betaprovince", 99100002}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("divisions (-got +want):\n%s", diff)
	}
	var audited int
	if err := db.Get(&audited, `SELECT count(*) FROM audit_log WHERE entity_type = 'Division' AND actor = 'import:admin1CodesASCII.txt'`); err != nil {
		t.Fatal(err)
	}
	if audited != 2 {
		t.Errorf("%d audit entries for the divisions, want 2", audited)
	}
	sum, err = importBytes(db.DB, "admin1CodesASCII.txt", []byte(divisionNames), importer.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Counts[knowledge.KindDivision]; got != (knowledge.BatchCounts{Unchanged: 2}) {
		t.Errorf("second import: %+v, want 2 unchanged", got)
	}

	for _, tc := range []struct{ name, file, problem string }{
		{"unknown country", "XX.01\tNowhere\tNowhere\t1\n", `admin1.txt:1: division.country: unknown country "XX"`},
		{"bad code", "XT.0-1\tBad\tBad\t2\n", `admin1.txt:1: division.code: "0-1" is not a GeoNames admin1 code`},
		{"no dot", "XT01\tBad\tBad\t3\n", `admin1.txt:1: code: "XT01" is not a country code, a dot and an admin1 code`},
		{"twice", "XT.03\tA\tA\t4\nXT.03\tB\tB\t5\n", `admin1.txt:2: division.code: duplicate division "XT.03" (first on line 1)`},
		{"columns", "XT.04\tA\tA\n", `admin1.txt:1: 3 tab-separated columns, want 4`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importBytes(db.DB, "admin1.txt", []byte(tc.file), importer.FormatAdmin1)
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("err = %v, want %q", err, tc.problem)
			}
		})
	}
}

// importPartnership imports a partnership of the anchor city with ref, and returns the
// id of the city ref resolved to, or the one problem.
func importPartnership(t *testing.T, db *sqlx.DB, ref string) (string, string) {
	t.Helper()
	file := `{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/divisions"}
{"type":"city","key":"anchor","name":"Anchorville","country":"XU","sources":["s"]}
` + partnershipLine(ref)
	_, err := importBytes(db, "t.ndjson", []byte(file), importer.FormatNDJSON)
	if err != nil {
		var fe *knowledge.FileError
		if !errors.As(err, &fe) || len(fe.Problems) != 1 {
			t.Fatalf("err = %v, want one problem", err)
		}
		return "", fe.Problems[0].String()
	}
	return partnerOfAnchor(t, db), ""
}

func TestReconcileByDivision(t *testing.T) {
	t.Parallel()
	db := divisionsDB(t, true)
	for _, tc := range []struct {
		name, ref string
		want      string   // the id of the city it resolves to
		problems  []string // substrings of the one problem, when refused
	}{
		{name: "code", ref: `{"name":"Testville","country":"XT","admin1":"02"}`, want: geoNamesCityID(99200002)},
		{name: "name", ref: `{"name":"Testville","country":"XT","admin1":"alphaprovince"}`, want: geoNamesCityID(99200001)},
		{name: "name folded", ref: `{"name":"testville","country":"Testland","admin1":"BETAPROVINCE"}`, want: geoNamesCityID(99200002)},
		{name: "name with accents", ref: `{"name":"Testville","country":"XT","admin1":"Bétaprovince"}`, want: geoNamesCityID(99200002)},
		{name: "without a division", ref: `{"name":"Testville","country":"XT"}`, problems: []string{
			`2 cities of XT are named "Testville"; give coordinates, a division or a key to choose`,
			`GeoNames 99200002 (id ` + geoNamesCityID(99200002) + `) "Testville", division 02 "Bétaprovince", population 6000`,
			`GeoNames 99200001 (id ` + geoNamesCityID(99200001) + `) "Testville", division 01 "Alphaprovince", population 5000`}},
		{name: "unknown division", ref: `{"name":"Testville","country":"XT","admin1":"Gammaland"}`, problems: []string{
			`partnership.cities[0]: no first-level division of XT is "Gammaland"`}},
		{name: "not in the division", ref: `{"name":"Nodivtown","country":"XT","admin1":"01"}`, problems: []string{
			`no city of XT, division 01 is named "Nodivtown"`}},
		{name: "too far in the division", ref: `{"name":"Testville","country":"XT","admin1":"01","latitude":-20,"longitude":30}`, problems: []string{
			`no city of XT, division 01 named "Testville" lies within 50 km`, `division 01 "Alphaprovince"`}},
	} {
		// One after another on one database: each line rewrites the same partnership.
		t.Run(tc.name, func(t *testing.T) {
			got, problem := importPartnership(t, db.DB, tc.ref)
			if tc.problems == nil {
				if problem != "" || got != tc.want {
					t.Errorf("resolved to %q (problem %q), want %s", got, problem, tc.want)
				}
				return
			}
			for _, s := range tc.problems {
				if !strings.Contains(problem, s) {
					t.Errorf("problem %q lacks %q", problem, s)
				}
			}
		})
	}
}

func TestReconcileByDivisionCodeWithoutNames(t *testing.T) {
	t.Parallel()
	// Before admin1CodesASCII.txt: a code works (the cities have it), a name does not.
	db := divisionsDB(t, false)
	if got, problem := importPartnership(t, db.DB, `{"name":"Testville","country":"XT","admin1":"01"}`); got != geoNamesCityID(99200001) {
		t.Errorf("by code: resolved to %q (problem %q)", got, problem)
	}
	_, problem := importPartnership(t, db.DB, `{"name":"Testville","country":"XT","admin1":"Alphaprovince"}`)
	if !strings.Contains(problem, `no first-level division of XT is "Alphaprovince"`) {
		t.Errorf("by name: problem %q", problem)
	}
}

func TestCreateCityInDivision(t *testing.T) {
	t.Parallel()
	db := divisionsDB(t, true)
	got, problem := importPartnership(t, db.DB, `{"name":"Newtestville","country":"XT","admin1":"Bétaprovince","create":true}`)
	if problem != "" {
		t.Fatal(problem)
	}
	var admin1 *string
	if err := db.Get(&admin1, `SELECT admin1_code FROM cities WHERE id = $1`, got); err != nil {
		t.Fatal(err)
	}
	if text(admin1) != "02" {
		t.Errorf("created city's admin1 code = %v, want 02", text(admin1))
	}
	// The same reference again finds it, in its division.
	again, problem := importPartnership(t, db.DB, `{"name":"Newtestville","country":"XT","admin1":"02"}`)
	if again != got {
		t.Errorf("again: %q (problem %q), want %s", again, problem, got)
	}
}

func TestCityByNameInDivision(t *testing.T) {
	t.Parallel()
	db := divisionsDB(t, true)
	ctx := context.Background()
	for _, tc := range []struct{ admin1, want string }{
		{"01", geoNamesCityID(99200001)}, {"Bétaprovince", geoNamesCityID(99200002)}, {"betaprovince", geoNamesCityID(99200002)},
	} {
		c, err := db.CityByNameInDivision(ctx, "Testville", "XT", tc.admin1)
		if err != nil {
			t.Errorf("%s: %v", tc.admin1, err)
			continue
		}
		if c.ID.String() != tc.want || text(c.Admin1) == "" {
			t.Errorf("%s: city %s (admin1 %v), want %s", tc.admin1, c.ID, text(c.Admin1), tc.want)
		}
	}
	if _, err := db.CityByNameInDivision(ctx, "Nodivtown", "XT", "01"); knowledge.ErrorCode(err) != knowledge.ENOTFOUND {
		t.Errorf("Nodivtown in 01: err = %v, want NOT_FOUND", err)
	}
	page, err := db.Cities(ctx, knowledge.CityQuery{CountryCode: "XT", Admin1: "Alphaprovince"}, knowledge.PageArgs{First: intp(10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID.String() != geoNamesCityID(99200001) {
		t.Errorf("cities of Alphaprovince: %v", page.Items)
	}
	divs, err := db.Divisions(ctx, []knowledge.DivisionKey{{CountryID: page.Items[0].CountryID, Code: "02"}, {CountryID: page.Items[0].CountryID, Code: "77"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := divs[knowledge.DivisionKey{CountryID: page.Items[0].CountryID, Code: "02"}]; d == nil || text(d.Name) != "Bétaprovince" {
		t.Errorf("division 02: %+v", d)
	}
	if d := divs[knowledge.DivisionKey{CountryID: page.Items[0].CountryID, Code: "77"}]; d == nil || d.Name != nil {
		t.Errorf("division 77 (a code without a name): %+v", d)
	}
}

func TestCountryOtherNames(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	MustImportFile(t, db.DB, "countries-common.json")
	var names []string
	if err := db.Select(&names, `SELECT n.name FROM country_names n JOIN countries k ON k.id = n.country_id WHERE k.code = 'XT' ORDER BY n.name`); err != nil {
		t.Fatal(err)
	}
	// countries-common.json: XT is "Testland" (its common name), "Testland, Republic of"
	// (its ISO name) and "Republic of Testland" (its official name).
	if diff := cmp.Diff(names, []string{"Republic of Testland", "Testland, Republic of"}); diff != "" {
		t.Errorf("XT's other names (-got +want):\n%s", diff)
	}
	if sum := MustImportFile(t, db.DB, "countries-common.json"); sum.Changed() {
		t.Errorf("re-import changed something: %+v", sum.Counts)
	}
	if _, err := importBytes(db.DB, "cities1000.txt", []byte(divisionCities), importer.FormatGeoNames); err != nil {
		t.Fatal(err)
	}
	// A city by name in a country named by its official name.
	c, err := db.CityByName(ctx, "Nodivtown", "republic of testland")
	if err != nil || c.ID.String() != geoNamesCityID(99200003) {
		t.Errorf("CityByName in the official name: %v, %v", c, err)
	}
	if got, problem := importPartnership(t, db.DB, `{"name":"Nodivtown","country":"Testland, Republic of"}`); got != geoNamesCityID(99200003) {
		t.Errorf("reference in the ISO name: %q (problem %q)", got, problem)
	}
	// Search finds the country by its official name.
	page, _, err := db.Search(ctx, knowledge.SearchQuery{Text: "Republic of Testland", Types: []string{knowledge.SearchCountry}}, knowledge.PageArgs{First: intp(5)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) == 0 || page.Items[0].Matched != "Republic of Testland" {
		t.Fatalf("search: %+v", page.Items)
	}
	xt, err := db.CountryByCode(ctx, "XT")
	if err != nil {
		t.Fatal(err)
	}
	if page.Items[0].ID != xt.ID {
		t.Errorf("search's first hit is %s, want XT %s", page.Items[0].ID, xt.ID)
	}
}

// text is the string p points to, or "".
func text(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
