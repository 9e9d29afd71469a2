package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// rulesFile is a small world of synthetic facts: three cities, an official of the
// first, and an agreement of the first two that he signs.
var rulesFile = strings.Join([]string{
	`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/rules"}`,
	`{"type":"city","key":"alphaville","name":"Alphaville","country":"XT","sources":["s"]}`,
	`{"type":"city","key":"betaville","name":"Betaville","country":"XT","sources":["s"]}`,
	`{"type":"city","key":"gammaville","name":"Gammaville","country":"XT","sources":["s"]}`,
	`{"type":"official","key":"mayor-a","name":"Testperson A","city":"alphaville","sources":["s"]}`,
	`{"type":"agreement","key":"ab","title":"Alpha-Beta memorandum","kind":"MEMORANDUM","parties":["alphaville","betaville"],` +
		`"signatories":[{"official":"mayor-a","party":"alphaville"}],"sources":["s"]}`,
}, "\n")

// openRulesWorld opens a database holding the countries and rulesFile.
func openRulesWorld(t *testing.T) *postgres.DB {
	t.Helper()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	if _, err := importBytes(db.DB, "world.ndjson", []byte(rulesFile), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	return db
}

// The relationship rules hold for a file as for a mutation: a file's facts are judged
// against the stored ones, with file:line:field.
func TestImportHeldToTheRelationshipRules(t *testing.T) {
	t.Parallel()
	db := openRulesWorld(t).DB
	before := tableRows(t, db)
	tests := []struct {
		name, file string
		want       []string
	}{
		{"a partnership on an agreement of other cities, and a signatory of none of the parties", strings.Join([]string{
			`{"type":"partnership","key":"ag","kind":"SISTER_CITY","cities":["alphaville","gammaville"],"agreement":"ab","sources":["s"]}`,
			`{"type":"agreement","key":"bg","title":"Beta-Gamma memorandum","kind":"MEMORANDUM","parties":["betaville","gammaville"],` +
				`"signatories":[{"official":"mayor-a","party":"betaville"}],"sources":["s"]}`,
		}, "\n"), []string{
			"rules.ndjson:1: partnership.agreement: the agreement is not between the partnership's two cities: both must be among its parties",
			"rules.ndjson:2: agreement.signatories[0].official: the official does not represent any of the agreement's parties",
		}},
		{"an official who signs for his city moved away", `{"type":"official","key":"mayor-a","name":"Testperson A","city":"gammaville","sources":["s"]}`,
			[]string{"rules.ndjson:1: official.city: the official signs agreements for the city he represents; " +
				"he signs one for another city, so change or remove that signature first (updateAgreement signatories)"}},
	}
	for _, tt := range tests {
		_, err := importBytes(db, "rules.ndjson", []byte(tt.file), importer.FormatNDJSON)
		var fe *knowledge.FileError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: err = %v, want a *knowledge.FileError", tt.name, err)
		}
		var got []string
		for _, p := range fe.All() {
			got = append(got, p.String())
		}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("%s: problems (-got +want):\n%s", tt.name, diff)
		}
	}
	if diff := cmp.Diff(tableRows(t, db), before); diff != "" {
		t.Errorf("refused files changed the database (-got +want):\n%s", diff)
	}
}

