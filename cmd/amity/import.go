package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/kit/envflag"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

const importUsage = `Usage: amity import [flags] FILE...

Imports each FILE in its own transaction, in the order given: all of a file or, when
any line of it is wrong, none of it (every problem is counted and the first 50 are
listed with file:line: field). With --skip-invalid, every valid line is written and
every invalid one goes to a reject file, FILE.rejects (or DIR/NAME.rejects with
--rejects DIR): the line as it was, a tab, and its reasons. A line that refers to a
rejected line's entity is rejected too.
Import countries before the cities that refer to them, e.g.

  amity import /usr/share/iso-codes/json/iso_3166-1.json cities15000.txt knowledge.ndjson

Formats (see docs/import.md): ndjson (Amity's knowledge format), geonames (a GeoNames
cities file such as cities15000.txt), admin1 (GeoNames' admin1CodesASCII.txt, the
names of first-level divisions), iso3166 (iso-codes' iso_3166-1.json), csv (a
partner's spreadsheet: one partnership per row, both cities by name and country). For
a CSV file the summary counts its rows by outcome (matched, created, ambiguous,
refused, unchecked), and --report FILE writes each row's outcome, with the cities'
ids or the reasons (ambiguous: the candidates).

Flags:
`

// runImport is the import command: parse each file, write it, print its summary.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	fs, settings := newSettings("import", stderr, os.LookupEnv)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		envflag.PrintDefaults(fs.Output(), fs)
	}
	dbSettings(settings, &cfg.db)
	formatFlag := fs.String("format", "auto", "file format: auto, ndjson, geonames, admin1, iso3166 or csv")
	every := fs.Duration("progress", time.Second, "how often to print a progress line to stderr; 0 turns it off")
	skip := fs.Bool("skip-invalid", false, "write every valid line and put the invalid ones, with their reasons, in a reject file (FILE.rejects)")
	rejectsDir := fs.String("rejects", "", "with --skip-invalid: the directory of the reject files (default: beside each FILE)")
	report := fs.String("report", "", "for one CSV file: write each row's outcome (matched, created, ambiguous, refused, unchecked) to this CSV file")
	createCities := fs.Bool("create-cities", false, "for CSV files: create every city no stored city matches, as a create column of yes would")
	if err := settings.ParseAndResolve(args); err != nil {
		return err
	}
	format, err := importer.ParseFormat(*formatFlag)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if *rejectsDir != "" && !*skip {
		return errors.New("import: --rejects goes with --skip-invalid")
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("import: no file given")
	}
	if *report != "" && fs.NArg() > 1 {
		return errors.New("import: --report takes one file")
	}
	// A large file takes longer than the server's per-statement limit is meant for;
	// only an explicit setting bounds an import.
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "db-statement-timeout" })
	if _, ok := os.LookupEnv("AMITY_DB_STATEMENT_TIMEOUT"); !ok && !explicit {
		cfg.db.StatementTimeout = 0
	}

	db, err := openMigrated(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()

	failed := 0
	for _, name := range fs.Args() {
		opts := importOptions{format: format, every: *every, skipInvalid: *skip, rejectsDir: *rejectsDir,
			report: *report, createCities: *createCities}
		if err := importFile(ctx, db, name, opts, stdout, stderr); err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintln(stderr, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("import: %d of %d files not imported", failed, fs.NArg())
	}
	return nil
}

// importOptions are the settings of one file's import.
type importOptions struct {
	format      importer.Format
	every       time.Duration // progress interval; 0 for none
	skipInvalid bool
	rejectsDir  string // "" for beside the file
	// report is where a CSV file's per-row report goes ("" for none); createCities
	// creates a CSV file's unknown cities.
	report       string
	createCities bool
}

// maxSkipRounds bounds how often an import with --skip-invalid is tried again after
// the store found more invalid lines (references to rows the database lacks, rows
// that name one stored row twice): each round rejects at least one more line, and the
// store reports every such line at once, so two rounds are the usual most.
const maxSkipRounds = 5

func importFile(ctx context.Context, db *postgres.DB, name string, opts importOptions, stdout, stderr io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	format := opts.format
	if format == importer.FormatAuto {
		head, _ := r.Peek(64 << 10)
		if format, err = importer.Detect(name, head); err != nil {
			return err
		}
	}
	if format != importer.FormatCSV && (opts.report != "" || opts.createCities) {
		return fmt.Errorf("%s: --report and --create-cities are for CSV files, not %s", name, format)
	}
	p := new(importer.Progress)
	stop := p.Report(stderr, name, opts.every)
	defer stop()
	start := time.Now()
	p.Phase("reading")
	var parsed *knowledge.Batch
	if format == importer.FormatCSV {
		parsed, err = importer.ParseCSV(name, r, importer.CSVOptions{CreateCities: opts.createCities}, p)
	} else {
		parsed, err = importer.Parse(name, r, format, p)
	}
	var fe *knowledge.FileError
	if err != nil && (parsed == nil || !errors.As(err, &fe)) {
		return err
	}
	// rows reports a CSV file's rows, also when the file is refused: a partner's
	// spreadsheet is answered row by row.
	rows := func(rejected []importer.Rejection, byName map[knowledge.Ref]knowledge.CityMatch, written bool) error {
		if format != importer.FormatCSV {
			return nil
		}
		lead := "  rows:"
		if !written {
			lead = name + ": not imported; rows:"
		}
		return reportRows(stdout, lead, opts.report, importer.RowOutcomes(parsed, rejected, byName, written))
	}
	if err != nil && !opts.skipInvalid {
		return errors.Join(err, rows(importer.Rejections(fe.All()), nil, false))
	}
	var problems []knowledge.FileProblem
	if fe != nil {
		problems = fe.All()
	}
	b := parsed
	var rejected []importer.Rejection
	var sum knowledge.BatchSummary
	// What the store decided for each city by name, over every round: each round
	// decides against the same stored cities, the earlier rounds' writes rolled back.
	byName := map[knowledge.Ref]knowledge.CityMatch{}
	for round := 0; ; round++ {
		if opts.skipInvalid {
			if b, rejected, err = importer.SkipInvalid(parsed, problems); err != nil {
				return err
			}
		}
		if opts.skipInvalid && b.Len() == 0 && len(b.Statements) == 0 {
			// Every line rejected: nothing to write.
			sum = knowledge.BatchSummary{File: name, Format: string(format), Counts: map[string]knowledge.BatchCounts{}}
			break
		}
		sum, err = postgres.Import(ctx, db.DB, b, p)
		maps.Copy(byName, sum.ByName)
		if err == nil {
			break
		}
		fe = nil
		if !errors.As(err, &fe) {
			return err
		}
		if !opts.skipInvalid {
			return errors.Join(err, rows(importer.Rejections(fe.All()), byName, false))
		}
		if round+1 == maxSkipRounds {
			return err
		}
		problems = append(problems, fe.All()...)
	}
	stop()
	sum.Elapsed = time.Since(start)
	sum.Write(stdout)
	if err := rows(rejected, byName, true); err != nil {
		return err
	}
	if opts.skipInvalid {
		return writeRejects(name, format, opts.rejectsDir, rejected, stdout)
	}
	return nil
}

// reportRows prints, after lead, how many rows of a CSV file had each outcome and,
// when path is set, writes each row's outcome there.
func reportRows(stdout io.Writer, lead, path string, rows []importer.RowOutcome) error {
	n := importer.CountRowOutcomes(rows)
	fmt.Fprint(stdout, lead)
	for i, o := range importer.RowOutcomesOrder {
		if i > 0 {
			fmt.Fprint(stdout, ",")
		}
		fmt.Fprintf(stdout, " %d %s", n[o], o)
	}
	fmt.Fprintln(stdout)
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	err = importer.WriteRowOutcomes(f, rows)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	fmt.Fprintf(stdout, "  each row's outcome: %s\n", path)
	return nil
}

// writeRejects writes a file's reject file, when any line was rejected, and says so.
func writeRejects(name string, format importer.Format, dir string, rejected []importer.Rejection, stdout io.Writer) error {
	if len(rejected) == 0 {
		fmt.Fprintf(stdout, "  no line rejected\n")
		return nil
	}
	path := name + importer.RejectsSuffix
	if dir != "" {
		path = filepath.Join(dir, filepath.Base(name)+importer.RejectsSuffix)
	}
	in, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%s: reject file: %w", name, err)
	}
	defer in.Close()
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: the valid lines are written, but the reject file cannot be: %w", name, err)
	}
	n, err := importer.WriteRejects(out, in, format, rejected)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: the valid lines are written, but the reject file %s is incomplete: %w", name, path, err)
	}
	fmt.Fprintf(stdout, "  %d line", n)
	if n != 1 {
		fmt.Fprint(stdout, "s")
	}
	fmt.Fprintf(stdout, " rejected, with their reasons: %s\n", path)
	return nil
}
