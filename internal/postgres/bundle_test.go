package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// bundleRows is how many rows each table should hold after b is loaded into an empty
// database, counted from the batch itself.
func bundleRows(b *knowledge.Batch) map[string]int64 {
	n := make(map[string]int64)
	for _, t := range postgres.BundleTables {
		n[t] = 0
	}
	n["sources"] = int64(len(b.Sources))
	n["countries"] = int64(len(b.Countries))
	n["cities"] = int64(len(b.Cities))
	for _, c := range b.Cities {
		n["city_names"] += int64(len(c.Names))
		n["city_sources"] += int64(len(c.Sources))
	}
	n["officials"] = int64(len(b.Officials))
	for _, o := range b.Officials {
		n["official_names"] += int64(len(o.Names))
		n["official_sources"] += int64(len(o.Sources))
	}
	n["agreements"] = int64(len(b.Agreements))
	links := make(map[[2]string]bool)
	for _, a := range b.Agreements {
		n["agreement_parties"] += int64(len(a.Parties))
		n["agreement_areas"] += int64(len(a.Areas))
		n["signatories"] += int64(len(a.Signatories))
		n["agreement_sources"] += int64(len(a.Sources))
		for _, in := range a.Institutions {
			links[[2]string{in.Key, a.Key}] = true
		}
	}
	n["institutions"] = int64(len(b.Institutions))
	for _, in := range b.Institutions {
		n["institution_sources"] += int64(len(in.Sources))
		for _, a := range in.Agreements {
			links[[2]string{in.Key, a.Key}] = true
		}
	}
	n["institution_agreements"] = int64(len(links))
	n["partnerships"] = int64(len(b.Partnerships))
	for _, p := range b.Partnerships {
		n["partnership_sources"] += int64(len(p.Sources))
	}
	n["reported_figures"] = int64(len(b.Figures))
	n["statements"] = int64(len(b.Statements))
	return n
}

// tableRows counts the rows of every bundle table and of bundle_loads.
func tableRows(t *testing.T, db *sqlx.DB) map[string]int64 {
	t.Helper()
	n := make(map[string]int64)
	for _, table := range append([]string{"bundle_loads"}, postgres.BundleTables...) {
		var c int64
		// Table names come from a fixed list, never from input.
		if err := db.Get(&c, "SELECT count(*) FROM "+table); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		n[table] = c
	}
	return n
}

func shipped(t *testing.T) *knowledge.Batch {
	t.Helper()
	b, err := seed.Shipped()
	if err != nil {
		t.Fatalf("seed.Shipped: %v", err)
	}
	return b
}

// created is the summary of a first load of b: every entity created.
func created(b *knowledge.Batch) map[string]knowledge.BatchCounts {
	out := map[string]knowledge.BatchCounts{}
	for kind, n := range map[string]int{
		knowledge.KindSource: len(b.Sources), knowledge.KindCountry: len(b.Countries), knowledge.KindCity: len(b.Cities),
		knowledge.KindOfficial: len(b.Officials), knowledge.KindAgreement: len(b.Agreements), knowledge.KindPartnership: len(b.Partnerships),
		knowledge.KindInstitution: len(b.Institutions), knowledge.KindFigure: len(b.Figures),
	} {
		if n > 0 {
			out[kind] = knowledge.BatchCounts{Created: int64(n)}
		}
	}
	return out
}

