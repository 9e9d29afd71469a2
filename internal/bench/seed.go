package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/amity/amity/internal/postgres"
)

// SeedOptions says which database to fill, and how.
type SeedOptions struct {
	URL   string
	Scale Scale
	// Recreate drops the database first if it exists. Without it, an existing database
	// must be empty (no tables) or hold this very data set already.
	Recreate bool
	// IfMissing skips the seed when the database already holds this data set (same
	// scale and generator version).
	IfMissing bool
	// Workers is how many connections load and index in parallel (default 3).
	Workers int
	Log     io.Writer
}

// Timing is how long one phase of the seed took.
type Timing struct {
	Phase string
	Took  time.Duration
}

// SeedResult reports what Seed did.
type SeedResult struct {
	Skipped bool
	Rows    map[string]int64
	Timings []Timing
	Total   time.Duration
}

// Seed fills a bench database with the synthetic data set of a scale, through the
// project's own migrations: it creates the database if needed, migrates it, drops every
// index and constraint but CHECKs, COPYs the rows in, recreates what it dropped and
// VACUUM ANALYZEs the tables. The database comment records the data set, so a later
// seed with IfMissing can tell that nothing is to do.
func Seed(ctx context.Context, o SeedOptions) (*SeedResult, error) {
	if o.Workers <= 0 {
		o.Workers = 3
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	res := &SeedResult{Rows: map[string]int64{}}
	start := time.Now()
	last := start
	phase := func(name string) {
		now := time.Now()
		res.Timings = append(res.Timings, Timing{name, now.Sub(last)})
		fmt.Fprintf(o.Log, "  %-28s %6.1fs\n", name, now.Sub(last).Seconds())
		last = now
	}

	fresh, err := prepareDatabase(ctx, o)
	if err != nil {
		return nil, err
	}
	if !fresh {
		// The data set is there; bring its schema up to date as a server start would.
		db, err := sql.Open("postgres", o.URL)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if err := postgres.Migrate(ctx, db); err != nil {
			return nil, err
		}
		res.Skipped = true
		return res, nil
	}

	db, err := sql.Open("postgres", o.URL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(o.Workers + 1)
	if err := postgres.Migrate(ctx, db); err != nil {
		return nil, err
	}
	phase("create and migrate")

	d := generate(o.Scale)
	phase("generate (in memory)")

	ddl, err := dropConstraints(ctx, db)
	if err != nil {
		return nil, err
	}
	phase("drop indexes and keys")

	var mu sync.Mutex
	jobs := copyJobs(d)
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].weight > jobs[j].weight })
	err = parallel(ctx, o.Workers, len(jobs), func(ctx context.Context, i int) error {
		n, err := copyTable(ctx, db, jobs[i])
		mu.Lock()
		res.Rows[jobs[i].table] = n
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, err
	}
	phase("COPY rows")

	for _, step := range []struct {
		name  string
		stmts []string
	}{{"primary and unique keys", ddl.keys}, {"secondary indexes", ddl.indexes}, {"foreign keys", ddl.fkeys}} {
		err := parallel(ctx, o.Workers, len(step.stmts), func(ctx context.Context, i int) error {
			return execTuned(ctx, db, step.stmts[i])
		})
		if err != nil {
			return nil, err
		}
		phase(step.name)
	}

	tables := make([]string, 0, len(res.Rows))
	for t := range res.Rows {
		tables = append(tables, t)
	}
	sort.Slice(tables, func(i, j int) bool { return res.Rows[tables[i]] > res.Rows[tables[j]] })
	err = parallel(ctx, o.Workers, len(tables), func(ctx context.Context, i int) error {
		return execTuned(ctx, db, "VACUUM (ANALYZE) "+pq.QuoteIdentifier(tables[i]))
	})
	if err != nil {
		return nil, err
	}
	phase("VACUUM ANALYZE")

	name, _, _ := splitURL(o.URL)
	if _, err := db.ExecContext(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS %s", pq.QuoteIdentifier(name), pq.QuoteLiteral(marker(o.Scale)))); err != nil {
		return nil, err
	}
	res.Total = time.Since(start)
	return res, nil
}

