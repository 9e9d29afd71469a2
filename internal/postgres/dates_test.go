package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// datedFile is a knowledge file with a date of each precision on every kind that has
// one; {since} and the other placeholders let a test vary a field.
const datedFile = `{"type":"source","key":"dated-gazette","title":"Testville Gazette on its partners","url":"https://example.org/dated-gazette","publishedOn":"1994-05"{publisher}}
{"type":"agreement","key":"dated-memorandum","title":"Memorandum of Testville and Sampleton","kind":"MEMORANDUM","signedOn":"1994"{summary},"parties":[{"geonames":99000001},{"geonames":99000002}],"sources":["dated-gazette"]}
{"type":"partnership","key":"dated-tie","kind":"SISTER_CITY","cities":[{"geonames":99000001},{"geonames":99000002}]{since},"until":"2001-02","sources":["dated-gazette"]}
{"type":"partnership","key":"undated-tie","kind":"SISTER_CITY","cities":[{"geonames":99000001},{"geonames":99000003}],"sources":["dated-gazette"]}
{"type":"institution","key":"dated-institute","name":"Testville Institute","kind":"UNIVERSITY","city":{"geonames":99000001},"foundedOn":"1995-09-01","sources":["dated-gazette"]}
{"type":"figure","key":"dated-figure","city":{"geonames":99000001},"metric":"SISTER_CITIES","value":2,"asOf":"1996","source":"dated-gazette"}
`

// datedData is datedFile with the replacements (old, new, …), then the defaults; a
// Replacer tries its pairs in order, so the test's come first.
func datedData(replace ...string) []byte {
	r := strings.NewReplacer(append(replace, "{publisher}", `,"publisher":"Testville Gazette"`, "{summary}", `,"summary":"A synthetic memorandum."`,
		"{since}", `,"since":"1994"`)...)
	return []byte(r.Replace(datedFile))
}

