package postgres_test

import (
	"context"
	"testing"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestFoldUnchanged checks that amity_fold (migration 00006, PL/pgSQL with an ASCII
// shortcut) folds exactly as the expression of migration 00002 did, so that the name
// indexes built with either stay valid: every character of the Basic Multilingual
// Plane alone and after a Cyrillic letter, and some whole names.
func TestFoldUnchanged(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpen(t).DB
	const original = `translate(
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    lower(public.unaccent('public.unaccent'::regdictionary, s)),
    'щ', 'shch'), 'ж', 'zh'), 'ч', 'ch'), 'ш', 'sh'), 'ц', 'ts'),
    'ю', 'yu'), 'я', 'ya'), 'х', 'kh'), 'ё', 'yo'), 'й', 'y'),
  'абвгдезиклмнопрстуфыэъь',
  'abvgdeziklmnoprstufye')`
	var diffs []struct {
		S   string `db:"s"`
		Got string `db:"got"`
	}
	err := db.Select(&diffs, `
WITH input AS (
    SELECT chr(g) AS s FROM generate_series(1, 65535) g WHERE g NOT BETWEEN 55296 AND 57343
    UNION ALL SELECT 'Щ' || chr(g) FROM generate_series(1, 65535) g WHERE g NOT BETWEEN 55296 AND 57343
    UNION ALL SELECT unnest(ARRAY['Testville', 'Тествиль', 'Zürich-Testdorf', 'Ærøskøbing', '深圳', 'ŁÓDŹ',
        'Straße', 'İstanbul', 'Ⅻ', '', '  Sample  ton '])
)
SELECT s, amity_fold(s) AS got FROM input WHERE amity_fold(s) IS DISTINCT FROM `+original+`
LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("amity_fold(%q) = %q, not what the original expression gives", d.S, d.Got)
	}
}

// TestStoredFold: the stored folded name (name_fold, migration 00014) that search and
// nameContains read is the folded name on every way a name is written, none of which
// names the column: the bulk GeoNames load, an NDJSON import, and a merge, which moves
// the merged city's names and makes its own name ("TESTVILLE", with its "Testingen") an
// other name of the survivor. nameContains then finds the survivor by the moved name.
func TestStoredFold(t *testing.T) {
	t.Parallel()
	db, meta := mustMergeDB(t)
	s := mustID(t, db.DB, `SELECT id FROM cities WHERE geonames_id = 99000001`)
	mustMerge(t, db, meta, s, cityKey("testville-partner"))
	for _, table := range []string{"cities", "city_names"} {
		if n := mustCount(t, db.DB, `SELECT count(*) FROM `+table+` WHERE name_fold IS DISTINCT FROM amity_fold(name)`); n != 0 {
			t.Errorf("%s: %d rows whose name_fold is not their folded name", table, n)
		}
	}
	page, err := db.Cities(context.Background(), knowledge.CityQuery{NameContains: "TESTINGEN"}, knowledge.PageArgs{First: intp(5)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != s {
		t.Errorf("nameContains TESTINGEN after the merge: %d cities, want the survivor %s", len(page.Items), s)
	}
}
