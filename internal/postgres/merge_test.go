package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// mergeFile is a partner's list that records Testville (the gazetteer's, GeoNames
// 99000001) a second time, as "TESTVILLE", with facts of every kind hanging off it,
// and gives the gazetteer's Testville a Wikidata id of its own.
const mergeFile = `{"type":"source","key":"partner-list","title":"Testville twinning list","url":"https://example.org/partner-list"}
{"type":"source","key":"gazette","title":"Testville Gazette","url":"https://example.org/gazette"}
{"type":"city","key":"geonames-99000001","name":"Testville","country":"XT","wikidata":"Q9000000100","sources":["gazette"]}
{"type":"city","key":"testville-partner","name":"TESTVILLE","country":"XT","population":140000,"latitude":10.505,"longitude":20.255,"wikidata":"Q9000000101","names":[{"language":"de","name":"Testingen","source":"partner-list"}],"sources":["partner-list"]}
{"type":"city","key":"mocktown","name":"Mocktown","country":"XU","sources":["gazette"]}
{"type":"city","key":"mocktown-again","name":"Mocktown","country":"XU","population":5000,"latitude":1.5,"longitude":2.5,"wikidata":"Q9000000102","sources":["gazette"]}
{"type":"city","key":"sourceless","name":"Mocktown","country":"XU","population":7}
{"type":"official","key":"pat","name":"Pat Partner","title":"Mayor","city":{"key":"testville-partner"},"sources":["partner-list"]}
{"type":"official","key":"sam","name":"Sam Sample","city":{"geonames":99000002},"sources":["gazette"]}
{"type":"agreement","key":"memo","title":"Memorandum Testville–Sampleton","kind":"MEMORANDUM","signedIn":{"key":"testville-partner"},"parties":[{"key":"testville-partner"},{"geonames":99000002}],"signatories":[{"official":"pat","party":{"key":"testville-partner"}},{"official":"sam","party":{"geonames":99000002}}],"sources":["partner-list"]}
{"type":"partnership","key":"l-sampleton","kind":"FRIENDLY_EXCHANGE","cities":[{"key":"testville-partner"},{"geonames":99000002}],"since":"2001-01-01","agreement":"memo","sources":["partner-list"]}
{"type":"partnership","key":"s-mocktown","kind":"SISTER_CITY","cities":[{"geonames":99000001},{"key":"mocktown"}],"since":"1999-05-01","sources":["gazette"]}
{"type":"partnership","key":"l-mocktown","kind":"SISTER_CITY","cities":[{"key":"testville-partner"},{"key":"mocktown"}],"since":"1998-01-01","sources":["partner-list"]}
{"type":"institution","key":"inst","name":"Testville Institute","kind":"UNIVERSITY","city":{"key":"testville-partner"},"sources":["partner-list"]}
{"type":"figure","key":"fig","city":{"key":"testville-partner"},"metric":"SISTER_CITIES","value":3,"asOf":"2020-01-01","source":"partner-list"}
{"type":"statement","subject":{"city":"testville-partner"},"property":"motto","value":"Test everything","source":"partner-list"}
`

