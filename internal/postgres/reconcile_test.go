package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// reconcileSetup is the stored world the reconciliation tests resolve names against:
// synthetic cities of the test countries (testdata/import/countries.json).
const reconcileSetup = `{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/reconcile"}
{"type":"city","key":"testville","name":"Testville","country":"XT","population":5000,"latitude":10,"longitude":10,"names":[{"language":"fr","name":"Villetest"}],"sources":["s"]}
{"type":"city","key":"testville-xu","name":"Testville","country":"XU","population":90000,"latitude":-10,"longitude":-10,"sources":["s"]}
{"type":"city","key":"samplecity-north","name":"Samplecity","country":"XT","population":1000,"latitude":20,"longitude":10,"sources":["s"]}
{"type":"city","key":"samplecity-south","name":"Samplecity","country":"XT","population":2000,"latitude":0,"longitude":10,"sources":["s"]}
{"type":"city","key":"bigtown","name":"Bigtown","country":"XT","population":1000000,"latitude":30,"longitude":10,"sources":["s"]}
{"type":"city","key":"bigtown-village","name":"Bigtown","country":"XT","population":500,"latitude":31,"longitude":10,"sources":["s"]}
{"type":"city","key":"anchor","name":"Anchorville","country":"XU","sources":["s"]}
{"type":"city","key":"unplaced","name":"Unplacedville","country":"XT","sources":["s"]}
`

func reconcileDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	if _, err := importBytes(db, "setup.ndjson", []byte(reconcileSetup), importer.FormatNDJSON); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return db
}

// partnershipLine is a partnership of the anchor with the city ref (JSON).
func partnershipLine(ref string) string {
	return `{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":[` + ref + `,"anchor"],"sources":["s"]}`
}

// partnerOfAnchor is the id of the city partnered with the anchor by partnership p.
func partnerOfAnchor(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var id string
	err := db.Get(&id, `SELECT CASE WHEN city_a_id = $2 THEN city_b_id ELSE city_a_id END::text FROM partnerships WHERE id = $1`,
		knowledge.KeyID(knowledge.KindPartnership, "p"), knowledge.KeyID(knowledge.KindCity, "anchor"))
	if err != nil {
		t.Fatalf("partnership p: %v", err)
	}
	return id
}

func cityID(key string) string { return knowledge.KeyID(knowledge.KindCity, key).String() }

func TestImportReconcilesCitiesByName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ref string
		want      string   // the key of the city it resolves to
		problems  []string // substrings of the one problem, when refused
	}{
		{name: "single match", ref: `{"name":"Testville","country":"XT"}`, want: "testville"},
		{name: "country by name", ref: `{"name":"Testville","country":"sampleland"}`, want: "testville-xu"},
		{name: "accents and case", ref: `{"name":"TESTVÎLLE","country":"Testland"}`, want: "testville"},
		{name: "other name", ref: `{"name":"villetest","country":"XT"}`, want: "testville"},
		{name: "dominant population", ref: `{"name":"Bigtown","country":"XT"}`, want: "bigtown"},
		{name: "coordinates pick the nearest", ref: `{"name":"Samplecity","country":"XT","latitude":19.9,"longitude":10.1}`, want: "samplecity-north"},
		{name: "coordinates over population", ref: `{"name":"Bigtown","country":"XT","latitude":31.01,"longitude":10}`, want: "bigtown-village"},
		{name: "ambiguous", ref: `{"name":"Samplecity","country":"XT"}`, problems: []string{
			"partnership.cities[0]: 2 cities of XT are named \"Samplecity\"",
			"id " + cityID("samplecity-south") + ` "Samplecity", population 2000`, cityID("samplecity-north")}},
		{name: "too far", ref: `{"name":"Samplecity","country":"XT","latitude":45,"longitude":10}`, problems: []string{
			"no city of XT named \"Samplecity\" lies within 50 km", "km away", cityID("samplecity-north")}},
		{name: "coordinates, a candidate without", ref: `{"name":"Unplacedville","country":"XT","latitude":5,"longitude":5,"create":true}`, problems: []string{
			"1 without coordinates may be the one", cityID("unplaced") + ` "Unplacedville", population unknown, 0 partnerships, no coordinates`}},
		{name: "no coordinates, one candidate without", ref: `{"name":"Unplacedville","country":"XT"}`, want: "unplaced"},
		{name: "no such city", ref: `{"name":"Nowheresville","country":"XT"}`, problems: []string{
			`partnership.cities[0]: no city of XT is named "Nowheresville"`}},
		{name: "unknown country", ref: `{"name":"Testville","country":"Atlantis"}`, problems: []string{
			`partnership.cities[0]: unknown country "Atlantis"`}},
		{name: "name without country", ref: `{"name":"Testville"}`, problems: []string{
			"partnership.cities[0].country: required with a name"}},
		{name: "name with a key", ref: `{"name":"Testville","country":"XT","key":"testville"}`, problems: []string{
			"exactly one of key"}},
		{name: "half coordinates", ref: `{"name":"Testville","country":"XT","latitude":1}`, problems: []string{
			"latitude and longitude go together"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := reconcileDB(t)
			before := tableRows(t, db)
			_, err := importBytes(db, "t.ndjson", []byte(partnershipLine(tc.ref)), importer.FormatNDJSON)
			if tc.problems == nil {
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				if got, want := partnerOfAnchor(t, db), cityID(tc.want); got != want {
					t.Errorf("resolved to %s, want %s (%s)", got, want, tc.want)
				}
				return
			}
			var fe *knowledge.FileError
			if !errors.As(err, &fe) || len(fe.Problems) != 1 {
				t.Fatalf("err = %v, want one problem", err)
			}
			got := fe.Problems[0].String()
			if !strings.HasPrefix(got, "t.ndjson:1: ") {
				t.Errorf("problem %q is not at t.ndjson:1", got)
			}
			for _, s := range tc.problems {
				if !strings.Contains(got, s) {
					t.Errorf("problem %q lacks %q", got, s)
				}
			}
			if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
				t.Errorf("a refused file changed the database (-got +want):\n%s", diff)
			}
		})
	}
}