// A mutation is a batch of one record written by the files' writer: its lists are
// stated whole, an update that changes nothing writes nothing, and its change names
// every city it concerns, those it leaves too.
func TestMutationThroughTheWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openRulesWorld(t)
	id := func(kind, key string) uuid.UUID { return knowledge.KeyID(kind, key) }
	alpha, beta, gamma := id(knowledge.KindCity, "alphaville"), id(knowledge.KindCity, "betaville"), id(knowledge.KindCity, "gammaville")
	agreement, mayor := id(knowledge.KindAgreement, "ab"), id(knowledge.KindOfficial, "mayor-a")
	cite := knowledge.SourceRefs{IDs: []uuid.UUID{id(knowledge.KindSource, "s")}}
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: "one-writer-test"}}
	feed := listen(t, db)

	// New parties and signatories replace the old: Betaville leaves, Gammaville joins.
	parties := []uuid.UUID{alpha, gamma}
	signatories := []knowledge.SignatoryWrite{{OfficialID: mayor, PartyID: alpha}}
	if _, err := db.WriteAgreement(ctx, meta, knowledge.AgreementWrite{ID: &agreement, Version: 1, Parties: &parties,
		Signatories: &signatories, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	var stored []uuid.UUID
	if err := db.SelectContext(ctx, &stored, `SELECT city_id FROM agreement_parties WHERE agreement_id = $1 ORDER BY position`, agreement); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stored, parties) {
		t.Errorf("parties %v, want %v", stored, parties)
	}
	changes := feed.drain()
	if len(changes) != 1 || changes[0].ID != agreement || changes[0].Bulk != nil {
		t.Fatalf("changes %+v, want one of the agreement", changes)
	}
	for _, c := range []uuid.UUID{alpha, beta, gamma} {
		if !slices.Contains(changes[0].Cities, c) {
			t.Errorf("the change names cities %v, not %s: a city that stops being a party sees its list change", changes[0].Cities, c)
		}
	}

	// Names given replace the names stored.
	names := []knowledge.Name{{Language: "en", Name: "Alphaville"}, {Language: "fr", Name: "Alphaville-la-Neuve"}}
	if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &alpha, Version: 1, Names: &names, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	only := []knowledge.Name{{Language: "fr", Name: "Alphaville-la-Neuve"}}
	if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &alpha, Version: 2, Names: &only, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM city_names WHERE city_id = $1`, alpha); n != 1 {
		t.Errorf("%d names after replacing them with one", n)
	}

	// The same update again changes nothing: no new version, no audit entry, no change.
	feed.drain()
	audited := mustCount(t, db.DB, `SELECT count(*) FROM audit_log`)
	if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &alpha, Version: 3, Names: &only, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	if v := mustCount(t, db.DB, `SELECT version FROM cities WHERE id = $1`, alpha); v != 3 {
		t.Errorf("version %d after an update that changes nothing, want 3", v)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM audit_log`); n != audited {
		t.Errorf("%d audit entries after an update that changes nothing, want %d", n, audited)
	}
	if c := feed.drain(); len(c) != 0 {
		t.Errorf("an update that changes nothing announced %+v", c)
	}

	// The writer's problems come back at the input's fields, with their codes.
	stale := knowledge.CityWrite{ID: &alpha, Version: 1, Sources: cite}
	_, err := db.WriteCity(ctx, meta, stale)
	var ie *knowledge.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Code != knowledge.CodeStaleVersion ||
		strings.Join(ie.Problems[0].Path, ".") != "input.version" {
		t.Errorf("a stale update: %v, want STALE_VERSION at input.version", err)
	}
	moved := gamma
	_, err = db.WriteOfficial(ctx, meta, knowledge.OfficialWrite{ID: &mayor, Version: 1, CityID: &moved, Sources: cite})
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Code != knowledge.CodeConflict ||
		strings.Join(ie.Problems[0].Path, ".") != "input.city" {
		t.Errorf("moving a signing official: %v, want CONFLICT at input.city", err)
	}

	// An optional text given empty clears it, as null does; a record cannot keep "".
	title, empty := "Mayor", ""
	if _, err := db.WriteOfficial(ctx, meta, knowledge.OfficialWrite{ID: &mayor, Version: 1, Title: &title, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteOfficial(ctx, meta, knowledge.OfficialWrite{ID: &mayor, Version: 2, Title: &empty, Sources: cite}); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM officials WHERE id = $1 AND title IS NULL AND version = 3`, mayor); n != 1 {
		t.Error("an empty title did not clear the stored one")
	}
}

// A file's city that takes over a stored one by its GeoNames id, such as the shipped
// knowledge's Shenzhen meeting a gazetteer loaded before it, keeps its own id: the id
// its key derives answers with the city it took over, and the file imported again goes
// on writing that city.
func TestAdoptedCityKeepsItsID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	gazetteer := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	file := func(population int) []byte {
		return []byte(strings.Join([]string{
			`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/adopt"}`,
			fmt.Sprintf(`{"type":"city","key":"testville","name":"Testville","country":"XT","geonames":99000001,"population":%d,"sources":["s"]}`, population),
			`{"type":"partnership","key":"t-s","kind":"SISTER_CITY","cities":["testville",{"geonames":99000002}],"sources":["s"]}`,
		}, "\n"))
	}
	if _, err := importBytes(db.DB, "knowledge.ndjson", file(160000), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	own := knowledge.KeyID(knowledge.KindCity, "testville")
	got, err := db.CitiesByID(ctx, []uuid.UUID{own})
	if err != nil {
		t.Fatal(err)
	}
	if c := got[own]; c == nil || c.ID != gazetteer {
		t.Fatalf("the file's id answers %+v, want the gazetteer's city %s", got[own], gazetteer)
	}
	// The paths between cities take the file's id too.
	other := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)
	paths, err := db.CityPaths(ctx, knowledge.PathQuery{From: own, To: other, MaxHops: 2, First: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Errorf("%d paths from the file's id to its partner, want 1", len(paths))
	}
	if _, err := importBytes(db.DB, "knowledge.ndjson", file(170000), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db.DB, `SELECT population FROM cities WHERE id = $1`, gazetteer); n != 170000 {
		t.Errorf("population %d after the file said 170000 again: the file's line must go on writing the city", n)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM cities WHERE geonames_id = 99000001`); n != 1 {
		t.Errorf("%d cities with the GeoNames id, want 1", n)
	}
}

// A gazetteer that arrives after cities were created by name takes them over by the
// rule of references by name, instead of adding a second city beside each.
func TestGazetteerAdoptsCitiesCreatedByName(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	// Testville with coordinates 8 km from the gazetteer's; Exampleford without any.
	file := strings.Join([]string{
		`{"type":"source","key":"s","title":"Synthetic source","url":"https://example.org/by-name"}`,
		`{"type":"city","key":"testville-by-name","name":"testville","country":"XT","latitude":10.55,"longitude":20.3,"sources":["s"]}`,
		`{"type":"city","key":"exampleford-by-name","name":"Exampleford","country":"XT","sources":["s"]}`,
		`{"type":"city","key":"faraway","name":"Testville","country":"XT","latitude":-40,"longitude":-60,"sources":["s"]}`,
	}, "\n")
	if _, err := importBytes(db.DB, "partners.ndjson", []byte(file), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	sum := MustImportFile(t, db.DB, "cities.txt")
	if c := sum.Counts["city"]; c.Updated != 2 {
		t.Errorf("city counts %+v, want 2 updated (the cities created by name)", c)
	}
	for _, tt := range []struct {
		key string
		gn  int64
	}{{"testville-by-name", 99000001}, {"exampleford-by-name", 99000003}, {"faraway", 0}} {
		id := knowledge.KeyID(knowledge.KindCity, tt.key)
		if n := mustCount(t, db.DB, `SELECT coalesce(geonames_id, 0) FROM cities WHERE id = $1`, id); n != tt.gn {
			t.Errorf("%s: GeoNames id %d, want %d", tt.key, n, tt.gn)
		}
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM cities WHERE geonames_id IN (99000001, 99000003)`); n != 2 {
		t.Errorf("%d cities with the two GeoNames ids, want 2", n)
	}
	// The gazetteer again finds them by their GeoNames ids and changes nothing.
	if sum := MustImportFile(t, db.DB, "cities.txt"); sum.Counts["city"].Created+sum.Counts["city"].Updated != 0 {
		t.Errorf("the gazetteer again: %+v, want nothing written", sum.Counts["city"])
	}
}

