package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// changeListener counts the change notifications of one database, as a server
// replica's LISTEN connection receives them.
type changeListener struct {
	t  testing.TB
	db *sqlx.DB
	l  *pq.Listener
}

func listen(t testing.TB, db *postgres.DB) *changeListener {
	t.Helper()
	l := pq.NewListener(db.ListenDSN(), 10*time.Millisecond, time.Second, nil)
	t.Cleanup(func() { l.Close() })
	if err := l.Listen(postgres.ChangesChannel); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return &changeListener{t: t, db: db.DB, l: l}
}

// drain returns the changes announced since the last drain. A sentinel notification
// sent after them marks the end: PostgreSQL delivers notifications in commit order, so
// once it arrives, every change committed before it has arrived too.
func (c *changeListener) drain() []knowledge.Change {
	c.t.Helper()
	sentinel := "sentinel-" + uuid.NewString()
	if _, err := c.db.Exec(`SELECT pg_notify($1, $2)`, postgres.ChangesChannel, sentinel); err != nil {
		c.t.Fatal(err)
	}
	var out []knowledge.Change
	timeout := time.After(30 * time.Second)
	for {
		select {
		case n := <-c.l.Notify:
			if n == nil {
				c.t.Fatal("the listener reconnected: notifications may have been lost")
			}
			if n.Extra == sentinel {
				return out
			}
			ch, err := postgres.ParseChange(n.Extra)
			if err != nil {
				c.t.Fatalf("notification: %v", err)
			}
			out = append(out, ch)
		case <-timeout:
			c.t.Fatal("no sentinel notification within 30s")
		}
	}
}

// bulk returns the single bulk change of entity and action among changes, failing
// if there is none or more than one.
func bulk(t *testing.T, changes []knowledge.Change, entity, action string) knowledge.Change {
	t.Helper()
	var found []knowledge.Change
	for _, c := range changes {
		if c.Entity == entity && c.Action == action {
			found = append(found, c)
		}
	}
	if len(found) != 1 || found[0].Bulk == nil {
		t.Fatalf("%s %s changes = %+v, want one bulk change", action, entity, found)
	}
	return found[0]
}

// allBulkChanges reads every change a bulk change stands for from the change log, in
// pages of page.
func allBulkChanges(t *testing.T, db *postgres.DB, c knowledge.Change, city uuid.UUID, page int) []knowledge.Change {
	t.Helper()
	var out []knowledge.Change
	after := c.Bulk.First - 1
	for after < c.Bulk.Last {
		got, next, err := db.LogChanges(context.Background(), c.Entity, []string{c.Action}, city, after, c.Bulk.Last, page)
		if err != nil {
			t.Fatalf("LogChanges: %v", err)
		}
		out = append(out, got...)
		after = next
	}
	return out
}

type auditRow struct {
	Action  string  `db:"action"`
	Type    string  `db:"entity_type"`
	ID      string  `db:"entity_id"`
	Before  *string `db:"before"`
	After   *string `db:"after"`
	KeyID   *string `db:"key_id"`
	Version *int    `db:"version"`
}

// auditOf is the audit log entries of actor, oldest first.
func auditOf(t *testing.T, db *sqlx.DB, actor string) []auditRow {
	t.Helper()
	var rows []auditRow
	if err := db.Select(&rows, `SELECT action, entity_type, entity_id::text, before::text, after::text, key_id::text,
    (after->>'version')::int AS version FROM audit_log WHERE actor = $1 ORDER BY id`, actor); err != nil {
		t.Fatal(err)
	}
	return rows
}

