package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestWritesHaveConnectionsOfTheirOwn holds every connection of the reads' pool in an
// open transaction, as a server saturated by readers does, and writes: the mutation
// runs on a connection of the writers' pool instead of waiting for a reader's.
func TestWritesHaveConnectionsOfTheirOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpenPool(t, 8)
	MustImportFile(t, db.DB, "countries.json")
	MustImportFile(t, db.DB, "cities.txt")
	var city struct {
		ID      uuid.UUID `db:"id"`
		Version int       `db:"version"`
		Source  uuid.UUID `db:"source"`
	}
	if err := db.GetContext(ctx, &city, `SELECT c.id, c.version, s.source_id AS source
FROM cities c JOIN city_sources s ON s.city_id = c.id ORDER BY c.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}

	var held []*sqlx.Tx
	t.Cleanup(func() {
		for _, tx := range held {
			tx.Rollback()
		}
	})
	for db.Stats().InUse < db.Stats().MaxOpenConnections {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tx)
	}

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pop := 4321
	if _, err := db.WriteCity(wctx, knowledge.WriteMeta{Actor: knowledge.Actor{Name: "pool-test"}},
		knowledge.CityWrite{ID: &city.ID, Version: city.Version, Population: &pop, Sources: knowledge.SourceRefs{IDs: []uuid.UUID{city.Source}}}); err != nil {
		t.Fatalf("a write with every read connection held: %v", err)
	}
	if len(held) != 6 {
		t.Errorf("the reads' pool has %d connections, want 6 of the 8 (2 for writes)", len(held))
	}
}

// Below writerPoolFrom connections a mutation shares the pool with the reads, on
// connections that were not set up for it: its transaction asks for the staging tables
// (creating them on the connection's first write) and sets a mutation's settings itself.
func TestWritesOnASharedPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.MustOpenPool(t, 1)
	MustImportFile(t, db.DB, "countries.json")
	meta := knowledge.WriteMeta{Actor: knowledge.Actor{Name: "pool-test"}}
	url := "https://example.org/shared-pool"
	src, err := db.CreateSource(ctx, meta, knowledge.NewSource{Title: "Synthetic source", URL: &url})
	if err != nil {
		t.Fatal(err)
	}
	var code string
	if err := db.GetContext(ctx, &code, `SELECT code FROM countries ORDER BY code LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	name := "Testville"
	created, err := db.WriteCity(ctx, meta, knowledge.CityWrite{Name: &name, CountryCode: &code,
		Sources: knowledge.SourceRefs{IDs: []uuid.UUID{src.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	pop := 1234
	if _, err := db.WriteCity(ctx, meta, knowledge.CityWrite{ID: &created.ID, Version: 1, Population: &pop,
		Sources: knowledge.SourceRefs{IDs: []uuid.UUID{src.ID}}}); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db.DB, `SELECT count(*) FROM cities WHERE id = $1 AND population = 1234 AND version = 2`, created.ID); n != 1 {
		t.Errorf("the update on a shared connection left %d cities at version 2 with the new population", n)
	}
}
