// Command amity-bench fills bench databases with synthetic data and measures Amity
// against PostGraphile over them (docs/benchmarks.md). It lives apart from the amity
// binary so that the server does not carry the load runner, which starts Node.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/amity/amity/internal/bench"
)

const benchUsage = `Usage: amity-bench <seed|run> [flags]

  seed   fill a bench database with the deterministic synthetic data set of a scale
  run    measure Amity and PostGraphile side by side over the bench databases

See docs/benchmarks.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runBench(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "amity-bench:", err)
		}
		os.Exit(1)
	}
}

// runBench runs one subcommand; see internal/bench.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return errors.New("no subcommand given")
	}
	switch args[0] {
	case "seed":
		return benchSeed(ctx, args[1:], stdout, stderr)
	case "run":
		return benchRun(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, benchUsage)
		return nil
	}
	fmt.Fprint(stderr, benchUsage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func benchSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("amity-bench seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scale := fs.String("scale", "s", "data set size: s or l")
	dbURL := fs.String("database-url", "", "bench database (default postgres://postgres@127.0.0.1:5432/amity_bench_<scale>); created if missing")
	recreate := fs.Bool("recreate", false, "drop and recreate the database if it exists")
	ifMissing := fs.Bool("if-missing", false, "do nothing when the database already holds this data set")
	workers := fs.Int("workers", 3, "parallel connections for COPY and index builds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sc, err := bench.ScaleByName(*scale)
	if err != nil {
		return err
	}
	if *dbURL == "" {
		*dbURL = bench.DefaultDatabaseURL(sc.Name)
	}
	fmt.Fprintf(stdout, "seeding scale %s into %s\n", sc.Name, *dbURL)
	res, err := bench.Seed(ctx, bench.SeedOptions{URL: *dbURL, Scale: sc, Recreate: *recreate, IfMissing: *ifMissing, Workers: *workers, Log: stdout})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if res.Skipped {
		return nil
	}
	tables := make([]string, 0, len(res.Rows))
	var total int64
	for t, n := range res.Rows {
		tables = append(tables, t)
		total += n
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(stdout, "  %-24s %10d rows\n", t, res.Rows[t])
	}
	fmt.Fprintf(stdout, "seeded %d rows in %.1fs\n", total, res.Total.Seconds())
	return nil
}

func benchRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := bench.DefaultRunOptions()
	fs := flag.NewFlagSet("amity-bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scales := fs.String("scales", "s,l", "comma-separated scales to measure (each needs `amity-bench seed --scale X`)")
	ops := fs.String("ops", strings.Join(o.Ops, ","), "comma-separated operations")
	conc := fs.String("concurrency", "16,64", "comma-separated client concurrencies")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "length of each measured cell")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "unmeasured warm-up per server and operation")
	fs.IntVar(&o.MaxRequests, "max-requests", o.MaxRequests, "most requests per cell")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "A/B rounds per cell (servers alternate within each)")
	fs.StringVar(&o.AmityBin, "amity-bin", o.AmityBin, "the amity binary to serve with (make bench builds it)")
	fs.StringVar(&o.PostGraphileDir, "postgraphile-dir", o.PostGraphileDir, "directory of the PostGraphile runner (npm ci there first)")
	fs.BoolVar(&o.SkipPostGraphile, "skip-postgraphile", false, "measure Amity alone")
	fs.IntVar(&o.MaxComplexity, "max-complexity", o.MaxComplexity, "Amity's --max-complexity during the run (0: the server's default; Q1-Q6 fit in it)")
	fs.IntVar(&o.PoolSize, "pool", o.PoolSize, "database pool size of both servers")
	fs.StringVar(&o.JSONOut, "json", o.JSONOut, "also write the results as JSON to this file")
	fs.StringVar(&o.MarkdownOut, "markdown", o.MarkdownOut, "also write the result tables as Markdown to this file")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed of the variable choice (the permutation of cities and each worker's draws)")
	fs.Float64Var(&o.ZipfS, "zipf-s", o.ZipfS, "exponent of the Zipf law city ranks are drawn with (0: uniform)")
	fs.BoolVar(&o.Mixed, "mixed", o.Mixed, "add the mixed cells: Q1-Q4 read while a writer mutates through Amity, every answer checked for freshness")
	fs.Float64Var(&o.WriteRate, "write-rate", o.WriteRate, "mutations a second in the mixed cells")
	fs.BoolVar(&o.OtherReplica, "other-replica", o.OtherReplica, "in the mixed cells, also read from a second Amity process on the same database while the writer writes through the first")
	fs.DurationVar(&o.ReplicaBound, "replica-bound", o.ReplicaBound, "how long after a write's response the other replica may still answer the state before it")
	fs.IntVar(&o.PostGraphileWorkers, "postgraphile-workers", o.PostGraphileWorkers, "PostGraphile's node:cluster workers (0: one per core); the pool is split between them")
	urlS := fs.String("database-url-s", bench.DefaultDatabaseURL("s"), "database of scale s")
	urlL := fs.String("database-url-l", bench.DefaultDatabaseURL("l"), "database of scale l")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Scales = nil
	for _, s := range splitList(*scales) {
		sc, err := bench.ScaleByName(s)
		if err != nil {
			return err
		}
		u := *urlS
		if sc.Name == "l" {
			u = *urlL
		}
		o.Scales = append(o.Scales, bench.ScaleDB{Scale: sc, URL: u})
	}
	o.Ops = splitList(*ops)
	o.Concurrency = nil
	for _, c := range splitList(*conc) {
		var n int
		if _, err := fmt.Sscan(c, &n); err != nil || n <= 0 || n > 512 {
			return fmt.Errorf("run: bad concurrency %q", c)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	if o.ZipfS < 0 || o.ZipfS > 5 {
		return errors.New("run: --zipf-s must be in [0, 5]")
	}
	if o.WriteRate < 0 || o.WriteRate > 1000 {
		return errors.New("run: --write-rate must be in [0, 1000]")
	}
	if o.ReplicaBound < 0 || o.ReplicaBound > time.Minute {
		return errors.New("run: --replica-bound must be in [0, 1m]")
	}
	if o.PostGraphileWorkers < 0 || o.PostGraphileWorkers > 64 {
		return errors.New("run: --postgraphile-workers must be in [0, 64]")
	}
	if o.Duration <= 0 || o.Duration > 5*time.Minute {
		return errors.New("run: --duration must be in (0, 5m]")
	}
	o.Log = stdout
	_, err := bench.Run(ctx, o)
	return err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
