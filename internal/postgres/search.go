package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// searchLimit caps how many hits a search ranks; past it, a client should refine the
// query rather than page on.
const searchLimit = 1000

// branchLimit is how many candidates each place a search looks in contributes. The
// trigram branches read them nearest first off a GiST index, so a query whose words
// thousands of names share still reads only this many rows per branch.
const branchLimit = "100"

// wordSimilarity is the pg_trgm word-similarity threshold: low enough that
// "Cheremin" finds "Cheryomin", high enough that a short query does not match
// everything.
const wordSimilarity = "0.45"

// searchBranches are the places a search looks, per kind of result. Each matches the
// folded query q against a folded name with the trigram index (<%), or agreements'
// words with full-text search. A name scores by how well the query matches its best
// word (mostly) and the whole name (a little, so "Shenzhen" ranks the city above a
// title that mentions it); an exact name scores 1 more.
var searchBranches = map[string][]string{
	knowledge.SearchCity: {
		exactCityBranch("c.id", "c", "cities c"),
		exactCityBranch("n.city_id", "n", "city_names n"),
		shortCityBranch("c.id", "c", "cities c"),
		shortCityBranch("n.city_id", "n", "city_names n"),
		longCityBranch("c.id", "c", "cities c"),
		longCityBranch("n.city_id", "n", "city_names n"),
	},
	knowledge.SearchOfficial: {
		`SELECT 'OFFICIAL', o.id, o.name,
  0.8 * word_similarity(amity_fold($1::text), amity_fold(o.name)) + 0.2 * similarity(amity_fold($1::text), amity_fold(o.name)) + (amity_fold(o.name) = amity_fold($1::text))::int
FROM officials o WHERE amity_fold($1::text) <% amity_fold(o.name)
ORDER BY amity_fold($1::text) <<-> amity_fold(o.name) LIMIT ` + branchLimit,
		`SELECT 'OFFICIAL', n.official_id, n.name,
  0.8 * word_similarity(amity_fold($1::text), amity_fold(n.name)) + 0.2 * similarity(amity_fold($1::text), amity_fold(n.name)) + (amity_fold(n.name) = amity_fold($1::text))::int
FROM official_names n WHERE amity_fold($1::text) <% amity_fold(n.name)
ORDER BY amity_fold($1::text) <<-> amity_fold(n.name) LIMIT ` + branchLimit,
	},
	knowledge.SearchAgreement: {
		`SELECT 'AGREEMENT', a.id, a.title,
  0.8 * word_similarity(amity_fold($1::text), amity_fold(a.title)) + 0.2 * similarity(amity_fold($1::text), amity_fold(a.title)) + (amity_fold(a.title) = amity_fold($1::text))::int
FROM agreements a WHERE amity_fold($1::text) <% amity_fold(a.title)
ORDER BY amity_fold($1::text) <<-> amity_fold(a.title) LIMIT ` + branchLimit,
		`SELECT 'AGREEMENT', a.id, coalesce(a.summary, a.title),
  0.5 + 0.5 * ts_rank(to_tsvector('simple', amity_fold(a.title || ' ' || coalesce(a.summary, ''))), q.ts)
FROM agreements a, q
WHERE to_tsvector('simple', amity_fold(a.title || ' ' || coalesce(a.summary, ''))) @@ q.ts
ORDER BY 4 DESC LIMIT ` + branchLimit,
	},
	knowledge.SearchInstitution: {
		`SELECT 'INSTITUTION', i.id, i.name,
  0.8 * word_similarity(amity_fold($1::text), amity_fold(i.name)) + 0.2 * similarity(amity_fold($1::text), amity_fold(i.name)) + (amity_fold(i.name) = amity_fold($1::text))::int
FROM institutions i WHERE amity_fold($1::text) <% amity_fold(i.name)
ORDER BY amity_fold($1::text) <<-> amity_fold(i.name) LIMIT ` + branchLimit,
	},
	knowledge.SearchCountry: {
		`SELECT 'COUNTRY', k.id, k.name,
  0.8 * word_similarity(amity_fold($1::text), amity_fold(k.name)) + 0.2 * similarity(amity_fold($1::text), amity_fold(k.name)) + (amity_fold(k.name) = amity_fold($1::text))::int
FROM countries k WHERE amity_fold($1::text) <% amity_fold(k.name)
ORDER BY amity_fold($1::text) <<-> amity_fold(k.name) LIMIT ` + branchLimit,
		// A country's other names (the official name, the ISO short name), so that
		// "Argentine Republic" finds Argentina.
		`SELECT 'COUNTRY', n.country_id, n.name,
  0.8 * word_similarity(amity_fold($1::text), amity_fold(n.name)) + 0.2 * similarity(amity_fold($1::text), amity_fold(n.name)) + (amity_fold(n.name) = amity_fold($1::text))::int
FROM country_names n WHERE amity_fold($1::text) <% amity_fold(n.name)
ORDER BY amity_fold($1::text) <<-> amity_fold(n.name) LIMIT ` + branchLimit,
		`SELECT 'COUNTRY', k.id, k.code, 2 FROM countries k, q WHERE k.code = upper(q.raw)`,
	},
}