func TestImportCreatesCitiesByName(t *testing.T) {
	t.Parallel()
	db := reconcileDB(t)
	file := strings.Join([]string{
		partnershipLine(`{"name":"Newtestville","country":"XT","latitude":1.5,"longitude":2.5,"create":true}`),
		`{"type":"partnership","key":"q","kind":"FRIENDLY_EXCHANGE","cities":[{"name":"newtestville","country":"Testland","create":true},"testville"],"sources":["s"]}`,
		`{"type":"figure","key":"f","city":{"name":"Testville","country":"XT","create":true},"metric":"SISTER_CITIES","value":1,"source":"s"}`,
	}, "\n")
	sum, err := importBytes(db, "create.ndjson", []byte(file), importer.FormatNDJSON)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if c := sum.Counts[knowledge.KindCity]; c.Created != 1 {
		t.Errorf("cities %+v, want 1 created", c)
	}
	id := partnerOfAnchor(t, db)
	var city struct {
		Name string  `db:"name"`
		Code string  `db:"code"`
		Lat  float64 `db:"latitude"`
		Src  string  `db:"url"`
	}
	if err := db.Get(&city, `SELECT c.name, k.code, c.latitude, s.url FROM cities c JOIN countries k ON k.id = c.country_id
        JOIN city_sources cs ON cs.city_id = c.id JOIN sources s ON s.id = cs.source_id WHERE c.id = $1`, id); err != nil {
		t.Fatalf("created city: %v", err)
	}
	if city.Name != "Newtestville" || city.Code != "XT" || city.Lat != 1.5 || city.Src != "https://example.org/reconcile" {
		t.Errorf("created city = %+v", city)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM partnerships WHERE $1 IN (city_a_id, city_b_id)`, id); n != 2 {
		t.Errorf("the created city has %d partnerships, want 2 (both lines name it)", n)
	}
	// Importing it again finds the city by its name: nothing is created twice.
	sum, err = importBytes(db, "create.ndjson", []byte(file), importer.FormatNDJSON)
	if err != nil {
		t.Fatalf("import again: %v", err)
	}
	if c := sum.Counts[knowledge.KindCity]; c.Created != 0 {
		t.Errorf("again: cities %+v, want none created", c)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM cities WHERE name = 'Newtestville'`); n != 1 {
		t.Errorf("%d cities named Newtestville, want 1", n)
	}
}