func importData(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// An import that creates or changes entities is a write like a mutation: new versions,
// an audit entry per entity with the import as actor, and change notifications, a
// bounded number of them, that lead a subscriber to every imported partnership. An
// unchanged re-import writes and announces nothing.
func TestImportIsAWrite(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	feed := listen(t, db)

	sum := MustImportFile(t, db.DB, "knowledge.ndjson")
	const actor = "import:knowledge.ndjson"
	entries := auditOf(t, db.DB, actor)
	var written int64
	for _, c := range sum.Counts {
		written += c.Created + c.Updated
	}
	if int64(len(entries)) != written || written == 0 {
		t.Fatalf("%d audit entries of %s, want one per entity created or changed: %d (%+v)", len(entries), actor, written, sum.Counts)
	}
	for _, e := range entries {
		if e.KeyID != nil || e.After == nil {
			t.Errorf("audit entry %+v: want no key and the entity after the write", e)
		}
		if e.Action == "CREATE" && (e.Before != nil || (e.Version != nil && *e.Version != 1)) {
			t.Errorf("creation %+v: want no before and version 1", e)
		}
	}

	changes := feed.drain()
	if len(changes) > 2*len(knowledge.Kinds) {
		t.Errorf("%d notifications for one file, want at most two per kind: %+v", len(changes), changes)
	}
	created := bulk(t, changes, postgres.ChangePartnership, knowledge.ChangeCreated)
	if created.Bulk.Actor != actor || created.Bulk.Count != 2 {
		t.Errorf("partnership change %+v, want 2 created by %s", created.Bulk, actor)
	}
	testville := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	sampleton := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)
	tie := knowledge.KeyID(knowledge.KindPartnership, "testville-sampleton")
	all := allBulkChanges(t, db, created, uuid.Nil, 1)
	if len(all) != 2 {
		t.Fatalf("the bulk change reads as %+v, want the 2 partnerships", all)
	}
	for _, c := range all {
		if c.Bulk != nil || c.Entity != postgres.ChangePartnership || c.Action != knowledge.ChangeCreated ||
			len(c.Cities) != 2 || !slices.Contains(c.Cities, testville) {
			t.Errorf("change %+v: want a single created partnership of Testville", c)
		}
	}
	onlySampleton := allBulkChanges(t, db, created, sampleton, 100)
	if len(onlySampleton) != 1 || onlySampleton[0].ID != tie {
		t.Errorf("Sampleton's changes = %+v, want the Testville–Sampleton partnership %s", onlySampleton, tie)
	}
	bulk(t, changes, postgres.ChangeAgreement, knowledge.ChangeCreated)

	// Unchanged: nothing written, nothing announced.
	versions := func() string {
		var s string
		if err := db.Get(&s, `SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM (
    SELECT id, version FROM partnerships UNION ALL SELECT id, version FROM agreements
    UNION ALL SELECT id, version FROM cities UNION ALL SELECT id, version FROM officials) v`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	was, logged := versions(), mustCount(t, db.DB, `SELECT count(*) FROM audit_log`)
	if sum := MustImportFile(t, db.DB, "knowledge.ndjson"); sum.Changed() {
		t.Fatalf("re-import changed %+v", sum.Counts)
	}
	if got := feed.drain(); len(got) != 0 {
		t.Errorf("an unchanged re-import announced %+v", got)
	}
	if now := versions(); now != was {
		t.Errorf("an unchanged re-import changed versions:\n%s\nwant\n%s", now, was)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM audit_log`); n != logged {
		t.Errorf("an unchanged re-import wrote %d audit entries", n-logged)
	}

	// A changed value: a new version, an UPDATE with the row before and after.
	changed := bytes.Replace(importData(t, "knowledge.ndjson"), []byte(`"since":"2001-01-01"`), []byte(`"since":"2001-02-01"`), 1)
	if _, err := importBytes(db.DB, "knowledge-v2.ndjson", changed, importer.FormatNDJSON); err != nil {
		t.Fatal(err)
	}
	if v := mustCount(t, db.DB, `SELECT version FROM partnerships WHERE id = $1`, tie); v != 2 {
		t.Errorf("changed partnership at version %d, want 2", v)
	}
	upd := auditOf(t, db.DB, "import:knowledge-v2.ndjson")
	if len(upd) != 1 || upd[0].Action != "UPDATE" || upd[0].ID != tie.String() || upd[0].Before == nil ||
		!bytes.Contains([]byte(*upd[0].Before), []byte(`"since": "2001-01-01"`)) ||
		!bytes.Contains([]byte(*upd[0].After), []byte(`"since": "2001-02-01"`)) || upd[0].Version == nil || *upd[0].Version != 2 {
		t.Errorf("audit of the change = %+v, want one UPDATE of %s from 2001-01-01 to 2001-02-01 at version 2", upd, tie)
	}
	got := feed.drain()
	if len(got) != 1 {
		t.Fatalf("a one-partnership change announced %+v, want one notification", got)
	}
	if one := allBulkChanges(t, db, bulk(t, got, postgres.ChangePartnership, knowledge.ChangeUpdated), testville, 10); len(one) != 1 || one[0].ID != tie {
		t.Errorf("the update reads as %+v, want partnership %s", one, tie)
	}

	// A name alone changes the city too.
	cities := bytes.Replace(importData(t, "cities.txt"), []byte("Sampleburg,"), []byte("Sampleburg,Samplebury,"), 1)
	if _, err := importBytes(db.DB, "cities.txt", cities, importer.FormatGeoNames); err != nil {
		t.Fatal(err)
	}
	named := mustID(t, db.DB, `SELECT city_id FROM city_names WHERE name = 'Samplebury'`)
	if v := mustCount(t, db.DB, `SELECT version FROM cities WHERE id = $1`, named); v != 2 {
		t.Errorf("city with a new name at version %d, want 2", v)
	}
	last := auditOf(t, db.DB, "import:cities.txt")
	if e := last[len(last)-1]; e.Action != "UPDATE" || e.ID != named.String() || e.Before == nil || e.Version == nil || *e.Version != 2 {
		t.Errorf("audit of the new name = %+v, want an UPDATE of city %s to version 2 with its row before", e, named)
	}
	if got := feed.drain(); len(got) != 1 || got[0].Entity != postgres.ChangeCity || got[0].Action != knowledge.ChangeUpdated {
		t.Errorf("a new name announced %+v, want one city update", got)
	}
}

func mustID(t *testing.T, db *sqlx.DB, query string, args ...any) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := db.Get(&id, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

// A gazetteer load of thousands of cities sends one notification per kind and action,
// not one per city, and the notification still leads to every city.
func TestLargeImportNotificationsAreBounded(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	feed := listen(t, db)

	const rows = 3000
	if _, err := importBytes(db.DB, "big.txt", geoNamesRows(92_000_001, rows), importer.FormatGeoNames); err != nil {
		t.Fatal(err)
	}
	changes := feed.drain()
	if len(changes) != 2 {
		t.Fatalf("%d notifications for %d cities and their source, want 2: %+v", len(changes), rows, changes)
	}
	c := bulk(t, changes, postgres.ChangeCity, knowledge.ChangeCreated)
	if c.Bulk.Count != rows {
		t.Errorf("bulk change counts %d cities, want %d", c.Bulk.Count, rows)
	}
	if n := len(allBulkChanges(t, db, c, uuid.Nil, 1000)); n != rows {
		t.Errorf("the bulk change reads as %d changes, want %d", n, rows)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM audit_log WHERE actor = 'import:big.txt' AND action = 'CREATE'`); n != rows+1 {
		t.Errorf("%d audit entries, want %d (the cities and the GeoNames source)", n, rows+1)
	}
}

// A mutation: version 1 then 2, an audit entry per write with the key's name, one
// notification per write naming the partnership and its cities, and its retry record
// typed by the entity.
func TestMutationIsAWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	feed := listen(t, db)
	hash := sha256.Sum256([]byte("test key"))
	key, err := db.CreateKey(ctx, "partner-agency", hash[:], []knowledge.Scope{knowledge.ScopeWrite}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	b := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)
	kind, cmid, url := knowledge.SisterCity, "tie-1", "https://example.org/gazette/1"
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{KeyID: &key.ID, Name: key.Name}, ClientMutationID: &cmid}
	res, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{Kind: &kind, CityIDs: []uuid.UUID{a, b},
		Sources: knowledge.SourceRefs{New: []knowledge.NewSource{{Title: "Gazette", URL: &url}}}})
	if err != nil {
		t.Fatal(err)
	}
	since := knowledge.MustParseDate("2025-01-15")
	if _, err := db.WritePartnership(ctx, knowledge.WriteMeta{Actor: meta.Actor}, knowledge.PartnershipWrite{
		ID: &res.ID, Version: 1, Since: &since, Sources: knowledge.SourceRefs{IDs: []uuid.UUID{mustID(t, db.DB, `SELECT id FROM sources WHERE url = $1`, url)}}}); err != nil {
		t.Fatal(err)
	}
	if v := mustCount(t, db.DB, `SELECT version FROM partnerships WHERE id = $1`, res.ID); v != 2 {
		t.Errorf("version %d after create and update, want 2", v)
	}
	var actions []string
	for _, e := range auditOf(t, db.DB, "partner-agency") {
		if e.ID == res.ID.String() {
			actions = append(actions, e.Action)
		}
	}
	if !slices.Equal(actions, []string{"CREATE", "UPDATE"}) {
		t.Errorf("audit actions of the partnership = %v, want CREATE, UPDATE", actions)
	}
	var typ string
	if err := db.Get(&typ, `SELECT entity_type FROM mutation_requests WHERE client_mutation_id = $1`, cmid); err != nil || typ != "Partnership" {
		t.Errorf("mutation_requests.entity_type = %q (%v), want Partnership", typ, err)
	}
	got := feed.drain()
	var want []string
	var sources int
	for _, c := range got {
		if c.Entity == postgres.ChangeSource {
			// The source the first write created is a write of its own, announced too.
			sources++
			continue
		}
		if c.Bulk != nil || c.ID != res.ID || !slices.Contains(c.Cities, a) || !slices.Contains(c.Cities, b) {
			t.Errorf("change %+v: want the partnership %s with both cities", c, res.ID)
		}
		want = append(want, c.Action)
	}
	if !slices.Equal(want, []string{knowledge.ChangeCreated, knowledge.ChangeUpdated}) {
		t.Errorf("notified %v, want CREATED, UPDATED", want)
	}
	if sources != 1 {
		t.Errorf("%d notifications of the new source, want 1", sources)
	}
}

