package main

import (
	"flag"
	"os"
	"time"

	"github.com/amity/amity/internal/admission"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/tracing"
)

// httpTimeouts bound how long a client may hold a connection, so slow or stalled
// clients cannot exhaust the server.
type httpTimeouts struct {
	readHeader time.Duration
	read       time.Duration
	write      time.Duration // 0: the request timeout plus 5 seconds
	idle       time.Duration
	shutdown   time.Duration
	maxHeader  int
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// dbFlags are the pool and session settings every command that opens the database takes.
func dbFlags(fs *flag.FlagSet, db *postgres.Config) {
	fs.IntVar(&db.MaxIdleConns, "db-max-idle-conns", envInt("AMITY_DB_MAX_IDLE_CONNS", 0), "most idle database connections kept open; 0 keeps as many as --db-max-conns, so a burst does not close and reopen connections (env AMITY_DB_MAX_IDLE_CONNS)")
	fs.DurationVar(&db.ConnMaxLifetime, "db-conn-max-lifetime", envDuration("AMITY_DB_CONN_MAX_LIFETIME", 30*time.Minute), "close database connections older than this (env AMITY_DB_CONN_MAX_LIFETIME)")
	fs.DurationVar(&db.ConnMaxIdleTime, "db-conn-max-idle-time", envDuration("AMITY_DB_CONN_MAX_IDLE_TIME", 5*time.Minute), "close database connections idle this long (env AMITY_DB_CONN_MAX_IDLE_TIME)")
	fs.DurationVar(&db.StatementTimeout, "db-statement-timeout", envDuration("AMITY_DB_STATEMENT_TIMEOUT", 10*time.Second), "PostgreSQL statement_timeout of every connection; 0 keeps the server's (env AMITY_DB_STATEMENT_TIMEOUT)")
	fs.DurationVar(&db.ConnectTimeout, "db-connect-timeout", envDuration("AMITY_DB_CONNECT_TIMEOUT", 5*time.Second), "longest wait to connect to PostgreSQL (env AMITY_DB_CONNECT_TIMEOUT)")
}

// hardeningFlags are serve's limits, time bounds and operating switches.
func hardeningFlags(fs *flag.FlagSet, cfg *serveConfig) {
	g := &cfg.http.GraphQL
	fs.IntVar(&g.Limits.MaxDepth, "max-depth", envInt("AMITY_MAX_DEPTH", g.Limits.MaxDepth), "deepest field nesting accepted; 0 turns the limit off (env AMITY_MAX_DEPTH)")
	fs.IntVar(&g.Limits.MaxAliases, "max-aliases", envInt("AMITY_MAX_ALIASES", g.Limits.MaxAliases), "most aliases in a document (env AMITY_MAX_ALIASES)")
	fs.IntVar(&g.Limits.MaxDirectives, "max-directives", envInt("AMITY_MAX_DIRECTIVES", g.Limits.MaxDirectives), "most directives on one field (env AMITY_MAX_DIRECTIVES)")
	fs.IntVar(&g.Limits.MaxFields, "max-fields", envInt("AMITY_MAX_FIELDS", g.Limits.MaxFields), "most fields in one operation once its fragments are expanded (env AMITY_MAX_FIELDS)")
	fs.IntVar(&g.Limits.MaxMerged, "max-merged-fields", envInt("AMITY_MAX_MERGED_FIELDS", g.Limits.MaxMerged), "most fields answering one response path, fragments expanded (env AMITY_MAX_MERGED_FIELDS)")
	fs.IntVar(&g.Limits.MaxTokens, "max-tokens", envInt("AMITY_MAX_TOKENS", g.Limits.MaxTokens), "most lexical tokens in a document (env AMITY_MAX_TOKENS)")
	fs.IntVar(&g.Limits.MaxQueryBytes, "max-query-bytes", envInt("AMITY_MAX_QUERY_BYTES", g.Limits.MaxQueryBytes), "longest query text in bytes (env AMITY_MAX_QUERY_BYTES)")
	fs.Int64Var(&cfg.http.MaxBodyBytes, "max-body-bytes", int64(envInt("AMITY_MAX_BODY_BYTES", int(cfg.http.MaxBodyBytes))), "largest request body in bytes (env AMITY_MAX_BODY_BYTES)")
	fs.BoolVar(&g.Dev, "dev", envBool("AMITY_DEV", false), "development mode: \"did you mean\" suggestions in validation errors (env AMITY_DEV)")
	fs.IntVar(&cfg.memoryLimitMiB, "memory-limit-mib", envInt("AMITY_MEMORY_LIMIT_MIB", 72), "soft limit of the Go heap in MiB: the GC works harder near it rather than grow (GOMEMLIMIT, when set, wins; 0 for none) (env AMITY_MEMORY_LIMIT_MIB)")
	fs.IntVar(&cfg.gcPercent, "gc-percent", envInt("AMITY_GC_PERCENT", 400), "Go GC growth target, as GOGC: a larger value collects less often, within the memory limit (GOGC, when set, wins; 0 keeps Go's default) (env AMITY_GC_PERCENT)")
	fs.BoolVar(&cfg.http.Metrics, "metrics", envBool("AMITY_METRICS", cfg.http.Metrics), "serve Prometheus metrics at /metrics (env AMITY_METRICS)")

	t := &cfg.timeouts
	fs.DurationVar(&t.readHeader, "read-header-timeout", envDuration("AMITY_READ_HEADER_TIMEOUT", 5*time.Second), "longest wait for a request's headers (env AMITY_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&t.read, "read-timeout", envDuration("AMITY_READ_TIMEOUT", 10*time.Second), "longest wait for a whole request, body included (env AMITY_READ_TIMEOUT)")
	fs.DurationVar(&t.write, "write-timeout", envDuration("AMITY_WRITE_TIMEOUT", 0), "longest time to write a response; 0 means the request timeout plus 5s (env AMITY_WRITE_TIMEOUT)")
	fs.DurationVar(&t.idle, "idle-timeout", envDuration("AMITY_IDLE_TIMEOUT", 2*time.Minute), "how long an idle keep-alive connection stays open (env AMITY_IDLE_TIMEOUT)")
	fs.DurationVar(&t.shutdown, "shutdown-timeout", envDuration("AMITY_SHUTDOWN_TIMEOUT", 20*time.Second), "on SIGTERM, how long in-flight requests may finish (env AMITY_SHUTDOWN_TIMEOUT)")
	fs.IntVar(&t.maxHeader, "max-header-bytes", envInt("AMITY_MAX_HEADER_BYTES", 64<<10), "largest request header block, URL included (env AMITY_MAX_HEADER_BYTES)")
}

// tracingFlags choose where OpenTelemetry spans go; tracing is off unless an exporter is set.
func tracingFlags(fs *flag.FlagSet, t *tracing.Config) {
	fs.StringVar(&t.Exporter, "otel-exporter", envOr("AMITY_OTEL_EXPORTER", ""), "trace HTTP, resolvers and SQL with OpenTelemetry: otlp, stdout, or empty for off (env AMITY_OTEL_EXPORTER)")
	fs.StringVar(&t.Endpoint, "otel-endpoint", envOr("AMITY_OTEL_ENDPOINT", ""), "host:port of the OTLP/HTTP collector; empty uses OTEL_EXPORTER_OTLP_ENDPOINT (env AMITY_OTEL_ENDPOINT)")
	fs.BoolVar(&t.Insecure, "otel-insecure", envBool("AMITY_OTEL_INSECURE", false), "send spans to the collector over plain HTTP (env AMITY_OTEL_INSECURE)")
	fs.Float64Var(&t.SampleRatio, "otel-sample-ratio", envFloat("AMITY_OTEL_SAMPLE_RATIO", 1), "share of requests traced, 0 to 1 (env AMITY_OTEL_SAMPLE_RATIO)")
}

// admissionFlags size the gate every GraphQL operation passes (docs/operations.md,
// "Admission").
func admissionFlags(fs *flag.FlagSet, cfg *serveConfig) {
	fs.IntVar(&cfg.http.MaxConcurrentRequests, "max-concurrent-requests", envInt("AMITY_MAX_CONCURRENT_REQUESTS", cfg.http.MaxConcurrentRequests), "GraphQL operations (HTTP and WebSocket) that execute at once; a quarter are kept for cheap ones, one caller holds at most half, the rest wait round-robin by caller or are refused early with 503 (0: no bound; default 4 per core) (env AMITY_MAX_CONCURRENT_REQUESTS)")
	fs.IntVar(&cfg.http.CheapComplexity, "cheap-complexity", envInt("AMITY_CHEAP_COMPLEXITY", admission.DefaultCheapCost), "largest query cost admission counts as cheap; cheap operations have slots expensive ones cannot take (env AMITY_CHEAP_COMPLEXITY)")
}
