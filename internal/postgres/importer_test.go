package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
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

// MustImportFile parses and imports one file of testdata/import.
func MustImportFile(t *testing.T, db *sqlx.DB, name string) knowledge.BatchSummary {
	t.Helper()
	sum, err := importFile(db, filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return sum
}

func importFile(db *sqlx.DB, path string) (knowledge.BatchSummary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return knowledge.BatchSummary{}, err
	}
	return importBytes(db, filepath.Base(path), data, importer.FormatAuto)
}

func importBytes(db *sqlx.DB, name string, data []byte, f importer.Format) (knowledge.BatchSummary, error) {
	if f == importer.FormatAuto {
		var err error
		if f, err = importer.Detect(name, data); err != nil {
			return knowledge.BatchSummary{}, err
		}
	}
	b, err := importer.Parse(name, bytes.NewReader(data), f, nil)
	if err != nil {
		return knowledge.BatchSummary{}, err
	}
	return postgres.Import(context.Background(), db, b, nil)
}

// MustImportAll loads the countries, the gazetteer and the knowledge of testdata/import.
func MustImportAll(t *testing.T, db *sqlx.DB) {
	t.Helper()
	for _, f := range []string{"countries.json", "cities.txt", "knowledge.ndjson"} {
		MustImportFile(t, db, f)
	}
}

func mustCount(t *testing.T, db *sqlx.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestImportFormats(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB

	got := map[string]map[string]knowledge.BatchCounts{}
	for _, f := range []string{"countries.json", "cities.txt", "knowledge.ndjson"} {
		got[f] = MustImportFile(t, db, f).Counts
	}
	want := map[string]map[string]knowledge.BatchCounts{
		"countries.json": {"source": {Created: 1}, "country": {Created: 3}}, // with Kosovo, citing GeoNames
		"cities.txt":     {"source": {Created: 1}, "city": {Created: 3}},
		"knowledge.ndjson": {
			"source": {Created: 2}, "city": {Created: 1}, "official": {Created: 2}, "agreement": {Created: 1},
			"partnership": {Created: 2}, "institution": {Created: 1}, "figure": {Created: 1},
		},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("summaries (-got +want):\n%s", diff)
	}

	// GeoNames: coordinates, population (0 is "unknown"), alternate names as "und",
	// and the gazetteer cited.
	var city struct {
		Name       string   `db:"name"`
		Country    string   `db:"code"`
		Population *int64   `db:"population"`
		Latitude   *float64 `db:"latitude"`
		Names      int64    `db:"names"`
		Sources    int64    `db:"sources"`
	}
	const q = `SELECT c.name, k.code, c.population, c.latitude,
    (SELECT count(*) FROM city_names n WHERE n.city_id = c.id AND n.language = 'und') AS names,
    (SELECT count(*) FROM city_sources s JOIN sources x ON x.id = s.source_id WHERE s.city_id = c.id AND x.url = 'https://www.geonames.org/') AS sources
FROM cities c JOIN countries k ON k.id = c.country_id WHERE c.geonames_id = $1`
	if err := db.Get(&city, q, 99000001); err != nil {
		t.Fatal(err)
	}
	if city.Name != "Testville" || city.Country != "XT" || city.Population == nil || *city.Population != 150000 ||
		city.Latitude == nil || *city.Latitude != 10.5 || city.Names != 3 || city.Sources != 1 {
		t.Errorf("Testville = %+v", city)
	}
	if err := db.Get(&city, q, 99000003); err != nil {
		t.Fatal(err)
	}
	if city.Population != nil {
		t.Errorf("Exampleford population = %d, want NULL for GeoNames' 0", *city.Population)
	}

	// References by GeoNames id, Wikidata id and key all resolved to the same rows.
	testville := knowledge.KeyID(knowledge.KindCity, importer.GeoNamesKey(99000001))
	checks := []struct {
		name  string
		query string
		want  int64
	}{
		{"official by geonames", `SELECT count(*) FROM officials WHERE wikidata_qid = 'Q9000000004' AND city_id = $1`, 1},
		{"parties", `SELECT count(*) FROM agreement_parties p JOIN agreements a ON a.id = p.agreement_id WHERE a.signed_in_id = $1`, 2},
		{"signatories", `SELECT count(*) FROM signatories s JOIN agreements a ON a.id = s.agreement_id WHERE a.signed_in_id = $1`, 2},
		{"partnerships of testville", `SELECT count(*) FROM partnerships WHERE $1 IN (city_a_id, city_b_id)`, 2},
		{"partnership by wikidata", `SELECT count(*) FROM partnerships p JOIN cities c ON c.id IN (p.city_a_id, p.city_b_id) WHERE c.wikidata_qid = 'Q9000000003' AND $1 IN (p.city_a_id, p.city_b_id)`, 1},
		{"institution", `SELECT count(*) FROM institutions i JOIN institution_agreements ia ON ia.institution_id = i.id WHERE i.city_id = $1`, 1},
		{"figure", `SELECT count(*) FROM reported_figures WHERE city_id = $1 AND value = 2`, 1},
		{"agreement sources", `SELECT count(*) FROM agreement_sources s JOIN agreements a ON a.id = s.agreement_id WHERE a.signed_in_id = $1`, 2},
		{"official source by url", `SELECT count(*) FROM official_sources s JOIN sources x ON x.id = s.source_id WHERE x.url = 'https://example.org/sampleton/notice-2001' AND $1 = $1`, 1},
		{"official name", `SELECT count(*) FROM official_names WHERE name = 'Alexander Example' AND source_id IS NOT NULL AND $1 = $1`, 1},
	}
	for _, c := range checks {
		if n := mustCount(t, db, c.query, testville); n != c.want {
			t.Errorf("%s: %d rows, want %d", c.name, n, c.want)
		}
	}

	// Importing everything again changes nothing.
	for _, f := range []string{"countries.json", "cities.txt", "knowledge.ndjson"} {
		sum := MustImportFile(t, db, f)
		if sum.Changed() {
			t.Errorf("second import of %s changed something: %+v", f, sum.Counts)
		}
		for k, c := range sum.Counts {
			if c.Unchanged == 0 {
				t.Errorf("second import of %s: %s %+v, want all unchanged", f, k, c)
			}
		}
	}
}

func TestImportUpdatesChangedValues(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	MustImportFile(t, db, "cities.txt")

	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", "cities.txt"))
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(data, []byte("\t150000\t"), []byte("\t151000\t"), 1)
	sum, err := importBytes(db, "cities.txt", changed, importer.FormatGeoNames)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts["city"], knowledge.BatchCounts{Updated: 1, Unchanged: 2}); diff != "" {
		t.Errorf("city counts (-got +want):\n%s", diff)
	}
	if n := mustCount(t, db, `SELECT population FROM cities WHERE geonames_id = 99000001`); n != 151000 {
		t.Errorf("population = %d, want 151000", n)
	}

	// A new alternate name alone also counts as an update.
	more := bytes.Replace(changed, []byte("Sampleburg,"), []byte("Sampleburg,Samplebury,"), 1)
	sum, err = importBytes(db, "cities.txt", more, importer.FormatGeoNames)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts["city"], knowledge.BatchCounts{Updated: 1, Unchanged: 2}); diff != "" {
		t.Errorf("city counts after a new name (-got +want):\n%s", diff)
	}
}

