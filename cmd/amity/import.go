package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/kit/envflag"
	"github.com/amity/amity/internal/postgres"
)

const importUsage = `Usage: amity import [flags] FILE...

Imports each FILE in its own transaction, in the order given: all of a file or, when
any line of it is wrong, none of it (every problem is listed with file:line: field).
Import countries before the cities that refer to them, e.g.

  amity import /usr/share/iso-codes/json/iso_3166-1.json cities15000.txt knowledge.ndjson

Formats (see docs/import.md): ndjson (Amity's knowledge format), geonames (a GeoNames
cities file such as cities15000.txt), iso3166 (iso-codes' iso_3166-1.json).

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
	formatFlag := fs.String("format", "auto", "file format: auto, ndjson, geonames or iso3166")
	every := fs.Duration("progress", time.Second, "how often to print a progress line to stderr; 0 turns it off")
	if err := settings.ParseAndResolve(args); err != nil {
		return err
	}
	format, err := importer.ParseFormat(*formatFlag)
	if err != nil {
		return fmt.Errorf("import: %w", err)
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
		if err := importFile(ctx, db, name, format, *every, stdout, stderr); err != nil {
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

func importFile(ctx context.Context, db *postgres.DB, name string, format importer.Format, every time.Duration, stdout, stderr io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	if format == importer.FormatAuto {
		head, _ := r.Peek(64 << 10)
		if format, err = importer.Detect(name, head); err != nil {
			return err
		}
	}
	p := new(importer.Progress)
	stop := p.Report(stderr, name, every)
	defer stop()
	start := time.Now()
	p.Phase("reading")
	b, err := importer.Parse(name, r, format, p)
	if err != nil {
		return err
	}
	sum, err := postgres.Import(ctx, db.DB, b, p)
	if err != nil {
		return err
	}
	stop()
	sum.Elapsed = time.Since(start)
	sum.Write(stdout)
	return nil
}