func mustImportDated(t *testing.T, db *postgres.DB, replace ...string) knowledge.BatchSummary {
	t.Helper()
	sum, err := importBytes(db.DB, "dated.ndjson", datedData(replace...), importer.FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func dateString(d *knowledge.Date) string {
	if d == nil {
		return "none"
	}
	return d.String()
}

// Every date keeps the precision its source gives, through the import and back out of
// every reader, and re-importing the file changes nothing.
func TestImportDatePrecisionRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	mustImportDated(t, db)

	id := func(kind, key string) uuid.UUID { return knowledge.KeyID(kind, key) }
	sources, err := db.SourcesByID(ctx, []uuid.UUID{id(knowledge.KindSource, "dated-gazette")})
	if err != nil {
		t.Fatal(err)
	}
	agreements, err := db.AgreementsByID(ctx, []uuid.UUID{id(knowledge.KindAgreement, "dated-memorandum")})
	if err != nil {
		t.Fatal(err)
	}
	ties, err := db.PartnershipsByID(ctx, []uuid.UUID{id(knowledge.KindPartnership, "dated-tie")})
	if err != nil {
		t.Fatal(err)
	}
	institutions, err := db.InstitutionsByID(ctx, []uuid.UUID{id(knowledge.KindInstitution, "dated-institute")})
	if err != nil {
		t.Fatal(err)
	}
	testville := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	figures, err := db.ReportedFigures(ctx, []uuid.UUID{testville})
	if err != nil {
		t.Fatal(err)
	}
	tie := ties[id(knowledge.KindPartnership, "dated-tie")]
	got := map[string]string{
		"source.publishedOn":    dateString(sources[id(knowledge.KindSource, "dated-gazette")].PublishedOn),
		"agreement.signedOn":    dateString(agreements[id(knowledge.KindAgreement, "dated-memorandum")].SignedOn),
		"partnership.since":     dateString(tie.Since),
		"partnership.until":     dateString(tie.Until),
		"institution.foundedOn": dateString(institutions[id(knowledge.KindInstitution, "dated-institute")].FoundedOn),
		"figure.asOf":           dateString(figures[testville][0].AsOf),
	}
	want := map[string]string{
		"source.publishedOn": "1994-05", "agreement.signedOn": "1994", "partnership.since": "1994",
		"partnership.until": "2001-02", "institution.foundedOn": "1995-09-01", "figure.asOf": "1996",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("dates read back (-got +want):\n%s", diff)
	}
	// The stored date is the first day of its period, so orderings and indexes work.
	var stored string
	if err := db.Get(&stored, `SELECT since || ' ' || since_precision FROM partnerships WHERE id = $1`, tie.ID); err != nil {
		t.Fatal(err)
	}
	if stored != "1994-01-01 year" {
		t.Errorf("stored since = %q, want 1994-01-01 year", stored)
	}

	sum := mustImportDated(t, db)
	for kind, c := range sum.Counts {
		if c.Created+c.Updated != 0 {
			t.Errorf("re-import: %s %+v, want unchanged", kind, c)
		}
	}
	// A more precise date is a change of the value.
	sum = mustImportDated(t, db, "{since}", `,"since":"1994-05-12"`)
	if c := sum.Counts[knowledge.KindPartnership]; c.Updated != 1 {
		t.Errorf("a day instead of a year: partnerships %+v, want 1 updated", c)
	}
	ties, err = db.PartnershipsByID(ctx, []uuid.UUID{tie.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := dateString(ties[tie.ID].Since); got != "1994-05-12" {
		t.Errorf("since = %s, want 1994-05-12", got)
	}
}

// A null clears an optional field: a new version and an audit entry; leaving the field
// out keeps it and writes nothing. A null on a required field or a list is refused.
func TestImportNullClears(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	mustImportDated(t, db)
	tie := knowledge.KeyID(knowledge.KindPartnership, "dated-tie")
	agreement := knowledge.KeyID(knowledge.KindAgreement, "dated-memorandum")
	source := knowledge.KeyID(knowledge.KindSource, "dated-gazette")

	sum := mustImportDated(t, db, "{since}", `,"since":null`, "{summary}", `,"summary":null`, "{publisher}", `,"publisher":null`)
	for _, kind := range []string{knowledge.KindSource, knowledge.KindAgreement, knowledge.KindPartnership} {
		if c := sum.Counts[kind]; c.Updated != 1 {
			t.Errorf("clearing: %s %+v, want 1 updated", kind, c)
		}
	}
	var row struct {
		Since     *string `db:"since"`
		Precision string  `db:"since_precision"`
		Version   int     `db:"version"`
	}
	if err := db.Get(&row, `SELECT since::text, since_precision, version FROM partnerships WHERE id = $1`, tie); err != nil {
		t.Fatal(err)
	}
	if row.Since != nil || row.Precision != "day" || row.Version != 2 {
		t.Errorf("after since: null: %+v, want no since, precision day, version 2", row)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM agreements WHERE id = $1 AND summary IS NULL AND signed_on IS NOT NULL`, agreement); n != 1 {
		t.Errorf("summary: null cleared the agreement's summary and kept its date: %d rows, want 1", n)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM sources WHERE id = $1 AND publisher IS NULL AND published_on_precision = 'month'`, source); n != 1 {
		t.Errorf("publisher: null cleared the publisher and kept the month: %d rows, want 1", n)
	}
	updates := 0
	for _, e := range auditOf(t, db.DB, "import:dated.ndjson") {
		if e.Action == "UPDATE" && e.ID == tie.String() {
			updates++
			if !strings.Contains(*e.Before, `"since": "1994-01-01"`) || !strings.Contains(*e.After, `"since": null`) {
				t.Errorf("audit entry of the clearing: before %s after %s", *e.Before, *e.After)
			}
		}
	}
	if updates != 1 {
		t.Errorf("%d audit UPDATE entries of the partnership, want 1", updates)
	}

	// Absent: kept, nothing written.
	before, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum = mustImportDated(t, db, "{since}", "", "{summary}", "", "{publisher}", "")
	for kind, c := range sum.Counts {
		if c.Created+c.Updated != 0 {
			t.Errorf("fields left out: %s %+v, want unchanged", kind, c)
		}
	}
	if after, err := db.LastSeq(ctx); err != nil || after != before {
		t.Errorf("fields left out: audit log at %d, want %d (%v)", after, before, err)
	}
	if n := mustCount(t, db.DB, `SELECT version FROM partnerships WHERE id = $1`, tie); n != 2 {
		t.Errorf("fields left out: version %d, want 2", n)
	}

	// A required field or a list cannot be cleared.
	_, err = importBytes(db.DB, "dated.ndjson", datedData("{summary}", `,"areas":null`,
		`"title":"Testville Gazette on its partners"`, `"title":null`), importer.FormatNDJSON)
	for _, want := range []string{"dated.ndjson:2: agreement.areas: null clears only an optional value",
		"dated.ndjson:1: source.title: null clears only an optional value"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("import with null on required fields: %v, want %q", err, want)
		}
	}
}

// Mutations write, keep and clear a date with its precision; an explicit null in an
// update clears the field.
func TestMutationDatePrecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	a := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	b := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: "dates-test"}}
	kind, url := knowledge.SisterCity, "https://example.org/dates-mutation"
	published := knowledge.MustParseDate("1994")
	since, until := knowledge.MustParseDate("1994-05"), knowledge.MustParseDate("1994")
	res, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{Kind: &kind, CityIDs: []uuid.UUID{a, b},
		Since: &since, Until: &until,
		Sources: knowledge.SourceRefs{New: []knowledge.NewSource{{Title: "Testville Gazette", URL: &url, PublishedOn: &published}}}})
	if err != nil {
		t.Fatal(err)
	}
	read := func() *knowledge.Partnership {
		t.Helper()
		got, err := db.PartnershipsByID(ctx, []uuid.UUID{res.ID})
		if err != nil {
			t.Fatal(err)
		}
		return got[res.ID]
	}
	// An end "in 1994" may follow a start in May 1994.
	if p := read(); dateString(p.Since) != "1994-05" || dateString(p.Until) != "1994" {
		t.Errorf("created with since %s until %s, want 1994-05 and 1994", dateString(p.Since), dateString(p.Until))
	}
	src := mustID(t, db.DB, `SELECT id FROM sources WHERE url = $1 AND published_on_precision = 'year'`, url)
	cite := knowledge.SourceRefs{IDs: []uuid.UUID{src}}

	// Leaving since out keeps it; giving until alone changes only until.
	later := knowledge.MustParseDate("2001-02-03")
	if _, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{ID: &res.ID, Version: 1, Until: &later, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	if p := read(); dateString(p.Since) != "1994-05" || dateString(p.Until) != "2001-02-03" || p.Version != 2 {
		t.Errorf("after until only: since %s until %s version %d, want 1994-05, 2001-02-03, 2", dateString(p.Since), dateString(p.Until), p.Version)
	}
	// Clearing since.
	if _, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{ID: &res.ID, Version: 2, Clear: knowledge.Cleared{"since"}, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	if p := read(); p.Since != nil || dateString(p.Until) != "2001-02-03" || p.Version != 3 {
		t.Errorf("after clearing since: since %s until %s version %d, want none, 2001-02-03, 3", dateString(p.Since), dateString(p.Until), p.Version)
	}
	// A field an update cannot clear is refused.
	_, err = db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{ID: &res.ID, Version: 3, Clear: knowledge.Cleared{"kind"}, Sources: cite})
	if err == nil || !strings.Contains(err.Error(), "input.kind: cannot be cleared") {
		t.Errorf("clearing kind: %v, want refused", err)
	}
	// An until certainly before since is refused, whatever the precisions.
	early, lateSince := knowledge.MustParseDate("1993"), knowledge.MustParseDate("1994-01")
	_, err = db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{ID: &res.ID, Version: 3, Since: &lateSince, Until: &early, Sources: cite})
	if err == nil || !strings.Contains(err.Error(), "input.until: is before since") {
		t.Errorf("until 1993, since 1994-01: %v, want refused", err)
	}
}