// A batch leaves the staging tables of its session empty, whatever it staged: the
// next batch on the connection must not find its rows. A small batch empties only the
// tables it filled, so each kind of record, list replacement and file is tried.
func TestBatchesLeaveNothingStaged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	db.SetMaxOpenConns(1) // one session: the staging tables checked are the batches'
	staged := func(after string) {
		t.Helper()
		var tables []string
		if err := db.SelectContext(ctx, &tables, `SELECT c.relname FROM pg_class c
WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'r' AND c.relname LIKE 'imp\_%' ORDER BY 1`); err != nil {
			t.Fatal(err)
		}
		if len(tables) < 14 {
			t.Fatalf("after %s: the session has staging tables %v", after, tables)
		}
		for _, table := range tables {
			if n := mustCount(t, db.DB, `SELECT count(*) FROM pg_temp.`+table); n != 0 {
				t.Errorf("after %s: %s holds %d rows", after, table, n)
			}
		}
	}
	for _, f := range []string{"countries.json", "cities.txt", "knowledge.ndjson"} {
		MustImportFile(t, db.DB, f)
		staged(f)
	}
	if _, err := importBytes(db.DB, "world.ndjson", []byte(rulesFile), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	staged("world.ndjson")

	id := func(kind, key string) uuid.UUID { return knowledge.KeyID(kind, key) }
	alpha, beta, gamma := id(knowledge.KindCity, "alphaville"), id(knowledge.KindCity, "betaville"), id(knowledge.KindCity, "gammaville")
	agreement, mayor := id(knowledge.KindAgreement, "ab"), id(knowledge.KindOfficial, "mayor-a")
	cite := knowledge.SourceRefs{IDs: []uuid.UUID{id(knowledge.KindSource, "s")}}
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: "staging-test"}}
	url, title, kind := "https://example.org/staging", "Testville chronicle", knowledge.PartnershipKind("SISTER_CITY")
	parties := []uuid.UUID{alpha, gamma}
	signatories := []knowledge.SignatoryWrite{{OfficialID: mayor, PartyID: alpha}}
	names := []knowledge.Name{{Language: "fr", Name: "Alphaville-la-Neuve"}}
	pop := 1234
	newSource := knowledge.SourceRefs{New: []knowledge.NewSource{{Title: "Testville gazette", URL: &url}}}
	for _, m := range []struct {
		name  string
		write func() error
	}{
		{"a new source", func() error {
			_, err := db.CreateSource(ctx, meta, knowledge.NewSource{Title: title})
			return err
		}},
		{"an agreement's parties replaced", func() error {
			_, err := db.WriteAgreement(ctx, meta, knowledge.AgreementWrite{ID: &agreement, Version: 1, Parties: &parties,
				Signatories: &signatories, Sources: cite})
			return err
		}},
		{"a city's names and a new source", func() error {
			_, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &alpha, Version: 1, Names: &names, Population: &pop, Sources: newSource})
			return err
		}},
		{"a partnership", func() error {
			_, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{Kind: &kind, CityIDs: []uuid.UUID{beta, gamma}, Sources: cite})
			return err
		}},
		{"a refused update", func() error {
			if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &alpha, Version: 1, Population: &pop, Sources: cite}); err == nil {
				return errors.New("a stale version was written")
			}
			return nil
		}},
	} {
		if err := m.write(); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		staged(m.name)
	}
}

