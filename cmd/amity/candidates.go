package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/amity/amity/internal/kit/envflag"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// runMergeCandidates lists pairs of cities that may be one city recorded twice, for an
// operator to review before merging. It changes nothing.
func runMergeCandidates(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	fs, settings := newSettings("merge-candidates", stderr, os.LookupEnv)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), candidatesUsage)
		envflag.PrintDefaults(fs.Output(), fs)
	}
	dbSettings(settings, &cfg.db)
	within := fs.Float64("within", 10, "largest distance in km between the two cities")
	country := fs.String("country", "", "only pairs of this country (ISO 3166-1 alpha-2)")
	limit := fs.Int("limit", 100, "most pairs listed (at most 10000)")
	if err := settings.ParseAndResolve(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("merge-candidates takes no arguments, only flags (got %q)", fs.Arg(0))
	}
	db, err := openMigrated(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()
	pairs, err := db.DuplicateCities(ctx, postgres.DuplicateQuery{WithinKm: *within, Country: *country, Limit: *limit})
	if err != nil {
		return err
	}
	if len(pairs) == 0 {
		fmt.Fprintln(stdout, "no merge candidates")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "COUNTRY\tDISTANCE\tCITY\tPOPULATION\tGEONAMES\tPARTNERSHIPS\tID")
	for _, p := range pairs {
		dist := "unknown"
		if p.DistanceKm != nil {
			dist = strconv.FormatFloat(*p.DistanceKm, 'f', 1, 64) + " km"
		}
		for i, c := range []postgres.DuplicateCity{p.A, p.B} {
			lead := p.Country + "\t" + dist
			if i == 1 {
				lead = "\t"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", lead, c.Name, optInt(c.Population), optInt(c.GeonamesID), c.Partnerships,
				knowledge.GlobalID(knowledge.TypeCity, c.ID))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d pairs (same country, same name ignoring case and accents, within %g km or of unknown distance; different GeoNames ids are two cities)\n", len(pairs), *within)
	fmt.Fprintln(stdout, "\nTo merge a pair once reviewed (the second city into the first, which keeps its ID; swap them to keep the other):")
	for _, p := range pairs {
		survivor, merged := likelySurvivor(p)
		fmt.Fprintf(stdout, "amity merge --into %s %s  # %s into %s\n", knowledge.GlobalID(knowledge.TypeCity, survivor.ID),
			knowledge.GlobalID(knowledge.TypeCity, merged.ID), merged.Name, survivor.Name)
	}
	return nil
}

const candidatesUsage = `Usage: amity merge-candidates [flags]

Lists pairs of cities that may be one city recorded twice: same country, same name
ignoring case and accents, within --within km of each other (or of unknown distance).
It changes nothing. After the table comes, for each pair, the command that merges it:

  amity merge --into SURVIVOR MERGED  # MERGED's name into SURVIVOR's

The proposed survivor is the record with more partnerships, then the larger
population, then the one with a GeoNames id. Review a pair before merging it: a merge
moves every fact of MERGED to SURVIVOR and cannot be undone by a command (the audit
log keeps what each record was). See docs/cities.md, "Merging cities".

Flags (a flag wins over its variable):
`

// likelySurvivor orders a pair as survivor and merged city: the record with more
// partnerships, then the larger population (a known one before an unknown one), then
// the one a gazetteer knows (a GeoNames id), else the pair's first.
func likelySurvivor(p postgres.DuplicatePair) (survivor, merged postgres.DuplicateCity) {
	a, b := p.A, p.B
	pop := func(c postgres.DuplicateCity) int {
		if c.Population == nil {
			return -1
		}
		return *c.Population
	}
	switch {
	case a.Partnerships != b.Partnerships:
		if b.Partnerships > a.Partnerships {
			return b, a
		}
	case pop(a) != pop(b):
		if pop(b) > pop(a) {
			return b, a
		}
	case (a.GeonamesID == nil) != (b.GeonamesID == nil):
		if b.GeonamesID != nil {
			return b, a
		}
	}
	return a, b
}

func optInt(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}
