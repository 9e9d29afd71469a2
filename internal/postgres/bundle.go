package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/knowledge"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/ingest/seed"
)

// YAMLBundleResult says what ApplyYAMLBundle did.
type YAMLBundleResult struct {
	Digest   string
	Name     string
	Skipped  bool
	Inserted map[string]int64
}

// ApplyYAMLBundle loads a knowledge bundle into the database, once per digest, all or
// nothing. digest identifies the bundle's content (seed.Digest of its file) and name is
// recorded beside it for operators.
//
// The load is one transaction that first takes a transaction-level advisory lock, so
// replicas that start together queue up instead of racing, and the second finds the
// digest recorded and skips. Every row carries the id seed.ID derives from its key and
// is inserted with ON CONFLICT DO NOTHING: re-loading, or loading a newer bundle that
// repeats older facts, never duplicates a row and never overwrites one (corrections to
// loaded facts go through the audited mutations, not the bundle). Where a row with the
// same natural key (a source's URL, a country's code, a city's Wikidata or GeoNames id, a
// partnership's cities and kind) was entered outside the bundle, the bundle adopts that
// row's id for its references instead of failing.
//
// Each table is written by one statement over unnest'ed arrays, so the round trips per
// load are fixed however many facts the bundle holds.
func ApplyYAMLBundle(ctx context.Context, db *sqlx.DB, b *seed.Bundle, digest, name string) (YAMLBundleResult, error) {
	// "amitybnd" in ASCII: fixed so every replica contends for the same lock, and
	// distinct from the key goose's migration locker uses.
	const lockKey int64 = 0x616d697479626e64
	const lockQuery = `SELECT pg_advisory_xact_lock($1)`
	const loadedQuery = `SELECT EXISTS (SELECT 1 FROM bundle_loads WHERE digest = $1)`
	const recordQuery = `INSERT INTO bundle_loads (digest, name) VALUES ($1, $2)`

	res := YAMLBundleResult{Digest: digest, Name: name, Inserted: make(map[string]int64, len(BundleTables))}
	for _, t := range BundleTables {
		res.Inserted[t] = 0
	}
	if digest == "" || name == "" {
		return res, errors.New("apply bundle: digest and name are required")
	}
	// The database's constraints would catch most mistakes too, but only one at a time
	// and without the path to the fact; validating first gives the editor all of them.
	if err := b.Validate(); err != nil {
		return res, fmt.Errorf("apply bundle %s: %w", name, err)
	}

	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("apply bundle %s: begin: %w", name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	if _, err := tx.ExecContext(ctx, lockQuery, lockKey); err != nil {
		return res, fmt.Errorf("apply bundle %s: lock: %w", name, err)
	}
	var loaded bool
	if err := tx.GetContext(ctx, &loaded, loadedQuery, digest); err != nil {
		return res, fmt.Errorf("apply bundle %s: check loads: %w", name, err)
	}
	if loaded {
		res.Skipped = true
		if err := tx.Commit(); err != nil {
			return res, fmt.Errorf("apply bundle %s: %w", name, err)
		}
		return res, nil
	}

	l := &bundleLoader{tx: tx, b: b, remap: make(map[uuid.UUID]uuid.UUID), inserted: res.Inserted, changed: map[uuid.UUID]bundleChange{}}
	steps := []func(context.Context) error{
		l.sources, l.countries, l.cities, l.cityNames, l.citySources,
		l.officials, l.officialNames, l.officialSources,
		l.agreements, l.agreementParties, l.agreementAreas, l.signatories, l.agreementSources,
		l.institutions, l.institutionAgreements, l.institutionSources,
		l.partnerships, l.partnershipSources, l.figures, l.statements,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			// Nothing of the partial load survives: the deferred Rollback undoes it.
			for _, t := range BundleTables {
				res.Inserted[t] = 0
			}
			return res, fmt.Errorf("apply bundle %s: %w", name, err)
		}
	}
	if err := l.recordChanges(ctx, BundleActor(digest)); err != nil {
		for _, t := range BundleTables {
			res.Inserted[t] = 0
		}
		return res, fmt.Errorf("apply bundle %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, recordQuery, digest, name); err != nil {
		return res, fmt.Errorf("apply bundle %s: record load: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		for _, t := range BundleTables {
			res.Inserted[t] = 0
		}
		return res, fmt.Errorf("apply bundle %s: commit: %w", name, err)
	}
	return res, nil
}

// bundleLoader writes one bundle inside one transaction.
type bundleLoader struct {
	tx *sqlx.Tx
	b  *seed.Bundle
	// remap sends a bundle id to the id of the row with the same natural key that was
	// already in the database, so references point at the row that exists.
	remap    map[uuid.UUID]uuid.UUID
	inserted map[string]int64
	// changed holds the entities the load created, or gave a name, citation or link.
	changed map[uuid.UUID]bundleChange
}

type bundleChange struct {
	kind    string
	created bool
}

// bundleWrites says, for each table the bundle writes, which entity a row it inserts
// creates (created) or changes (a name, citation or link of an existing entity): the
// kind, and the column holding the entity's id. Statements change no entity's own
// facts; they are not listed.
var bundleWrites = map[string]struct {
	kind, col string
	created   bool
}{
	"sources": {knowledge.KindSource, "id", true}, "countries": {knowledge.KindCountry, "id", true},
	"cities": {knowledge.KindCity, "id", true}, "officials": {knowledge.KindOfficial, "id", true},
	"agreements": {knowledge.KindAgreement, "id", true}, "institutions": {knowledge.KindInstitution, "id", true},
	"partnerships": {knowledge.KindPartnership, "id", true}, "reported_figures": {knowledge.KindFigure, "id", true},
	"city_names": {knowledge.KindCity, "city_id", false}, "city_sources": {knowledge.KindCity, "city_id", false},
	"official_names": {knowledge.KindOfficial, "official_id", false}, "official_sources": {knowledge.KindOfficial, "official_id", false},
	"agreement_parties": {knowledge.KindAgreement, "agreement_id", false}, "agreement_areas": {knowledge.KindAgreement, "agreement_id", false},
	"signatories": {knowledge.KindAgreement, "agreement_id", false}, "agreement_sources": {knowledge.KindAgreement, "agreement_id", false},
	"institution_agreements": {knowledge.KindInstitution, "institution_id", false},
	"institution_sources":    {knowledge.KindInstitution, "institution_id", false},
	"partnership_sources":    {knowledge.KindPartnership, "partnership_id", false},
}

// change records that the load created or changed the entity.
func (l *bundleLoader) change(kind string, id uuid.UUID, created bool) {
	if c, ok := l.changed[id]; ok && c.created {
		return
	}
	l.changed[id] = bundleChange{kind: kind, created: created}
}

// recordChanges stages what the load created or changed and records it as every write
// is recorded (recordChanges in changelog.go): new versions, audit entries, change
// notifications. A bundle is small; its changes travel as arrays.
func (l *bundleLoader) recordChanges(ctx context.Context, actor string) error {
	if len(l.changed) == 0 {
		return nil
	}
	if _, err := l.tx.ExecContext(ctx, changedTable); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	ids, kinds, created := make([]string, 0, len(l.changed)), make([]string, 0, len(l.changed)), make([]bool, 0, len(l.changed))
	for id, c := range l.changed {
		ids, kinds, created = append(ids, id.String()), append(kinds, c.kind), append(created, c.created)
	}
	const q = `INSERT INTO imp_changed (id, kind, created, linked)
SELECT id, kind, created, NOT created FROM unnest($1::uuid[], $2::text[], $3::bool[]) AS t(id, kind, created)`
	if _, err := l.tx.ExecContext(ctx, q, pq.Array(ids), pq.Array(kinds), pq.Array(created)); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	return recordChanges(ctx, l.tx, actor)
}

// id is the id a reference to the entity of kind and key must use.
func (l *bundleLoader) id(kind, key string) string {
	id := knowledge.KeyID(kind, key)
	if r, ok := l.remap[id]; ok {
		id = r
	}
	return id.String()
}

// optID is id for an optional reference: NULL when key is empty.
func (l *bundleLoader) optID(kind, key string) sql.NullString {
	if key == "" {
		return sql.NullString{}
	}
	return sql.NullString{String: l.id(kind, key), Valid: true}
}

func optText(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func optInt(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func optFloat(p *float64) sql.NullFloat64 {
	if p == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *p, Valid: true}
}

// exec runs one batched insert of n rows, counts what it inserted into table, and
// records the entities the inserted rows create or change (bundleWrites).
func (l *bundleLoader) exec(ctx context.Context, table string, n int, query string, args ...any) error {
	if n == 0 {
		return nil
	}
	w, ok := bundleWrites[table]
	if !ok {
		r, err := l.tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		c, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		l.inserted[table] += c
		return nil
	}
	rows, err := l.tx.QueryxContext(ctx, query+"\nRETURNING "+w.col, args...)
	if err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		l.inserted[table]++
		l.change(w.kind, id, w.created)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

// adopt runs one batched insert of n rows into a table with a natural key. The query
// returns (inserted, bundle_id, db_id): one row per inserted row, and one per bundle row
// whose natural key an existing row of another id already holds, whose id it adopts.
func (l *bundleLoader) adopt(ctx context.Context, table string, n int, query string, args ...any) error {
	if n == 0 {
		return nil
	}
	rows, err := l.tx.QueryxContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var inserted bool
		var bundleID, dbID uuid.UUID
		if err := rows.Scan(&inserted, &bundleID, &dbID); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		if inserted {
			l.inserted[table]++
			l.change(bundleWrites[table].kind, dbID, true)
		} else {
			l.remap[bundleID] = dbID
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

func (l *bundleLoader) sources(ctx context.Context) error {
	// Languages travel as comma-joined strings because unnest flattens a 2-D array; the
	// tags cannot contain commas (Validate checks their form).
	const query = `
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[])
        AS t(id, title, publisher, url, published_on, excerpt, languages)
), inserted AS (
    INSERT INTO sources (id, title, publisher, url, published_on, excerpt, languages)
    SELECT id, title, publisher, url, published_on, excerpt, string_to_array(languages, ',')
    FROM input
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT true, id, id FROM inserted
UNION ALL
SELECT false, input.id, s.id
FROM input JOIN sources s ON s.url = input.url
WHERE s.id <> input.id AND NOT EXISTS (SELECT 1 FROM sources x WHERE x.id = input.id)`
	n := len(l.b.Sources)
	ids, titles, langs := make([]string, n), make([]string, n), make([]string, n)
	publishers, urls, published, excerpts := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	for i, s := range l.b.Sources {
		ids[i] = l.id(knowledge.KindSource, s.Key)
		titles[i] = s.Title
		publishers[i] = optText(s.Publisher)
		urls[i] = optText(s.URL)
		published[i] = optText(s.PublishedOn)
		excerpts[i] = optText(s.Excerpt)
		langs[i] = strings.Join(s.Languages, ",")
	}
	return l.adopt(ctx, "sources", n, query, pq.Array(ids), pq.Array(titles), pq.Array(publishers),
		pq.Array(urls), pq.Array(published), pq.Array(excerpts), pq.Array(langs))
}

func (l *bundleLoader) countries(ctx context.Context) error {
	const query = `
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(id, code, name, wikidata_qid)
), inserted AS (
    INSERT INTO countries (id, code, name, wikidata_qid)
    SELECT id, code, name, wikidata_qid FROM input
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT true, id, id FROM inserted
UNION ALL
SELECT false, input.id, c.id
FROM input JOIN countries c ON c.code = input.code
WHERE c.id <> input.id AND NOT EXISTS (SELECT 1 FROM countries x WHERE x.id = input.id)`
	n := len(l.b.Countries)
	ids, codes, names, qids := make([]string, n), make([]string, n), make([]string, n), make([]sql.NullString, n)
	for i, c := range l.b.Countries {
		ids[i] = l.id(knowledge.KindCountry, c.Key)
		codes[i] = c.Key
		names[i] = c.Name
		qids[i] = optText(c.WikidataQID)
	}
	return l.adopt(ctx, "countries", n, query, pq.Array(ids), pq.Array(codes), pq.Array(names), pq.Array(qids))
}

func (l *bundleLoader) cities(ctx context.Context) error {
	// A city can match one existing row by Wikidata id and another by GeoNames id; the
	// Wikidata match wins because it is the more curated identifier.
	const query = `
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::float8[], $6::float8[], $7::text[], $8::bigint[])
        AS t(id, country_id, name, population, latitude, longitude, wikidata_qid, geonames_id)
), inserted AS (
    INSERT INTO cities (id, country_id, name, population, latitude, longitude, wikidata_qid, geonames_id)
    SELECT id, country_id, name, population, latitude, longitude, wikidata_qid, geonames_id FROM input
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT true, id, id FROM inserted
UNION ALL
(SELECT DISTINCT ON (input.id) false, input.id, c.id
 FROM input JOIN cities c ON c.wikidata_qid = input.wikidata_qid OR c.geonames_id = input.geonames_id
 WHERE c.id <> input.id AND NOT EXISTS (SELECT 1 FROM cities x WHERE x.id = input.id)
 ORDER BY input.id, (c.wikidata_qid = input.wikidata_qid) DESC NULLS LAST)`
	n := len(l.b.Cities)
	ids, countries, names := make([]string, n), make([]string, n), make([]string, n)
	pops, geonames := make([]sql.NullInt64, n), make([]sql.NullInt64, n)
	lats, lons := make([]sql.NullFloat64, n), make([]sql.NullFloat64, n)
	qids := make([]sql.NullString, n)
	for i, c := range l.b.Cities {
		ids[i] = l.id(knowledge.KindCity, c.Key)
		countries[i] = l.id(knowledge.KindCountry, c.Country)
		names[i] = c.Name
		pops[i] = optInt(c.Population)
		lats[i] = optFloat(c.Latitude)
		lons[i] = optFloat(c.Longitude)
		qids[i] = optText(c.WikidataQID)
		geonames[i] = optInt(c.GeoNamesID)
	}
	return l.adopt(ctx, "cities", n, query, pq.Array(ids), pq.Array(countries), pq.Array(names), pq.Array(pops),
		pq.Array(lats), pq.Array(lons), pq.Array(qids), pq.Array(geonames))
}

func (l *bundleLoader) cityNames(ctx context.Context) error {
	const query = `
INSERT INTO city_names (city_id, language, name, source_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[])
ON CONFLICT DO NOTHING`
	var cityIDs, langs, names []string
	var sources []sql.NullString
	for _, c := range l.b.Cities {
		for _, nm := range c.Names {
			cityIDs = append(cityIDs, l.id(knowledge.KindCity, c.Key))
			langs = append(langs, nm.Language)
			names = append(names, nm.Name)
			sources = append(sources, l.optID(knowledge.KindSource, nm.Source))
		}
	}
	return l.exec(ctx, "city_names", len(cityIDs), query, pq.Array(cityIDs), pq.Array(langs), pq.Array(names), pq.Array(sources))
}

func (l *bundleLoader) citySources(ctx context.Context) error {
	const query = `
INSERT INTO city_sources (city_id, source_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[])
ON CONFLICT DO NOTHING`
	var cityIDs, sourceIDs []string
	for _, c := range l.b.Cities {
		for _, s := range c.Sources {
			cityIDs = append(cityIDs, l.id(knowledge.KindCity, c.Key))
			sourceIDs = append(sourceIDs, l.id(knowledge.KindSource, s))
		}
	}
	return l.exec(ctx, "city_sources", len(cityIDs), query, pq.Array(cityIDs), pq.Array(sourceIDs))
}

func (l *bundleLoader) officials(ctx context.Context) error {
	const query = `
INSERT INTO officials (id, name, title, city_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[])
ON CONFLICT DO NOTHING`
	n := len(l.b.Officials)
	ids, names := make([]string, n), make([]string, n)
	titles, cityIDs := make([]sql.NullString, n), make([]sql.NullString, n)
	for i, o := range l.b.Officials {
		ids[i] = l.id(knowledge.KindOfficial, o.Key)
		names[i] = o.Name
		titles[i] = optText(o.Title)
		cityIDs[i] = l.optID(knowledge.KindCity, o.City)
	}
	return l.exec(ctx, "officials", n, query, pq.Array(ids), pq.Array(names), pq.Array(titles), pq.Array(cityIDs))
}

func (l *bundleLoader) officialNames(ctx context.Context) error {
	const query = `
INSERT INTO official_names (official_id, language, name, source_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[])
ON CONFLICT DO NOTHING`
	var officialIDs, langs, names []string
	var sources []sql.NullString
	for _, o := range l.b.Officials {
		for _, nm := range o.Names {
			officialIDs = append(officialIDs, l.id(knowledge.KindOfficial, o.Key))
			langs = append(langs, nm.Language)
			names = append(names, nm.Name)
			sources = append(sources, l.optID(knowledge.KindSource, nm.Source))
		}
	}
	return l.exec(ctx, "official_names", len(officialIDs), query, pq.Array(officialIDs), pq.Array(langs), pq.Array(names), pq.Array(sources))
}

func (l *bundleLoader) officialSources(ctx context.Context) error {
	const query = `
INSERT INTO official_sources (official_id, source_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[])
ON CONFLICT DO NOTHING`
	var officialIDs, sourceIDs []string
	for _, o := range l.b.Officials {
		for _, s := range o.Sources {
			officialIDs = append(officialIDs, l.id(knowledge.KindOfficial, o.Key))
			sourceIDs = append(sourceIDs, l.id(knowledge.KindSource, s))
		}
	}
	return l.exec(ctx, "official_sources", len(officialIDs), query, pq.Array(officialIDs), pq.Array(sourceIDs))
}

func (l *bundleLoader) agreements(ctx context.Context) error {
	const query = `
INSERT INTO agreements (id, title, kind, signed_on, signed_in_id, summary)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::uuid[], $6::text[])
ON CONFLICT DO NOTHING`
	n := len(l.b.Agreements)
	ids, titles, kinds := make([]string, n), make([]string, n), make([]string, n)
	signedOn, signedIn, summaries := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	for i, a := range l.b.Agreements {
		ids[i] = l.id(knowledge.KindAgreement, a.Key)
		titles[i] = a.Title
		kinds[i] = a.Kind
		signedOn[i] = optText(a.SignedOn)
		signedIn[i] = l.optID(knowledge.KindCity, a.SignedIn)
		summaries[i] = optText(a.Summary)
	}
	return l.exec(ctx, "agreements", n, query, pq.Array(ids), pq.Array(titles), pq.Array(kinds),
		pq.Array(signedOn), pq.Array(signedIn), pq.Array(summaries))
}

func (l *bundleLoader) agreementParties(ctx context.Context) error {
	const query = `
INSERT INTO agreement_parties (agreement_id, city_id, position)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::smallint[])
ON CONFLICT DO NOTHING`
	var agreementIDs, cityIDs []string
	var positions []int64
	for _, a := range l.b.Agreements {
		for i, c := range a.Parties {
			agreementIDs = append(agreementIDs, l.id(knowledge.KindAgreement, a.Key))
			cityIDs = append(cityIDs, l.id(knowledge.KindCity, c))
			positions = append(positions, int64(i))
		}
	}
	return l.exec(ctx, "agreement_parties", len(agreementIDs), query, pq.Array(agreementIDs), pq.Array(cityIDs), pq.Array(positions))
}

func (l *bundleLoader) agreementAreas(ctx context.Context) error {
	const query = `
INSERT INTO agreement_areas (agreement_id, area)
SELECT * FROM unnest($1::uuid[], $2::text[])
ON CONFLICT DO NOTHING`
	var agreementIDs, areas []string
	for _, a := range l.b.Agreements {
		for _, area := range a.Areas {
			agreementIDs = append(agreementIDs, l.id(knowledge.KindAgreement, a.Key))
			areas = append(areas, area)
		}
	}
	return l.exec(ctx, "agreement_areas", len(agreementIDs), query, pq.Array(agreementIDs), pq.Array(areas))
}

func (l *bundleLoader) signatories(ctx context.Context) error {
	const query = `
INSERT INTO signatories (agreement_id, official_id, party_city_id, role, position)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::smallint[])
ON CONFLICT DO NOTHING`
	var agreementIDs, officialIDs, partyIDs []string
	var roles []sql.NullString
	var positions []int64
	for _, a := range l.b.Agreements {
		for i, s := range a.Signatories {
			agreementIDs = append(agreementIDs, l.id(knowledge.KindAgreement, a.Key))
			officialIDs = append(officialIDs, l.id(knowledge.KindOfficial, s.Official))
			partyIDs = append(partyIDs, l.id(knowledge.KindCity, s.Party))
			roles = append(roles, optText(s.Role))
			positions = append(positions, int64(i))
		}
	}
	return l.exec(ctx, "signatories", len(agreementIDs), query, pq.Array(agreementIDs), pq.Array(officialIDs),
		pq.Array(partyIDs), pq.Array(roles), pq.Array(positions))
}

func (l *bundleLoader) agreementSources(ctx context.Context) error {
	const query = `
INSERT INTO agreement_sources (agreement_id, source_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[])
ON CONFLICT DO NOTHING`
	var agreementIDs, sourceIDs []string
	for _, a := range l.b.Agreements {
		for _, s := range a.Sources {
			agreementIDs = append(agreementIDs, l.id(knowledge.KindAgreement, a.Key))
			sourceIDs = append(sourceIDs, l.id(knowledge.KindSource, s))
		}
	}
	return l.exec(ctx, "agreement_sources", len(agreementIDs), query, pq.Array(agreementIDs), pq.Array(sourceIDs))
}

func (l *bundleLoader) institutions(ctx context.Context) error {
	const query = `
INSERT INTO institutions (id, name, kind, city_id, founded_on, description)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::date[], $6::text[])
ON CONFLICT DO NOTHING`
	n := len(l.b.Institutions)
	ids, names, kinds, cityIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	founded, descriptions := make([]sql.NullString, n), make([]sql.NullString, n)
	for i, in := range l.b.Institutions {
		ids[i] = l.id(knowledge.KindInstitution, in.Key)
		names[i] = in.Name
		kinds[i] = in.Kind
		cityIDs[i] = l.id(knowledge.KindCity, in.City)
		founded[i] = optText(in.FoundedOn)
		descriptions[i] = optText(in.Description)
	}
	return l.exec(ctx, "institutions", n, query, pq.Array(ids), pq.Array(names), pq.Array(kinds),
		pq.Array(cityIDs), pq.Array(founded), pq.Array(descriptions))
}

func (l *bundleLoader) institutionAgreements(ctx context.Context) error {
	// The link may be written on either side in the bundle; DISTINCT folds the two.
	const query = `
INSERT INTO institution_agreements (institution_id, agreement_id)
SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[])
ON CONFLICT DO NOTHING`
	var institutionIDs, agreementIDs []string
	for _, a := range l.b.Agreements {
		for _, in := range a.Institutions {
			institutionIDs = append(institutionIDs, l.id(knowledge.KindInstitution, in))
			agreementIDs = append(agreementIDs, l.id(knowledge.KindAgreement, a.Key))
		}
	}
	for _, in := range l.b.Institutions {
		for _, a := range in.Agreements {
			institutionIDs = append(institutionIDs, l.id(knowledge.KindInstitution, in.Key))
			agreementIDs = append(agreementIDs, l.id(knowledge.KindAgreement, a))
		}
	}
	return l.exec(ctx, "institution_agreements", len(institutionIDs), query, pq.Array(institutionIDs), pq.Array(agreementIDs))
}

func (l *bundleLoader) institutionSources(ctx context.Context) error {
	const query = `
INSERT INTO institution_sources (institution_id, source_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[])
ON CONFLICT DO NOTHING`
	var institutionIDs, sourceIDs []string
	for _, in := range l.b.Institutions {
		for _, s := range in.Sources {
			institutionIDs = append(institutionIDs, l.id(knowledge.KindInstitution, in.Key))
			sourceIDs = append(sourceIDs, l.id(knowledge.KindSource, s))
		}
	}
	return l.exec(ctx, "institution_sources", len(institutionIDs), query, pq.Array(institutionIDs), pq.Array(sourceIDs))
}

func (l *bundleLoader) partnerships(ctx context.Context) error {
	// The table stores each tie once in canonical order (city_a_id < city_b_id); ordering
	// here, after any city ids were adopted, keeps that true whatever the bundle wrote.
	const query = `
WITH input AS (
    SELECT id, kind, least(a, b) AS city_a_id, greatest(a, b) AS city_b_id, since, until, agreement_id
    FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::date[], $6::date[], $7::uuid[])
        AS t(id, kind, a, b, since, until, agreement_id)
), inserted AS (
    INSERT INTO partnerships (id, kind, city_a_id, city_b_id, since, until, agreement_id)
    SELECT id, kind, city_a_id, city_b_id, since, until, agreement_id FROM input
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT true, id, id FROM inserted
UNION ALL
SELECT false, input.id, p.id
FROM input JOIN partnerships p
    ON p.city_a_id = input.city_a_id AND p.city_b_id = input.city_b_id AND p.kind = input.kind
WHERE p.id <> input.id AND NOT EXISTS (SELECT 1 FROM partnerships x WHERE x.id = input.id)`
	n := len(l.b.Partnerships)
	ids, kinds, as, bs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	since, until, agreementIDs := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	for i, p := range l.b.Partnerships {
		ids[i] = l.id(knowledge.KindPartnership, p.Key)
		kinds[i] = p.Kind
		as[i] = l.id(knowledge.KindCity, p.Cities[0])
		bs[i] = l.id(knowledge.KindCity, p.Cities[1])
		since[i] = optText(p.Since)
		until[i] = optText(p.Until)
		agreementIDs[i] = l.optID(knowledge.KindAgreement, p.Agreement)
	}
	return l.adopt(ctx, "partnerships", n, query, pq.Array(ids), pq.Array(kinds), pq.Array(as), pq.Array(bs),
		pq.Array(since), pq.Array(until), pq.Array(agreementIDs))
}

func (l *bundleLoader) partnershipSources(ctx context.Context) error {
	const query = `
INSERT INTO partnership_sources (partnership_id, source_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[])
ON CONFLICT DO NOTHING`
	var partnershipIDs, sourceIDs []string
	for _, p := range l.b.Partnerships {
		for _, s := range p.Sources {
			partnershipIDs = append(partnershipIDs, l.id(knowledge.KindPartnership, p.Key))
			sourceIDs = append(sourceIDs, l.id(knowledge.KindSource, s))
		}
	}
	return l.exec(ctx, "partnership_sources", len(partnershipIDs), query, pq.Array(partnershipIDs), pq.Array(sourceIDs))
}

func (l *bundleLoader) figures(ctx context.Context) error {
	const query = `
INSERT INTO reported_figures (id, city_id, metric, value, as_of, source_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::integer[], $5::date[], $6::uuid[])
ON CONFLICT DO NOTHING`
	n := len(l.b.Figures)
	ids, cityIDs, metrics, sourceIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	values := make([]int64, n)
	asOf := make([]sql.NullString, n)
	for i, f := range l.b.Figures {
		ids[i] = l.id(knowledge.KindFigure, f.Key)
		cityIDs[i] = l.id(knowledge.KindCity, f.City)
		metrics[i] = f.Metric
		values[i] = *f.Value
		asOf[i] = optText(f.AsOf)
		sourceIDs[i] = l.id(knowledge.KindSource, f.Source)
	}
	return l.exec(ctx, "reported_figures", n, query, pq.Array(ids), pq.Array(cityIDs), pq.Array(metrics),
		pq.Array(values), pq.Array(asOf), pq.Array(sourceIDs))
}

func (l *bundleLoader) statements(ctx context.Context) error {
	const query = `
INSERT INTO statements (id, city_id, official_id, agreement_id, institution_id, partnership_id,
                        property, value, source_id, quote, position)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[],
                     $7::text[], $8::text[], $9::uuid[], $10::text[], $11::integer[])
ON CONFLICT DO NOTHING`
	stmts := l.b.Statements()
	n := len(stmts)
	ids, properties, values, sourceIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cityIDs, officialIDs, agreementIDs := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	institutionIDs, partnershipIDs, quotes := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	positions := make([]int64, n)
	for i, s := range stmts {
		ids[i] = l.id(knowledge.KindStatement, s.Key)
		subject := l.optID(s.SubjectKind, s.SubjectKey)
		switch s.SubjectKind {
		case knowledge.KindCity:
			cityIDs[i] = subject
		case knowledge.KindOfficial:
			officialIDs[i] = subject
		case knowledge.KindAgreement:
			agreementIDs[i] = subject
		case knowledge.KindInstitution:
			institutionIDs[i] = subject
		case knowledge.KindPartnership:
			partnershipIDs[i] = subject
		default:
			return fmt.Errorf("insert statements: unknown subject kind %q", s.SubjectKind)
		}
		properties[i] = s.Property
		values[i] = s.Value
		sourceIDs[i] = l.id(knowledge.KindSource, s.Source)
		quotes[i] = optText(s.Quote)
		positions[i] = int64(s.Position)
	}
	return l.exec(ctx, "statements", n, query, pq.Array(ids), pq.Array(cityIDs), pq.Array(officialIDs),
		pq.Array(agreementIDs), pq.Array(institutionIDs), pq.Array(partnershipIDs), pq.Array(properties),
		pq.Array(values), pq.Array(sourceIDs), pq.Array(quotes), pq.Array(positions))
}