// shortSearch is the length, in folded characters, from which a search looks for
// similar city names through the trigram GIN indexes instead of the GiST ones. A short
// text shares its trigrams with tens of thousands of names: GIN would hand back every
// one of them to be scored, while a GiST index hands back the nearest first and the
// branch stops after branchLimit. A longer text is similar to few names, and over the
// gazetteer's names GiST, whose signatures are lossy, then reads most of the index
// before it knows it has found them all (100–300 ms), where GIN takes a few.
const shortSearch = 5

// nameScore scores the folded name f against the folded query.
func nameScore(f string) string {
	return fmt.Sprintf("0.8 * word_similarity(amity_fold($1::text), %[1]s) + 0.2 * similarity(amity_fold($1::text), %[1]s) + (%[1]s = amity_fold($1::text))::int", f)
}

// The city branches read a name table, cities c or city_names n: t is its alias, id
// its city's id, from the table and its alias. Every hit is scored on the stored
// folded name (name_fold, migration 00014), so no name is folded again to be ranked.

// exactCityBranch finds every city one of whose names is the query, folded, through
// the exact-name index: however many names are similar, a city that has the very name
// always reaches the ranking, where importance orders the cities that share it.
func exactCityBranch(id, t, from string) string {
	return fmt.Sprintf("SELECT 'CITY', %s, %s.name, %s FROM %s WHERE %s.name_fold = amity_fold($1::text) LIMIT %d",
		id, t, nameScore(t+".name_fold"), from, t, searchLimit)
}

// shortCityBranch finds the names most similar to a short query, nearest first off the
// trigram GiST index on the stored folded name in the default collation (migration
// 00019): the collation is how the branch names that index rather than the GIN one.
func shortCityBranch(id, t, from string) string {
	return similarCityBranch(id, t, from, "<", "("+t+`.name_fold COLLATE "default")`)
}

// longCityBranch finds the names similar to a longer query through the trigram GIN
// index on the stored folded name, and keeps the branchLimit nearest. It is the only
// trigram index on the column, so the planner cannot read the nearest off a GiST index
// instead. The index's recheck and the distance read the stored name rather than fold
// each candidate twice: for "Shenzhen" (3,723 candidates) the branch takes 11.8 ms
// instead of 18.7, the whole search 7% less (docs/benchmarks.md); what remains is
// word_similarity itself, computed for every candidate.
func longCityBranch(id, t, from string) string {
	return similarCityBranch(id, t, from, ">=", t+".name_fold")
}