// The shipped knowledge is loaded as a write too, as seed:<digest>; a new digest with
// the same facts writes and announces nothing, and one that adds a name to a city
// gives the city a new version.
func TestShippedKnowledgeIsAWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	feed := listen(t, db)
	b := shipped(t)
	res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName)
	if err != nil {
		t.Fatal(err)
	}
	actor := postgres.BundleActor(seed.ShippedDigest())
	entries := auditOf(t, db.DB, actor)
	entities := len(b.Sources) + len(b.Countries) + len(b.Cities) + len(b.Officials) + len(b.Agreements) +
		len(b.Partnerships) + len(b.Institutions) + len(b.Figures)
	if len(entries) != entities {
		t.Errorf("%d audit entries of %s, want one per entity: %d", len(entries), actor, entities)
	}
	for _, e := range entries {
		if e.Action != "CREATE" || (e.Version != nil && *e.Version != 1) {
			t.Errorf("audit entry %+v: want a creation at version 1", e)
		}
	}
	changes := feed.drain()
	if len(changes) > len(knowledge.Kinds) {
		t.Errorf("%d notifications, want at most one per kind: %+v", len(changes), changes)
	}
	tie := bulk(t, changes, postgres.ChangePartnership, knowledge.ChangeCreated)
	if n := len(allBulkChanges(t, db, tie, uuid.Nil, 100)); n != len(b.Partnerships) || n == 0 {
		t.Errorf("the partnerships' bulk change reads as %d, want %d", n, len(b.Partnerships))
	}
	if !res.Summary.Changed() {
		t.Fatal("nothing loaded")
	}

	data := append(seed.ShippedBytes(), "\n"...)
	same := parseShipped(t, data)
	logged := mustCount(t, db.DB, `SELECT count(*) FROM audit_log`)
	if _, err := postgres.ApplyBundle(ctx, db.DB, same, seed.Digest(data), "edited"); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM audit_log`); n != logged {
		t.Errorf("the same facts under a new digest wrote %d audit entries", n-logged)
	}
	if got := feed.drain(); len(got) != 0 {
		t.Errorf("the same facts under a new digest announced %+v", got)
	}

	city := &same.Cities[0]
	city.Names = append(city.Names, knowledge.NameRecord{Language: "eo", Name: "Testnomo"})
	if _, err := postgres.ApplyBundle(ctx, db.DB, same, "test-digest-named", "named"); err != nil {
		t.Fatal(err)
	}
	id := mustID(t, db.DB, `SELECT city_id FROM city_names WHERE name = 'Testnomo'`)
	if v := mustCount(t, db.DB, `SELECT version FROM cities WHERE id = $1`, id); v != 2 {
		t.Errorf("city with a new name at version %d, want 2", v)
	}
	upd := auditOf(t, db.DB, postgres.BundleActor("test-digest-named"))
	if len(upd) != 1 || upd[0].Action != "UPDATE" || upd[0].ID != id.String() || upd[0].Before == nil {
		t.Errorf("audit of the new name = %+v, want one UPDATE of city %s", upd, id)
	}
	got := feed.drain()
	if len(got) != 1 || got[0].Entity != postgres.ChangeCity {
		t.Errorf("a new name announced %+v, want one city change", got)
	}
}

// The change payload of a bulk write survives NOTIFY's round trip, and a malformed one
// is refused.
func TestBulkChangePayload(t *testing.T) {
	c := knowledge.Change{Entity: postgres.ChangeCity, Action: knowledge.ChangeCreated,
		Bulk: &knowledge.BulkChange{Actor: "import:x.txt", First: 3, Last: 9, Count: 7}}
	p, err := postgres.ChangePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := postgres.ParseChange(p)
	if err != nil || back.Bulk == nil || *back.Bulk != *c.Bulk {
		t.Errorf("ParseChange(%s) = %+v, %v", p, back, err)
	}
	for _, bad := range []knowledge.BulkChange{{First: 3, Last: 9}, {Actor: "x", First: 0, Last: 9}, {Actor: "x", First: 9, Last: 3}} {
		b, _ := json.Marshal(knowledge.Change{Entity: "city", Action: "CREATED", Bulk: &bad})
		if _, err := postgres.ParseChange(string(b)); err == nil {
			t.Errorf("ParseChange(%s) accepted a malformed bulk change", b)
		}
	}
}

// A mutation's audit statement builds its change's NOTIFY payload in SQL
// (changePayloadSQL): it reads back as the change ChangePayload would carry, also
// when the cities make it too long for NOTIFY and are left out.
func TestChangePayloadSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t)
	many := make([]uuid.UUID, 250)
	for i := range many {
		many[i] = uuid.New()
	}
	tests := []struct {
		name, action string
		cities       []uuid.UUID
		want         knowledge.Change
	}{
		{"created", "CREATE", many[:2], knowledge.Change{Action: knowledge.ChangeCreated, Cities: many[:2]}},
		{"updated, no cities", "UPDATE", nil, knowledge.Change{Action: knowledge.ChangeUpdated}},
		{"too many cities for NOTIFY", "UPDATE", many, knowledge.Change{Action: knowledge.ChangeUpdated, Cities: many}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := uuid.New()
			tt.want.Seq, tt.want.Entity, tt.want.ID = 42, postgres.ChangeAgreement, id
			goPayload, err := postgres.ChangePayload(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			want, err := postgres.ParseChange(goPayload)
			if err != nil {
				t.Fatal(err)
			}
			var sqlPayload string
			q := `SELECT ` + postgres.ChangePayloadSQL(1, "$5::bigint", "$6::uuid", "$7::text", "$8::uuid[]")
			args := append(postgres.ChangePayloadArgs(postgres.ChangeAgreement), 42, id, tt.action, pq.Array(tt.cities))
			if err := db.GetContext(context.Background(), &sqlPayload, q, args...); err != nil {
				t.Fatal(err)
			}
			got, err := postgres.ParseChange(sqlPayload)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("SQL payload %s reads back as (-got +want):\n%s", sqlPayload, diff)
			}
			if len(sqlPayload) > 8000 {
				t.Errorf("SQL payload of %d bytes: NOTIFY takes at most 8000", len(sqlPayload))
			}
		})
	}
}
