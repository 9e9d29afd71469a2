package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
	"github.com/amity/amity/internal/relations"
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
				if _, err := db.CreateSource(ctx, postgres.WriteMeta{Actor: postgres.Actor{Name: "seq-test"}},
					relations.NewSource{Title: "Sequence test", URL: &url}); err != nil {
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
