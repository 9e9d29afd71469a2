package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// Audit entries are numbered in commit order: whenever a reader sees the newest entry,
// it sees every entry below it that will ever exist. Subscriptions rely on it to read
// the log up to a sequence and take the rest from notifications. Concurrent writers
// that committed out of order would make an entry appear below a sequence already
// read.
func TestAuditSequenceIsCommitOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	const writers, writes = 6, 25
	type seen struct{ newest, below int64 }
	var (
		observed []seen
		writing  sync.WaitGroup
		done     = make(chan struct{})
		read     = make(chan struct{})
		errs     = make(chan error, writers+1)
	)
	go func() {
		defer close(read)
		for {
			select {
			case <-done:
				return
			default:
			}
			var s seen
			if err := db.QueryRowxContext(ctx, `SELECT coalesce(max(id), 0), count(*) FROM audit_log`).Scan(&s.newest, &s.below); err != nil {
				errs <- err
				return
			}
			observed = append(observed, s)
		}
	}()
	for w := range writers {
		writing.Add(1)
		go func() {
			defer writing.Done()
			for i := range writes {
				url := fmt.Sprintf("https://example.org/seq/%d/%d/%s", w, i, uuid.NewString())
				if _, err := db.CreateSource(ctx, knowledge.WriteMeta{Actor: knowledge.Actor{Name: "seq-test"}},
					knowledge.NewSource{Title: "Sequence test", URL: &url}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	writing.Wait()
	close(done)
	<-read
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	late := 0
	for _, s := range observed {
		var now int64
		if err := db.GetContext(ctx, &now, `SELECT count(*) FROM audit_log WHERE id <= $1`, s.newest); err != nil {
			t.Fatal(err)
		}
		if now != s.below {
			late++
		}
	}
	if late > 0 {
		t.Errorf("%d of %d reads missed entries below the newest that committed later", late, len(observed))
	}
	if len(observed) < 2 {
		t.Errorf("only %d reads during the writes: the test saw nothing", len(observed))
	}
}

// A partnership created, updated and retracted: each notification carries the sequence
// of its audit entry, and the log reads the same three changes back, page by page,
// in order, each with both cities (the retraction's from the row it removed), filtered
// by action and city.
func TestLogChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	a := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	b := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000002`)
	other := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id NOT IN (99000001, 99000002) LIMIT 1`)
	start, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	feed := listen(t, db)
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: "log-test"}}
	kind, url := knowledge.SisterCity, "https://example.org/log-test"
	res, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{Kind: &kind, CityIDs: []uuid.UUID{a, b},
		Sources: knowledge.SourceRefs{New: []knowledge.NewSource{{Title: "Log test gazette", URL: &url}}}})
	if err != nil {
		t.Fatal(err)
	}
	source := mustID(t, db.DB, `SELECT id FROM sources WHERE url = $1`, url)
	since := knowledge.MustParseDate("2025-06-01")
	if _, err := db.WritePartnership(ctx, meta, knowledge.PartnershipWrite{ID: &res.ID, Version: 1, Since: &since,
		Sources: knowledge.SourceRefs{IDs: []uuid.UUID{source}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Retract(ctx, meta, knowledge.Retraction{Type: "Partnership", ID: res.ID, Version: 2, Reason: "log test",
		Sources: knowledge.SourceRefs{IDs: []uuid.UUID{source}}}); err != nil {
		t.Fatal(err)
	}
	newest, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var audited []int64
	if err := db.SelectContext(ctx, &audited, `SELECT id FROM audit_log WHERE entity_id = $1 ORDER BY id`, res.ID); err != nil {
		t.Fatal(err)
	}
	var notified []knowledge.Change
	for _, c := range feed.drain() {
		if c.Entity != postgres.ChangeSource { // the new source is announced too: not the subject here
			notified = append(notified, c)
		}
	}
	if len(notified) != 3 || len(audited) != 3 {
		t.Fatalf("notified %+v, audited %v: want three of each", notified, audited)
	}
	for i, c := range notified {
		if c.Seq != audited[i] {
			t.Errorf("notification %d: sequence %d, want its audit entry's, %d", i, c.Seq, audited[i])
		}
	}

	read := func(actions []string, city uuid.UUID, page int) []knowledge.Change {
		t.Helper()
		var out []knowledge.Change
		for after := start; after < newest; {
			got, next, err := db.LogChanges(ctx, postgres.ChangePartnership, actions, city, after, newest, page)
			if err != nil {
				t.Fatal(err)
			}
			if next <= after || len(got) > page {
				t.Fatalf("LogChanges after %d: %d changes, next %d", after, len(got), next)
			}
			out = append(out, got...)
			after = next
		}
		return out
	}
	all := read(nil, a, 1)
	wantActions := []string{knowledge.ChangeCreated, knowledge.ChangeUpdated, knowledge.ChangeRetracted}
	if len(all) != 3 {
		t.Fatalf("log after %d: %+v, want the three changes", start, all)
	}
	for i, c := range all {
		if c.Seq != audited[i] || c.ID != res.ID || c.Action != wantActions[i] || c.Entity != postgres.ChangePartnership ||
			!slices.Contains(c.Cities, a) || !slices.Contains(c.Cities, b) {
			t.Errorf("log change %d: %+v, want %s of %s at %d with both cities", i, c, wantActions[i], res.ID, audited[i])
		}
	}
	if created := read([]string{knowledge.ChangeCreated}, uuid.Nil, 100); len(created) != 1 || created[0].Seq != audited[0] {
		t.Errorf("creations only: %+v, want the one at %d", created, audited[0])
	}
	if none := read(nil, other, 100); len(none) != 0 {
		t.Errorf("another city's: %+v, want none", none)
	}
}
