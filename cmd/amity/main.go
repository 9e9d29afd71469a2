// Command amity is Amity's one binary: `amity serve` runs the GraphQL API with the
// shipped knowledge, `amity migrate` only migrates the database.
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
	"strconv"
	"syscall"
	"time"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/seed"
	"github.com/amity/amity/internal/server"
	"github.com/amity/amity/internal/tracing"
)

const usage = `Usage: amity <command> [flags]

Commands:
  serve     run the GraphQL API (migrates and loads the shipped knowledge first)
  migrate   apply database migrations and exit
  keys      create, list and revoke API keys
  trusted-documents  write the allow list for serve --trusted-documents
  import    bulk-import NDJSON knowledge, GeoNames cities or ISO 3166 countries

Run 'amity <command> -h' for the command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "amity:", err)
		}
		os.Exit(1)
	}
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
		cfg, err := parseServe(args[1:], stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, ready)
	case "migrate":
		cfg, err := parseCommon("migrate", args[1:], stderr)
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
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

type commonConfig struct {
	db postgres.Config
}

type serveConfig struct {
	commonConfig
	addr     string
	loadSeed bool
	http     server.Config
	logJSON  bool
	timeouts httpTimeouts
	partners partnerConfig
	security securityConfig
	tracing  tracing.Config
	// memoryLimitMiB is the Go runtime's soft memory limit; under load it keeps the
	// garbage of many concurrent requests from growing the heap without need.
	memoryLimitMiB int
	// gcPercent is the Go GC's growth target (GOGC). The memory limit bounds the heap,
	// so the GC can let it grow further between cycles than Go's default of 100.
	gcPercent int
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/amity?sslmode=disable"

func commonFlags(fs *flag.FlagSet, cfg *commonConfig) {
	fs.StringVar(&cfg.db.URL, "database-url", envOr("DATABASE_URL", defaultDatabaseURL), "PostgreSQL connection URL (env DATABASE_URL)")
	fs.IntVar(&cfg.db.MaxOpenConns, "db-max-conns", envInt("AMITY_DB_MAX_CONNS", 20), "most open database connections (env AMITY_DB_MAX_CONNS)")
	dbFlags(fs, &cfg.db)
}

func parseCommon(name string, args []string, stderr io.Writer) (commonConfig, error) {
	var cfg commonConfig
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, &cfg)
	return cfg, fs.Parse(args)
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	cfg := serveConfig{http: server.DefaultConfig()}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, &cfg.commonConfig)
	fs.StringVar(&cfg.addr, "addr", envOr("AMITY_ADDR", ":8080"), "address to listen on (env AMITY_ADDR)")
	fs.BoolVar(&cfg.loadSeed, "seed", envBool("AMITY_SEED", true), "load the shipped knowledge bundle at start (env AMITY_SEED)")
	fs.IntVar(&cfg.http.GraphQL.MaxComplexity, "max-complexity", envInt("AMITY_MAX_COMPLEXITY", cfg.http.GraphQL.MaxComplexity), "largest query cost accepted (env AMITY_MAX_COMPLEXITY)")
	fs.BoolVar(&cfg.http.Auth.Anonymous, "anonymous", envBool("AMITY_ANONYMOUS", true), "let requests without an API key read (env AMITY_ANONYMOUS)")
	fs.BoolVar(&cfg.http.GraphQL.Federation, "federation", envBool("AMITY_FEDERATION", false), "answer Apollo Federation's _service and _entities, to run as a subgraph (env AMITY_FEDERATION)")
	fs.BoolVar(&cfg.http.GraphQL.Introspection, "introspection", envBool("AMITY_INTROSPECTION", true), "allow schema introspection (env AMITY_INTROSPECTION)")
	fs.DurationVar(&cfg.http.RequestTimeout, "request-timeout", envDuration("AMITY_REQUEST_TIMEOUT", cfg.http.RequestTimeout), "longest a GraphQL request may run, SQL included (env AMITY_REQUEST_TIMEOUT)")
	admissionFlags(fs, &cfg)
	fs.BoolVar(&cfg.logJSON, "log-json", envBool("AMITY_LOG_JSON", false), "log JSON lines instead of text (env AMITY_LOG_JSON)")
	hardeningFlags(fs, &cfg)
	tracingFlags(fs, &cfg.tracing)
	partnerFlags(fs, &cfg)
	securityFlags(fs, &cfg)
	err := fs.Parse(args)
	applySecurity(&cfg)
	return cfg, err
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

func serve(ctx context.Context, cfg serveConfig, stdout io.Writer, ready chan<- string) error {
	var log *slog.Logger
	if cfg.logJSON {
		log = slog.New(slog.NewJSONHandler(stdout, nil))
	} else {
		log = slog.New(slog.NewTextHandler(stdout, nil))
	}

	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.memoryLimitMiB > 0 {
		debug.SetMemoryLimit(int64(cfg.memoryLimitMiB) << 20)
	}
	if _, set := os.LookupEnv("GOGC"); !set && cfg.gcPercent > 0 {
		debug.SetGCPercent(cfg.gcPercent)
	}
	cfg.tracing.Writer = stdout
	stopTracing, err := tracing.Setup(ctx, cfg.tracing)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopTracing(flushCtx)
	}()
	cfg.http.Tracing = cfg.tracing.Exporter != tracing.Off

	db, err := openMigrated(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()

	if cfg.loadSeed {
		b, err := seed.Shipped()
		if err != nil {
			return fmt.Errorf("shipped knowledge: %w", err)
		}
		res, err := postgres.ApplyBundle(ctx, db.DB, b, seed.ShippedDigest(), "shipped")
		if err != nil {
			return fmt.Errorf("load shipped knowledge: %w", err)
		}
		if res.Skipped {
			log.Info("shipped knowledge already loaded")
		} else {
			log.Info("loaded shipped knowledge", "rows", res.Total())
		}
	}

	if cfg.timeouts.write <= 0 {
		cfg.timeouts.write = cfg.http.RequestTimeout + 5*time.Second
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	closePartners, err := openPartners(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer closePartners()
	handler := server.New(db, cfg.http, log)
	defer handler.Close()
	stopMetrics, err := serveMetrics(cfg.security.metricsAddr, handler, log)
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