func TestApplyShippedBundle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	b := shipped(t)

	res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName)
	if err != nil {
		t.Fatalf("ApplyBundle: %v", err)
	}
	if res.Skipped {
		t.Fatal("first load reported skipped")
	}
	if diff := cmp.Diff(res.Summary.Counts, created(b)); diff != "" {
		t.Errorf("summary (-got +want):\n%s", diff)
	}
	want := bundleRows(b)
	want["bundle_loads"] = 1
	if diff := cmp.Diff(want, tableRows(t, db.DB)); diff != "" {
		t.Errorf("table rows (-bundle +database):\n%s", diff)
	}

	// Spot-check that ids are the derived ones and references land where they should.
	var got struct {
		Title    string `db:"title"`
		SignedOn string `db:"signed_on"`
		SignedIn string `db:"signed_in"`
		Parties  string `db:"parties"`
		Signers  string `db:"signers"`
	}
	const agreementQuery = `
SELECT a.title, to_char(a.signed_on, 'YYYY-MM-DD') AS signed_on, c.name AS signed_in,
       (SELECT string_agg(pc.name, ',' ORDER BY p.position) FROM agreement_parties p JOIN cities pc ON pc.id = p.city_id
         WHERE p.agreement_id = a.id) AS parties,
       (SELECT string_agg(o.name || '/' || sc.name, ',' ORDER BY s.position) FROM signatories s
         JOIN officials o ON o.id = s.official_id JOIN cities sc ON sc.id = s.party_city_id
         WHERE s.agreement_id = a.id) AS signers
FROM agreements a JOIN cities c ON c.id = a.signed_in_id
WHERE a.id = $1`
	if err := db.Get(&got, agreementQuery, knowledge.KeyID(knowledge.KindAgreement, "shenzhen-moscow-memorandum-2024")); err != nil {
		t.Fatalf("read agreement: %v", err)
	}
	if got.SignedOn != "2024-03-06" || got.SignedIn != "Shenzhen" || got.Parties != "Shenzhen,Moscow" ||
		got.Signers != "Wang Shourui/Shenzhen,Sergey Cheremin/Moscow" {
		t.Errorf("agreement = %+v", got)
	}

	var moscowNames []string
	const namesQuery = `SELECT name FROM city_names WHERE city_id = $1 ORDER BY language, name`
	if err := db.Select(&moscowNames, namesQuery, knowledge.KeyID(knowledge.KindCity, "moscow")); err != nil {
		t.Fatalf("read names: %v", err)
	}
	if diff := cmp.Diff([]string{"Moscow", "Москва", "莫斯科"}, moscowNames); diff != "" {
		t.Errorf("Moscow's names (-want +got):\n%s", diff)
	}

	var langs []string
	const langQuery = `SELECT unnest(languages) FROM sources WHERE id = $1`
	if err := db.Select(&langs, langQuery, knowledge.KeyID(knowledge.KindSource, "fao-2024-03-07")); err != nil {
		t.Fatalf("read languages: %v", err)
	}
	if diff := cmp.Diff([]string{"zh", "en"}, langs); diff != "" {
		t.Errorf("notice languages (-want +got):\n%s", diff)
	}

	var visited string
	const stmtQuery = `SELECT value FROM statements WHERE official_id = $1 AND property = 'firstVisitedShenzhen'`
	if err := db.Get(&visited, stmtQuery, knowledge.KeyID(knowledge.KindOfficial, "sergey-cheremin")); err != nil {
		t.Fatalf("read statement: %v", err)
	}
	if visited != "1994" {
		t.Errorf("firstVisitedShenzhen = %q, want 1994", visited)
	}
}

func TestApplyBundleTwiceIsSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	b := shipped(t)

	if _, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName); err != nil {
		t.Fatalf("first ApplyBundle: %v", err)
	}
	before := tableRows(t, db.DB)
	res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName)
	if err != nil {
		t.Fatalf("second ApplyBundle: %v", err)
	}
	if !res.Skipped || res.Summary.Changed() {
		t.Errorf("second load: skipped %v, summary %+v; want skipped, nothing written", res.Skipped, res.Summary)
	}
	if diff := cmp.Diff(before, tableRows(t, db.DB)); diff != "" {
		t.Errorf("table rows changed (-before +after):\n%s", diff)
	}
}