// prepareDatabase creates (or recreates) the database; it returns false when the
// database already holds the data set and IfMissing asks to keep it.
func prepareDatabase(ctx context.Context, o SeedOptions) (fresh bool, err error) {
	name, adminURL, err := splitURL(o.URL)
	if err != nil {
		return false, err
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return false, err
	}
	defer admin.Close()
	var comment sql.NullString
	err = admin.QueryRowContext(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, name).Scan(&comment)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("is PostgreSQL running? %w", err)
	}
	if exists && o.IfMissing && comment.String == marker(o.Scale) {
		fmt.Fprintf(o.Log, "database %s already holds the %s data set (%s)\n", name, o.Scale.Name, comment.String)
		return false, nil
	}
	if exists && !o.Recreate {
		db, err := sql.Open("postgres", o.URL)
		if err != nil {
			return false, err
		}
		defer db.Close()
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&tables); err != nil {
			return false, err
		}
		if tables > 0 {
			return false, fmt.Errorf("database %s already has tables; pass --recreate to drop and recreate it", name)
		}
		return true, nil
	}
	if exists {
		fmt.Fprintf(o.Log, "dropping database %s\n", name)
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			return false, err
		}
	}
	fmt.Fprintf(o.Log, "creating database %s\n", name)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return false, err
	}
	return true, nil
}

// ddl is what dropConstraints dropped, as statements that recreate it, in the order
// they must run: keys (which foreign keys reference), then plain indexes, then foreign keys.
type ddl struct {
	keys, indexes, fkeys []string
}