// similarCityBranch finds the branchLimit names whose folded form f is nearest the
// query by word similarity, when the query's length compares with shortSearch as cmp
// says (a one-time filter: the other branch answers other lengths).
func similarCityBranch(id, t, from, cmp, f string) string {
	return fmt.Sprintf(`SELECT 'CITY', %[1]s, %[2]s.name, %[3]s FROM %[4]s
WHERE length(amity_fold($1::text)) %[5]s %[6]d AND amity_fold($1::text) <%% %[7]s
ORDER BY amity_fold($1::text) <<-> %[7]s LIMIT %[8]s`,
		id, t, nameScore(t+".name_fold"), from, cmp, shortSearch, f, branchLimit)
}

var searchTypes = []string{knowledge.SearchCity, knowledge.SearchOfficial, knowledge.SearchAgreement,
	knowledge.SearchInstitution, knowledge.SearchCountry}

// searchSQL builds the ranked hits of a search: the best match per entity, best first,
// at most searchLimit of them. $1 is the query text.
func searchSQL(types []string) string {
	if len(types) == 0 {
		types = searchTypes
	}
	var branches []string
	for _, t := range searchTypes {
		for _, want := range types {
			if t == want {
				branches = append(branches, searchBranches[t]...)
				break
			}
		}
	}
	pop, partners := importanceKeys("c")
	return fmt.Sprintf(`WITH q AS (
  SELECT amity_fold($1) AS q, $1 AS raw, plainto_tsquery('simple', amity_fold($1)) AS ts),
hits(type, id, matched, score) AS (%s),
best AS (
  SELECT DISTINCT ON (type, id) type, id, matched, score::float8 AS score
  FROM hits ORDER BY type, id, score DESC, matched),
ranked AS (
  SELECT b.type, b.id, b.matched, b.score, %s AS pop,
    CASE WHEN b.type = 'CITY' THEN %s ELSE 0 END AS partners
  FROM best b LEFT JOIN cities c ON b.type = 'CITY' AND c.id = b.id
  ORDER BY %s LIMIT %d)`,
		"("+strings.Join(branches, ")\nUNION ALL\n(")+")", pop, partners, searchOrder, searchLimit)
}

// searchOrder ranks hits: best score first, then by type, then, among cities with the
// same score, by importance (cityImportance: ranked computes its keys as pop and
// partners, -1 and 0 for other types), then by id.
const searchOrder = "score DESC, type, pop DESC, partners DESC, id"

// searchSeek is the condition "after the cursor's hit" in searchOrder. The cursor
// keeps its old form (score, type, id): a city's importance keys are read again for
// the seek, so a page starts where the last one ended unless the city's population or
// partnerships changed in between.
func searchSeek(a *args, after searchCursor) string {
	typ, id := a.add(after.Type), a.add(after.ID)
	pop, partners := importanceKeys("c")
	// Best first is score descending; negating it (and the other descending keys)
	// makes the whole key ascending, so one row comparison seeks exactly.
	return fmt.Sprintf(`(-score, type, -pop, -partners, id) > (%s::float8, %s,
  -coalesce((SELECT %s FROM cities c WHERE c.id = %s::uuid AND %s = 'CITY'), -1),
  -coalesce((SELECT %s FROM cities c WHERE c.id = %s::uuid AND %s = 'CITY'), 0), %s::uuid)`,
		a.add(-after.Score), typ, pop, id, typ, partners, id, typ, id)
}

// searchPageSQL is the statement of a page of search hits: those after the seek
// condition, at most limit (a parameter) of them.
func searchPageSQL(types []string, seek, limit string) string {
	return searchSQL(types) + fmt.Sprintf(`
SELECT type, id, matched, score, score::text AS sort_key, (SELECT count(*) FROM ranked) AS total FROM ranked WHERE %s
ORDER BY %s LIMIT %s`, seek, searchOrder, limit)
}

type searchRow struct {
	Type    string    `db:"type"`
	ID      uuid.UUID `db:"id"`
	Matched string    `db:"matched"`
	Score   float64   `db:"score"`
	Key     string    `db:"sort_key"`
	Total   int       `db:"total"`
}