// parseShipped reads data as the shipped knowledge is read.
func parseShipped(t *testing.T, data []byte) *knowledge.Batch {
	t.Helper()
	b, err := importer.ParseNDJSON(seed.ShippedPath, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestApplyBundleNewDigestSameFactsWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)

	if _, err := postgres.ApplyBundle(ctx, db.DB, shipped(t), seed.ShippedDigest(), seed.ShippedName); err != nil {
		t.Fatalf("first ApplyBundle: %v", err)
	}
	before := tableRows(t, db.DB)

	// An edit that changes the file but no fact: a new digest, the same rows.
	data := append(seed.ShippedBytes(), "\n"...)
	b := parseShipped(t, data)
	res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.Digest(data), "edited")
	if err != nil {
		t.Fatalf("second ApplyBundle: %v", err)
	}
	if res.Skipped || res.Summary.Changed() {
		t.Errorf("edited load: skipped %v, summary %+v; want applied, nothing written", res.Skipped, res.Summary)
	}
	after := tableRows(t, db.DB)
	before["bundle_loads"]++ // the new digest is recorded
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}

	// A newer bundle with one more fact writes exactly that fact.
	data = append(data, `{"type":"figure","key":"test-figure","city":"moscow","metric":"SISTER_CITIES","value":1,"asOf":"2024-03-07","source":"bnn-2024-03-07"}`+"\n"...)
	res, err = postgres.ApplyBundle(ctx, db.DB, parseShipped(t, data), seed.Digest(data), "newer")
	if err != nil {
		t.Fatalf("third ApplyBundle: %v", err)
	}
	if diff := cmp.Diff(res.Summary.Counts[knowledge.KindFigure], knowledge.BatchCounts{Created: 1, Unchanged: 4}); diff != "" {
		t.Errorf("newer bundle's figures (-got +want):\n%s", diff)
	}
	before["bundle_loads"]++
	before["reported_figures"]++
	if diff := cmp.Diff(before, tableRows(t, db.DB)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

func TestApplyBundleFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	empty := tableRows(t, db.DB)

	// The rules refuse all the database would (a NUL included, since one set of
	// limits holds for every way in), so this test's database gets a rule of its own
	// that the bundle breaks and the rules do not know. Statements are written last,
	// so every other table has been written, inside the transaction, by the time this
	// fails.
	if _, err := db.ExecContext(ctx, `ALTER TABLE statements ADD CONSTRAINT statements_test_refuse CHECK (quote IS DISTINCT FROM 'broken quote')`); err != nil {
		t.Fatal(err)
	}
	b := shipped(t)
	b.Statements[len(b.Statements)-1].Quote = "broken quote"
	res, err := postgres.ApplyBundle(ctx, db.DB, b, "broken", "broken")
	if err == nil || !strings.Contains(err.Error(), "write statements") {
		t.Fatalf("ApplyBundle error = %v, want the database to refuse the statements", err)
	}
	if res.Summary.Changed() {
		t.Errorf("failed load reports %+v", res.Summary)
	}
	if diff := cmp.Diff(empty, tableRows(t, db.DB)); diff != "" {
		t.Errorf("rows left behind (-want +got):\n%s", diff)
	}
}

func TestApplyBundleConcurrentReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	b := shipped(t)

	const replicas = 3
	results := make([]postgres.BundleResult, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			results[i], errs[i] = postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName)
		})
	}
	wg.Wait()
	applied := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if !results[i].Skipped {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("%d replicas applied the bundle, want exactly 1", applied)
	}
	want := bundleRows(b)
	want["bundle_loads"] = 1
	if diff := cmp.Diff(want, tableRows(t, db.DB)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

// Rows entered by hand before the bundle (same country code, same source URL) are
// adopted rather than duplicated or failing the load; what the bundle states of them
// is written, as by any import.
func TestApplyBundleAdoptsExistingRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	b := shipped(t)

	countryID, sourceID := uuid.New(), uuid.New()
	const insertCountry = `INSERT INTO countries (id, code, name) VALUES ($1, 'CN', 'People''s Republic of China')`
	const insertSource = `INSERT INTO sources (id, title, url) VALUES ($1, 'BNN report', $2)`
	if _, err := db.Exec(insertCountry, countryID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(insertSource, sourceID, b.Sources[0].URL); err != nil {
		t.Fatal(err)
	}

	res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName)
	if err != nil {
		t.Fatalf("ApplyBundle: %v", err)
	}
	// Of the shipped sources, the BNN report is adopted; the notice and GeoNames are new.
	if c, s := res.Summary.Counts[knowledge.KindCountry], res.Summary.Counts[knowledge.KindSource]; c != (knowledge.BatchCounts{Created: 1, Updated: 1}) || s != (knowledge.BatchCounts{Created: 2, Updated: 1}) {
		t.Errorf("countries %+v and sources %+v, want one country created and one adopted, two sources created and one adopted", c, s)
	}
	var shenzhenCountry uuid.UUID
	if err := db.Get(&shenzhenCountry, `SELECT country_id FROM cities WHERE id = $1`, knowledge.KeyID(knowledge.KindCity, "shenzhen")); err != nil {
		t.Fatal(err)
	}
	if shenzhenCountry != countryID {
		t.Errorf("Shenzhen's country = %s, want the existing CN row %s", shenzhenCountry, countryID)
	}
	var figuresFromExisting int
	if err := db.Get(&figuresFromExisting, `SELECT count(*) FROM reported_figures WHERE source_id = $1`, sourceID); err != nil {
		t.Fatal(err)
	}
	if figuresFromExisting != 4 {
		t.Errorf("%d figures cite the existing source row, want 4", figuresFromExisting)
	}
	if title := mustString(t, db.DB, `SELECT title FROM sources WHERE id = $1`, sourceID); title != b.Sources[0].Title {
		t.Errorf("the adopted source's title is %q, want the bundle's %q", title, b.Sources[0].Title)
	}
}

func mustString(t *testing.T, db *sqlx.DB, query string, args ...any) string {
	t.Helper()
	var s string
	if err := db.Get(&s, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

// A bundle of thousands of rows loads in a fixed number of round trips.
func TestApplyLargeBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("large bundle")
	}
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)

	s := knowledge.Ref{Key: "s"}
	b := &knowledge.Batch{
		File:      "large.ndjson",
		Sources:   []knowledge.SourceRecord{{Key: "s", Title: "Synthetic"}},
		Countries: []knowledge.CountryRecord{{Code: "XA", Name: "Testland"}},
	}
	const cities = 2000
	for i := range cities {
		key := fmt.Sprintf("city-%d", i)
		b.Cities = append(b.Cities, knowledge.CityRecord{
			Key: key, Name: key, Country: knowledge.Ref{Code: "XA"},
			Names:   []knowledge.NameRecord{{Language: "en", Name: key, Source: &s}},
			Sources: []knowledge.Ref{s},
		})
		b.Statements = append(b.Statements, knowledge.StatementRecord{Subject: knowledge.SubjectRef{City: &knowledge.Ref{Key: key}},
			Property: "note", Value: key, Source: s})
		if i > 0 {
			b.Partnerships = append(b.Partnerships, knowledge.PartnershipRecord{
				Key: fmt.Sprintf("tie-%d", i), Kind: "SISTER_CITY",
				Cities: []knowledge.Ref{{Key: key}, {Key: fmt.Sprintf("city-%d", i-1)}}, Sources: []knowledge.Ref{s},
			})
		}
	}
	var ps knowledge.FileProblems
	if b.Check(&ps); ps.Err() != nil {
		t.Fatal(ps.Err())
	}
	start := time.Now()
	res, err := postgres.ApplyBundle(ctx, db.DB, b, "large", "large")
	if err != nil {
		t.Fatalf("ApplyBundle: %v", err)
	}
	t.Logf("loaded %d entities in %v", res.Summary.Rows(), time.Since(start))
	want := bundleRows(b)
	want["bundle_loads"] = 1
	if diff := cmp.Diff(want, tableRows(t, db.DB)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}