func TestImportBadFileWritesNothing(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportAll(t, db)
	before := tableRows(t, db)

	_, err := importFile(db, filepath.Join("..", "..", "testdata", "import", "bad.ndjson"))
	var ie *knowledge.FileError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *knowledge.FileError", err)
	}
	want := []string{
		`bad.ndjson:1: source.url: "ftp://example.org/x" is not an http or https URL`,
		`bad.ndjson:3: city.population: want an integer, got JSON string`,
		`bad.ndjson:5: partnership.cities: a partnership joins two different cities, got "nowhere" twice`,
		`bad.ndjson:5: partnership.sources: required: cite at least one source (a source key or {"url": ...})`,
		`bad.ndjson:6: agreement.kind: "TREATY" is not one of MEMORANDUM, SISTER_CITY_AGREEMENT, FRIENDLY_EXCHANGE_AGREEMENT, COOPERATION_AGREEMENT, OTHER`,
		`bad.ndjson:6: agreement.sources: required: cite at least one source (a source key or {"url": ...})`,
		`bad.ndjson:8: type: "spaceship" is not one of source, country, city, official, agreement, partnership, institution, figure, statement`,
		`bad.ndjson:9: not a JSON object: invalid character 'o' in literal null (expecting 'u')`,
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(sortedLines(got), sortedLines(want)); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("a refused file changed the database (-got +want):\n%s", diff)
	}
}