// mustMergeDB returns a database with the test countries, the test gazetteer and
// mergeFile, and an API key of an admin.
func mustMergeDB(t *testing.T) (*postgres.DB, knowledge.WriteMeta) {
	t.Helper()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	if _, err := importBytes(db.DB, "partner.ndjson", []byte(mergeFile), importer.FormatNDJSON); err != nil {
		t.Fatalf("import: %v", err)
	}
	key, err := db.CreateKey(context.Background(), "data-office", make([]byte, 32), []knowledge.Scope{knowledge.ScopeAdmin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db, knowledge.WriteMeta{Actor: knowledge.Actor{KeyID: &key.ID, Name: key.Name}}
}

func cityKey(key string) uuid.UUID { return knowledge.KeyID(knowledge.KindCity, key) }

// mustMerge merges merged into survivor at their current versions.
func mustMerge(t *testing.T, db *postgres.DB, meta knowledge.WriteMeta, survivor, merged uuid.UUID) knowledge.CityMergeResult {
	t.Helper()
	res, err := db.MergeCities(context.Background(), meta, knowledge.CityMerge{
		SurvivorID: survivor, SurvivorVersion: version(t, db.DB, survivor),
		MergedID: merged, MergedVersion: version(t, db.DB, merged)})
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	return res
}

func version(t *testing.T, db *sqlx.DB, city uuid.UUID) int {
	t.Helper()
	return int(mustCount(t, db, `SELECT coalesce((SELECT version FROM cities WHERE id = $1), 0)`, city))
}

// Every kind of fact of the merged city moves to the survivor; values that differ
// stay the survivor's and become statements; a duplicate partnership is joined.
func TestMergeMovesEveryFact(t *testing.T) {
	t.Parallel()
	db, meta := mustMergeDB(t)
	ctx := context.Background()
	s := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	l := cityKey("testville-partner")
	sampleton := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)
	mocktown := cityKey("mocktown")
	feed := listen(t, db)

	res := mustMerge(t, db, meta, s, l)
	want := knowledge.CityMergeCounts{Names: 1, Sources: 1, Statements: 1, Partnerships: 1, JoinedPartnerships: 1,
		Agreements: 1, Institutions: 1, Officials: 1, Figures: 1, Conflicts: 4}
	if res.ID != s || res.Moved == nil || *res.Moved != want {
		t.Fatalf("merge = %+v, moved %+v; want survivor %s, moved %+v", res.WriteResult, res.Moved, s, want)
	}

	one := func(q string, args ...any) string { return mustString(t, db.DB, q, args...) }
	// Every query of the table names all four parameters, whichever it uses.
	params := `WITH p AS (SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid) `
	tests := []struct{ name, query, want string }{
		{"merged row is gone", `SELECT count(*)::text FROM cities WHERE id = $1`, "0"},
		{"merged id answers with the survivor", `SELECT survivor_id::text FROM city_merges WHERE merged_id = $1`, s.String()},
		{"merged Wikidata id is kept beside it", `SELECT wikidata_qid FROM city_merges WHERE merged_id = $1`, "Q9000000101"},
		{"survivor keeps its population", `SELECT population::text FROM cities WHERE id = $2`, "150000"},
		{"survivor keeps its Wikidata id", `SELECT wikidata_qid FROM cities WHERE id = $2`, "Q9000000100"},
		{"other name moves", `SELECT string_agg(language || ':' || name, ',') FROM city_names WHERE city_id = $2 AND name = 'Testingen'`, "de:Testingen"},
		{"own name that folds to the survivor's is not repeated", `SELECT count(*)::text FROM city_names WHERE city_id = $2 AND name = 'TESTVILLE'`, "0"},
		{"citations move", `SELECT count(*)::text FROM city_sources cs JOIN sources x ON x.id = cs.source_id WHERE cs.city_id = $2 AND x.url = 'https://example.org/partner-list'`, "1"},
		{"statements move", `SELECT count(*)::text FROM statements WHERE city_id = $2 AND property = 'motto'`, "1"},
		{"population conflict is a statement", `SELECT value FROM statements WHERE city_id = $2 AND property = 'population'`, "140000"},
		{"location conflict is a statement", `SELECT value FROM statements WHERE city_id = $2 AND property = 'location'`, "10.505, 20.255"},
		{"Wikidata conflict is a statement", `SELECT value FROM statements WHERE city_id = $2 AND property = 'externalIds.wikidata'`, "Q9000000101"},
		{"conflicts cite the merged city's source", `SELECT DISTINCT x.url FROM statements st JOIN sources x ON x.id = st.source_id WHERE st.city_id = $2 AND st.property IN ('population', 'location')`, "https://example.org/partner-list"},
		{"official moves", `SELECT city_id::text FROM officials WHERE name = 'Pat Partner'`, s.String()},
		{"institution moves", `SELECT city_id::text FROM institutions WHERE name = 'Testville Institute'`, s.String()},
		{"figure moves", `SELECT city_id::text FROM reported_figures WHERE metric = 'SISTER_CITIES'`, s.String()},
		{"agreement party moves", `SELECT string_agg(city_id::text, ',' ORDER BY position) FROM agreement_parties p JOIN agreements a ON a.id = p.agreement_id WHERE a.title LIKE 'Memorandum%'`, s.String() + "," + sampleton.String()},
		{"signatory signs for the survivor", `SELECT party_city_id::text FROM signatories g JOIN officials o ON o.id = g.official_id WHERE o.name = 'Pat Partner'`, s.String()},
		{"signed in the survivor", `SELECT signed_in_id::text FROM agreements WHERE title LIKE 'Memorandum%'`, s.String()},
		{"partnership moves", `SELECT count(*)::text FROM partnerships WHERE kind = 'FRIENDLY_EXCHANGE' AND city_a_id = least($2::uuid, $3::uuid) AND city_b_id = greatest($2::uuid, $3::uuid)`, "1"},
		{"duplicate partnership is joined", `SELECT count(*)::text FROM partnerships WHERE city_a_id = $1 OR city_b_id = $1 OR (kind = 'SISTER_CITY' AND $4::uuid IN (city_a_id, city_b_id))`, "1"},
		{"joined partnership keeps the survivor's date", `SELECT since::text FROM partnerships WHERE $4::uuid IN (city_a_id, city_b_id)`, "1999-05-01"},
		{"its other date is a statement", `SELECT value FROM statements st JOIN partnerships p ON p.id = st.partnership_id WHERE $4::uuid IN (p.city_a_id, p.city_b_id) AND st.property = 'since'`, "1998-01-01"},
		{"joined partnership's id answers with it", `SELECT count(*)::text FROM partnership_merges m JOIN partnerships p ON p.id = m.survivor_id WHERE $4::uuid IN (p.city_a_id, p.city_b_id)`, "1"},
		{"it cites the joined one's sources", `SELECT count(*)::text FROM partnership_sources ps JOIN partnerships p ON p.id = ps.partnership_id WHERE $4::uuid IN (p.city_a_id, p.city_b_id)`, "2"},
		{"nothing refers to the merged city", `SELECT (SELECT count(*) FROM officials WHERE city_id = $1) + (SELECT count(*) FROM institutions WHERE city_id = $1)
    + (SELECT count(*) FROM agreement_parties WHERE city_id = $1) + (SELECT count(*) FROM agreements WHERE signed_in_id = $1)
    + (SELECT count(*) FROM reported_figures WHERE city_id = $1) + (SELECT count(*) FROM statements WHERE city_id = $1)`, "0"},
		{"merge audited for both cities", `SELECT string_agg(entity_id::text || ':' || (after IS NULL)::text, ',' ORDER BY id) FROM audit_log WHERE action = 'MERGE' AND entity_type = 'City'`, l.String() + ":true," + s.String() + ":false"},
		{"moved entities audited", `SELECT string_agg(DISTINCT entity_type, ',') FROM audit_log WHERE actor = 'data-office' AND action = 'UPDATE'`, "Agreement,Institution,Official,Partnership"},
		{"survivor has a new version", `SELECT version::text FROM cities WHERE id = $2`, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := one(params+tt.query, l, s, sampleton, mocktown); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	// Notifications: both cities, and every partner city whose lists changed.
	changes := feed.drain()
	var survivorChange, mergedChange *knowledge.Change
	partnersNamed := map[uuid.UUID]bool{}
	for i, c := range changes {
		switch {
		case c.Entity == postgres.ChangeCity && c.ID == s:
			survivorChange = &changes[i]
		case c.Entity == postgres.ChangeCity && c.ID == l:
			mergedChange = &changes[i]
		case c.Entity == postgres.ChangePartnership:
			for _, city := range c.Cities {
				partnersNamed[city] = true
			}
		}
	}
	if survivorChange == nil || survivorChange.Action != knowledge.ChangeUpdated ||
		!slices.Contains(survivorChange.Cities, sampleton) || !slices.Contains(survivorChange.Cities, mocktown) {
		t.Errorf("survivor's change = %+v, want UPDATED naming Sampleton and Mocktown", survivorChange)
	}
	if mergedChange == nil || mergedChange.Action != knowledge.ChangeRetracted {
		t.Errorf("merged city's change = %+v, want RETRACTED", mergedChange)
	}
	if !partnersNamed[sampleton] || !partnersNamed[mocktown] {
		t.Errorf("partnership changes name %v, want Sampleton and Mocktown among them", partnersNamed)
	}
	// The change log reads a merge as the merged city's retraction and the
	// survivor's update.
	log, _, err := db.LogChanges(ctx, postgres.ChangeCity, []string{knowledge.ChangeRetracted}, uuid.Nil, 0, 1<<62, 100)
	if err != nil || len(log) != 1 || log[0].ID != l {
		t.Errorf("logged city retractions = %+v (%v), want the merged city", log, err)
	}

	// The old id answers with the survivor.
	got, err := db.CitiesByID(ctx, []uuid.UUID{l, s})
	if err != nil || got[l] == nil || got[l].ID != s || got[s] == nil {
		t.Errorf("CitiesByID(merged, survivor) = %v (%v), want the survivor for both", got, err)
	}
	// So does a joined partnership's, with the one it joined.
	var joinedID, keptID uuid.UUID
	if err := db.QueryRowContext(ctx, `SELECT merged_id, survivor_id FROM partnership_merges`).Scan(&joinedID, &keptID); err != nil {
		t.Fatal(err)
	}
	ps, err := db.PartnershipsByID(ctx, []uuid.UUID{joinedID, keptID})
	if err != nil || ps[joinedID] == nil || ps[joinedID].ID != keptID || ps[keptID] == nil {
		t.Errorf("PartnershipsByID(joined, kept) = %v (%v), want the kept one for both", ps, err)
	}

	// A city that lacks values takes the merged one's: no conflicts.
	again := cityKey("mocktown-again")
	res = mustMerge(t, db, meta, mocktown, again)
	if res.Moved.Conflicts != 0 {
		t.Errorf("conflicts = %d, want none", res.Moved.Conflicts)
	}
	if got := one(`SELECT concat_ws(' ', population, latitude, longitude, wikidata_qid) FROM cities WHERE id = $1`, mocktown); got != "5000 1.5 2.5 Q9000000102" {
		t.Errorf("survivor's values = %q, want the merged city's", got)
	}
	if got := one(`SELECT coalesce(wikidata_qid, '-') FROM city_merges WHERE merged_id = $1`, again); got != "-" {
		t.Errorf("a moved Wikidata id is kept in city_merges too: %q", got)
	}

	// When the survivor is merged in turn, its old ids answer with the new survivor,
	// in one step.
	exampleford := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000003`)
	mustMerge(t, db, meta, exampleford, s)
	if got := one(`SELECT string_agg(survivor_id::text, ',') FROM city_merges WHERE merged_id IN ($1, $2)`, l, s); got != exampleford.String()+","+exampleford.String() {
		t.Errorf("chain of merges = %q, want both old ids answering with %s", got, exampleford)
	}
	if got, err := db.CitiesByID(ctx, []uuid.UUID{l}); err != nil || got[l] == nil || got[l].ID != exampleford {
		t.Errorf("CitiesByID(first merged) = %v (%v), want %s", got, err, exampleford)
	}
	// The Wikidata item the first merged city kept finds the last survivor.
	if got, err := db.CityByWikidata(ctx, "Q9000000101"); err != nil || got.ID != exampleford {
		t.Errorf("CityByWikidata(the merged city's) = %+v (%v), want %s", got, err, exampleford)
	}
	// Naming a merged city in a merge says where it went.
	if _, err := db.MergeCities(ctx, meta, knowledge.CityMerge{SurvivorID: exampleford, SurvivorVersion: version(t, db.DB, exampleford),
		MergedID: l, MergedVersion: 1}); problemAt(err) != knowledge.CodeNotFound+" input.merged" || !strings.Contains(err.Error(), "was merged into") {
		t.Errorf("merging a merged city: %v", err)
	}
}

// A refused merge changes nothing, and says why with a stable code and field.
func TestMergeRefusals(t *testing.T) {
	t.Parallel()
	db, meta := mustMergeDB(t)
	ctx := context.Background()
	s := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	l := cityKey("testville-partner")
	exampleford := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000003`)
	again, sourceless := cityKey("mocktown-again"), cityKey("sourceless")
	// Exampleford and Testville are partners: merging them would tie a city to itself.
	const tie = `{"type":"source","key":"tie","title":"Tie","url":"https://example.org/tie"}
{"type":"partnership","key":"tie","kind":"SISTER_CITY","cities":[{"geonames":99000001},{"geonames":99000003}],"sources":["tie"]}
`
	if _, err := importBytes(db.DB, "tie.ndjson", []byte(tie), importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	fingerprint := func() string {
		return mustString(t, db.DB, `SELECT concat_ws(' ', (SELECT count(*) FROM cities), (SELECT count(*) FROM audit_log),
    (SELECT count(*) FROM city_merges), (SELECT sum(version) FROM cities), (SELECT count(*) FROM statements))`)
	}
	before := fingerprint()
	v := func(id uuid.UUID) int { return version(t, db.DB, id) }
	tests := []struct {
		name        string
		m           knowledge.CityMerge
		code, field string
	}{
		{"same city", knowledge.CityMerge{SurvivorID: s, SurvivorVersion: v(s), MergedID: s, MergedVersion: v(s)}, knowledge.CodeInvalid, "merged"},
		{"unknown merged city", knowledge.CityMerge{SurvivorID: s, SurvivorVersion: v(s), MergedID: uuid.New(), MergedVersion: 1}, knowledge.CodeNotFound, "merged"},
		{"unknown survivor", knowledge.CityMerge{SurvivorID: uuid.New(), SurvivorVersion: 1, MergedID: l, MergedVersion: v(l)}, knowledge.CodeNotFound, "survivor"},
		{"stale survivor", knowledge.CityMerge{SurvivorID: s, SurvivorVersion: v(s) - 1, MergedID: l, MergedVersion: v(l)}, knowledge.CodeStaleVersion, "survivorVersion"},
		{"stale merged city", knowledge.CityMerge{SurvivorID: s, SurvivorVersion: v(s), MergedID: l, MergedVersion: v(l) + 1}, knowledge.CodeStaleVersion, "mergedVersion"},
		{"partners", knowledge.CityMerge{SurvivorID: s, SurvivorVersion: v(s), MergedID: exampleford, MergedVersion: v(exampleford)}, knowledge.CodeConflict, "merged"},
		{"parties to one agreement", knowledge.CityMerge{SurvivorID: mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`),
			SurvivorVersion: v(mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)), MergedID: l, MergedVersion: v(l)}, knowledge.CodeConflict, "merged"},
		// A population that differs, of a city that cites no source: nothing to cite.
		{"a differing value with no source", knowledge.CityMerge{SurvivorID: again, SurvivorVersion: v(again), MergedID: sourceless,
			MergedVersion: v(sourceless)}, knowledge.CodeMissingSource, "sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.MergeCities(ctx, meta, tt.m)
			if got := problemAt(err); got != tt.code+" input."+tt.field {
				t.Fatalf("got %v, want %s at %s", err, tt.code, tt.field)
			}
			if got := fingerprint(); got != before {
				t.Errorf("a refused merge changed the database: %s, was %s", got, before)
			}
		})
	}
}

// problemAt is the first problem of an input error as "CODE path".
func problemAt(err error) string {
	in, ok := err.(*knowledge.InputError)
	if !ok || len(in.Problems) == 0 {
		return ""
	}
	p := in.Problems[0]
	return p.Code + " " + strings.Join(p.Path, ".")
}

// Importing again the file that created the merged city finds the survivor: the
// merged city is not recreated, its values do not overwrite the survivor's, and a
// reference to it by key or by its Wikidata id (kept as a statement) finds the
// survivor.
func TestMergeThenReimport(t *testing.T) {
	t.Parallel()
	db, meta := mustMergeDB(t)
	s := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	l := cityKey("testville-partner")
	mustMerge(t, db, meta, s, l)
	cities := mustCount(t, db.DB, `SELECT count(*) FROM cities`)
	sum, err := importBytes(db.DB, "partner.ndjson", []byte(mergeFile), importer.FormatNDJSON)
	if err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if c := sum.Counts[knowledge.KindCity]; c.Created != 0 {
		t.Errorf("re-import created %d cities, want none", c.Created)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM cities`); n != cities {
		t.Errorf("%d cities after the re-import, want %d", n, cities)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM cities WHERE id = $1`, l); n != 0 {
		t.Error("the merged city is back")
	}
	if got := mustString(t, db.DB, `SELECT population::text FROM cities WHERE id = $1`, s); got != "150000" {
		t.Errorf("survivor's population = %s after the re-import, want its own 150000", got)
	}
	const refs = `{"type":"source","key":"later","title":"A later list","url":"https://example.org/later"}
{"type":"official","key":"kim","name":"Kim Key","city":{"key":"testville-partner"},"sources":["later"]}
{"type":"official","key":"wim","name":"Wim Wikidata","city":{"wikidata":"Q9000000101"},"sources":["later"]}
`
	if _, err := importBytes(db.DB, "later.ndjson", []byte(refs), importer.FormatNDJSON); err != nil {
		t.Fatalf("import of references to the merged city: %v", err)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM officials WHERE name IN ('Kim Key', 'Wim Wikidata') AND city_id = $1`, s); n != 2 {
		t.Errorf("%d of 2 officials referring to the merged city belong to the survivor", n)
	}
}

// A retried merge with the same client mutation id answers from the first call.
func TestMergeIsIdempotent(t *testing.T) {
	t.Parallel()
	db, meta := mustMergeDB(t)
	ctx := context.Background()
	s := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	l := cityKey("testville-partner")
	cmid := "merge-1"
	meta.ClientMutationID = &cmid
	m := knowledge.CityMerge{SurvivorID: s, SurvivorVersion: version(t, db.DB, s), MergedID: l, MergedVersion: version(t, db.DB, l)}
	first, err := db.MergeCities(ctx, meta, m)
	if err != nil || first.Replayed {
		t.Fatalf("first merge: %+v %v", first, err)
	}
	again, err := db.MergeCities(ctx, meta, m)
	if err != nil || !again.Replayed || again.ID != s || again.Moved != nil {
		t.Errorf("retry = %+v (%v), want a replay answering the survivor", again, err)
	}
}

// The merge's own sources are cited where the merged city cites none.
func TestMergeCitesItsSourcesForASourcelessCity(t *testing.T) {
	t.Parallel()
	db, meta := mustMergeDB(t)
	again, sourceless := cityKey("mocktown-again"), cityKey("sourceless")
	url := "https://example.org/census"
	res, err := db.MergeCities(context.Background(), meta, knowledge.CityMerge{
		SurvivorID: again, SurvivorVersion: version(t, db.DB, again), MergedID: sourceless, MergedVersion: version(t, db.DB, sourceless),
		Reason:  strp("the census counts one Mocktown"),
		Sources: knowledge.SourceRefs{New: []knowledge.NewSource{{Title: "Census", URL: &url}}}})
	if err != nil || res.Moved == nil || res.Moved.Conflicts != 1 {
		t.Fatalf("merge = %+v (%v), want one conflict", res, err)
	}
	if got := mustString(t, db.DB, `SELECT x.url || ' ' || st.value FROM statements st JOIN sources x ON x.id = st.source_id
WHERE st.city_id = $1 AND st.property = 'population'`, again); got != url+" 7" {
		t.Errorf("population statement = %q, want the merged city's 7 citing the census", got)
	}
	if got := mustString(t, db.DB, `SELECT reason FROM audit_log WHERE action = 'MERGE' AND entity_id = $1`, sourceless); !strings.HasSuffix(got, ": the census counts one Mocktown") {
		t.Errorf("audit reason = %q, want the merge's reason", got)
	}
}