// An ambiguous name is one rejected line under --skip-invalid, its candidates given.
func TestImportReconcileSkipInvalid(t *testing.T) {
	t.Parallel()
	db := reconcileDB(t)
	data := []byte(strings.Join([]string{
		partnershipLine(`{"name":"Samplecity","country":"XT"}`),
		`{"type":"partnership","key":"ok","kind":"SISTER_CITY","cities":[{"name":"Testville","country":"XT"},"anchor"],"sources":["s"]}`,
	}, "\n"))
	parsed, err := importer.Parse("mixed.ndjson", strings.NewReader(string(data)), importer.FormatNDJSON, nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	_, err = importBytes(db, "mixed.ndjson", data, importer.FormatNDJSON)
	var fe *knowledge.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FileError", err)
	}
	kept, rejected, err := importer.SkipInvalid(parsed, fe.All())
	if err != nil {
		t.Fatalf("skip: %v", err)
	}
	if len(rejected) != 1 || rejected[0].Line != 1 || !strings.Contains(strings.Join(rejected[0].Reasons, " "), cityID("samplecity-north")) {
		t.Fatalf("rejected = %+v, want line 1 with its candidates", rejected)
	}
	if _, err := postgres.Import(context.Background(), db, kept, nil); err != nil {
		t.Fatalf("import the rest: %v", err)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM partnerships WHERE id = $1`, knowledge.KeyID(knowledge.KindPartnership, "ok")); n != 1 {
		t.Errorf("the valid line was not written")
	}
}

// A name that resolves to the partnership's other city, or a pair a second line names
// by name, is a problem of its line, not a database error.
func TestImportReconcileSamePairs(t *testing.T) {
	t.Parallel()
	db := reconcileDB(t)
	for _, tc := range []struct{ file, want string }{
		{`{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":[{"name":"Testville","country":"XT"},"testville"],"sources":["s"]}`,
			"same.ndjson:1: partnership.cities"},
		{strings.Join([]string{
			`{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":["testville","anchor"],"sources":["s"]}`,
			`{"type":"partnership","key":"q","kind":"SISTER_CITY","cities":[{"name":"Testville","country":"XT"},"anchor"],"sources":["s"]}`,
		}, "\n"), "same.ndjson:2: partnership"},
	} {
		_, err := importBytes(db, "same.ndjson", []byte(tc.file), importer.FormatNDJSON)
		var fe *knowledge.FileError
		t.Log(err)
		if !errors.As(err, &fe) || !strings.HasPrefix(fe.Problems[0].String(), tc.want) {
			t.Errorf("err = %v, want a problem at %s", err, tc.want)
		}
	}
}

// testdata/import/by-name.ndjson names cities the way a partner's list does, after the
// gazetteer and the knowledge of testdata/import: by a name in capitals, by another name
// (Mockstadt is Mocktown), with coordinates, and one new city, created once.
func TestImportByNameFile(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportAll(t, db)
	sum := MustImportFile(t, db, "by-name.ndjson")
	if c := sum.Counts[knowledge.KindCity]; c.Created != 1 {
		t.Errorf("cities %+v, want 1 created (Newtestville)", c)
	}
	if c := sum.Counts[knowledge.KindPartnership]; c.Created != 2 {
		t.Errorf("partnerships %+v, want 2 created", c)
	}
	var pairs []string
	if err := db.Select(&pairs, `SELECT a.name || '-' || b.name FROM partnerships p JOIN cities a ON a.id = p.city_a_id
        JOIN cities b ON b.id = p.city_b_id JOIN partnership_sources s ON s.partnership_id = p.id
        JOIN sources x ON x.id = s.source_id WHERE x.url = 'https://example.org/partners/2024' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		ns := strings.Split(p, "-")
		if ns[0] > ns[1] {
			ns[0], ns[1] = ns[1], ns[0]
		}
		pairs[i] = ns[0] + "-" + ns[1]
	}
	slices.Sort(pairs)
	if diff := cmp.Diff(pairs, []string{"Exampleford-Sampleton", "Mocktown-Newtestville"}); diff != "" {
		t.Errorf("pairs (-got +want):\n%s", diff)
	}
	if sum := MustImportFile(t, db, "by-name.ndjson"); sum.Counts[knowledge.KindCity].Created != 0 {
		t.Errorf("again: cities %+v, want none created", sum.Counts[knowledge.KindCity])
	}
}
