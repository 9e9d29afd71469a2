package postgres_test

import (
	"testing"

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