// The audit log shows an entity as written: not name_fold, the folded name PostgreSQL
// derives from a city's name for look-ups.
func TestAuditLogShowsWrittenColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openRulesWorld(t)
	alpha := knowledge.KeyID(knowledge.KindCity, "alphaville")
	pop := 4321
	if _, err := db.WriteCity(ctx, knowledge.WriteMeta{Actor: knowledge.Actor{Name: "audit-test"}}, knowledge.CityWrite{ID: &alpha, Version: 1,
		Population: &pop, Sources: knowledge.SourceRefs{IDs: []uuid.UUID{knowledge.KeyID(knowledge.KindSource, "s")}}}); err != nil {
		t.Fatal(err)
	}
	page, err := db.AuditLog(ctx, &alpha, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("%d entries for Alphaville, want its creation and its update", len(page.Items))
	}
	for _, e := range page.Items {
		for _, row := range []*string{e.Before, e.After} {
			if row == nil {
				continue
			}
			if strings.Contains(*row, "name_fold") || !strings.Contains(*row, `"name": "Alphaville"`) {
				t.Errorf("%s entry shows %s", e.Action, *row)
			}
		}
	}
}

// Retries of one write sent at once, under one client mutation id, write once: each
// waits on the id's claim (claimRequest) for the first call's transaction, then answers
// with its entity. A refused call claims nothing: the id is free for the corrected one.
func TestConcurrentRetriesWriteOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openRulesWorld(t)
	key, err := db.CreateKey(ctx, "retry-test", make([]byte, 32), []knowledge.Scope{knowledge.ScopeWrite}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmid := "testville-1"
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{KeyID: &key.ID, Name: key.Name}, ClientMutationID: &cmid}
	cite := knowledge.SourceRefs{IDs: []uuid.UUID{knowledge.KeyID(knowledge.KindSource, "s")}}
	name, country, bad := "Testville", "XT", "XX"
	if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{Name: &name, CountryCode: &bad, Sources: cite}); err == nil {
		t.Fatal("a city of an unknown country was written")
	}
	const calls = 8
	results := make([]knowledge.WriteResult, calls)
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = db.WriteCity(ctx, meta, knowledge.CityWrite{Name: &name, CountryCode: &country, Sources: cite})
		}()
	}
	wg.Wait()
	firsts := 0
	for i := range calls {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if results[i].ID != results[0].ID {
			t.Errorf("call %d answered city %s, call 0 city %s", i, results[i].ID, results[0].ID)
		}
		if !results[i].Replayed {
			firsts++
		}
	}
	if firsts != 1 {
		t.Errorf("%d calls wrote, want 1", firsts)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM cities WHERE name = 'Testville'`); n != 1 {
		t.Errorf("%d cities named Testville, want 1", n)
	}
}
