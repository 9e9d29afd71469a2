// Command amity is Amity's server binary: `amity serve` runs the GraphQL API with the
// shipped knowledge, `amity migrate` only migrates the database. The benchmark harness
// is a command of its own, cmd/amity-bench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/edge/tracing"
	"github.com/amity/amity/internal/ingest/seed"
	"github.com/amity/amity/internal/kit/envflag"
	"github.com/amity/amity/internal/postgres"
)

const usage = `Usage: amity <command> [flags]

Commands:
  serve     run the GraphQL API (migrates and loads the shipped knowledge first)
  migrate   apply database migrations and exit
  keys      create, list and revoke API keys
  trusted-documents  write the allow list for serve --trusted-documents
  import    bulk-import NDJSON knowledge, GeoNames cities or ISO 3166 countries
  merge-candidates  list pairs of cities that may be one city recorded twice
  merge     merge two records of one city (merge --into SURVIVOR MERGED)

Run 'amity <command> -h' for the command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode reports err and returns the exit status: 2 for a refused command line or
// setting (as the flag package's own programs do), 1 for a failure of the work.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 1
	}
	fmt.Fprintln(stderr, "amity:", strings.ReplaceAll(err.Error(), "\n", "\namity: "))
	if envflag.IsUsage(err) {
		return 2
	}
	return 1
}

// run executes one command. ready, when not nil, receives the address the server
// listens on, so tests can start it on port 0.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		cfg, err := parseServe(args[1:], stderr, os.LookupEnv)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, ready)
	case "migrate":
		cfg, err := parseCommon("migrate", args[1:], stderr, os.LookupEnv)
		if err != nil {
			return err
		}
		db, err := openMigrated(ctx, cfg.db)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintln(stdout, "database is migrated")
		return nil
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "trusted-documents":
		return runTrustedDocuments(args[1:], stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "merge-candidates":
		return runMergeCandidates(ctx, args[1:], stdout, stderr)
	case "merge":
		return runMerge(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func openMigrated(ctx context.Context, cfg postgres.Config) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (is PostgreSQL running and does the database exist? `make db-up` provisions one)", err)
	}
	if err := postgres.Migrate(ctx, db.DB.DB); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// serve is the composition root of `amity serve`: it builds each part in order and
// hands it only what it needs, and undoes them in reverse order.
func serve(ctx context.Context, cfg serveConfig, stdout io.Writer, ready chan<- string) error {
	log := newLogger(cfg.logJSON, stdout)
	tuneRuntime(cfg.memoryLimitMiB+int(cfg.http.ReadCacheBytes>>20), cfg.gcPercent)

	tc := cfg.tracing
	tc.Writer = stdout
	stopTracing, err := tracing.Setup(ctx, tc)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopTracing(flushCtx)
	}()

	db, err := postgres.Open(ctx, cfg.db)
	if err != nil {
		return fmt.Errorf("%w (is PostgreSQL running and does the database exist? `make db-up` provisions one)", err)
	}
	defer db.Close()
	standby, err := db.InRecovery(ctx)
	if err != nil {
		return err
	}
	if standby || cfg.replica.readOnly == "true" {
		// A standby takes no writes, and a read-only replica makes none: the schema
		// comes from the primary, through replication.
		if err := postgres.CheckSchema(ctx, db.DB.DB); err != nil {
			return err
		}
		log.Info("read-only start: no migrations, no shipped knowledge", "standby", standby)
	} else {
		if err := postgres.Migrate(ctx, db.DB.DB); err != nil {
			return err
		}
		if cfg.loadSeed {
			if err := loadShipped(ctx, db, log); err != nil {
				return err
			}
		}
	}
	replica, closeReplica, err := replicaOf(ctx, db, standby, cfg.replica, log)
	if err != nil {
		return err
	}
	defer closeReplica()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close() // on an early return; Shutdown closes it otherwise
	partners, err := openPartners(ctx, cfg.partners, log)
	if err != nil {
		return err
	}
	defer partners.close()
	httpCfg := cfg.http
	httpCfg.GraphQL.Trusted, httpCfg.Redis = partners.trusted, partners.redis
	httpCfg.Replica = replica
	if standby && replica.NotifyDSN == "" {
		// A standby relays no notifications: without the primary's, changes go unheard,
		// and a cache could not be kept true.
		httpCfg.ReadCacheBytes = 0
	}
	handler := server.New(db, httpCfg, log)
	defer handler.Close()
	stopMetrics, err := serveMetrics(cfg.metricsAddr, handler, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.timeouts.readHeader,
		ReadTimeout:       cfg.timeouts.read,
		WriteTimeout:      cfg.timeouts.write,
		IdleTimeout:       cfg.timeouts.idle,
		MaxHeaderBytes:    cfg.timeouts.maxHeader,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().String()
	log.Info("amity is serving", "graphql", "http://"+displayAddr(addr)+"/graphql", "playground", "http://"+displayAddr(addr)+"/")
	if ready != nil {
		ready <- addr
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	// Subscriptions and their WebSockets end first: Shutdown waits for requests, not for
	// hijacked connections.
	handler.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.timeouts.shutdown)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func newLogger(json bool, w io.Writer) *slog.Logger {
	if json {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// tuneRuntime sets the heap's soft limit and the GC's growth target, unless the
// standard GOMEMLIMIT and GOGC variables already did.
func tuneRuntime(memoryLimitMiB, gcPercent int) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && memoryLimitMiB > 0 {
		debug.SetMemoryLimit(int64(memoryLimitMiB) << 20)
	}
	if _, set := os.LookupEnv("GOGC"); !set && gcPercent > 0 {
		debug.SetGCPercent(gcPercent)
	}
}

// loadShipped loads the shipped knowledge, an NDJSON import file embedded in the
// binary, through the importer's parser and postgres' import: once per version of
// the file.
func loadShipped(ctx context.Context, db *postgres.DB, log *slog.Logger) error {
	b, err := seed.Shipped()
	if err != nil {
		return err
	}
	res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), seed.ShippedName)
	if err != nil {
		return fmt.Errorf("load shipped knowledge: %w", err)
	}
	if res.Skipped {
		log.Info("shipped knowledge already loaded", "digest", res.Digest)
		return nil
	}
	var created, updated int64
	for _, c := range res.Summary.Counts {
		created, updated = created+c.Created, updated+c.Updated
	}
	log.Info("loaded shipped knowledge", "digest", res.Digest, "created", created, "updated", updated, "entities", res.Summary.Rows())
	return nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
