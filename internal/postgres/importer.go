package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/knowledge"
)

// Import writes one file's batch, checked by its Check (the parsers of
// internal/ingest/importer check what they read; see docs/import.md), in one
// transaction: all of it or, on any problem, none of it. A problem the database finds
// (a reference to nothing, an identifier another row already holds) comes back as a
// *knowledge.FileError naming the file, line and field.
//
// Every row gets the id knowledge.KeyID derives from its key, unless a stored row already
// answers to one of its natural keys (a source's URL, a country's code, a Wikidata or
// GeoNames id, a partnership's cities and kind, a figure's city, metric, date and
// source), whose id it then takes: importing a file twice, or a gazetteer over the
// shipped knowledge, never duplicates. Existing rows are updated only where a value the
// file gives differs; an optional field the file leaves out keeps its stored value.
// Names, citations and links are added, never removed.
//
// The rows travel by COPY into temporary tables and are written by one set-based
// statement per table, so the round trips per file are fixed however many rows it
// holds. Rows already stored as the file has them are left out before the writes, so
// that re-importing a file writes nothing; a large first load sets the indexes and
// constraints of the city tables aside until the end (see BulkCities).
func Import(ctx context.Context, db *sqlx.DB, b *knowledge.Batch, p ImportProgress) (knowledge.BatchSummary, error) {
	start := time.Now()
	sum := knowledge.BatchSummary{File: b.File, Format: b.Format, Counts: map[string]knowledge.BatchCounts{}}

	conn, tx, err := beginBatch(ctx, db)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", b.File, err)
	}
	defer conn.Close()  // a no-op after the Close that follows Commit
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	counts, byName, err := writeBatch(ctx, tx, b, p, fileMeta(ImportActor(b.File), conn))
	sum.ByName = byName
	if err != nil {
		return sum, err
	}
	if err := tx.Commit(); err != nil {
		return sum, fmt.Errorf("import %s: commit: %w", b.File, err)
	}
	conn.Close() // back to the pool, for the index builds (a pool of one has no other)
	sum.Counts = counts
	if err := buildSetAside(ctx, db, p); err != nil {
		return sum, fmt.Errorf("import %s: written, but %w", b.File, err)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// buildSetAside builds the indexes a batch set aside (prepareBulk), once it has
// committed. Its rows are written by then: an error says which index is missing, and
// the next migration (any start of amity serve or amity import) builds it.
func buildSetAside(ctx context.Context, db *sqlx.DB, p ImportProgress) error {
	if _, err := BuildPendingIndexes(ctx, db.DB, p); err != nil {
		return fmt.Errorf("%w (the next start of amity serve or amity import builds it)", err)
	}
	return nil
}

// batchLockKey is the transaction-level advisory lock of batch writes (beginBatch),
// which a merge of cities takes too (MergeCities). "amitybnd" in ASCII: distinct from
// the key goose's migration locker uses.
const batchLockKey int64 = 0x616d697479626e64

// beginBatch opens the transaction of a batch write on a connection of its own (which
// copyIn streams the staging rows over) and takes the lock every batch write holds:
// batches adopt rows by natural key, so two of them at once could each decide a row is
// new; and replicas that start together load the shipped knowledge one after the
// other, the later ones finding it loaded. The caller closes the connection after the
// transaction ends.
func beginBatch(ctx context.Context, db *sqlx.DB) (*sqlx.Conn, *sqlx.Tx, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, batchLockKey); err != nil {
		tx.Rollback() //nolint:errcheck // the lock's error is the one to report
		conn.Close()
		return nil, nil, fmt.Errorf("lock: %w", err)
	}
	return conn, tx, nil
}

// fileMeta is the write envelope of a file's batch, written over conn: the file is the
// actor.
func fileMeta(actor string, conn *sqlx.Conn) batchMeta {
	return batchMeta{WriteMeta: knowledge.WriteMeta{Actor: knowledge.Actor{Name: actor}}, conn: conn}
}

// batchMeta is the envelope of a batch write. Mutation marks a mutation's batch: its
// records name their entities by id, so none adopts a stored row by a natural key (a
// second source with a stored URL is a conflict, not that source), and its changes
// are announced one by one rather than in bulk (see recordChanges).
type batchMeta struct {
	knowledge.WriteMeta
	Mutation bool
	// conn is the connection of a file's transaction, over which copyIn streams the
	// staging rows to the driver itself.
	conn *sqlx.Conn
	// writerSession: the transaction runs on one of the writer's own connections, whose
	// session has the staging tables and a mutation's settings from its start
	// (writerConnector), so the batch asks for neither.
	writerSession bool
}

// writeBatch writes a batch inside tx under meta, and says what it did to each kind
// (nothing for a mutation) and what it decided for each city the batch names by name
// (also when it refused the batch after deciding).
func writeBatch(ctx context.Context, tx *sqlx.Tx, b *knowledge.Batch, p ImportProgress, meta batchMeta) (map[string]knowledge.BatchCounts, map[knowledge.Ref]knowledge.CityMatch, error) {
	if p == nil {
		p = noProgress{}
	}
	w := &batchWriter{tx: tx, b: b, p: p, ps: &knowledge.FileProblems{File: b.File},
		adopted: map[string]bool{}, staged: map[string]bool{}, meta: meta}
	run := planEach(ctx)
	if meta.Mutation {
		run = prepareAll(ctx)
	}
	counts, err := w.run(run)
	if err != nil {
		var ie *knowledge.FileError
		if errors.As(err, &ie) {
			return nil, w.byName(), err
		}
		return nil, nil, fmt.Errorf("import %s: %w", b.File, err)
	}
	return counts, w.byName(), nil
}

// BundleTables lists the tables a batch of knowledge writes, parents before children.
var BundleTables = []string{
	"sources", "countries", "country_names", "divisions", "cities", "city_names", "city_sources",
	"officials", "official_names", "official_sources",
	"agreements", "agreement_parties", "agreement_areas", "signatories", "agreement_sources",
	"institutions", "institution_agreements", "institution_sources",
	"partnerships", "partnership_sources", "reported_figures", "statements",
}

// BundleResult says what ApplyBundle did.
type BundleResult struct {
	Digest string
	Name   string
	// Skipped is true when bundle_loads already held the digest, so nothing was written.
	Skipped bool
	// Summary is what the load did to each kind of entity; empty when Skipped.
	Summary knowledge.BatchSummary
}

// BundleActor is the audit log's actor of a knowledge bundle's load: "seed:" and the
// bundle's digest, which says exactly which facts were loaded.
func BundleActor(digest string) string {
	return "seed:" + digest
}