// cancelAtPhase cancels an import's context when the writer starts the phase named.
type cancelAtPhase struct {
	phase  string
	cancel context.CancelFunc
}

func (c cancelAtPhase) Phase(name string) {
	if name == c.phase {
		c.cancel()
	}
}

func (cancelAtPhase) Add(int) {}

// A file's staging rows go to the driver's COPY statement, which does not watch the
// context as database/sql would: the writer checks it between rows, so a cancelled
// import stops in its COPY rather than streaming the rest of the file first.
func TestImportCancelledDuringCopy(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	before := tableRows(t, db)
	var file strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&file, `{"type":"source","key":"s%d","title":"Synthetic source %d","url":"https://example.org/cancel/%d"}`+"\n", i, i, i)
	}
	b, err := importer.Parse("cancel.ndjson", strings.NewReader(file.String()), importer.FormatNDJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = postgres.Import(ctx, db, b, cancelAtPhase{"writing", cancel})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), ": copy imp_") {
		t.Fatalf("err = %v, want the COPY to stop with context.Canceled", err)
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("a cancelled import changed the database (-got +want):\n%s", diff)
	}
}

func sortedLines(s []string) string {
	c := append([]string(nil), s...)
	// Problems are grouped by check, not by line; compare them as a set.
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return strings.Join(c, "\n")
}

func TestImportUnknownReferences(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	before := tableRows(t, db)

	// Every line is well-formed; only the database can tell what does not exist, and
	// every such reference is reported, not only the first.
	file := strings.Join([]string{
		`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/s"}`,
		`{"type":"city","key":"testville","name":"Testville","country":"XT","sources":["s"]}`,
		`{"type":"city","key":"nowhere","name":"Nowhere","country":"XX"}`,
		`{"type":"partnership","key":"p","kind":"SISTER_CITY","cities":["testville",{"geonames":99000999}],"sources":["s"]}`,
		`{"type":"figure","key":"f","city":{"wikidata":"Q9000000999"},"metric":"SISTER_CITIES","value":1,"source":{"url":"https://example.org/elsewhere"}}`,
	}, "\n")
	_, err := importBytes(db, "cities.ndjson", []byte(file), importer.FormatNDJSON)
	var ie *knowledge.FileError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *knowledge.FileError", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`cities.ndjson:3: city.country: unknown country "XX"`,
		`cities.ndjson:4: partnership.cities[1]: unknown city with GeoNames id 99000999`,
		`cities.ndjson:5: figure.city: unknown city with Wikidata id "Q9000000999"`,
		`cities.ndjson:5: figure.source: unknown source with URL "https://example.org/elsewhere"`,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("a refused file changed the database (-got +want):\n%s", diff)
	}
}