func dropConstraints(ctx context.Context, db *sql.DB) (*ddl, error) {
	out := &ddl{}
	type con struct{ table, name, def string }
	read := func(q string) ([]con, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var cs []con
		for rows.Next() {
			var c con
			if err := rows.Scan(&c.table, &c.name, &c.def); err != nil {
				return nil, err
			}
			cs = append(cs, c)
		}
		return cs, rows.Err()
	}
	const mine = `c.relnamespace = 'public'::regnamespace AND c.relname NOT IN ('goose_db_version', 'bundle_loads')`
	fkeys, err := read(`SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE k.contype = 'f' AND ` + mine + ` ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	keys, err := read(`SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE k.contype IN ('p', 'u') AND ` + mine + ` ORDER BY 1, k.contype, 2`)
	if err != nil {
		return nil, err
	}
	indexes, err := read(`SELECT c.relname, x.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
WHERE ` + mine + ` AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var drops []string
	for _, c := range fkeys {
		drops = append(drops, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", pq.QuoteIdentifier(c.table), pq.QuoteIdentifier(c.name)))
		out.fkeys = append(out.fkeys, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", pq.QuoteIdentifier(c.table), pq.QuoteIdentifier(c.name), c.def))
	}
	for _, c := range indexes {
		drops = append(drops, "DROP INDEX "+pq.QuoteIdentifier(c.name))
		out.indexes = append(out.indexes, c.def)
	}
	for _, c := range keys {
		drops = append(drops, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", pq.QuoteIdentifier(c.table), pq.QuoteIdentifier(c.name)))
		out.keys = append(out.keys, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", pq.QuoteIdentifier(c.table), pq.QuoteIdentifier(c.name), c.def))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, s := range drops {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	return out, tx.Commit()
}

// execTuned runs one maintenance statement with a larger sort memory than the default.
func execTuned(ctx context.Context, db *sql.DB, stmt string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET maintenance_work_mem = '256MB'"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// parallel runs f(0..n-1) on at most workers goroutines; the first error cancels the rest.
func parallel(ctx context.Context, workers, n int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// copyJob streams the rows of one table.
type copyJob struct {
	table  string
	cols   []string
	weight int
	rows   func(emit func(vals ...any) error) error
}

func copyTable(ctx context.Context, db *sql.DB, j copyJob) (int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// Bulk load without waiting for each WAL flush; the data set can always be rebuilt.
	if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		return 0, err
	}
	stmt, err := tx.PrepareContext(ctx, postgres.CopyStatement(j.table, j.cols...))
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", j.table, err)
	}
	var n int64
	err = j.rows(func(vals ...any) error {
		n++
		_, err := stmt.ExecContext(ctx, vals...)
		return err
	})
	if err == nil {
		_, err = stmt.ExecContext(ctx)
	}
	if cerr := stmt.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("copy %s: %w", j.table, err)
	}
	return n, tx.Commit()
}

func copyJobs(d *dataset) []copyJob {
	s := d.scale
	cityName := func(i int32) string { return fmt.Sprintf("Testville %06d", i) }
	return []copyJob{
		{table: "sources", cols: []string{"id", "title", "publisher", "url", "published_on", "excerpt", "languages"}, weight: s.Sources * 2,
			rows: func(emit func(...any) error) error {
				for i, id := range d.sources {
					if err := emit(id, fmt.Sprintf("Synthetic Source %d", i), "Amity Bench Generator",
						fmt.Sprintf("https://bench.amity.invalid/sources/%d", i), date(d.sourceDates[i]),
						"A synthetic document; it states nothing about the real world.", "{en}"); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "countries", cols: []string{"id", "code", "name"}, weight: s.Countries,
			rows: func(emit func(...any) error) error {
				for i, id := range d.countries {
					code := string([]byte{byte('A' + i/26), byte('A' + i%26)})
					if err := emit(id, code, fmt.Sprintf("Testland %03d", i)); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "cities", cols: []string{"id", "country_id", "name", "population", "latitude", "longitude"}, weight: s.Cities * 2,
			rows: func(emit func(...any) error) error {
				for i := range d.cities {
					c := &d.cities[i]
					if err := emit(c.id, d.countries[c.country], cityName(int32(i)), c.population, c.lat, c.lon); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "city_names", cols: []string{"city_id", "language", "name", "source_id"}, weight: s.Cities / 2,
			rows: func(emit func(...any) error) error {
				for i := range d.cities {
					c := &d.cities[i]
					if c.names&1 != 0 {
						if err := emit(c.id, "zh", fmt.Sprintf("测试城 %06d", i), d.sources[c.source]); err != nil {
							return err
						}
						if err := emit(c.id, "ru", fmt.Sprintf("Тествиль %06d", i), nil); err != nil {
							return err
						}
					}
					if c.names&2 != 0 {
						if err := emit(c.id, "fr", fmt.Sprintf("Villetest %06d", i), nil); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{table: "city_sources", cols: []string{"city_id", "source_id"}, weight: s.Cities,
			rows: func(emit func(...any) error) error {
				for i := range d.cities {
					if err := emit(d.cities[i].id, d.sources[d.cities[i].source]); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "officials", cols: []string{"id", "name", "title", "city_id"}, weight: len(d.officials) * 2,
			rows: func(emit func(...any) error) error {
				for i, id := range d.officials {
					city, k := int32(i/s.OfficialsPer), i%s.OfficialsPer
					title := officialTitles[k%len(officialTitles)] + cityName(city)
					if err := emit(id, fmt.Sprintf("Official %d of %s", k+1, cityName(city)), title, d.cities[city].id); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "agreements", cols: []string{"id", "title", "kind", "signed_on", "signed_in_id", "summary"}, weight: s.Agreements * 3,
			rows: func(emit func(...any) error) error {
				for i := range d.agreements {
					a := &d.agreements[i]
					if err := emit(a.id, fmt.Sprintf("Synthetic Agreement %06d", i), agreementKinds[a.kind], date(a.signedOn),
						d.cities[a.parties[0]].id, "A synthetic agreement for benchmarking."); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "agreement_parties", cols: []string{"agreement_id", "city_id", "position"}, weight: s.Agreements * 2,
			rows: func(emit func(...any) error) error {
				for i := range d.agreements {
					a := &d.agreements[i]
					for k, c := range a.parties {
						if err := emit(a.id, d.cities[c].id, k); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{table: "agreement_areas", cols: []string{"agreement_id", "area"}, weight: s.Agreements * 2,
			rows: func(emit func(...any) error) error {
				for i := range d.agreements {
					a := &d.agreements[i]
					for k, area := range areas {
						if a.areas&(1<<k) != 0 {
							if err := emit(a.id, area); err != nil {
								return err
							}
						}
					}
				}
				return nil
			}},
		{table: "signatories", cols: []string{"agreement_id", "official_id", "party_city_id", "role", "position"}, weight: s.Agreements * 2,
			rows: func(emit func(...any) error) error {
				for i := range d.agreements {
					a := &d.agreements[i]
					for k := 0; k < 2; k++ {
						city := a.parties[k]
						off := int(city)*s.OfficialsPer + int(a.signers[k])
						role := any(nil)
						if i%2 == 0 {
							role = "Signed for " + cityName(city)
						}
						if err := emit(a.id, d.officials[off], d.cities[city].id, role, k); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{table: "agreement_sources", cols: []string{"agreement_id", "source_id"}, weight: s.Agreements,
			rows: func(emit func(...any) error) error {
				for i := range d.agreements {
					a := &d.agreements[i]
					for _, src := range a.sources {
						if src >= 0 {
							if err := emit(a.id, d.sources[src]); err != nil {
								return err
							}
						}
					}
				}
				return nil
			}},
		{table: "partnerships", cols: []string{"id", "kind", "city_a_id", "city_b_id", "since", "until", "agreement_id"}, weight: s.Partnerships * 3,
			rows: func(emit func(...any) error) error {
				for i := range d.partnerships {
					p := &d.partnerships[i]
					kind := "FRIENDLY_EXCHANGE"
					if p.sister {
						kind = "SISTER_CITY"
					}
					var until, agreement any
					if p.until != 0 {
						until = date(p.until)
					}
					if p.agreement >= 0 {
						agreement = d.agreements[p.agreement].id
					}
					if err := emit(p.id, kind, d.cities[p.a].id, d.cities[p.b].id, date(p.since), until, agreement); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "partnership_sources", cols: []string{"partnership_id", "source_id"}, weight: s.Partnerships,
			rows: func(emit func(...any) error) error {
				for i := range d.partnerships {
					if err := emit(d.partnerships[i].id, d.sources[d.partnerships[i].source]); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "institutions", cols: []string{"id", "name", "kind", "city_id", "founded_on", "description"}, weight: s.Institutions * 2,
			rows: func(emit func(...any) error) error {
				for i := range d.institutions {
					in := &d.institutions[i]
					if err := emit(in.id, fmt.Sprintf("Synthetic Institute %d of %s", i, cityName(in.city)), institutionKinds[in.kind],
						d.cities[in.city].id, date(in.founded), nil); err != nil {
						return err
					}
				}
				return nil
			}},
		{table: "institution_agreements", cols: []string{"institution_id", "agreement_id"}, weight: s.Institutions / 2,
			rows: func(emit func(...any) error) error {
				for i := range d.institutions {
					in := &d.institutions[i]
					if in.agreement >= 0 {
						if err := emit(in.id, d.agreements[in.agreement].id); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{table: "institution_sources", cols: []string{"institution_id", "source_id"}, weight: s.Institutions,
			rows: func(emit func(...any) error) error {
				for i := range d.institutions {
					if err := emit(d.institutions[i].id, d.sources[d.institutions[i].source]); err != nil {
						return err
					}
				}
				return nil
			}},
	}
}