// ApplyBundle writes a knowledge bundle (a file of knowledge shipped with the binary,
// such as the shipped knowledge) as Import writes a file, once per digest: digest identifies
// the bundle's content and name is recorded beside it for operators. The audit log's
// actor is BundleActor(digest). A digest already in bundle_loads writes nothing,
// so a server that restarts does not write its shipped knowledge again, and a fact
// corrected by a mutation since stays corrected until a new bundle states it anew.
//
// Replicas that start together queue on the lock of batch writes; the first loads,
// the others find the digest recorded and skip. b must have passed its Check, as
// Import's batch must.
func ApplyBundle(ctx context.Context, db *sqlx.DB, b *knowledge.Batch, digest, name string) (BundleResult, error) {
	const loadedQuery = `SELECT EXISTS (SELECT 1 FROM bundle_loads WHERE digest = $1)`
	const recordQuery = `INSERT INTO bundle_loads (digest, name) VALUES ($1, $2)`
	start := time.Now()
	res := BundleResult{Digest: digest, Name: name}
	if digest == "" || name == "" {
		return res, errors.New("apply bundle: digest and name are required")
	}
	conn, tx, err := beginBatch(ctx, db)
	if err != nil {
		return res, fmt.Errorf("apply bundle %s: %w", name, err)
	}
	defer conn.Close()  // a no-op after the Close that follows Commit
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := tx.GetContext(ctx, &res.Skipped, loadedQuery, digest); err != nil {
		return res, fmt.Errorf("apply bundle %s: check loads: %w", name, err)
	}
	if res.Skipped {
		return res, tx.Commit()
	}
	counts, _, err := writeBatch(ctx, tx, b, nil, fileMeta(BundleActor(digest), conn))
	if err != nil {
		return res, fmt.Errorf("apply bundle %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, recordQuery, digest, name); err != nil {
		return res, fmt.Errorf("apply bundle %s: record load: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("apply bundle %s: commit: %w", name, err)
	}
	conn.Close() // as Import's
	if err := buildSetAside(ctx, db, nil); err != nil {
		return res, fmt.Errorf("apply bundle %s: written, but %w", name, err)
	}
	res.Summary = knowledge.BatchSummary{File: b.File, Format: b.Format, Counts: counts, Elapsed: time.Since(start)}
	return res, nil
}

// ImportProgress is told of an import's rows as they are written, for a progress line
// (importer.Progress is one). Import takes nil for none.
type ImportProgress interface {
	// Phase starts a new phase ("writing"), whose rows count from zero.
	Phase(name string)
	// Add counts n more rows in the current phase.
	Add(n int)
}

type noProgress struct{}

func (noProgress) Phase(string) {}
func (noProgress) Add(int)      {}

// ImportActor is the audit log's actor of an import of the file: "import:" and the
// file's base name (its directory says where it lay on the importing machine, not
// what it is).
func ImportActor(file string) string {
	return "import:" + filepath.Base(file)
}

type refKey struct {
	kind string
	ref  knowledge.Ref
}

// batchWriter writes one batch inside one transaction.
type batchWriter struct {
	tx     *sqlx.Tx
	b      *knowledge.Batch
	p      ImportProgress
	ps     *knowledge.FileProblems
	refNos knowledge.RefMap[int]
	// bulk is set while prepareBulk has set the indexes and constraints aside.
	bulk bool
	// allNew, once asked (allCitiesCreated), says whether a bulk load created every
	// city it staged.
	allNew *bool
	// adopted holds the staging tables some rows of which adopt a stored row's id.
	adopted map[string]bool
	// rows counts the rows staged: entities, names and links.
	rows int
	// replacing holds the (kind, list) pairs some record states whole (replaces).
	replacing map[[2]string]bool
	// meta is who the audit log says wrote (for a file, the import of the file), and
	// how the changes are announced.
	meta batchMeta
	// named holds what reconciliation decided for each city referred to by name, and
	// created the cities it creates for them (see reconcile.go).
	named   map[knowledge.Ref]reconciled
	created []knowledge.CityRecord
	// staged holds the staging tables the batch put rows in, which clearStaging
	// empties.
	staged map[string]bool
	// linkRels holds the links staged, as "kind.rel" (agreement.party): the links
	// step writes only those (an agreement's new title stages none).
	linkRels map[string]bool
	// stage holds a mutation's staging inserts, until stageAndLock sends them.
	stage struct {
		inserts []stagedInsert
		args    []any
	}
	// refsChecked is set when stageAndLock looked the staged references up.
	refsChecked bool
	// changed holds the kinds imp_changed may hold rows of, as the statements that
	// fill it reported (noteChanged), and whether some changed by their links alone:
	// recordChanges runs only their statements.
	changed changedKinds
}

// cityRecords are the batch's cities and those the import creates for references by name.
func (w *batchWriter) cityRecords() []knowledge.CityRecord {
	if len(w.created) == 0 {
		return w.b.Cities
	}
	return append(w.b.Cities[:len(w.b.Cities):len(w.b.Cities)], w.created...)
}

// tempTables are the staging tables of batch writes. They live as long as the
// database session, and are empty between batches: a batch that succeeds empties
// them before it returns (clearStaging), and one that fails is rolled back with what
// it staged. Creating a dozen tables per transaction, or having PostgreSQL truncate
// them at every commit (ON COMMIT DELETE ROWS), would cost more than a mutation's
// whole write. Each entity table
// holds the key-derived id, the line it came from, its values, references as numbers
// into imp_refs, and the id it is written under (target: its own id unless a stored
// row answers to one of its natural keys). An entity's names (three arrays: languages,
// names, sources) and the sources it cites (srcs) travel in its own row, so that a
// gazetteer row is one row to copy, not five. imp_changed (changedTable) records the
// entities a write created or changed; every other staged entity is unchanged.
//
// A date travels as two columns, the first day of its period and its precision
// (migration 00011). cleared lists the fields the line set to null
// (knowledge.Clearable), which the upsert clears instead of keeping.
//
// replace lists the lists a record states whole (knowledge.Entry.Replace), and
// imp_former keeps the cities an agreement stopped naming as parties, which its change
// notification names.
//
// The staging tables have no indexes: they are analyzed once filled, and every
// statement joins them whole, by hash.
const tempTables = `
CREATE TEMP TABLE IF NOT EXISTS imp_refs (no int NOT NULL, kind text NOT NULL, key_id uuid, qid text, gn bigint, code text,
    url text, external bool NOT NULL, target uuid) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_sources (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, title text, publisher text,
    url text, published_on date, published_on_precision text, excerpt text, languages text, cleared text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_countries (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, code text, name text,
    qid text, names text[], cleared text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_divisions (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, country_ref int, code text,
    name text, ascii_name text, gn bigint) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_cities (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, country_ref int, name text,
    population bigint, latitude float8, longitude float8, qid text, gn bigint, admin1 text,
    name_langs text[], names text[], name_srcs int[], srcs int[], cleared text[], replace text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_officials (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, name text, title text,
    city_ref int, qid text, name_langs text[], names text[], name_srcs int[], srcs int[], cleared text[], replace text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_institutions (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, name text, kind text,
    city_ref int, founded_on date, founded_on_precision text, description text, qid text, srcs int[], cleared text[],
    replace text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_agreements (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, title text, kind text,
    signed_on date, signed_on_precision text, signed_in_ref int, summary text, srcs int[], cleared text[],
    replace text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_partnerships (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, kind text, a_ref int,
    b_ref int, since date, since_precision text, until date, until_precision text, agreement_ref int, city_a uuid, city_b uuid,
    srcs int[], cleared text[]) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_figures (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, city_ref int, metric text,
    value int, as_of date, as_of_precision text, source_ref int) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_statements (id uuid NOT NULL, target uuid NOT NULL, line int NOT NULL, subject_kind text NOT NULL,
    subject_ref int NOT NULL, property text, value text, source_ref int NOT NULL, quote text) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_links (kind text NOT NULL, rel text NOT NULL, subject uuid NOT NULL, ref int, ref2 int,
    pos int, txt text) ON COMMIT PRESERVE ROWS;
CREATE TEMP TABLE IF NOT EXISTS imp_former (id uuid NOT NULL, city uuid NOT NULL) ON COMMIT PRESERVE ROWS;
` + changedTable

// hashJoinRows is the number of staged rows from which an import only joins by hash.
const hashJoinRows = 1000

// tempBuffers is the memory for the staging tables of one session (temp_buffers): the
// default of 8 MB would send a gazetteer's staging rows through the file system.
const tempBuffers = "256MB"

// batchSettings are the settings of a batch's transaction; one says the batch is a
// mutation's, of one record.
//
// A mutation's statements join a staged row or two to stored tables: each is a look-up
// by key, which only a nested loop over the staged rows makes. The staging tables have
// no statistics, so the planner takes them for hundreds of rows and would rather hash
// or sort a stored table whole: 37 ms of sorting city_sources on the l benchmark data
// set for one city's update, where the look-up takes 0.1 ms. Compiling a file's big
// joins costs more than it saves (jit).
func batchSettings(one bool) [][2]string {
	joins := "on"
	if one {
		joins = "off"
	}
	return [][2]string{{"work_mem", "256MB"}, {"jit", "off"}, {"enable_hashjoin", joins}, {"enable_mergejoin", joins}}
}

// stageTables gives the batch's transaction its settings (batchSettings) and makes sure
// the session has the staging tables, in one round trip while it has them.
func stageTables(ctx context.Context, tx *sqlx.Tx, one bool) error {
	q := `SELECT to_regclass('pg_temp.imp_former') IS NOT NULL`
	settings := batchSettings(one)
	args := make([]any, 0, 2*len(settings))
	for _, kv := range settings {
		q += fmt.Sprintf(", set_config($%d, $%d, true)", len(args)+1, len(args)+2)
		args = append(args, kv[0], kv[1])
	}
	var tables bool
	set := make([]any, 1+len(settings))
	set[0] = &tables
	for i := range settings {
		set[i+1] = new(string)
	}
	if err := tx.QueryRowContext(ctx, q, args...).Scan(set...); err != nil {
		return fmt.Errorf("staging tables: %w", err)
	}
	if !tables {
		// temp_buffers can only be set before a session's first temporary table; a
		// pooled connection that already had one keeps what it has.
		if _, err := tx.ExecContext(ctx, `SAVEPOINT imp_temp_buffers`); err != nil {
			return fmt.Errorf("staging tables: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `SET LOCAL temp_buffers = '`+tempBuffers+`'`); err != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT imp_temp_buffers`); err != nil {
				return fmt.Errorf("staging tables: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT imp_temp_buffers`); err != nil {
			return fmt.Errorf("staging tables: %w", err)
		}
		if _, err := tx.ExecContext(oneAtATime(ctx), tempTables); err != nil {
			return fmt.Errorf("staging tables: %w", err)
		}
	}
	return nil
}

func (w *batchWriter) run(ctx context.Context) (map[string]knowledge.BatchCounts, error) {
	if !w.meta.writerSession {
		if err := stageTables(ctx, w.tx, w.meta.Mutation); err != nil {
			return nil, err
		}
	}
	w.p.Phase("writing")
	if err := w.reconcile(ctx); err != nil {
		return nil, err
	}
	w.created = w.createdCities()
	if err := w.copyAll(ctx); err != nil {
		return nil, err
	}
	// The staging tables have no indexes: a nested loop over one of them, chosen on a
	// misestimate (results of data-modifying CTEs have none), would be quadratic in
	// the size of the file. Small files do not need to care.
	if w.rows >= hashJoinRows {
		if err := w.exec(ctx, "plan settings", `SET LOCAL enable_nestloop = off`); err != nil {
			return nil, err
		}
	}
	// Row counts and a rough picture are all the plans need; a small batch plans well
	// enough without them, for less than the statistics cost.
	if w.rows >= hashJoinRows {
		if _, err := w.tx.ExecContext(ctx, `SET LOCAL default_statistics_target = 10`); err != nil {
			return nil, fmt.Errorf("analyze staging tables: %w", err)
		}
		if _, err := w.tx.ExecContext(ctx, `ANALYZE imp_refs, imp_sources, imp_countries, imp_divisions, imp_cities, imp_officials,
        imp_institutions, imp_agreements, imp_partnerships, imp_figures, imp_statements, imp_links`); err != nil {
			return nil, fmt.Errorf("analyze staging tables: %w", err)
		}
	}
	// Each of the steps below is a few long statements that move rows the progress
	// line cannot count as they go: it names the step, and counts the step's rows when
	// the step is done.
	w.p.Phase("looking up references")
	if err := w.stageAndLock(ctx); err != nil {
		return nil, err
	}
	if err := w.checkExternal(ctx); err != nil {
		return nil, err
	}
	if err := w.ps.Err(); err != nil {
		return nil, err
	}
	restore, err := w.prepareBulk(ctx)
	if err != nil {
		return nil, err
	}
	b := w.b
	referenced := map[string]bool{}
	w.refNos.Each(func(kind string, _ knowledge.Ref, _ int) { referenced[kind] = true })
	// A step runs when the batch holds entities of its kind (or, for the links and
	// the rules, at all), and the references of its kind are resolved when there are
	// any: a mutation's batch of one record skips all but a few.
	for _, step := range []struct {
		name, kind string
		rows       int
		run        func(context.Context) error
	}{
		{"sources", knowledge.KindSource, len(b.Sources), w.sources},
		{"countries", knowledge.KindCountry, len(b.Countries), w.countries},
		{"divisions", knowledge.KindDivision, len(b.Divisions), w.divisions},
		{"cities", knowledge.KindCity, len(w.cityRecords()), w.cities},
		{"officials", knowledge.KindOfficial, len(b.Officials), w.officials},
		{"institutions", knowledge.KindInstitution, len(b.Institutions), w.institutions},
		{"agreements", knowledge.KindAgreement, len(b.Agreements), w.agreements},
		{"partnerships", knowledge.KindPartnership, len(b.Partnerships), w.partnerships},
		{"figures", knowledge.KindFigure, len(b.Figures), w.figures},
		{"links", "", b.Len(), w.links}, {"rules", "", b.Len(), w.checkRules},
		{"statements", knowledge.KindStatement, len(b.Statements), w.statements},
	} {
		w.p.Phase("storing " + step.name)
		if step.rows > 0 {
			if err := step.run(ctx); err != nil {
				return nil, err
			}
		}
		if err := w.ps.Err(); err != nil {
			return nil, err
		}
		if _, ok := resolvers[step.kind]; ok && referenced[step.kind] {
			if err := w.resolve(ctx, step.kind); err != nil {
				return nil, err
			}
			if err := w.ps.Err(); err != nil {
				return nil, err
			}
		}
		if step.kind != "" {
			w.p.Add(step.rows)
		}
	}
	w.p.Phase("recording changes and indexing")
	// Before the indexes come back: a new version of a city that only gained names
	// then updates no secondary index.
	var clear []string
	if w.meta.Mutation && len(w.changed) > 0 { // a file's counts read imp_changed after
		clear = w.stagedTables()
	}
	if err := recordChanges(ctx, w.tx, w.meta.WriteMeta, w.meta.Mutation, w.changed, clear); err != nil {
		return nil, err
	}
	if clear != nil { // the audit statement emptied them: nothing is left to clear
		w.staged, w.changed = map[string]bool{}, nil
	}
	for _, def := range restore {
		if err := w.exec(ctx, "restore index or constraint", def); err != nil {
			return nil, err
		}
	}
	var counts map[string]knowledge.BatchCounts
	if !w.meta.Mutation { // a mutation answers with its entity, not with counts
		var err error
		if counts, err = w.counts(ctx); err != nil {
			return nil, err
		}
	}
	return counts, w.clearStaging(ctx)
}

// stagingTables are the tables tempTables creates.
const stagingTables = `imp_refs, imp_sources, imp_countries, imp_divisions, imp_cities, imp_officials,
    imp_institutions, imp_agreements, imp_partnerships, imp_figures, imp_statements, imp_links, imp_former, imp_changed`

// clearStaging empties the staging tables for the session's next batch: a large
// batch's by truncating them all, a small one's by deleting its few rows from the
// tables it filled, which costs less than a truncation's new files (and a mutation
// fills three or four of the fourteen).
func (w *batchWriter) clearStaging(ctx context.Context) error {
	if w.rows >= hashJoinRows {
		return w.exec(ctx, "clear staging tables", `TRUNCATE `+stagingTables)
	}
	var q strings.Builder
	for _, t := range w.stagedTables() {
		fmt.Fprintf(&q, "DELETE FROM %s;", t)
	}
	if q.Len() == 0 {
		return nil
	}
	return w.exec(oneAtATime(ctx), "clear staging tables", q.String())
}

// stagedTables are the staging tables the batch has put rows in so far: those it
// staged, and imp_changed when a write recorded a change there.
func (w *batchWriter) stagedTables() []string {
	var tables []string
	for _, t := range strings.Split(stagingTables, ",") {
		if t = strings.TrimSpace(t); w.staged[t] || (t == "imp_changed" && len(w.changed) > 0) {
			tables = append(tables, t)
		}
	}
	return tables
}

// BulkCities is the number of cities in one file from which Import rebuilds the
// secondary indexes and checks the foreign keys of cities, city_names and city_sources
// once at the end instead of row by row, when the file also holds more cities than the
// table (a first gazetteer load). Maintaining the trigram, fold and geographic indexes
// and checking a reference per name and citation cost most of the time of a gazetteer
// load; building the indexes afresh and checking the references in one join each is
// several times faster, at the price of locking readers of those tables (and of
// countries and sources, which the dropped foreign keys refer to) out until the import
// commits.
const BulkCities = 50_000

// bulkTables are the tables whose indexes and foreign keys a bulk load sets aside.
const bulkTables = `'cities'::regclass, 'city_names'::regclass, 'city_sources'::regclass`

// prepareBulk drops, for a large gazetteer load, every index and constraint of
// cities, city_names and city_sources but the primary key of cities (which other
// tables refer to). It returns the statements that recreate the constraints at the end
// of the load's transaction (a unique key is built from sorted rows, a foreign key
// checks every row in one join), and sets the other indexes aside in pending_indexes,
// built once the load commits (BuildPendingIndexes). It is all inside the import's
// transaction: a failed import restores them. Meanwhile the import holds those tables
// alone, so that it writes names and citations with plain inserts; the checks before
// the writes and the validation of the file rule out what the dropped unique
// constraints would have refused.
func (w *batchWriter) prepareBulk(ctx context.Context) ([]string, error) {
	if len(w.b.Cities) < BulkCities {
		return nil, nil
	}
	var stored float64
	if err := w.tx.GetContext(ctx, &stored, `SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'cities'::regclass`); err != nil {
		return nil, fmt.Errorf("size cities: %w", err)
	}
	if float64(len(w.b.Cities)) <= stored {
		return nil, nil
	}
	const query = `
SELECT format('DROP INDEX %s', i.indexrelid::regclass) AS drop, pg_get_indexdef(i.indexrelid) AS def,
    i.indexrelid::regclass::text AS name, i.indrelid::regclass::text AS table_name
FROM pg_index i
WHERE i.indrelid IN (` + bulkTables + `)
    AND NOT i.indisprimary AND NOT i.indisunique
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
UNION ALL
SELECT drop, def, NULL, NULL FROM (
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname) AS drop,
        format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) AS def
    FROM pg_constraint k
    WHERE k.conrelid IN (` + bulkTables + `) AND (k.contype = 'f' OR k.contype = 'u'
        OR (k.contype = 'p' AND k.conrelid <> 'cities'::regclass))
    ORDER BY k.contype = 'f', k.oid) k`
	var rows []struct {
		Drop  string         `db:"drop"`
		Def   string         `db:"def"`
		Name  sql.NullString `db:"name"`
		Table sql.NullString `db:"table_name"`
	}
	if err := w.tx.SelectContext(ctx, &rows, query); err != nil {
		return nil, fmt.Errorf("list indexes and foreign keys: %w", err)
	}
	defs := make([]string, 0, len(rows)+1)
	// Unique keys are built from rows sorted in memory, by parallel workers.
	defs = append(defs, `SET LOCAL maintenance_work_mem = '512MB'`)
	for _, r := range rows {
		if r.Name.Valid {
			if err := w.exec(ctx, "set an index aside", setAsideIndex, r.Name.String, r.Table.String, r.Def); err != nil {
				return nil, err
			}
		} else {
			defs = append(defs, r.Def)
		}
		if err := w.exec(ctx, "drop index or constraint", r.Drop); err != nil {
			return nil, err
		}
	}
	w.bulk = true
	return defs, nil
}

// refNo numbers a reference, the same number for the same reference however often
// the file repeats it.
func (w *batchWriter) refNo(kind string, r knowledge.Ref) int {
	r = r.Normalize(kind)
	if n, ok := w.refNos.Get(kind, r); ok {
		return n
	}
	n := w.refNos.Len() + 1
	w.refNos.Put(kind, r, n)
	return n
}

func (w *batchWriter) optRef(kind string, r *knowledge.Ref) any {
	if r == nil || r.IsZero() {
		return nil
	}
	return w.refNo(kind, *r)
}

// textArray is the text[] literal of ss.
func textArray(ss []string) string {
	n := 2
	for _, s := range ss {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b = append(b, '\\')
			}
			b = append(b, s[j])
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// dateCols are the staged columns of a date the batch's check has accepted: its first
// day and its precision, or two NULLs for none.
func dateCols(s string) (day, precision any) {
	if s == "" {
		return nil, nil
	}
	d, err := knowledge.ParseDate(s)
	if err != nil {
		return nil, nil // unreachable: Batch.Check refused the file
	}
	return dateArgs(&d)
}

// textArrayOrNull is the staged list of field names (the fields a line set to null, the
// lists a record replaces), or NULL for none.
func textArrayOrNull(fields []string) any {
	if len(fields) == 0 {
		return nil
	}
	return textArray(fields)
}

func nz(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nzInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nzFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func keyID(kind, key string) string { return knowledge.KeyID(kind, key).String() }

// recordID is the id a record is staged under: the one a mutation gives it, or the
// one its key derives.
func recordID(kind, key string, e knowledge.Entry) string {
	if e.ID != uuid.Nil {
		return e.ID.String()
	}
	return keyID(kind, key)
}

// copyIn streams rows into a staging table with COPY, and does nothing when fill
// emits none: a mutation's batch fills two or three of the tables.
func (w *batchWriter) copyIn(ctx context.Context, table string, cols []string, fill func(emit func(vals ...any) error) error) error {
	if w.meta.Mutation {
		return w.insertIn(table, cols, fill)
	}
	return w.copyRaw(ctx, table, cols, fill)
}

// copyRaw is copyIn over the driver's own COPY statement: database/sql would check and
// convert every value of every row (17 a city) before handing it to the same
// statement, which cost a 200,000-line gazetteer import about a third of its COPY time.
// The transaction is idle meanwhile; Raw holds its connection.
func (w *batchWriter) copyRaw(ctx context.Context, table string, cols []string, fill func(emit func(vals ...any) error) error) error {
	err := w.meta.conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T", dc)
		}
		var stmt driver.Stmt
		defer func() {
			if stmt != nil {
				stmt.Close()
			}
		}()
		row := make([]driver.Value, len(cols))
		if err := fill(func(vals ...any) error {
			// The driver's statement does not watch the context, as database/sql did
			// between rows: a cancelled import stops here.
			if err := ctx.Err(); err != nil {
				return err
			}
			if stmt == nil {
				var err error
				if stmt, err = c.Prepare(CopyStatement(table, cols...)); err != nil {
					return err
				}
			}
			w.rows++
			w.staged[table] = true
			for i, v := range vals {
				var err error
				if row[i], err = copyValue(v); err != nil {
					return fmt.Errorf("column %s: %w", cols[i], err)
				}
			}
			_, err := stmt.Exec(row) //lint:ignore SA1019 lib/pq's COPY statement has only Exec, which database/sql calls too
			return err
		}); err != nil || stmt == nil {
			return err
		}
		// An empty row ends the stream and reports what the server refused.
		_, err := stmt.Exec(nil) //lint:ignore SA1019 as above
		return err
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// copyValue is a staging value as the driver takes it: the emitters pass ints, which
// database/sql would have converted.
func copyValue(v any) (driver.Value, error) {
	switch v := v.(type) {
	case nil, string, int64, float64, bool:
		return v, nil
	case int:
		return int64(v), nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

// stagedInsert is a mutation's INSERT into the staging table table, waiting for
// stageAndLock.
type stagedInsert struct{ table, sql string }

// insertIn stages a mutation's few rows, where COPY would take three round trips a
// table: its INSERT waits in w.stage for stageAndLock, which sends the inserts of
// every table with the locks of the rows the mutation updates, in one statement.
func (w *batchWriter) insertIn(table string, cols []string, fill func(emit func(vals ...any) error) error) error {
	var rows []string
	if err := fill(func(vals ...any) error {
		w.rows++
		w.staged[table] = true
		ps := make([]string, len(vals))
		for i, v := range vals {
			w.stage.args = append(w.stage.args, v)
			ps[i] = "$" + strconv.Itoa(len(w.stage.args))
		}
		rows = append(rows, "("+strings.Join(ps, ", ")+")")
		return nil
	}); err != nil {
		return fmt.Errorf("stage %s: %w", table, err)
	}
	if len(rows) > 0 {
		w.stage.inserts = append(w.stage.inserts, stagedInsert{table,
			fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", table, strings.Join(cols, ", "), strings.Join(rows, ", "))})
	}
	return nil
}

func (w *batchWriter) copyAll(ctx context.Context) error {
	b := w.b
	// References first: every one is numbered, and those the file does not satisfy
	// itself are marked for the look-up in the database.
	b.EachRef(func(u knowledge.RefUse) {
		w.refNo(u.Kind, u.Ref)
	})
	for _, c := range w.created {
		w.refNo(knowledge.KindCountry, c.Country)
	}
	type refRow struct {
		refKey
		no int
	}
	rows := make([]refRow, 0, w.refNos.Len())
	w.refNos.Each(func(kind string, r knowledge.Ref, n int) { rows = append(rows, refRow{refKey{kind, r}, n}) })
	err := w.copyIn(ctx, "imp_refs", []string{"no", "kind", "key_id", "qid", "gn", "code", "url", "external"}, func(emit func(...any) error) error {
		for _, r := range rows {
			var key, gn any
			switch {
			case r.ref.Key != "":
				key = keyID(r.kind, r.ref.Key)
			case r.ref.ID != uuid.Nil:
				key = r.ref.ID.String()
			}
			if r.ref.GeoNames != 0 {
				gn = r.ref.GeoNames
			}
			external := !b.Defines(r.kind, r.ref)
			if r.kind == knowledge.KindCity && r.ref.ByName() {
				// Reconciled: a stored city's id, looked up like a key's; a city the
				// import creates, staged like the file's own; or refused already.
				switch rc := w.named[r.ref]; {
				case rc.id != "":
					key = rc.id
				case rc.created != "":
					key, external = keyID(knowledge.KindCity, rc.created), false
				default:
					external = false
				}
			}
			if err := emit(r.no, r.kind, key, nz(r.ref.Wikidata), gn, nz(r.ref.Code), nz(r.ref.URL), external); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	err = w.copyIn(ctx, "imp_sources", []string{"id", "target", "line", "title", "publisher", "url", "published_on", "published_on_precision",
		"excerpt", "languages", "cleared"}, func(emit func(...any) error) error {
		for _, s := range b.Sources {
			w.p.Add(1)
			id := recordID(knowledge.KindSource, s.Key, s.Entry)
			day, precision := dateCols(s.PublishedOn)
			if err := emit(id, id, s.Line, nz(s.Title), nz(s.Publisher), nz(s.URL), day, precision,
				nz(s.Excerpt), nz(strings.Join(s.Languages, ",")), textArrayOrNull(s.Cleared)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_countries", []string{"id", "target", "line", "code", "name", "qid", "names", "cleared"}, func(emit func(...any) error) error {
		for _, c := range b.Countries {
			w.p.Add(1)
			id := recordID(knowledge.KindCountry, c.Code, c.Entry)
			var names any
			if len(c.Names) > 0 {
				names = textArray(c.Names)
			}
			if err := emit(id, id, c.Line, c.Code, c.Name, nz(c.Wikidata), names, textArrayOrNull(c.Cleared)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_divisions", []string{"id", "target", "line", "country_ref", "code", "name", "ascii_name", "gn"}, func(emit func(...any) error) error {
		for _, d := range b.Divisions {
			w.p.Add(1)
			id := keyID(knowledge.KindDivision, d.Key())
			if err := emit(id, id, d.Line, w.refNo(knowledge.KindCountry, d.Country), d.Code, d.Name, nz(d.ASCIIName), nzInt(d.GeoNames)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	type link struct {
		kind, rel string
		subject   string
		ref, ref2 any
		pos       int
		txt       any
	}
	var links []link
	var buf []byte
	sources := func(rs []knowledge.Ref) any {
		if len(rs) == 0 {
			return nil
		}
		w.rows += len(rs)
		buf = append(buf[:0], '{')
		for i, r := range rs {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(w.refNo(knowledge.KindSource, r)), 10)
		}
		return string(append(buf, '}'))
	}
	names := func(ns []knowledge.NameRecord) (langs, texts, srcs any) {
		if len(ns) == 0 {
			return nil, nil, nil
		}
		w.rows += len(ns)
		ls := make([]string, len(ns))
		ts := make([]string, len(ns))
		buf = append(buf[:0], '{')
		for i, n := range ns {
			ls[i], ts[i] = n.Language, n.Name
			if i > 0 {
				buf = append(buf, ',')
			}
			if n.Source == nil || n.Source.IsZero() {
				buf = append(buf, "NULL"...)
			} else {
				buf = strconv.AppendInt(buf, int64(w.refNo(knowledge.KindSource, *n.Source)), 10)
			}
		}
		srcs = string(append(buf, '}'))
		return textArray(ls), textArray(ts), srcs
	}
	err = w.copyIn(ctx, "imp_cities", []string{"id", "target", "line", "country_ref", "name", "population", "latitude", "longitude", "qid", "gn",
		"admin1", "name_langs", "names", "name_srcs", "srcs", "cleared", "replace"}, func(emit func(...any) error) error {
		for _, c := range w.cityRecords() {
			w.p.Add(1)
			id := recordID(knowledge.KindCity, c.Key, c.Entry)
			langs, texts, srcs := names(c.Names)
			if err := emit(id, id, c.Line, w.optRef(knowledge.KindCountry, &c.Country), nz(c.Name), nzInt(c.Population),
				nzFloat(c.Latitude), nzFloat(c.Longitude), nz(c.Wikidata), nzInt(c.GeoNames), nz(c.Admin1), langs, texts, srcs, sources(c.Sources),
				textArrayOrNull(c.Cleared), textArrayOrNull(c.Replace)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_officials", []string{"id", "target", "line", "name", "title", "city_ref", "qid",
		"name_langs", "names", "name_srcs", "srcs", "cleared", "replace"}, func(emit func(...any) error) error {
		for _, o := range b.Officials {
			w.p.Add(1)
			id := recordID(knowledge.KindOfficial, o.Key, o.Entry)
			langs, texts, srcs := names(o.Names)
			if err := emit(id, id, o.Line, nz(o.Name), nz(o.Title), w.optRef(knowledge.KindCity, o.City), nz(o.Wikidata),
				langs, texts, srcs, sources(o.Sources), textArrayOrNull(o.Cleared), textArrayOrNull(o.Replace)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_institutions", []string{"id", "target", "line", "name", "kind", "city_ref", "founded_on", "founded_on_precision",
		"description", "qid", "srcs", "cleared", "replace"}, func(emit func(...any) error) error {
		for _, in := range b.Institutions {
			w.p.Add(1)
			id := recordID(knowledge.KindInstitution, in.Key, in.Entry)
			day, precision := dateCols(in.FoundedOn)
			if err := emit(id, id, in.Line, nz(in.Name), nz(in.Kind), w.optRef(knowledge.KindCity, &in.City), day, precision, nz(in.Description), nz(in.Wikidata),
				sources(in.Sources), textArrayOrNull(in.Cleared), textArrayOrNull(in.Replace)); err != nil {
				return err
			}
			for i, a := range in.Agreements {
				links = append(links, link{kind: knowledge.KindInstitution, rel: "agreement", subject: id, ref: w.refNo(knowledge.KindAgreement, a), pos: i})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_agreements", []string{"id", "target", "line", "title", "kind", "signed_on", "signed_on_precision", "signed_in_ref",
		"summary", "srcs", "cleared", "replace"}, func(emit func(...any) error) error {
		for _, a := range b.Agreements {
			w.p.Add(1)
			id := recordID(knowledge.KindAgreement, a.Key, a.Entry)
			day, precision := dateCols(a.SignedOn)
			if err := emit(id, id, a.Line, nz(a.Title), nz(a.Kind), day, precision, w.optRef(knowledge.KindCity, a.SignedIn), nz(a.Summary),
				sources(a.Sources), textArrayOrNull(a.Cleared), textArrayOrNull(a.Replace)); err != nil {
				return err
			}
			for i, c := range a.Parties {
				links = append(links, link{kind: knowledge.KindAgreement, rel: "party", subject: id, ref: w.refNo(knowledge.KindCity, c), pos: i})
			}
			for i, area := range a.Areas {
				links = append(links, link{kind: knowledge.KindAgreement, rel: "area", subject: id, pos: i, txt: area})
			}
			for i, s := range a.Signatories {
				links = append(links, link{kind: knowledge.KindAgreement, rel: "signatory", subject: id, pos: i,
					ref: w.refNo(knowledge.KindOfficial, s.Official), ref2: w.refNo(knowledge.KindCity, s.Party), txt: nz(s.Role)})
			}
			for i, in := range a.Institutions {
				links = append(links, link{kind: knowledge.KindAgreement, rel: "institution", subject: id, ref: w.refNo(knowledge.KindInstitution, in), pos: i})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_partnerships", []string{"id", "target", "line", "kind", "a_ref", "b_ref", "since", "since_precision", "until", "until_precision",
		"agreement_ref", "srcs", "cleared"}, func(emit func(...any) error) error {
		for _, pt := range b.Partnerships {
			w.p.Add(1)
			id := recordID(knowledge.KindPartnership, pt.Key, pt.Entry)
			since, sinceP := dateCols(pt.Since)
			until, untilP := dateCols(pt.Until)
			// An update names no cities: a partnership's cities are what it is.
			var a, b any
			if len(pt.Cities) == 2 {
				a, b = w.refNo(knowledge.KindCity, pt.Cities[0]), w.refNo(knowledge.KindCity, pt.Cities[1])
			}
			if err := emit(id, id, pt.Line, nz(pt.Kind), a, b,
				since, sinceP, until, untilP, w.optRef(knowledge.KindAgreement, pt.Agreement), sources(pt.Sources), textArrayOrNull(pt.Cleared)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = w.copyIn(ctx, "imp_figures", []string{"id", "target", "line", "city_ref", "metric", "value", "as_of", "as_of_precision", "source_ref"}, func(emit func(...any) error) error {
		for _, f := range b.Figures {
			w.p.Add(1)
			id := recordID(knowledge.KindFigure, f.Key, f.Entry)
			// A figure's date is part of what it is, not a value kept when left out: an
			// undated figure is stored as such, at the precision of no date.
			asOf, precision := dateCols(f.AsOf)
			if precision == nil {
				precision = knowledge.PrecisionDay.String()
			}
			if err := emit(id, id, f.Line, w.refNo(knowledge.KindCity, f.City), f.Metric, *f.Value,
				asOf, precision, w.refNo(knowledge.KindSource, f.Source)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	keys := b.StatementKeys()
	err = w.copyIn(ctx, "imp_statements", []string{"id", "target", "line", "subject_kind", "subject_ref", "property", "value", "source_ref", "quote"}, func(emit func(...any) error) error {
		for i, st := range b.Statements {
			w.p.Add(1)
			id := keyID(knowledge.KindStatement, keys[i])
			kind, subject, _ := st.Subject.Of()
			if err := emit(id, id, st.Line, kind, w.refNo(kind, subject), st.Property, st.Value,
				w.refNo(knowledge.KindSource, st.Source), nz(st.Quote)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.linkRels = map[string]bool{}
	for _, l := range links {
		w.linkRels[l.kind+"."+l.rel] = true
	}
	return w.copyIn(ctx, "imp_links", []string{"kind", "rel", "subject", "ref", "ref2", "pos", "txt"}, func(emit func(...any) error) error {
		for _, l := range links {
			if err := emit(l.kind, l.rel, l.subject, l.ref, l.ref2, l.pos, l.txt); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkExternal looks up, before anything is written, every reference the file does
// not satisfy itself, so that all unknown references are reported together.
func (w *batchWriter) checkExternal(ctx context.Context) error {
	if w.refsChecked { // by stageAndLock, in the statement that staged them
		return nil
	}
	var missing []int
	if err := w.tx.SelectContext(ctx, &missing, `SELECT no FROM imp_refs r WHERE `+unknownRef+` ORDER BY no`); err != nil {
		return fmt.Errorf("look up references: %w", err)
	}
	w.unknown(missing)
	return nil
}

// unknownRef is the condition "the staged reference r names a stored row the batch
// does not define, and no such row is stored".
const unknownRef = `r.external AND NOT CASE r.kind
    WHEN 'source' THEN EXISTS (SELECT 1 FROM sources x WHERE x.id = r.key_id)
        OR EXISTS (SELECT 1 FROM sources x WHERE x.url = r.url)
    WHEN 'country' THEN EXISTS (SELECT 1 FROM countries x WHERE x.code = r.code)
        OR EXISTS (SELECT 1 FROM countries x WHERE x.wikidata_qid = r.qid)
    WHEN 'city' THEN EXISTS (SELECT 1 FROM cities x WHERE x.id = r.key_id)
        OR EXISTS (SELECT 1 FROM cities x WHERE x.wikidata_qid = r.qid)
        OR EXISTS (SELECT 1 FROM cities x WHERE x.geonames_id = r.gn)
        OR EXISTS (SELECT 1 FROM city_merges x WHERE x.merged_id = r.key_id)
        OR EXISTS (SELECT 1 FROM city_merges x WHERE x.wikidata_qid = r.qid)
        OR EXISTS (SELECT 1 FROM city_merges x WHERE x.geonames_id = r.gn)
    WHEN 'official' THEN EXISTS (SELECT 1 FROM officials x WHERE x.id = r.key_id)
        OR EXISTS (SELECT 1 FROM officials x WHERE x.wikidata_qid = r.qid)
    WHEN 'institution' THEN EXISTS (SELECT 1 FROM institutions x WHERE x.id = r.key_id)
        OR EXISTS (SELECT 1 FROM institutions x WHERE x.wikidata_qid = r.qid)
    WHEN 'agreement' THEN EXISTS (SELECT 1 FROM agreements x WHERE x.id = r.key_id)
    WHEN 'partnership' THEN EXISTS (SELECT 1 FROM partnerships x WHERE x.id = r.key_id)
        OR EXISTS (SELECT 1 FROM partnership_merges x WHERE x.merged_id = r.key_id)
    ELSE false END`

// unknown reports each place an unresolved reference is written, in file order: every
// place, so that the count is the true one and --skip-invalid rejects every line that
// needs the missing row (the batch is walked again, which only a failing import
// does).
func (w *batchWriter) unknown(nos []int) {
	if len(nos) == 0 {
		return
	}
	missing := make(map[int]bool, len(nos))
	for _, n := range nos {
		missing[n] = true
	}
	var all []knowledge.RefUse
	w.b.EachRef(func(u knowledge.RefUse) {
		if n, ok := w.refNos.Get(u.Kind, u.Ref); ok && missing[n] {
			all = append(all, u)
		}
	})
	sortUses(all)
	for _, u := range all {
		if u.Ref.ID != uuid.Nil {
			w.ps.AddCode(u.Line, u.Field(), knowledge.CodeNotFound, "no %s has this id", u.Kind)
			continue
		}
		w.ps.AddCode(u.Line, u.Field(), knowledge.CodeNotFound, "unknown %s %s", u.Kind, u.Ref)
	}
}

func sortUses(us []knowledge.RefUse) {
	sort.SliceStable(us, func(i, j int) bool { return us[i].Line < us[j].Line })
}

// problems runs a query returning (line, field, message, code) rows and records each;
// code is a knowledge.Code… constant, or empty for INVALID.
func (w *batchWriter) problems(ctx context.Context, what, query string) error {
	var rows []struct {
		Line    int    `db:"line"`
		Field   string `db:"field"`
		Message string `db:"message"`
		Code    string `db:"code"`
	}
	if err := w.tx.SelectContext(ctx, &rows, query); err != nil {
		return fmt.Errorf("check %s: %w", what, err)
	}
	for _, r := range rows {
		w.ps.AddCode(r.Line, r.Field, r.Code, "%s", r.Message)
	}
	return nil
}

// sameTarget reports lines of one staging table that resolved to the same stored row,
// which one statement could not write twice. Only adopted rows can: the ids derived
// from the keys are as distinct as the keys, which validation checked.
func (w *batchWriter) sameTarget(temp, kind string) string {
	if !w.adopted[temp] {
		return `SELECT 0 AS line, '' AS field, '' AS message, '' AS code WHERE false`
	}
	return fmt.Sprintf(`
SELECT line, '%[2]s' AS field, format('names the same %[2]s as line %%s (by key or by an identifier)', first) AS message,
    '' AS code
FROM (SELECT line, min(line) OVER (PARTITION BY target) AS first FROM %[1]s
      WHERE target IN (SELECT target FROM %[1]s GROUP BY target HAVING count(*) > 1)) t
WHERE line <> first ORDER BY line`, temp, kind)
}

func (w *batchWriter) exec(ctx context.Context, what, query string, args ...any) error {
	_, err := w.execCount(ctx, what, query, args...)
	return err
}

// execCount runs a statement and says how many rows it wrote.
func (w *batchWriter) execCount(ctx context.Context, what, query string, args ...any) (int64, error) {
	res, err := w.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// column is one column an entity upsert writes: expr reads it from the staging row i
// (and the joins); keep makes an absent (NULL) value keep the stored one; merge, when
// set, gives the value written from the new and the stored one (SQL expressions).
// clear names the file's field whose null (in the staging row's cleared list) sets
// the column to clearTo (NULL when empty) instead.
type column struct {
	name, expr     string
	keep           bool
	merge          func(nw, old string) string
	clear, clearTo string
}

// precisionColumn is the precision of the date column date, the file's field: written
// with the date, kept with it when the file leaves the date out, and back to 'day',
// the precision of no date, when the file clears it.
func precisionColumn(date, field string) column {
	return column{name: date + "_precision", expr: "i." + date + "_precision", clear: field, clearTo: "'day'",
		merge: func(nw, old string) string { return fmt.Sprintf("coalesce(%s, %s, 'day')", nw, old) }}
}

// value is the column's value once written, from the new value nw and the stored old.
func (c column) value(nw, old string) string {
	switch {
	case c.merge != nil:
		return c.merge(nw, old)
	case c.keep:
		return fmt.Sprintf("coalesce(%s, %s)", nw, old)
	}
	return nw
}

// upsert writes a staging table's rows under their targets: new rows are inserted,
// stored rows updated only where a value differs, and imp_changed records which.
func (w *batchWriter) upsert(ctx context.Context, kind, table, temp, joins string, stamped bool, cols []column) error {
	n, err := w.execCount(ctx, "write "+table, upsertSQL(kind, table, temp, joins, stamped, cols))
	w.changed.note(kind, false, n)
	return err
}

// upsertSQL is one statement that writes a staging table. Rows whose stored version
// already holds every value are left out before the insert, so that an unchanged row
// costs a hash-join probe and nothing else: no conflict check, no row lock, no WAL. A
// stored row that changes gets a new version (in a versioned table), and imp_changed
// keeps, for the audit log, each written row as it was (read by its primary key only
// for the rows updated, so that neither a first load nor an unchanged re-import pays
// for it) and as it is written (from RETURNING, so that the audit entries need not
// join the written table again).
func upsertSQL(kind, table, temp, joins string, stamped bool, cols []column) string {
	var names, exprs, sets, olds, news, stored, wanted []string
	for _, c := range cols {
		v := c.value("excluded."+c.name, "t."+c.name)
		want := c.value(c.expr, "o."+c.name)
		expr := c.expr
		if c.keep {
			// The stored value, read already, fills what the staged row leaves out,
			// before the NOT NULL constraints that are checked before ON CONFLICT.
			expr = want
		}
		if c.clear != "" {
			// ON CONFLICT's SET sees only the table's columns, not the staging row's
			// cleared list, so the value of a clearable column is settled in the
			// SELECT, against the stored row o it already reads, and SET takes it as
			// it is. Imports run one at a time (beginBatch), so o is the row the
			// insert conflicts with.
			to := c.clearTo
			if to == "" {
				to = "NULL"
			}
			want = fmt.Sprintf("CASE WHEN '%s' = ANY(i.cleared) THEN %s ELSE %s END", c.clear, to, want)
			expr, v = want, "excluded."+c.name
		}
		names = append(names, c.name)
		exprs = append(exprs, expr)
		sets = append(sets, c.name+" = "+v)
		olds = append(olds, "t."+c.name)
		news = append(news, v)
		stored = append(stored, "o."+c.name)
		wanted = append(wanted, want)
	}
	if stamped {
		sets = append(sets, "updated_at = now()")
	}
	if versioned(table) {
		sets = append(sets, "version = t.version + 1")
	}
	// The main statement and the insert in WITH share one snapshot: the main
	// statement reads an updated row as it was before the insert changed it.
	return fmt.Sprintf(`
WITH up AS (
    INSERT INTO %[1]s AS t (id, %[2]s)
    SELECT i.target, %[3]s FROM %[4]s i %[5]s LEFT JOIN %[1]s o ON o.id = i.target
    WHERE o.id IS NULL OR (%[6]s) IS DISTINCT FROM (%[7]s)
    ON CONFLICT (id) DO UPDATE SET %[8]s
    WHERE (%[9]s) IS DISTINCT FROM (%[10]s)
    RETURNING t.id, (t.xmax = 0) AS created, to_jsonb(t) AS after
)
INSERT INTO imp_changed (id, kind, created, before, after)
SELECT up.id, '%[11]s', up.created, CASE WHEN NOT up.created THEN (SELECT to_jsonb(b) FROM %[1]s b WHERE b.id = up.id) END,
    up.after
FROM up`,
		table, strings.Join(names, ", "), strings.Join(exprs, ", "), temp, joins,
		strings.Join(stored, ", "), strings.Join(wanted, ", "),
		strings.Join(sets, ", "), strings.Join(olds, ", "), strings.Join(news, ", "), kind)
}

// resolver says how the references of a kind find their rows, once the batch's
// entities of that kind are written: the LEFT JOINs from j (the reference) whose ids,
// in order, may answer it.
type resolver struct {
	joins string
	ids   []string
}

var resolvers = map[string]resolver{
	knowledge.KindSource: {`LEFT JOIN imp_sources e ON e.id = j.key_id LEFT JOIN sources a ON a.id = j.key_id LEFT JOIN sources u ON u.url = j.url`,
		[]string{"e.target", "a.id", "u.id"}},
	knowledge.KindCountry: {`LEFT JOIN countries c ON c.code = j.code LEFT JOIN countries q ON q.wikidata_qid = j.qid`,
		[]string{"c.id", "q.id"}},
	// A merged city's key, or an identifier of it that the survivor did not take over,
	// finds the survivor; an identifier a stored city holds comes first.
	knowledge.KindCity: {`LEFT JOIN imp_cities e ON e.id = j.key_id LEFT JOIN cities a ON a.id = j.key_id
    LEFT JOIN city_merges m ON m.merged_id = j.key_id
    LEFT JOIN cities q ON q.wikidata_qid = j.qid LEFT JOIN cities g ON g.geonames_id = j.gn
    LEFT JOIN city_merges mq ON mq.wikidata_qid = j.qid LEFT JOIN city_merges mg ON mg.geonames_id = j.gn`,
		[]string{"e.target", "a.id", "m.survivor_id", "q.id", "g.id", "mq.survivor_id", "mg.survivor_id"}},
	knowledge.KindOfficial: {`LEFT JOIN imp_officials e ON e.id = j.key_id
    LEFT JOIN officials a ON a.id = j.key_id LEFT JOIN officials q ON q.wikidata_qid = j.qid`,
		[]string{"e.target", "a.id", "q.id"}},
	knowledge.KindInstitution: {`LEFT JOIN imp_institutions e ON e.id = j.key_id
    LEFT JOIN institutions a ON a.id = j.key_id LEFT JOIN institutions q ON q.wikidata_qid = j.qid`,
		[]string{"e.target", "a.id", "q.id"}},
	knowledge.KindAgreement: {`LEFT JOIN imp_agreements e ON e.id = j.key_id
    LEFT JOIN agreements a ON a.id = j.key_id`,
		[]string{"e.target", "a.id"}},
	knowledge.KindPartnership: {`LEFT JOIN imp_partnerships e ON e.id = j.key_id
    LEFT JOIN partnerships a ON a.id = j.key_id LEFT JOIN partnership_merges m ON m.merged_id = j.key_id`,
		[]string{"e.target", "a.id", "m.survivor_id"}},
}

// resolve sets the target of every reference of kind, now that the entities of kind
// are written (resolvers).
func (w *batchWriter) resolve(ctx context.Context, kind string) error {
	r := resolvers[kind]
	query := fmt.Sprintf(`
WITH u AS (
    UPDATE imp_refs r SET target = coalesce(%s)
    FROM imp_refs j %s
    WHERE j.no = r.no AND j.kind = $1
    RETURNING r.no, r.target
)
SELECT no FROM u WHERE target IS NULL ORDER BY no`, strings.Join(r.ids, ", "), r.joins)
	var missing []int
	if err := w.tx.SelectContext(ctx, &missing, query, kind); err != nil {
		return fmt.Errorf("resolve %s references: %w", kind, err)
	}
	w.unknown(missing)
	return nil
}

// adopt points the staged rows of temp that are not stored under their own id but
// whose natural key a stored row holds at that row: matches is a query of (id, target)
// pairs over the staging table j and the stored table a row of which is found by id
// in "a.id = j.id".
func (w *batchWriter) adopt(ctx context.Context, what, temp, matches string) error {
	if w.meta.Mutation {
		return nil
	}
	res, err := w.tx.ExecContext(ctx, fmt.Sprintf(`
UPDATE %s i SET target = m.target FROM (%s) m WHERE i.id = m.id AND i.target <> m.target`, temp, matches))
	if err != nil {
		return fmt.Errorf("match %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("match %s: %w", what, err)
	}
	if n > 0 {
		w.adopted[temp] = true
	}
	return nil
}

func (w *batchWriter) sources(ctx context.Context) error {
	if err := w.adopt(ctx, "sources", "imp_sources", `
SELECT j.id, u.id AS target FROM imp_sources j JOIN sources u ON u.url = j.url
WHERE NOT EXISTS (SELECT 1 FROM sources a WHERE a.id = j.id)`); err != nil {
		return err
	}
	if err := w.problems(ctx, "sources", `
SELECT i.line, 'source.url' AS field, format('%s is already the URL of another source', i.url) AS message, 'CONFLICT' AS code
FROM imp_sources i JOIN sources s ON s.url = i.url WHERE s.id <> i.target
UNION ALL `+w.sameTarget("imp_sources", "source")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	if err := w.upsert(ctx, knowledge.KindSource, "sources", "imp_sources", "", true, []column{
		{name: "title", expr: "i.title", keep: true},
		{name: "publisher", expr: "i.publisher", keep: true, clear: "publisher"},
		{name: "url", expr: "i.url", keep: true, clear: "url"},
		{name: "published_on", expr: "i.published_on", keep: true, clear: "publishedOn"},
		precisionColumn("published_on", "publishedOn"),
		{name: "excerpt", expr: "i.excerpt", keep: true, clear: "excerpt"},
		{name: "languages", expr: "coalesce(string_to_array(i.languages, ','), '{}')",
			merge: func(nw, old string) string {
				return fmt.Sprintf("CASE WHEN %s = '{}' THEN %s ELSE %s END", nw, old, nw)
			}},
	}); err != nil {
		return err
	}
	return nil
}

func (w *batchWriter) countries(ctx context.Context) error {
	// A country is its code: a stored country with the code is the one, whatever its id.
	if err := w.adopt(ctx, "countries", "imp_countries", `
SELECT j.id, c.id AS target FROM imp_countries j JOIN countries c ON c.code = j.code`); err != nil {
		return err
	}
	if err := w.problems(ctx, "countries", `
SELECT i.line, 'country.wikidata' AS field, format('Wikidata id %s already belongs to another country', i.qid) AS message
FROM imp_countries i JOIN countries c ON c.wikidata_qid = i.qid WHERE c.id <> i.target ORDER BY 1`); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	if err := w.upsert(ctx, knowledge.KindCountry, "countries", "imp_countries", "", true, []column{
		{name: "code", expr: "i.code"},
		{name: "name", expr: "i.name"},
		{name: "wikidata_qid", expr: "i.qid", keep: true, clear: "wikidata"},
	}); err != nil {
		return err
	}
	// Other names are added, never removed; a country that gains one is updated.
	if err := w.link(ctx, "country_names", knowledge.KindCountry, `
INSERT INTO country_names (country_id, name)
SELECT DISTINCT n.target, n.name FROM (SELECT e.target, unnest(e.names) AS name FROM imp_countries e) n
    LEFT JOIN country_names o ON o.country_id = n.target AND o.name = n.name
WHERE o.country_id IS NULL
ON CONFLICT DO NOTHING
RETURNING country_id AS id`); err != nil {
		return err
	}
	return nil
}

// divisions writes the first-level divisions of admin1CodesASCII.txt. A division is
// its country and code: the id its key derives is the same in every database, so no
// stored row can hold the pair under another id.
func (w *batchWriter) divisions(ctx context.Context) error {
	if len(w.b.Divisions) == 0 {
		return nil
	}
	if err := w.problems(ctx, "divisions", `
SELECT i.line, 'division.geonames' AS field, format('GeoNames id %s already belongs to another division', i.gn) AS message
FROM imp_divisions i JOIN divisions d ON d.geonames_id = i.gn WHERE d.id <> i.target ORDER BY 1`); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	return w.upsert(ctx, knowledge.KindDivision, "divisions", "imp_divisions", "JOIN imp_refs rc ON rc.no = i.country_ref", true, []column{
		{name: "country_id", expr: "rc.target"},
		{name: "code", expr: "i.code"},
		{name: "name", expr: "i.name"},
		{name: "ascii_name", expr: "i.ascii_name", keep: true},
		{name: "geonames_id", expr: "i.gn", keep: true},
	})
}

func (w *batchWriter) cities(ctx context.Context) error {
	if err := w.mergedCities(ctx); err != nil {
		return err
	}
	// Only a stored city with a Wikidata or GeoNames id can be adopted, and only by a
	// file's record (a mutation's names its city by id). On a first load there is
	// none, and asking costs less than matching every staged city (the planner,
	// knowing nothing of the empty table, hashes the staged rows).
	if !w.meta.Mutation {
		var adoptable bool
		// GeoNames first: where a gazetteer is loaded, the first city answers, while
		// finding no Wikidata id reads the whole table (23 ms of a re-import).
		if err := w.tx.GetContext(ctx, &adoptable, `SELECT EXISTS (SELECT 1 FROM cities WHERE geonames_id IS NOT NULL)
    OR EXISTS (SELECT 1 FROM cities WHERE wikidata_qid IS NOT NULL)`); err != nil {
			return fmt.Errorf("match cities: %w", err)
		}
		// A Wikidata match wins over a GeoNames one: it is the more curated identifier.
		if adoptable {
			if err := w.adopt(ctx, "cities", "imp_cities", `
SELECT j.id, coalesce(q.id, g.id) AS target
FROM imp_cities j LEFT JOIN cities q ON q.wikidata_qid = j.qid LEFT JOIN cities g ON g.geonames_id = j.gn
WHERE (q.id IS NOT NULL OR g.id IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM cities a WHERE a.id = j.id)`); err != nil {
				return err
			}
		}
		if err := w.adoptByName(ctx); err != nil {
			return err
		}
		// The id a line's key derives keeps answering with the city the line took over
		// (migration 00017), whichever came first.
		if w.adopted["imp_cities"] {
			if err := w.exec(ctx, "keep adopted city ids", `
INSERT INTO city_merges (merged_id, survivor_id, actor, adopted)
SELECT DISTINCT ON (i.id) i.id, i.target, $1, true FROM imp_cities i WHERE i.id <> i.target
ON CONFLICT (merged_id) DO NOTHING`, w.meta.Actor.Name); err != nil {
				return err
			}
		}
	}
	// A city that states no identifier cannot take one another holds, and only adopted
	// rows can meet at one target: a mutation of a population asks nothing.
	identified := w.adopted["imp_cities"]
	for _, c := range w.cityRecords() {
		identified = identified || c.Wikidata != "" || c.GeoNames != nil
	}
	if !identified {
		return w.writeCities(ctx)
	}
	if err := w.problems(ctx, "cities", `
SELECT i.line, 'city.wikidata' AS field, format('Wikidata id %s already belongs to another city', i.qid) AS message, 'CONFLICT' AS code
FROM imp_cities i JOIN cities c ON c.wikidata_qid = i.qid WHERE c.id <> i.target
UNION ALL
SELECT i.line, 'city.geonames', format('GeoNames id %s already belongs to another city', i.gn), 'CONFLICT'
FROM imp_cities i JOIN cities c ON c.geonames_id = i.gn WHERE c.id <> i.target
UNION ALL `+w.sameTarget("imp_cities", "city")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	return w.writeCities(ctx)
}

// writeCities writes the staged cities.
func (w *batchWriter) writeCities(ctx context.Context) error {
	return w.upsert(ctx, knowledge.KindCity, "cities", "imp_cities", "LEFT JOIN imp_refs rc ON rc.no = i.country_ref", true, []column{
		{name: "country_id", expr: "rc.target", keep: true},
		{name: "name", expr: "i.name", keep: true},
		{name: "population", expr: "i.population", keep: true, clear: "population"},
		{name: "latitude", expr: "i.latitude", keep: true, clear: "latitude"},
		{name: "longitude", expr: "i.longitude", keep: true, clear: "longitude"},
		{name: "wikidata_qid", expr: "i.qid", keep: true, clear: "wikidata"},
		{name: "geonames_id", expr: "i.gn", keep: true, clear: "geonames"},
		{name: "admin1_code", expr: "i.admin1", keep: true},
	})
}

// adoptByName lets a gazetteer's row take over a city stored without a GeoNames id,
// such as one a partner's list created by name, when it is that city by the rule of
// references by name (docs/import.md, "Cities by name"): the same country, a stored
// name or alias that folds to the row's name, and then the nearest such row within
// ReconcileMaxKm when both have coordinates, or the only such row of the file when
// the stored city has none. The stored city keeps its id and gains the row's values;
// the row's own id answers with it (migration 00017). A stored city two rows tie for
// is left for an operator (amity merge-candidates).
func (w *batchWriter) adoptByName(ctx context.Context) error {
	var unplaced bool
	if err := w.tx.GetContext(ctx, &unplaced, `SELECT EXISTS (SELECT 1 FROM cities WHERE geonames_id IS NULL)`); err != nil || !unplaced {
		return err
	}
	return w.adopt(ctx, "cities by name", "imp_cities", fmt.Sprintf(`
WITH s AS (
    SELECT c.id, c.country_id, c.latitude, c.longitude, n.folded
    FROM cities c CROSS JOIN LATERAL (SELECT c.name_fold AS folded
        UNION SELECT x.name_fold FROM city_names x WHERE x.city_id = c.id) n
    WHERE c.geonames_id IS NULL
), j AS (
    SELECT i.id, rc.target AS country_id, amity_fold(i.name) AS folded, i.latitude, i.longitude
    FROM imp_cities i JOIN imp_refs rc ON rc.no = i.country_ref
    WHERE i.gn IS NOT NULL AND i.id = i.target AND rc.target IN (SELECT country_id FROM s)
        AND NOT EXISTS (SELECT 1 FROM cities a WHERE a.id = i.id)
), m AS (
    SELECT DISTINCT j.id, s.id AS target, s.latitude IS NULL AS unplaced,
        CASE WHEN s.latitude IS NOT NULL AND j.latitude IS NOT NULL THEN earth_distance(
            ll_to_earth(s.latitude, s.longitude), ll_to_earth(j.latitude, j.longitude)) / 1000 END AS km
    FROM s JOIN j ON j.country_id = s.country_id AND j.folded = s.folded
), counted AS (
    SELECT m.*, count(*) OVER (PARTITION BY target) AS rows FROM m
), chosen AS (
    SELECT DISTINCT ON (target) id, target, km FROM counted
    WHERE km <= %g OR (unplaced AND rows = 1)
    ORDER BY target, km NULLS LAST, id
)
SELECT DISTINCT ON (id) id, target FROM chosen ORDER BY id, km NULLS LAST, target`, ReconcileMaxKm))
}

// mergedCities takes out of the staged cities those that are a merged city
// (MergeCities): its id (the file's key, such as the file that first created it, read
// again), or a Wikidata or GeoNames id it kept as a statement that no stored city
// holds. Such a line is read as a reference to the survivor, which resolve finds: its
// values do not overwrite the survivor's, which the merge decided, and the merge moved
// its names and citations already. Nothing is recreated.
func (w *batchWriter) mergedCities(ctx context.Context) error {
	if w.meta.Mutation {
		return nil // a mutation names its city by a stored id (stageAndLock) or a new one
	}
	var merges bool
	if err := w.tx.GetContext(ctx, &merges, `SELECT EXISTS (SELECT 1 FROM city_merges)`); err != nil || !merges {
		return err
	}
	return w.exec(ctx, "match merged cities", `
DELETE FROM imp_cities j
WHERE j.id IN (SELECT merged_id FROM city_merges WHERE NOT adopted)
    OR (j.qid IN (SELECT wikidata_qid FROM city_merges) AND NOT EXISTS (SELECT 1 FROM cities c WHERE c.wikidata_qid = j.qid))
    OR (j.gn IN (SELECT geonames_id FROM city_merges) AND NOT EXISTS (SELECT 1 FROM cities c WHERE c.geonames_id = j.gn))`)
}

func (w *batchWriter) officials(ctx context.Context) error {
	if err := w.adopt(ctx, "officials", "imp_officials", `
SELECT j.id, q.id AS target FROM imp_officials j JOIN officials q ON q.wikidata_qid = j.qid
WHERE NOT EXISTS (SELECT 1 FROM officials a WHERE a.id = j.id)`); err != nil {
		return err
	}
	if err := w.problems(ctx, "officials", `
SELECT i.line, 'official.wikidata' AS field, format('Wikidata id %s already belongs to another official', i.qid) AS message, 'CONFLICT' AS code
FROM imp_officials i JOIN officials o ON o.wikidata_qid = i.qid WHERE o.id <> i.target
UNION ALL `+w.sameTarget("imp_officials", "official")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	if err := w.upsert(ctx, knowledge.KindOfficial, "officials", "imp_officials", "LEFT JOIN imp_refs rc ON rc.no = i.city_ref", true, []column{
		{name: "name", expr: "i.name", keep: true},
		{name: "title", expr: "i.title", keep: true, clear: "title"},
		{name: "city_id", expr: "rc.target", keep: true, clear: "city"},
		{name: "wikidata_qid", expr: "i.qid", keep: true, clear: "wikidata"},
	}); err != nil {
		return err
	}
	return nil
}

func (w *batchWriter) institutions(ctx context.Context) error {
	if err := w.adopt(ctx, "institutions", "imp_institutions", `
SELECT j.id, q.id AS target FROM imp_institutions j JOIN institutions q ON q.wikidata_qid = j.qid
WHERE NOT EXISTS (SELECT 1 FROM institutions a WHERE a.id = j.id)`); err != nil {
		return err
	}
	if err := w.problems(ctx, "institutions", `
SELECT i.line, 'institution.wikidata' AS field, format('Wikidata id %s already belongs to another institution', i.qid) AS message, 'CONFLICT' AS code
FROM imp_institutions i JOIN institutions o ON o.wikidata_qid = i.qid WHERE o.id <> i.target
UNION ALL `+w.sameTarget("imp_institutions", "institution")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	if err := w.upsert(ctx, knowledge.KindInstitution, "institutions", "imp_institutions", "LEFT JOIN imp_refs rc ON rc.no = i.city_ref", true, []column{
		{name: "name", expr: "i.name", keep: true},
		{name: "kind", expr: "i.kind", keep: true},
		{name: "city_id", expr: "rc.target", keep: true},
		{name: "founded_on", expr: "i.founded_on", keep: true, clear: "foundedOn"},
		precisionColumn("founded_on", "foundedOn"),
		{name: "description", expr: "i.description", keep: true, clear: "description"},
		{name: "wikidata_qid", expr: "i.qid", keep: true, clear: "wikidata"},
	}); err != nil {
		return err
	}
	return nil
}

func (w *batchWriter) agreements(ctx context.Context) error {
	if err := w.upsert(ctx, knowledge.KindAgreement, "agreements", "imp_agreements", "LEFT JOIN imp_refs rc ON rc.no = i.signed_in_ref", true, []column{
		{name: "title", expr: "i.title", keep: true},
		{name: "kind", expr: "i.kind", keep: true},
		{name: "signed_on", expr: "i.signed_on", keep: true, clear: "signedOn"},
		precisionColumn("signed_on", "signedOn"),
		{name: "signed_in_id", expr: "rc.target", keep: true, clear: "signedIn"},
		{name: "summary", expr: "i.summary", keep: true, clear: "summary"},
	}); err != nil {
		return err
	}
	return nil
}

func (w *batchWriter) partnerships(ctx context.Context) error {
	// The store keeps each tie once in canonical order, so the order is only known
	// once both cities are resolved to ids.
	if err := w.exec(ctx, "match partnerships", `
UPDATE imp_partnerships i SET city_a = least(a.target, b.target), city_b = greatest(a.target, b.target)
FROM imp_refs a, imp_refs b WHERE a.no = i.a_ref AND b.no = i.b_ref`); err != nil {
		return err
	}
	// A partnership joined to another when its city was merged is that one: the line
	// that stated it is read as a reference (resolve), as a merged city's is.
	// A mutation names its partnership by a stored id (stageAndLock) or a new one.
	joined := false
	if !w.meta.Mutation {
		if err := w.tx.GetContext(ctx, &joined, `SELECT EXISTS (SELECT 1 FROM partnership_merges)`); err != nil {
			return fmt.Errorf("match partnerships: %w", err)
		}
	}
	if joined {
		if err := w.exec(ctx, "match joined partnerships", `DELETE FROM imp_partnerships WHERE id IN (SELECT merged_id FROM partnership_merges)`); err != nil {
			return err
		}
	}
	if err := w.adopt(ctx, "partnerships", "imp_partnerships", `
SELECT j.id, n.id AS target
FROM imp_partnerships j JOIN partnerships n ON n.city_a_id = j.city_a AND n.city_b_id = j.city_b AND n.kind = j.kind
WHERE NOT EXISTS (SELECT 1 FROM partnerships a WHERE a.id = j.id)`); err != nil {
		return err
	}
	if err := w.problems(ctx, "partnerships", `
SELECT line, 'partnership.cities' AS field, 'both references name the same city' AS message, '' AS code
FROM imp_partnerships WHERE city_a = city_b
UNION ALL
SELECT i.line, 'partnership.cities', format('another %s partnership of these two cities is already stored', i.kind), 'CONFLICT'
FROM imp_partnerships i JOIN partnerships p ON p.city_a_id = i.city_a AND p.city_b_id = i.city_b AND p.kind = i.kind
WHERE p.id <> i.target
UNION ALL
-- The same pair listed twice in the file under two keys, written as references of two
-- forms (a key and a GeoNames id) that the file's own check cannot see are one city.
SELECT line, 'partnership.cities', format('another %s partnership of these two cities is on line %s', kind, first), ''
FROM (SELECT line, kind, target, min(line) OVER w AS first, first_value(target) OVER w AS first_target
      FROM imp_partnerships WHERE city_a <> city_b
      WINDOW w AS (PARTITION BY city_a, city_b, kind ORDER BY line)) d
WHERE line <> first AND target <> first_target
UNION ALL `+w.sameTarget("imp_partnerships", "partnership")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	if err := w.upsert(ctx, knowledge.KindPartnership, "partnerships", "imp_partnerships", "LEFT JOIN imp_refs ra ON ra.no = i.agreement_ref", true, []column{
		{name: "kind", expr: "i.kind", keep: true},
		{name: "city_a_id", expr: "i.city_a", keep: true},
		{name: "city_b_id", expr: "i.city_b", keep: true},
		{name: "since", expr: "i.since", keep: true, clear: "since"},
		precisionColumn("since", "since"),
		{name: "until", expr: "i.until", keep: true, clear: "until"},
		precisionColumn("until", "until"),
		{name: "agreement_id", expr: "ra.target", keep: true, clear: "agreement"},
	}); err != nil {
		return err
	}
	return nil
}

func (w *batchWriter) figures(ctx context.Context) error {
	// A source states one value of a metric for a city and date: a figure with the same
	// four is the same figure, whatever its key.
	if err := w.adopt(ctx, "figures", "imp_figures", `
SELECT j.id, n.id AS target
FROM imp_figures j JOIN imp_refs c ON c.no = j.city_ref JOIN imp_refs s ON s.no = j.source_ref
    JOIN reported_figures n ON n.city_id = c.target AND n.metric = j.metric
        AND n.as_of IS NOT DISTINCT FROM j.as_of AND n.as_of_precision = j.as_of_precision AND n.source_id = s.target
WHERE NOT EXISTS (SELECT 1 FROM reported_figures a WHERE a.id = j.id)`); err != nil {
		return err
	}
	if err := w.problems(ctx, "figures", w.sameTarget("imp_figures", "figure")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	return w.upsert(ctx, knowledge.KindFigure, "reported_figures", "imp_figures",
		"JOIN imp_refs rc ON rc.no = i.city_ref JOIN imp_refs rs ON rs.no = i.source_ref", false, []column{
			{name: "city_id", expr: "rc.target"},
			{name: "metric", expr: "i.metric"},
			{name: "value", expr: "i.value"},
			{name: "as_of", expr: "i.as_of"},
			{name: "as_of_precision", expr: "i.as_of_precision"},
			{name: "source_id", expr: "rs.target"},
		})
}

// link runs an insert of link rows that returns the id of the entity each inserted
// or changed link belongs to (as id), and records those entities as updated unless
// they were just created or updated. The insert leaves out, by an anti-join, the links
// already stored as they are, so that a repeated file writes nothing.
func (w *batchWriter) link(ctx context.Context, what, kind, insert string) error {
	query := fmt.Sprintf(`
WITH ins AS (%s)
INSERT INTO imp_changed (id, kind, created, linked)
SELECT DISTINCT id, '%s', false, true FROM ins WHERE NOT EXISTS (SELECT 1 FROM imp_changed c WHERE c.id = ins.id)`, insert, kind)
	n, err := w.execCount(ctx, "write "+what, query)
	w.changed.note(kind, true, n)
	return err
}

func (w *batchWriter) links(ctx context.Context) error {
	b := w.b
	has := map[string]bool{
		knowledge.KindCity: len(w.cityRecords()) > 0, knowledge.KindOfficial: len(b.Officials) > 0,
		knowledge.KindInstitution: len(b.Institutions) > 0, knowledge.KindAgreement: len(b.Agreements) > 0,
		knowledge.KindPartnership: len(b.Partnerships) > 0,
	}
	for _, c := range w.cityRecords() {
		has["city names"] = has["city names"] || len(c.Names) > 0
	}
	for _, o := range b.Officials {
		has["official names"] = has["official names"] || len(o.Names) > 0
	}
	// Two references in different forms may name the same row; caught here with the
	// line, rather than as a constraint violation without one.
	if w.linkRels["agreement.party"] || w.linkRels["agreement.signatory"] {
		if err := w.problems(ctx, "agreement links", `
SELECT min(e.line) AS line, 'agreement.' || CASE l.rel WHEN 'party' THEN 'parties' ELSE 'signatories' END AS field,
    CASE l.rel WHEN 'party' THEN 'two parties name the same city' ELSE 'two signatories name the same official' END AS message
FROM imp_links l JOIN imp_agreements e ON e.id = l.subject JOIN imp_refs r ON r.no = l.ref
WHERE l.rel IN ('party', 'signatory')
GROUP BY e.id, l.rel, r.target HAVING count(*) > 1
ORDER BY 1`); err != nil || w.ps.Len() > 0 {
			return err
		}
	}
	// The links look up imp_changed by hash: it needs its row count.
	if w.rows >= hashJoinRows {
		if err := w.exec(ctx, "analyze imp_changed", `ANALYZE imp_changed`); err != nil {
			return err
		}
	}
	if err := w.replaceLists(ctx); err != nil || w.ps.Len() > 0 {
		return err
	}
	for _, k := range []struct{ kind, table, col, temp string }{
		{knowledge.KindCity, "city_names", "city_id", "imp_cities"},
		{knowledge.KindOfficial, "official_names", "official_id", "imp_officials"},
	} {
		if !has[k.kind+" names"] {
			continue
		}
		if w.bulk && k.table == "city_names" {
			if err := w.bulkNames(ctx); err != nil {
				return err
			}
			continue
		}
		if err := w.link(ctx, k.table, k.kind, fmt.Sprintf(`
INSERT INTO %[1]s AS t (%[2]s, language, name, source_id)
SELECT n.target, n.language, n.name, r.target
FROM %[3]s LEFT JOIN imp_refs r ON r.no = n.source_ref
    LEFT JOIN %[1]s o ON o.%[2]s = n.target AND o.language = n.language AND o.name = n.name
WHERE o.%[2]s IS NULL OR (r.target IS NOT NULL AND o.source_id IS DISTINCT FROM r.target)
ON CONFLICT (%[2]s, language, name) DO UPDATE SET source_id = excluded.source_id
WHERE excluded.source_id IS NOT NULL AND t.source_id IS DISTINCT FROM excluded.source_id
RETURNING t.%[2]s AS id`, k.table, k.col, unnestNames(k.temp))); err != nil {
			return err
		}
	}
	for _, k := range []struct{ kind, temp string }{
		{knowledge.KindCity, "imp_cities"}, {knowledge.KindOfficial, "imp_officials"},
		{knowledge.KindInstitution, "imp_institutions"}, {knowledge.KindAgreement, "imp_agreements"},
		{knowledge.KindPartnership, "imp_partnerships"},
	} {
		if !has[k.kind] {
			continue
		}
		// Two references in different forms may name one source.
		distinct, conflict := "", "ON CONFLICT DO NOTHING"
		if w.bulk && k.kind == knowledge.KindCity {
			distinct, conflict = "DISTINCT", "" // no primary key to arbitrate, and no other writer
			allNew, err := w.allCitiesCreated(ctx)
			if err != nil {
				return err
			}
			if allNew { // as for their names (bulkNames)
				if err := w.exec(ctx, "write city_sources", `
INSERT INTO city_sources (city_id, source_id)
SELECT DISTINCT l.target, r.target FROM (SELECT e.target, unnest(e.srcs) AS ref FROM imp_cities e) l JOIN imp_refs r ON r.no = l.ref`); err != nil {
					return err
				}
				continue
			}
		}
		if err := w.link(ctx, k.kind+"_sources", k.kind, fmt.Sprintf(`
INSERT INTO %[1]s_sources (%[1]s_id, source_id)
SELECT %[4]s l.target, r.target FROM (SELECT e.target, unnest(e.srcs) AS ref FROM %[2]s e) l JOIN imp_refs r ON r.no = l.ref
    LEFT JOIN %[1]s_sources o ON o.%[1]s_id = l.target AND o.source_id = r.target
WHERE o.%[1]s_id IS NULL
%[3]s
RETURNING %[1]s_id AS id`, k.kind, k.temp, conflict, distinct)); err != nil {
			return err
		}
	}
	inserts := []struct{ what, rel, query string }{
		{"agreement_parties", "agreement.party", `
INSERT INTO agreement_parties AS t (agreement_id, city_id, position)
SELECT e.target, r.target, l.pos FROM imp_links l JOIN imp_agreements e ON e.id = l.subject JOIN imp_refs r ON r.no = l.ref
    LEFT JOIN agreement_parties o ON o.agreement_id = e.target AND o.city_id = r.target
WHERE l.rel = 'party' AND (o.agreement_id IS NULL OR o.position <> l.pos)
ON CONFLICT (agreement_id, city_id) DO UPDATE SET position = excluded.position WHERE t.position <> excluded.position
RETURNING t.agreement_id AS id`},
		{"agreement_areas", "agreement.area", `
INSERT INTO agreement_areas (agreement_id, area)
SELECT e.target, l.txt FROM imp_links l JOIN imp_agreements e ON e.id = l.subject
    LEFT JOIN agreement_areas o ON o.agreement_id = e.target AND o.area = l.txt
WHERE l.rel = 'area' AND o.agreement_id IS NULL
ON CONFLICT DO NOTHING
RETURNING agreement_id AS id`},
		{"signatories", "agreement.signatory", `
INSERT INTO signatories AS t (agreement_id, official_id, party_city_id, role, position)
SELECT e.target, r.target, p.target, l.txt, l.pos
FROM imp_links l JOIN imp_agreements e ON e.id = l.subject JOIN imp_refs r ON r.no = l.ref JOIN imp_refs p ON p.no = l.ref2
    LEFT JOIN signatories o ON o.agreement_id = e.target AND o.official_id = r.target
WHERE l.rel = 'signatory' AND (o.agreement_id IS NULL
    OR (o.party_city_id, o.role, o.position) IS DISTINCT FROM (p.target, coalesce(l.txt, o.role), l.pos))
ON CONFLICT (agreement_id, official_id) DO UPDATE
SET party_city_id = excluded.party_city_id, role = coalesce(excluded.role, t.role), position = excluded.position
WHERE (t.party_city_id, t.role, t.position) IS DISTINCT FROM (excluded.party_city_id, coalesce(excluded.role, t.role), excluded.position)
RETURNING t.agreement_id AS id`},
		{"institution_agreements", "agreement.institution", `
INSERT INTO institution_agreements (institution_id, agreement_id)
SELECT r.target, e.target FROM imp_links l JOIN imp_agreements e ON e.id = l.subject JOIN imp_refs r ON r.no = l.ref
    LEFT JOIN institution_agreements o ON o.institution_id = r.target AND o.agreement_id = e.target
WHERE l.kind = 'agreement' AND l.rel = 'institution' AND o.agreement_id IS NULL
ON CONFLICT DO NOTHING
RETURNING agreement_id AS id`},
		{"institution_agreements", "institution.agreement", `
INSERT INTO institution_agreements (institution_id, agreement_id)
SELECT e.target, r.target FROM imp_links l JOIN imp_institutions e ON e.id = l.subject JOIN imp_refs r ON r.no = l.ref
    LEFT JOIN institution_agreements o ON o.institution_id = e.target AND o.agreement_id = r.target
WHERE l.kind = 'institution' AND l.rel = 'agreement' AND o.institution_id IS NULL
ON CONFLICT DO NOTHING
RETURNING institution_id AS id`},
	}
	for _, in := range inserts {
		if !w.linkRels[in.rel] {
			continue // no link of this kind and relation staged
		}
		kind, _, _ := strings.Cut(in.rel, ".")
		if err := w.link(ctx, in.what, kind, in.query); err != nil {
			return err
		}
	}
	return nil
}

// statementSubject is the subject of a statement row (its only non-NULL subject column).
func statementSubject(row string) string {
	return fmt.Sprintf(`coalesce(%[1]s.city_id, %[1]s.official_id, %[1]s.agreement_id, %[1]s.institution_id, %[1]s.partnership_id)`, row)
}

// statements writes the file's statements. A statement is not an entity of its own:
// one created or changed changes its subject, as a name or a citation does. A stored
// statement with the same subject, property, source and value is the same statement,
// whatever the identifiers the file refers to them by (which its key derives from).
func (w *batchWriter) statements(ctx context.Context) error {
	if len(w.b.Statements) == 0 {
		return nil
	}
	if err := w.adopt(ctx, "statements", "imp_statements", `
SELECT j.id, s.id AS target
FROM imp_statements j JOIN imp_refs rs ON rs.no = j.subject_ref JOIN imp_refs src ON src.no = j.source_ref
    JOIN statements s ON `+statementSubject("s")+` = rs.target AND s.property = j.property AND s.value = j.value
        AND s.source_id = src.target
WHERE NOT EXISTS (SELECT 1 FROM statements a WHERE a.id = j.id)`); err != nil {
		return err
	}
	if err := w.problems(ctx, "statements", w.sameTarget("imp_statements", "statement")); err != nil {
		return err
	}
	if w.ps.Len() > 0 {
		return nil
	}
	subject := func(kind string) string {
		return fmt.Sprintf("CASE WHEN i.subject_kind = '%s' THEN i.subject END", kind)
	}
	// A statement's position is its place among the file's statements about its
	// subject, in file order, which is how a client lists them.
	n, err := w.execCount(ctx, "write statements", fmt.Sprintf(`
WITH i AS (
    SELECT i.target, i.subject_kind, rs.target AS subject, i.property, i.value, src.target AS source, i.quote,
        (row_number() OVER (PARTITION BY rs.target ORDER BY i.line) - 1)::int AS position
    FROM imp_statements i JOIN imp_refs rs ON rs.no = i.subject_ref JOIN imp_refs src ON src.no = i.source_ref
), ins AS (
    INSERT INTO statements AS t (id, city_id, official_id, agreement_id, institution_id, partnership_id,
        property, value, source_id, quote, position)
    SELECT i.target, %s, %s, %s, %s, %s, i.property, i.value, i.source, i.quote, i.position
    FROM i LEFT JOIN statements o ON o.id = i.target
    WHERE o.id IS NULL OR (`+statementSubject("o")+`, o.property, o.value, o.source_id, o.quote, o.position)
        IS DISTINCT FROM (i.subject, i.property, i.value, i.source, coalesce(i.quote, o.quote), i.position)
    ON CONFLICT (id) DO UPDATE SET city_id = excluded.city_id, official_id = excluded.official_id,
        agreement_id = excluded.agreement_id, institution_id = excluded.institution_id,
        partnership_id = excluded.partnership_id, property = excluded.property, value = excluded.value,
        source_id = excluded.source_id, quote = coalesce(excluded.quote, t.quote), position = excluded.position
    RETURNING `+statementSubject("t")+` AS id, CASE WHEN t.city_id IS NOT NULL THEN 'city'
        WHEN t.official_id IS NOT NULL THEN 'official' WHEN t.agreement_id IS NOT NULL THEN 'agreement'
        WHEN t.institution_id IS NOT NULL THEN 'institution' ELSE 'partnership' END AS kind
)
INSERT INTO imp_changed (id, kind, created, linked)
SELECT DISTINCT id, kind, false, true FROM ins WHERE NOT EXISTS (SELECT 1 FROM imp_changed c WHERE c.id = ins.id)`,
		subject(knowledge.KindCity), subject(knowledge.KindOfficial), subject(knowledge.KindAgreement),
		subject(knowledge.KindInstitution), subject(knowledge.KindPartnership)))
	for _, k := range []string{knowledge.KindCity, knowledge.KindOfficial, knowledge.KindAgreement,
		knowledge.KindInstitution, knowledge.KindPartnership} {
		w.changed.note(k, true, n) // the subjects' kinds are in the rows, not known here
	}
	return err
}

// bulkNames writes the names of the staged cities during a bulk load, when
// city_names has no primary key to arbitrate an ON CONFLICT: new names by a plain
// insert, and a new source of a stored name by an update.
func (w *batchWriter) bulkNames(ctx context.Context) error {
	allNew, err := w.allCitiesCreated(ctx)
	if err != nil {
		return err
	}
	if allNew {
		// Every name is new and every city is in imp_changed already, as created: a
		// plain insert, with nothing to compare and no change to note.
		return w.exec(ctx, "write city_names", `
INSERT INTO city_names (city_id, language, name, source_id)
SELECT n.target, n.language, n.name, r.target
FROM `+unnestNames("imp_cities")+` LEFT JOIN imp_refs r ON r.no = n.source_ref`)
	}
	if err := w.link(ctx, "city_names", knowledge.KindCity, `
INSERT INTO city_names (city_id, language, name, source_id)
SELECT n.target, n.language, n.name, r.target
FROM `+unnestNames("imp_cities")+` LEFT JOIN imp_refs r ON r.no = n.source_ref
    LEFT JOIN city_names o ON o.city_id = n.target AND o.language = n.language AND o.name = n.name
WHERE o.city_id IS NULL
RETURNING city_id AS id`); err != nil {
		return err
	}
	// Only a city stored before this import can have a stored name to cite a source for.
	return w.link(ctx, "city_names", knowledge.KindCity, `
UPDATE city_names t SET source_id = r.target
FROM `+unnestNames("imp_cities", "NOT EXISTS (SELECT 1 FROM imp_changed c WHERE c.id = e.target AND c.created)")+`
    JOIN imp_refs r ON r.no = n.source_ref
WHERE t.city_id = n.target AND t.language = n.language AND t.name = n.name AND t.source_id IS DISTINCT FROM r.target
RETURNING t.city_id AS id`)
}

// allCitiesCreated reports whether a bulk load created every city it staged, as a first
// load does: then none of them has a stored name or citation, and their names and
// citations are written without looking for one. It asks once.
func (w *batchWriter) allCitiesCreated(ctx context.Context) (bool, error) {
	if w.allNew == nil {
		var created int
		if err := w.tx.GetContext(ctx, &created, `SELECT count(*) FROM imp_changed WHERE kind = $1 AND created`, knowledge.KindCity); err != nil {
			return false, fmt.Errorf("count created cities: %w", err)
		}
		allNew := created == len(w.cityRecords())
		w.allNew = &allNew
	}
	return *w.allNew, nil
}

// unnestNames is the names of the entities staged in temp, one row each (n: target,
// language, name, source_ref), of the entities e that pass the conditions.
func unnestNames(temp string, conds ...string) string {
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	// unnest in the select list runs the three arrays in step, without the tuplestore
	// that a function in FROM fills for every row.
	return fmt.Sprintf(`(SELECT e.target, unnest(e.name_langs) AS language, unnest(e.names) AS name,
    unnest(e.name_srcs) AS source_ref FROM %s e %s) n`, temp, where)
}

// counts reads back what happened to every staged entity: created or updated as
// imp_changed says, unchanged otherwise.
func (w *batchWriter) counts(ctx context.Context) (map[string]knowledge.BatchCounts, error) {
	b := w.b
	totals := map[string]int{
		knowledge.KindSource: len(b.Sources), knowledge.KindCountry: len(b.Countries), knowledge.KindDivision: len(b.Divisions),
		knowledge.KindCity:     len(w.cityRecords()),
		knowledge.KindOfficial: len(b.Officials), knowledge.KindInstitution: len(b.Institutions),
		knowledge.KindAgreement: len(b.Agreements), knowledge.KindPartnership: len(b.Partnerships), knowledge.KindFigure: len(b.Figures),
	}
	var rows []struct {
		Kind    string `db:"kind"`
		Created int64  `db:"created"`
		Updated int64  `db:"updated"`
	}
	if err := w.tx.SelectContext(ctx, &rows, `SELECT kind, count(*) FILTER (WHERE created) AS created,
    count(*) FILTER (WHERE NOT created) AS updated FROM imp_changed GROUP BY kind`); err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	changed := map[string]knowledge.BatchCounts{}
	for _, r := range rows {
		changed[r.Kind] = knowledge.BatchCounts{Created: r.Created, Updated: r.Updated}
	}
	out := map[string]knowledge.BatchCounts{}
	for _, k := range knowledge.Kinds {
		if totals[k] > 0 {
			c := changed[k]
			c.Unchanged = int64(totals[k]) - c.Created - c.Updated
			out[k] = c
		}
	}
	return out, nil
}
