package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/kit/envflag"
	"github.com/amity/amity/internal/knowledge"
)

const mergeUsage = `Usage: amity merge --into SURVIVOR [--reason TEXT] [--source ID]... MERGED

Merges two records of one city: MERGED's names, sources, statements, partnerships,
agreements, institutions, officials and figures move to SURVIVOR; where the two hold
different values, SURVIVOR keeps its own and MERGED's become statements. MERGED's ID
keeps answering with SURVIVOR. Both are IDs as the API gives them, or UUIDs;
'amity merge-candidates' lists pairs to review, each with the command that merges it.
See docs/cities.md, "Merging cities".

Flags (a flag wins over its variable):
`

// runMerge merges one city into another, as the mergeCities mutation does, and says
// what moved. A refused merge changes nothing and exits with 1, listing the problems.
func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	fs, settings := newSettings("merge", stderr, os.LookupEnv)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mergeUsage)
		envflag.PrintDefaults(fs.Output(), fs)
	}
	dbSettings(settings, &cfg.db)
	into := fs.String("into", "", "the city that stays (required)")
	reason := fs.String("reason", "", "why the two are one city, for the audit log")
	actor := fs.String("actor", defaultActor(), "who merges, as the audit log records it")
	var sources []string
	fs.Func("source", "a source that shows the two are one city, by ID (repeat for several)", func(s string) error {
		sources = append(sources, s)
		return nil
	})
	// Flags may come before or after the merged city's ID.
	var positional []string
	for rest := args; ; {
		if err := settings.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := settings.Resolve(); err != nil {
		return err
	}
	if len(positional) != 1 || *into == "" {
		fmt.Fprint(stderr, mergeUsage)
		return &envflag.Error{Name: "merge", Problem: "give --into SURVIVOR and exactly one city to merge into it"}
	}
	survivorID, err := cityID("--into", *into)
	if err != nil {
		return err
	}
	mergedID, err := cityID("merged city", positional[0])
	if err != nil {
		return err
	}
	m := knowledge.CityMerge{SurvivorID: survivorID, MergedID: mergedID}
	if strings.TrimSpace(*reason) != "" {
		m.Reason = reason
	}
	for _, s := range sources {
		id, err := anyID("--source", knowledge.TypeSource, s)
		if err != nil {
			return err
		}
		m.Sources.IDs = append(m.Sources.IDs, id)
	}

	db, err := openMigrated(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()
	// The operator names the cities, not their versions: the ones read now, so that a
	// change between this read and the merge is still refused as stale.
	cities, err := db.CitiesByID(ctx, []uuid.UUID{survivorID, mergedID})
	if err != nil {
		return err
	}
	survivor, merged := cities[survivorID], cities[mergedID]
	for _, c := range []struct {
		what string
		id   uuid.UUID
		city *knowledge.City
	}{{"survivor", survivorID, survivor}, {"merged city", mergedID, merged}} {
		switch {
		case c.city == nil:
			return fmt.Errorf("merge: no city has the id %s", c.id)
		case c.city.ID != c.id:
			return fmt.Errorf("merge: the %s %s was merged into %s (%s) already", c.what, c.id, c.city.GlobalID(), c.city.Name)
		}
	}
	m.SurvivorVersion, m.MergedVersion = survivor.Version, merged.Version
	res, err := db.MergeCities(ctx, knowledge.WriteMeta{Actor: knowledge.Actor{Name: *actor}}, m)
	var in *knowledge.InputError
	if errors.As(err, &in) {
		lines := make([]string, len(in.Problems))
		for i, p := range in.Problems {
			lines[i] = fmt.Sprintf("%s: %s (%s)", strings.TrimPrefix(strings.Join(p.Path, "."), "input."), p.Message, p.Code)
		}
		return fmt.Errorf("merge refused, nothing changed:\n%s", strings.Join(lines, "\n"))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %s (%s) into %s (%s)\n", merged.Name, merged.GlobalID(), survivor.Name, survivor.GlobalID())
	c := res.Moved
	fmt.Fprintf(stdout, "moved: %s, %s, %s, %s (and %s joined to the survivor's), %s, %s, %s, %s\n",
		count(c.Names, "name"), count(c.Sources, "source"), count(c.Statements, "statement"), count(c.Partnerships, "partnership"),
		count(c.JoinedPartnerships, "partnership"), count(c.Agreements, "agreement"), count(c.Institutions, "institution"),
		count(c.Officials, "official"), count(c.Figures, "figure"))
	fmt.Fprintf(stdout, "%s of the merged city kept as statements about the survivor\n", count(c.Conflicts, "differing value"))
	fmt.Fprintf(stdout, "%s now answers with %s\n", merged.GlobalID(), survivor.GlobalID())
	return nil
}

// count is "1 name", "2 names".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// defaultActor is the audit log's actor of a merge from the command line: the
// operating system's user, who ran it.
func defaultActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

// cityID reads a city's global ID or UUID.
func cityID(what, s string) (uuid.UUID, error) {
	return anyID(what, knowledge.TypeCity, s)
}

// anyID reads an ID of the type, given as the API gives it or as a UUID.
func anyID(what, typ, s string) (uuid.UUID, error) {
	if u, err := uuid.Parse(s); err == nil {
		return u, nil
	}
	if t, u, ok := knowledge.ParseGlobalID(s); ok && t == typ {
		return u, nil
	}
	return uuid.Nil, &envflag.Error{Name: what, Problem: fmt.Sprintf("%q is neither the ID of a %s nor a UUID", s, typ)}
}