// Search finds entities by name or text, best first. Paging is by keyset on (score,
// type, id) within the searchLimit best hits. It returns BAD_USER_INPUT for an empty or
// overlong query or a bad page. total is the number of hits (up to searchLimit), read
// in the same statement; it is nil when the page is empty, and CountSearch counts then.
func (db *DB) Search(ctx context.Context, q knowledge.SearchQuery, pa knowledge.PageArgs) (page *knowledge.Page[knowledge.SearchHit], total *int, err error) {
	if err := q.Validate(); err != nil {
		return nil, nil, err
	}
	n, backward, err := pa.Limit()
	if err != nil {
		return nil, nil, err
	}
	if backward {
		return nil, nil, knowledge.FieldErrorf("last", "search pages forwards only; use first and after")
	}
	var after *searchCursor
	if pa.After != nil {
		c, err := decodeSearchCursor(*pa.After)
		if err != nil {
			return nil, nil, err
		}
		after = &c
	}
	page = &knowledge.Page[knowledge.SearchHit]{HasPreviousPage: after != nil}
	if n == 0 {
		return page, nil, nil
	}

	a := args{strings.TrimSpace(q.Text)}
	seek := "true"
	if after != nil {
		seek = searchSeek(&a, *after)
	}
	query := searchPageSQL(q.Types, seek, a.add(n+1))

	var rows []searchRow
	err = db.inSearchTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.QueryContext(ctx, query, a...)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var row searchRow
			if err := r.Scan(&row.Type, &row.ID, &row.Matched, &row.Score, &row.Key, &row.Total); err != nil {
				return err
			}
			rows = append(rows, row)
		}
		return r.Err()
	})
	if err != nil {
		return nil, nil, mapError(err)
	}
	if len(rows) > 0 {
		total = &rows[0].Total
	}
	if len(rows) > n {
		rows, page.HasNextPage = rows[:n], true
	}
	for _, r := range rows {
		page.Items = append(page.Items, &knowledge.SearchHit{Type: r.Type, ID: r.ID, Score: r.Score, Matched: r.Matched})
		page.Cursors = append(page.Cursors, encodeSearchCursor(r))
	}
	return page, total, nil
}

// CountSearch counts a search's hits, up to searchLimit.
func (db *DB) CountSearch(ctx context.Context, q knowledge.SearchQuery) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, err
	}
	var total int
	err := db.inSearchTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, searchSQL(q.Types)+"\nSELECT count(*) FROM ranked", strings.TrimSpace(q.Text)).Scan(&total)
	})
	return total, mapError(err)
}

// inSearchTx runs fn in a read-only transaction with the search's similarity threshold,
// so the setting never leaks to other users of the pooled connection.
func (db *DB) inSearchTx(ctx context.Context, fn func(*sql.Tx) error) error {
	release, err := takeShare(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL pg_trgm.word_similarity_threshold = "+wordSimilarity); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

type searchCursor struct {
	Score float64
	Type  string
	ID    uuid.UUID
}

func encodeSearchCursor(r searchRow) string {
	b, _ := json.Marshal([]string{"search", r.Key, r.Type, r.ID.String()})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSearchCursor(s string) (searchCursor, error) {
	bad := knowledge.FieldErrorf("after", "after is not a valid search cursor; pass back a cursor this search returned")
	if len(s) > 512 {
		return searchCursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return searchCursor{}, bad
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 4 || parts[0] != "search" {
		return searchCursor{}, bad
	}
	score, ok := parseDecimal(parts[1])
	if !ok {
		return searchCursor{}, bad
	}
	id, err := uuid.Parse(parts[3])
	if err != nil || !validSearchType(parts[2]) {
		return searchCursor{}, bad
	}
	return searchCursor{Score: score, Type: parts[2], ID: id}, nil
}

func validSearchType(t string) bool {
	for _, s := range searchTypes {
		if s == t {
			return true
		}
	}
	return false
}