// asOf counts a dated tie only once it certainly stood: "since 1994" from 1994-12-31,
// "until 2001-02" not from 2001-02-01; undated ties are counted apart at every date.
func TestAsOfImpreciseDates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	mustImportDated(t, db)
	testville := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)

	type counted struct{ Partners, Undated, Agreements, Listed int }
	tests := []struct {
		asOf string
		want counted
	}{
		{"1994-06-30", counted{0, 1, 0, 0}}, // within 1994: not certain yet
		{"1994-12-31", counted{1, 1, 1, 1}}, // the last day of 1994
		{"2001-01-31", counted{1, 1, 1, 1}},
		{"2001-02-01", counted{0, 1, 1, 0}}, // ended in February 2001: perhaps on its first day
	}
	for _, tt := range tests {
		day, err := time.Parse(time.DateOnly, tt.asOf)
		if err != nil {
			t.Fatal(err)
		}
		stats, err := db.NetworkStats(ctx, []uuid.UUID{testville}, &day)
		if err != nil {
			t.Fatal(err)
		}
		pages, err := db.PartnershipsOfCities(ctx, []uuid.UUID{testville}, knowledge.PartnershipFilter{AsOf: &day}, knowledge.PageArgs{})
		if err != nil {
			t.Fatal(err)
		}
		s := stats[testville]
		got := counted{s.PartnerCities, s.UndatedPartnerCities, s.Agreements, len(pages[testville].Items)}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("as of %s (-got +want):\n%s", tt.asOf, diff)
		}
	}
	// Today counts every tie not ended, dated or not: the dated one ended in 2001.
	stats, err := db.NetworkStats(ctx, []uuid.UUID{testville}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := stats[testville]; s.PartnerCities != 1 || s.UndatedPartnerCities != 1 || s.Agreements != 1 {
		t.Errorf("today: %+v, want 1 partner (undated) and 1 agreement", s)
	}

	// Agreements signed before a bound: "1994" lies before 1994-12-31, not before 1994-06-30.
	for bound, want := range map[string]int{"1994-06-30": 0, "1994-12-31": 1} {
		day, _ := time.Parse(time.DateOnly, bound)
		page, err := db.Agreements(ctx, knowledge.AgreementQuery{SignedBefore: &day, Desc: true}, knowledge.PageArgs{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != want {
			t.Errorf("agreements signed before %s: %d, want %d", bound, len(page.Items), want)
		}
	}
}

// The date functions every answer with a date runs are inlined by the planner: a SQL
// function that is not (its body more volatile than it is declared) costs a call of
// its own per row, about 3.5 µs of PostgreSQL CPU a date (migration 00020).
func TestDateFunctionsInline(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	for _, expr := range []string{
		"amity_date_text(p.since, p.since_precision)",
		"amity_date_last(p.since, p.since_precision)",
	} {
		var plan []string
		if err := db.SelectContext(context.Background(), &plan, `EXPLAIN (VERBOSE, COSTS OFF) SELECT `+expr+` FROM partnerships p`); err != nil {
			t.Fatal(err)
		}
		name := expr[:strings.Index(expr, "(")]
		if text := strings.Join(plan, "\n"); strings.Contains(text, name) {
			t.Errorf("%s is not inlined:\n%s", name, text)
		}
	}
}
