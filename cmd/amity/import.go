package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
names of first-level divisions), iso3166 (iso-codes' iso_3166-1.json).

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
	formatFlag := fs.String("format", "auto", "file format: auto, ndjson, geonames, admin1 or iso3166")
	every := fs.Duration("progress", time.Second, "how often to print a progress line to stderr; 0 turns it off")
	skip := fs.Bool("skip-invalid", false, "write every valid line and put the invalid ones, with their reasons, in a reject file (FILE.rejects)")
	rejectsDir := fs.String("rejects", "", "with --skip-invalid: the directory of the reject files (default: beside each FILE)")
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
		opts := importOptions{format: format, every: *every, skipInvalid: *skip, rejectsDir: *rejectsDir}
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
	p := new(importer.Progress)
	stop := p.Report(stderr, name, opts.every)
	defer stop()
	start := time.Now()
	p.Phase("reading")
	parsed, err := importer.Parse(name, r, format, p)
	var fe *knowledge.FileError
	if err != nil && (!opts.skipInvalid || parsed == nil || !errors.As(err, &fe)) {
		return err
	}
	var problems []knowledge.FileProblem
	if fe != nil {
		problems = fe.All()
	}
	b := parsed
	var rejected []importer.Rejection
	var sum knowledge.BatchSummary
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
		if err == nil {
			break
		}
		fe = nil
		if !opts.skipInvalid || !errors.As(err, &fe) || round+1 == maxSkipRounds {
			return err
		}
		problems = append(problems, fe.All()...)
	}
	stop()
	sum.Elapsed = time.Since(start)
	sum.Write(stdout)
	if opts.skipInvalid {
		return writeRejects(name, format, opts.rejectsDir, rejected, stdout)
	}
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