func TestImportRequiresSources(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportAll(t, db)
	for _, line := range []string{
		`{"type":"partnership","key":"unsourced","kind":"SISTER_CITY","cities":[{"geonames":99000001},{"geonames":99000003}]}`,
		`{"type":"agreement","key":"unsourced","title":"Unsourced","kind":"OTHER","parties":[{"geonames":99000001}],"sources":[]}`,
		`{"type":"institution","key":"unsourced","name":"Unsourced","kind":"OTHER","city":{"geonames":99000001}}`,
		`{"type":"official","key":"unsourced","name":"Unsourced"}`,
		`{"type":"figure","key":"unsourced","city":{"geonames":99000001},"metric":"SISTER_CITIES","value":1}`,
	} {
		_, err := importBytes(db, "facts.ndjson", []byte(line), importer.FormatNDJSON)
		var ie *knowledge.FileError
		if !errors.As(err, &ie) || len(ie.Problems) != 1 || !strings.Contains(ie.Problems[0].Field, "source") {
			t.Errorf("%s: err = %v, want one problem about its sources", line, err)
		}
	}
	// A source already in the database may be cited by key or URL.
	ok := `{"type":"partnership","key":"exampleford-sampleton","kind":"SISTER_CITY","cities":[{"geonames":99000003},{"key":"geonames-99000002"}],"sources":["testville-gazette-2001-01-01",{"url":"https://example.org/sampleton/notice-2001"}]}`
	sum, err := importBytes(db, "facts.ndjson", []byte(ok), importer.FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts, map[string]knowledge.BatchCounts{"partnership": {Created: 1}}); diff != "" {
		t.Errorf("counts (-got +want):\n%s", diff)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM partnership_sources WHERE partnership_id = $1`, knowledge.KeyID(knowledge.KindPartnership, "exampleford-sampleton")); n != 2 {
		t.Errorf("partnership cites %d sources, want 2", n)
	}
}

func TestImportAdoptsExistingCities(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	// A city entered some other way (a mutation, the bundle) with a GeoNames id: a
	// gazetteer row for it updates that city instead of adding a second one.
	var id string
	if err := db.Get(&id, `INSERT INTO cities (country_id, name, geonames_id, wikidata_qid)
SELECT id, 'Testville', 99000001, 'Q9000000001' FROM countries WHERE code = 'XT' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	sum := MustImportFile(t, db, "cities.txt")
	if diff := cmp.Diff(sum.Counts["city"], knowledge.BatchCounts{Created: 2, Updated: 1}); diff != "" {
		t.Errorf("city counts (-got +want):\n%s", diff)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM cities WHERE geonames_id = 99000001 AND id = $1 AND population = 150000 AND wikidata_qid = 'Q9000000001'`, id); n != 1 {
		t.Errorf("existing Testville not updated in place (or its Wikidata id lost)")
	}
	// References by GeoNames id find the adopted row.
	MustImportFile(t, db, "knowledge.ndjson")
	if n := mustCount(t, db, `SELECT count(*) FROM officials WHERE city_id = $1`, id); n != 1 {
		t.Errorf("%d officials of the adopted Testville, want 1", n)
	}
}

// TestImportConflictingIdentifiers covers the checks before the writes: two lines that
// resolve to one stored city, and an identifier another city already holds. Each is
// reported at its line, and nothing is written.
func TestImportConflictingIdentifiers(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	MustImportFile(t, db, "cities.txt")
	before := tableRows(t, db)
	file := strings.Join([]string{
		`{"type":"city","key":"geonames-99000001","name":"Testville","country":"XT"}`,
		`{"type":"city","key":"testville-again","name":"Testville","country":"XT","geonames":99000001}`,
		`{"type":"city","key":"geonames-99000003","name":"Exampleford","country":"XT","geonames":99000002}`,
	}, "\n")
	_, err := importBytes(db, "cities.ndjson", []byte(file), importer.FormatNDJSON)
	var ie *knowledge.FileError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *knowledge.FileError", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`cities.ndjson:2: city: names the same city as line 1 (by key or by an identifier)`,
		`cities.ndjson:3: city.geonames: GeoNames id 99000002 already belongs to another city`,
	}
	if diff := cmp.Diff(sortedLines(got), sortedLines(want)); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("a refused file changed the database (-got +want):\n%s", diff)
	}
}

// TestImportNamesRoundTrip checks that names travel to the database as written,
// whatever characters they hold, and that a changed source of a name counts as an
// update of its city.
func TestImportNamesRoundTrip(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	names := []string{`Test "quoted" ville`, `Back\slash`, `Comma, Testville`, `{Braces}`, `NULL`, `Tab\there`, `Тествиль`}
	var ns []string
	for _, n := range names {
		q, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, fmt.Sprintf(`{"language":"und","name":%s}`, q))
	}
	file := `{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/s"}
{"type":"city","key":"testville","name":"Testville","country":"XT","names":[` + strings.Join(ns, ",") + `],"sources":["s"]}`
	if _, err := importBytes(db, "names.ndjson", []byte(file), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	var stored []string
	if err := db.Select(&stored, `SELECT name FROM city_names WHERE city_id = $1 ORDER BY name`, knowledge.KeyID(knowledge.KindCity, "testville")); err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), names...)
	slices.Sort(want)
	if diff := cmp.Diff(stored, want); diff != "" {
		t.Errorf("stored names (-got +want):\n%s", diff)
	}

	// The same names, now citing the source: the city is updated, nothing else.
	cited := strings.ReplaceAll(file, `"language":"und"`, `"language":"und","source":"s"`)
	sum, err := importBytes(db, "names.ndjson", []byte(cited), importer.FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts, map[string]knowledge.BatchCounts{"source": {Unchanged: 1}, "city": {Updated: 1}}); diff != "" {
		t.Errorf("counts (-got +want):\n%s", diff)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM city_names WHERE source_id = $1`, knowledge.KeyID(knowledge.KindSource, "s")); n != int64(len(names)) {
		t.Errorf("%d names cite the source, want %d", n, len(names))
	}
}

// TestImportBulk loads a gazetteer large enough for the bulk path, which sets the
// indexes and constraints of cities, city_names and city_sources aside: afterwards
// every one of them is back as it was, the rows are all there, and a second load
// changes nothing. A bulk file that is refused leaves them untouched too.
func TestImportBulk(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	schema := func() []string { return cityTablesSchema(t, db) }
	before := schema()

	data := geoNamesRows(91_000_001, postgres.BulkCities)
	// The first row's city is stored without a GeoNames id, and its GeoNames id belongs
	// to another city: found once the indexes are dropped, and the file refused.
	if _, err := db.Exec(`INSERT INTO cities (id, country_id, name, geonames_id)
SELECT x.id, c.id, x.name, x.gn FROM countries c,
    (VALUES ($1::uuid, 'Testville', NULL::bigint), (gen_random_uuid(), 'Sampleton', 91000001)) x (id, name, gn)
WHERE c.code = 'XT'`, knowledge.KeyID(knowledge.KindCity, importer.GeoNamesKey(91_000_001))); err != nil {
		t.Fatal(err)
	}
	_, err := importBytes(db, "cities.txt", data, importer.FormatGeoNames)
	if err == nil || !strings.Contains(err.Error(), "cities.txt:1: city.geonames: GeoNames id 91000001 already belongs to another city") {
		t.Fatalf("err = %v, want the GeoNames id conflict", err)
	}
	if diff := cmp.Diff(schema(), before); diff != "" {
		t.Fatalf("a refused bulk load changed indexes or constraints (-got +want):\n%s", diff)
	}
	if n := mustCount(t, db, `SELECT count(*) FROM pending_indexes`); n != 0 {
		t.Fatalf("a refused bulk load left %d indexes pending", n)
	}
	// One city of the file is stored already, with one of its names and no source for
	// it: the bulk load adopts it and cites GeoNames for the name.
	stored := knowledge.KeyID(knowledge.KindCity, importer.GeoNamesKey(91_000_002))
	if _, err := db.Exec(`DELETE FROM cities`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO cities (id, country_id, name, geonames_id) SELECT $1, id, 'Testville 91000002', 91000002
FROM countries WHERE code = 'XU'`, stored); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO city_names (city_id, language, name) VALUES ($1, 'und', 'Testburg 91000002')`, stored); err != nil {
		t.Fatal(err)
	}

	sum, err := importBytes(db, "cities.txt", data, importer.FormatGeoNames)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts["city"], knowledge.BatchCounts{Created: postgres.BulkCities - 1, Updated: 1}); diff != "" {
		t.Errorf("city counts (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(schema(), before); diff != "" {
		t.Errorf("indexes or constraints after a bulk load (-got +want):\n%s", diff)
	}
	for query, want := range map[string]int64{
		`SELECT count(*) FROM cities`:                                               postgres.BulkCities,
		`SELECT count(*) FROM city_names WHERE source_id IS NOT NULL`:               3 * postgres.BulkCities,
		`SELECT count(*) FROM city_sources`:                                         postgres.BulkCities,
		`SELECT count(*) FROM cities WHERE amity_fold(name) = 'testville 91000007'`: 1,
	} {
		if n := mustCount(t, db, query); n != want {
			t.Errorf("%s = %d, want %d", query, n, want)
		}
	}
	sum, err = importBytes(db, "cities.txt", data, importer.FormatGeoNames)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changed() {
		t.Errorf("second bulk load changed something: %+v", sum.Counts)
	}
}

// cityTablesSchema is every index and constraint of the tables a bulk load sets aside.
func cityTablesSchema(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var defs []string
	if err := db.Select(&defs, `
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN ('cities'::regclass, 'city_names'::regclass, 'city_sources'::regclass)
UNION ALL
SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint
WHERE conrelid IN ('cities'::regclass, 'city_names'::regclass, 'city_sources'::regclass)
ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return defs
}

// geoNamesRows is a synthetic GeoNames cities file of n rows with ids from first, in
// the two user-assigned country codes of testdata/import/countries.json.
func geoNamesRows(first, n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 160)
	for i := 0; i < n; i++ {
		id := first + i
		// Spread evenly over the globe (a low-discrepancy sequence): a line of repeated
		// points would make the geographic index far slower than real data does.
		lat := math.Mod(float64(i)*0.6180339887, 1)*170 - 85
		lon := math.Mod(float64(i)*0.7548776662, 1)*360 - 180
		cc := "XT"
		if i%2 == 1 {
			cc = "XU"
		}
		fmt.Fprintf(&b, "%d\tTestville %d\tTestville %d\tTestburg %d,Testopolis %d,Тествиль %d\t%.4f\t%.4f\tP\tPPL\t%s\t\t01\t\t\t\t%d\t\t10\tEtc/UTC\t2024-01-01\n",
			id, id, id, id, id, id, lat, lon, cc, 15000+i)
	}
	return b.Bytes()
}

// BenchmarkImportGeoNames measures parsing and writing a 200,000-row GeoNames file
// (three alternate names a row) into a fresh database, and re-importing it unchanged.
// rows/s counts lines of the file; table-rows/s counts the rows those lines are in
// PostgreSQL (a city, its names, its citation of GeoNames), written by create and
// compared by unchanged. docs/import.md records the figures.
func BenchmarkImportGeoNames(b *testing.B) {
	const rows = 200_000
	for _, mode := range []string{"create", "unchanged"} {
		b.Run(mode, func(b *testing.B) {
			var tableRows int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := pgtest.MustOpen(b).DB
				if _, err := importBytes(db, "countries.json", mustRead(b, "countries.json"), importer.FormatISO3166); err != nil {
					b.Fatal(err)
				}
				data := geoNamesRows(90_000_001, rows)
				if mode == "unchanged" {
					if _, err := importBytes(db, "cities.txt", data, importer.FormatGeoNames); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				sum, err := importBytes(db, "cities.txt", data, importer.FormatGeoNames)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if c := sum.Counts["city"]; c.Created+c.Updated+c.Unchanged != rows {
					b.Fatalf("counts %+v, want %d rows", c, rows)
				}
				var n int
				if err := db.QueryRow(`SELECT (SELECT count(*) FROM cities) + (SELECT count(*) FROM city_names) + (SELECT count(*) FROM city_sources)`).Scan(&n); err != nil {
					b.Fatal(err)
				}
				tableRows += n
				b.StartTimer()
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(tableRows)/b.Elapsed().Seconds(), "table-rows/s")
		})
	}
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Statements come by file as every other fact: each one source's word on one property
// of its subject, written with its position among the subject's statements, changing
// its subject (a new version, an audit entry) when it is new or different, and nothing
// when repeated, whichever identifiers the file names the subject and source by.
func TestImportStatements(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportAll(t, db)
	alex := knowledge.KeyID(knowledge.KindOfficial, "alex-example")
	tie := knowledge.KeyID(knowledge.KindPartnership, "testville-sampleton")

	const file = `{"type":"statement","subject":{"official":"alex-example"},"property":"name","value":"Alexander Example","source":"testville-gazette-2001-01-01","quote":"Mayor Alexander Example"}
{"type":"statement","subject":{"partnership":"testville-sampleton"},"property":"since","value":"2001-01-02","source":{"url":"https://example.org/sampleton/notice-2001"}}
{"type":"statement","subject":{"official":"alex-example"},"property":"title","value":"Mayor","source":"sampleton-notice-2001"}
`
	sum, err := importBytes(db, "statements.ndjson", []byte(file), importer.FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Counts, map[string]knowledge.BatchCounts{}); diff != "" {
		t.Errorf("counts of a file of statements only (-got +want):\n%s", diff)
	}
	type stmt struct {
		Subject  string  `db:"subject"`
		Property string  `db:"property"`
		Value    string  `db:"value"`
		Source   string  `db:"source"`
		Quote    *string `db:"quote"`
		Position int     `db:"position"`
	}
	read := func() []stmt {
		t.Helper()
		var got []stmt
		if err := db.Select(&got, `SELECT coalesce(st.official_id, st.partnership_id)::text AS subject, property, value,
    s.url AS source, quote, position FROM statements st JOIN sources s ON s.id = st.source_id ORDER BY 1, position`); err != nil {
			t.Fatal(err)
		}
		return got
	}
	quote := "Mayor Alexander Example"
	gazette, notice := "https://example.org/testville-gazette/2001-01-01", "https://example.org/sampleton/notice-2001"
	want := []stmt{
		{alex.String(), "name", "Alexander Example", gazette, &quote, 0},
		{alex.String(), "title", "Mayor", notice, nil, 1},
		{tie.String(), "since", "2001-01-02", notice, nil, 0},
	}
	if want[0].Subject > want[2].Subject {
		want = []stmt{want[2], want[0], want[1]}
	}
	if diff := cmp.Diff(read(), want); diff != "" {
		t.Errorf("statements (-got +want):\n%s", diff)
	}
	audit := auditOf(t, db, "import:statements.ndjson")
	var updated []string
	for _, a := range audit {
		if a.Action != "UPDATE" {
			t.Errorf("audit entry %+v, want updates of the subjects only", a)
		}
		updated = append(updated, a.Type+" "+a.ID)
	}
	slices.Sort(updated)
	wantUpdated := []string{"Official " + alex.String(), "Partnership " + tie.String()}
	slices.Sort(wantUpdated)
	if diff := cmp.Diff(updated, wantUpdated); diff != "" {
		t.Errorf("audited subjects (-got +want):\n%s", diff)
	}
	if v := mustCount(t, db, `SELECT version FROM officials WHERE id = $1`, alex); v != 2 {
		t.Errorf("official version %d after a new statement, want 2", v)
	}

	// The same statements again, the official now named by his Wikidata id: the same
	// statements, nothing written.
	again := strings.Replace(file, `{"official":"alex-example"},"property":"name"`, `{"official":{"wikidata":"Q9000000004"}},"property":"name"`, 1)
	if _, err := importBytes(db, "statements.ndjson", []byte(again), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(read(), want); diff != "" {
		t.Errorf("statements after re-import (-got +want):\n%s", diff)
	}
	if n := len(auditOf(t, db, "import:statements.ndjson")); n != len(audit) {
		t.Errorf("%d audit entries after an unchanged re-import, want %d", n, len(audit))
	}

	// A changed quote changes the statement and its subject.
	changed := strings.Replace(file, `"quote":"Mayor Alexander Example"`, `"quote":"Alexander Example, mayor"`, 1)
	if _, err := importBytes(db, "statements-v2.ndjson", []byte(changed), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	quote = "Alexander Example, mayor"
	if diff := cmp.Diff(read(), want); diff != "" {
		t.Errorf("statements after a changed quote (-got +want):\n%s", diff)
	}
	if got := auditOf(t, db, "import:statements-v2.ndjson"); len(got) != 1 || got[0].ID != alex.String() {
		t.Errorf("audit of the changed quote %+v, want one update of the official", got)
	}

	// Wrong statements are refused with their line, and nothing is written.
	before := tableRows(t, db)
	const bad = `{"type":"statement","subject":{"official":"alex-example","city":"mocktown"},"property":"name","value":"X","source":"sampleton-notice-2001"}
{"type":"statement","subject":{"official":"nobody"},"property":"name","value":"X","source":"sampleton-notice-2001"}
{"type":"statement","subject":{"partnership":{"wikidata":"Q1"}},"property":"2nd","value":"","source":"sampleton-notice-2001"}
{"type":"statement","subject":{"city":"mocktown"},"property":"name","value":"X"}
`
	_, err = importBytes(db, "bad-statements.ndjson", []byte(bad), importer.FormatNDJSON)
	var ie *knowledge.FileError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *knowledge.FileError", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	wantProblems := []string{
		`bad-statements.ndjson:1: statement.subject: give exactly one of city, official, agreement, partnership, institution`,
		`bad-statements.ndjson:3: statement.property: "2nd" is not a property name (a letter, then up to 63 letters, digits, '_' or '.')`,
		`bad-statements.ndjson:3: statement.value: required`,
		`bad-statements.ndjson:3: statement.subject.partnership: a partnership is referred to by key`,
		`bad-statements.ndjson:4: statement.source: required`,
	}
	if diff := cmp.Diff(sortedLines(got), sortedLines(wantProblems)); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	// The unknown subject is the database's to find, once the file is otherwise right.
	_, err = importBytes(db, "bad-statements.ndjson", []byte(strings.SplitAfter(bad, "\n")[1]), importer.FormatNDJSON)
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].String() != `bad-statements.ndjson:1: statement.subject.official: unknown official "nobody"` {
		t.Errorf("err = %v, want the unknown official", err)
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("a refused file changed the database (-got +want):\n%s", diff)
	}
}
