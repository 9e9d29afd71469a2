package postgres_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// One rule for Wikidata ids on every way in: the mutations' checks, the rules of a
// batch (the shipped knowledge's and every import file's) and the database's check
// constraint agree on each id.
func TestOneWikidataRule(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	MustImportFile(t, db, "countries.json")
	for id, want := range map[string]bool{"Q1": true, "Q15174": true, "Q0": false, "Q012": false, "Q": false, "q42": false, "Q4a": false} {
		var p knowledge.Problems
		(&knowledge.CityWrite{WikidataID: &id}).Check(&p)
		mutation := !hasField(p, "wikidataId")

		b := shipped(t)
		b.Cities[0].Wikidata = id
		var ps knowledge.FileProblems
		b.Check(&ps)
		bundle := ps.Err() == nil

		line := `{"type":"country","code":"XW","name":"Wikiland","wikidata":"` + id + `"}`
		_, err := importer.ParseNDJSON("w.ndjson", strings.NewReader(line), nil)
		imported := err == nil

		_, err = db.Exec(`INSERT INTO cities (id, country_id, name, wikidata_qid)
SELECT $1, id, 'Wikiville', $2 FROM countries WHERE code = 'XT'`, uuid.New(), id)
		stored := err == nil
		if _, err := db.Exec(`DELETE FROM cities WHERE name = 'Wikiville'`); err != nil {
			t.Fatal(err)
		}

		if mutation != want || bundle != want || imported != want || stored != want {
			t.Errorf("%q: mutation %v, bundle %v, import %v, database %v; want all %v", id, mutation, bundle, imported, stored, want)
		}
	}
}

func hasField(p knowledge.Problems, field string) bool {
	err := p.Err()
	return err != nil && strings.Contains(err.Error(), field)
}
