package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/amity/amity/internal/edge/admission"
	"github.com/amity/amity/internal/edge/cors"
	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/edge/redisguard"
	"github.com/amity/amity/internal/edge/seclog"
	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/edge/tracing"
	"github.com/amity/amity/internal/kit/envflag"
	"github.com/amity/amity/internal/postgres"
)

// Every setting of every command is read here, from its flag or else its environment
// variable (envflag), and checked before anything starts: the flag and variable names
// are a contract (README, "Configuration").

type commonConfig struct {
	db postgres.Config
}

// serveConfig is everything `amity serve` is told.
type serveConfig struct {
	commonConfig
	addr     string
	loadSeed bool
	http     server.Config
	logJSON  bool
	timeouts httpTimeouts
	partners partnerConfig
	// metricsAddr, if set, serves the metrics on a listener of their own.
	metricsAddr string
	tracing     tracing.Config
	// memoryLimitMiB is the Go runtime's soft memory limit; under load it keeps the
	// garbage of many concurrent requests from growing the heap without need. Its
	// room above what stays live sets how often the GC marks the read cache: 96 MiB
	// (was 72) took Q4's CPU from 2.6-2.7 to 2.3 ms a request with the cache on, for a
	// peak RSS of 130 MB (docs/benchmarks.md, "The cache's cost").
	memoryLimitMiB int
	// gcPercent is the Go GC's growth target (GOGC). The memory limit bounds the heap,
	// so the GC can let it grow further between cycles than Go's default of 100.
	gcPercent int
	replica   replicaConfig
}

// replicaConfig is what serve needs to run on a standby (docs/operations.md, "Replicas
// on standbys").
type replicaConfig struct {
	// readOnly: "auto" follows the database (read-only while it is a standby, writable
	// once promoted), "true" never takes writes, "false" never refuses them.
	readOnly string
	// notifyURL is the primary, whose change notifications a replica on a standby
	// listens to ("": its own database).
	notifyURL string
	// writesTo names where writes go, in READ_ONLY's message.
	writesTo     string
	maxReplayLag time.Duration
}

// httpTimeouts bound how long a client may hold a connection, so slow or stalled
// clients cannot exhaust the server.
type httpTimeouts struct {
	readHeader time.Duration
	read       time.Duration
	write      time.Duration
	idle       time.Duration
	shutdown   time.Duration
	maxHeader  int
}

// partnerConfig is what serve opens at start for partners and web clients: the Redis
// connection and the trusted-documents file.
type partnerConfig struct {
	redis            *redis.Options // nil: no Redis
	redisTimeout     time.Duration
	trustedFile      string
	trustedAnonymous bool
}

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/amity?sslmode=disable"

var (
	nonNegative         = envflag.AtLeast(0)
	nonNegativeDuration = envflag.AtLeast[time.Duration](0)
	nonNegativeFloat    = envflag.AtLeast(0.0)
)

// dbSettings are the connection, pool and session settings of every command that opens
// the database.
func dbSettings(s *envflag.Set, db *postgres.Config) {
	s.Func("database-url", "DATABASE_URL", "url", defaultDatabaseURL, "PostgreSQL connection URL (or key=value connection string)", func(t string) string {
		if problem := checkDatabaseURL(t); problem != "" {
			return problem
		}
		db.URL = t
		return ""
	})
	s.Int(&db.MaxOpenConns, "db-max-conns", "AMITY_DB_MAX_CONNS", 20, "most open database connections", envflag.AtLeast(1))
	s.Int(&db.MaxIdleConns, "db-max-idle-conns", "AMITY_DB_MAX_IDLE_CONNS", 0, "most idle database connections kept open; 0 keeps as many as --db-max-conns, so a burst does not close and reopen connections", nonNegative)
	s.Duration(&db.ConnMaxLifetime, "db-conn-max-lifetime", "AMITY_DB_CONN_MAX_LIFETIME", 30*time.Minute, "close database connections older than this", nonNegativeDuration)
	s.Duration(&db.ConnMaxIdleTime, "db-conn-max-idle-time", "AMITY_DB_CONN_MAX_IDLE_TIME", 5*time.Minute, "close database connections idle this long", nonNegativeDuration)
	s.Duration(&db.StatementTimeout, "db-statement-timeout", "AMITY_DB_STATEMENT_TIMEOUT", 10*time.Second, "PostgreSQL statement_timeout of every connection; 0 keeps the server's", nonNegativeDuration)
	s.Duration(&db.ConnectTimeout, "db-connect-timeout", "AMITY_DB_CONNECT_TIMEOUT", 5*time.Second, "longest wait to connect to PostgreSQL", nonNegativeDuration)
}

// newSettings starts the settings of a command that reads the environment through
// lookup (os.LookupEnv).
func newSettings(name string, stderr io.Writer, lookup func(string) (string, bool)) (*flag.FlagSet, *envflag.Set) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: amity %s [flags]\n\nFlags (a flag wins over its variable):\n", name)
		envflag.PrintDefaults(fs.Output(), fs)
	}
	return fs, envflag.New(fs, lookup)
}

func parseCommon(name string, args []string, stderr io.Writer, lookup func(string) (string, bool)) (commonConfig, error) {
	var cfg commonConfig
	_, s := newSettings(name, stderr, lookup)
	dbSettings(s, &cfg.db)
	return cfg, s.ParseAndResolve(args)
}

// parseServe is the one place serve's configuration is read: from args, and for each
// flag not given from its variable in lookup, else its default. Every value is checked;
// the error names each flag or variable refused.
func parseServe(args []string, stderr io.Writer, lookup func(string) (string, bool)) (serveConfig, error) {
	cfg := serveConfig{http: server.DefaultConfig()}
	h, g := &cfg.http, &cfg.http.GraphQL
	_, s := newSettings("serve", stderr, lookup)
	dbSettings(s, &cfg.db)
	s.Func("addr", "AMITY_ADDR", "host:port", ":8080", "address to listen on", func(t string) string {
		cfg.addr = t
		return checkHostPort(t)
	})
	s.Bool(&cfg.loadSeed, "seed", "AMITY_SEED", true, "load the shipped knowledge (an import file) at start, once per version of it")
	s.Bool(&cfg.logJSON, "log-json", "AMITY_LOG_JSON", false, "log JSON lines instead of text")

	// The GraphQL endpoint: cost, limits, schema features.
	s.Int(&g.MaxComplexity, "max-complexity", "AMITY_MAX_COMPLEXITY", g.MaxComplexity, "largest query cost accepted", nonNegative)
	s.Bool(&h.Auth.Anonymous, "anonymous", "AMITY_ANONYMOUS", true, "let requests without an API key read")
	s.Bool(&g.Federation, "federation", "AMITY_FEDERATION", false, "answer Apollo Federation's _service and _entities, to run as a subgraph")
	s.Bool(&g.Introspection, "introspection", "AMITY_INTROSPECTION", true, "allow schema introspection")
	s.Duration(&h.RequestTimeout, "request-timeout", "AMITY_REQUEST_TIMEOUT", h.RequestTimeout, "longest a GraphQL request may run, SQL included", envflag.AtLeast(time.Millisecond))
	s.Int(&h.MaxConcurrentRequests, "max-concurrent-requests", "AMITY_MAX_CONCURRENT_REQUESTS", h.MaxConcurrentRequests, "GraphQL operations (HTTP and WebSocket) that execute at once; a quarter are kept for cheap ones, one caller holds at most half, the rest wait round-robin by caller or are refused early with 503 (0: no bound; default 4 per core)", nonNegative)
	s.Int(&h.ReadsBesideWrites, "reads-beside-writes", "AMITY_READS_BESIDE_WRITES", 0, "most queries that start while a mutation executes, so that mutations keep their pace beside many readers at the cost of the readers' latency (0: no bound)", nonNegative)
	s.Int(&h.CheapComplexity, "cheap-complexity", "AMITY_CHEAP_COMPLEXITY", admission.DefaultCheapCost, "largest query cost admission counts as cheap; cheap operations have slots expensive ones cannot take", nonNegative)
	s.Int(&g.Limits.MaxDepth, "max-depth", "AMITY_MAX_DEPTH", g.Limits.MaxDepth, "deepest field nesting accepted; 0 turns the limit off", nonNegative)
	s.Int(&g.Limits.MaxAliases, "max-aliases", "AMITY_MAX_ALIASES", g.Limits.MaxAliases, "most aliases in a document", nonNegative)
	s.Int(&g.Limits.MaxDirectives, "max-directives", "AMITY_MAX_DIRECTIVES", g.Limits.MaxDirectives, "most directives on one field", nonNegative)
	s.Int(&g.Limits.MaxFields, "max-fields", "AMITY_MAX_FIELDS", g.Limits.MaxFields, "most fields in one operation once its fragments are expanded", nonNegative)
	s.Int(&g.Limits.MaxMerged, "max-merged-fields", "AMITY_MAX_MERGED_FIELDS", g.Limits.MaxMerged, "most fields answering one response path, fragments expanded", nonNegative)
	s.Int(&g.Limits.MaxTokens, "max-tokens", "AMITY_MAX_TOKENS", g.Limits.MaxTokens, "most lexical tokens in a document", nonNegative)
	s.Int(&g.Limits.MaxQueryBytes, "max-query-bytes", "AMITY_MAX_QUERY_BYTES", g.Limits.MaxQueryBytes, "longest query text in bytes", nonNegative)
	// A body cap of 0 would refuse every POST.
	s.Int64(&h.MaxBodyBytes, "max-body-bytes", "AMITY_MAX_BODY_BYTES", h.MaxBodyBytes, "largest request body in bytes", envflag.AtLeast[int64](1))
	s.Bool(&g.Dev, "dev", "AMITY_DEV", false, "development mode: \"did you mean\" suggestions in validation errors")

	// Replicas on standbys.
	r := &cfg.replica
	s.OneOf(&r.readOnly, "read-only", "AMITY_READ_ONLY", "auto", []string{"auto", "true", "false"}, "refuse mutations with READ_ONLY: auto while the database is a standby (writable once it is promoted), true always, false never")
	s.Func("notify-database-url", "AMITY_NOTIFY_DATABASE_URL", "url", "", "the primary, whose change notifications a replica on a standby listens to (a standby relays none); empty: the replica's own database", func(t string) string {
		if t == "" {
			return ""
		}
		if problem := checkDatabaseURL(t); problem != "" {
			return problem
		}
		r.notifyURL = t
		return ""
	})
	s.String(&r.writesTo, "writes-url", "AMITY_WRITES_URL", "", "where writes go, named in the READ_ONLY error of a read-only replica (such as https://api.example.org/graphql)")
	s.Duration(&r.maxReplayLag, "max-replay-lag", "AMITY_MAX_REPLAY_LAG", 30*time.Second, "on a standby, /readyz fails while replay lags the primary by more than this (0: never)", nonNegativeDuration)

	// The read cache.
	s.Func("cache-size", "AMITY_CACHE_SIZE", "MiB", strconv.Itoa(int(server.DefaultReadCacheBytes>>20)), "MiB of reads the requests share, kept true by the change feed (docs/operations.md, \"The read cache\"); 0 turns the cache off", func(t string) string {
		mib, err := strconv.Atoi(t)
		if err != nil || mib < 0 {
			return "not a whole number of MiB, 0 or more"
		}
		h.ReadCacheBytes = int64(mib) << 20
		return ""
	})

	// The Go runtime and the HTTP listener.
	s.Int(&cfg.memoryLimitMiB, "memory-limit-mib", "AMITY_MEMORY_LIMIT_MIB", 96, "soft limit of the Go heap in MiB, besides the read cache's --cache-size, which is added to it: the GC works harder near it rather than grow (GOMEMLIMIT, when set, wins; 0 for none)", nonNegative)
	s.Int(&cfg.gcPercent, "gc-percent", "AMITY_GC_PERCENT", 400, "Go GC growth target, as GOGC: a larger value collects less often, within the memory limit (GOGC, when set, wins; 0 keeps Go's default)", nonNegative)
	t := &cfg.timeouts
	s.Duration(&t.readHeader, "read-header-timeout", "AMITY_READ_HEADER_TIMEOUT", 5*time.Second, "longest wait for a request's headers", nonNegativeDuration)
	s.Duration(&t.read, "read-timeout", "AMITY_READ_TIMEOUT", 10*time.Second, "longest wait for a whole request, body included", nonNegativeDuration)
	s.Duration(&t.write, "write-timeout", "AMITY_WRITE_TIMEOUT", 0, "longest time to write a response; 0 means the request timeout plus 5s", nonNegativeDuration)
	s.Duration(&t.idle, "idle-timeout", "AMITY_IDLE_TIMEOUT", 2*time.Minute, "how long an idle keep-alive connection stays open", nonNegativeDuration)
	s.Duration(&t.shutdown, "shutdown-timeout", "AMITY_SHUTDOWN_TIMEOUT", 20*time.Second, "on SIGTERM, how long in-flight requests may finish", nonNegativeDuration)
	s.Int(&t.maxHeader, "max-header-bytes", "AMITY_MAX_HEADER_BYTES", 64<<10, "largest request header block, URL included", nonNegative)

	// Observability.
	s.Bool(&h.Metrics, "metrics", "AMITY_METRICS", h.Metrics, "serve Prometheus metrics at /metrics")
	s.Func("metrics-addr", "AMITY_METRICS_ADDR", "host:port", "", "serve Prometheus metrics on this address of their own (such as 127.0.0.1:9090), to anyone who reaches it, and not on the API's; empty serves them at the API's /metrics to API keys with the admin scope only", func(t string) string {
		cfg.metricsAddr = t
		if t == "" {
			return ""
		}
		return checkHostPort(t)
	})
	s.OneOf(&cfg.tracing.Exporter, "otel-exporter", "AMITY_OTEL_EXPORTER", tracing.Off, []string{tracing.Off, tracing.OTLP, tracing.Stdout}, "trace HTTP, resolvers and SQL with OpenTelemetry: otlp, stdout, or empty for off")
	s.Func("otel-endpoint", "AMITY_OTEL_ENDPOINT", "host:port", "", "host:port of the OTLP/HTTP collector; empty uses OTEL_EXPORTER_OTLP_ENDPOINT", func(t string) string {
		cfg.tracing.Endpoint = t
		if t == "" {
			return ""
		}
		return checkHostPort(t)
	})
	s.Bool(&cfg.tracing.Insecure, "otel-insecure", "AMITY_OTEL_INSECURE", false, "send spans to the collector over plain HTTP")
	s.Float(&cfg.tracing.SampleRatio, "otel-sample-ratio", "AMITY_OTEL_SAMPLE_RATIO", 1, "share of requests traced, 0 to 1", envflag.Between(0.0, 1.0))

	// Who may reach what.
	s.Func("allowed-hosts", "AMITY_ALLOWED_HOSTS", "list", "", "comma-separated Host names served besides loopback names and IP literals (api.example.org, *.example.org), or * for any; other names get 421, which stops DNS rebinding", func(t string) string {
		if problem := checkHosts(t); problem != "" {
			return problem
		}
		h.Hosts = server.HostPolicy{Check: true, Allowed: server.ParseHosts(t)}
		return ""
	})
	s.Duration(&h.Auth.CacheTTL, "key-cache-ttl", "AMITY_KEY_CACHE_TTL", h.Auth.CacheTTL, "how long a looked-up API key is trusted: a revoked key stops within this, over HTTP and on open WebSockets", nonNegativeDuration)
	fails := ratelimit.DefaultFailures()
	s.Float(&h.AuthFailures.Rate, "auth-failure-rate", "AMITY_AUTH_FAILURE_RATE", fails.Rate, "failed authentications a second one client address may keep up; past its burst its keys get 429 without a look-up; 0 is unlimited", nonNegativeFloat)
	s.Int(&h.AuthFailures.Burst, "auth-failure-burst", "AMITY_AUTH_FAILURE_BURST", fails.Burst, "failed authentications one client address may make at once", nonNegative)
	s.Int(&h.SecurityLogPerSecond, "security-log-rate", "AMITY_SECURITY_LOG_RATE", seclog.DefaultPerSecond, "most security log lines (security=true) a second; the rest are counted in the next line", nonNegative)

	// Redis, rate limits, persisted queries, CORS, caching.
	p := &cfg.partners
	s.Func("redis-url", "AMITY_REDIS_URL", "url", "", "Redis URL (redis://host:6379/0) that shares rate limits and persisted queries between replicas; empty keeps them in memory", func(t string) string {
		p.redis = nil
		if t == "" {
			return ""
		}
		opts, err := redis.ParseURL(t)
		if err != nil {
			return "not a Redis URL (redis://host:6379/0 or rediss://…)"
		}
		p.redis = opts
		return ""
	})
	s.String(&h.RedisPrefix, "redis-prefix", "AMITY_REDIS_PREFIX", "amity:", "prefix of every Redis key Amity writes")
	s.Duration(&p.redisTimeout, "redis-timeout", "AMITY_REDIS_TIMEOUT", redisguard.DefaultTimeout, "longest wait to dial Redis, for one read or write, or for a pooled connection; commands are not retried", nonNegativeDuration)
	s.Int(&h.RedisBreaker.Failures, "redis-breaker-failures", "AMITY_REDIS_BREAKER_FAILURES", redisguard.DefaultFailures, "failed Redis commands in a row that open the circuit breaker: then rate limits let requests through and persisted queries miss without calling Redis", nonNegative)
	s.Duration(&h.RedisBreaker.Cooldown, "redis-breaker-cooldown", "AMITY_REDIS_BREAKER_COOLDOWN", redisguard.DefaultCooldown, "how long the open circuit breaker waits before one command probes Redis again", nonNegativeDuration)
	rl := ratelimit.Default()
	s.Float(&h.RateLimit.KeyRate, "rate-limit", "AMITY_RATE_LIMIT", rl.KeyRate, "requests a second of an API key without a rate of its own; 0 is unlimited", nonNegativeFloat)
	s.Float(&h.RateLimit.AnonymousRate, "rate-limit-anonymous", "AMITY_RATE_LIMIT_ANONYMOUS", rl.AnonymousRate, "requests a second of one client address without a key; 0 is unlimited", nonNegativeFloat)
	s.Func("trusted-proxies", "AMITY_TRUSTED_PROXIES", "list", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client, for anonymous rate limits; empty trusts no header", func(t string) string {
		proxies, err := parsePrefixes(t)
		if err != nil {
			return err.Error()
		}
		h.Auth.TrustedProxies = proxies
		return ""
	})
	s.Duration(&h.RateLimit.Burst, "rate-limit-burst", "AMITY_RATE_LIMIT_BURST", rl.Burst, "how many seconds of its rate a caller may spend at once", nonNegativeDuration)
	s.String(&p.trustedFile, "trusted-documents", "AMITY_TRUSTED_DOCUMENTS", "", "JSON file of sha256 → document, as written by amity trusted-documents: run only these documents")
	s.Bool(&p.trustedAnonymous, "trusted-documents-anonymous-only", "AMITY_TRUSTED_DOCUMENTS_ANONYMOUS_ONLY", false, "apply the trusted documents to requests without an API key only")
	s.Func("cors-origins", "AMITY_CORS_ORIGINS", "list", "", "comma-separated origins whose pages may call /graphql, or *; empty sends no CORS headers", func(t string) string {
		origins := cors.ParseOrigins(t)
		for _, o := range origins {
			if problem := checkOrigin(o); problem != "" {
				return problem
			}
		}
		h.CORS.Origins = origins
		return ""
	})
	s.Duration(&h.CORS.MaxAge, "cors-max-age", "AMITY_CORS_MAX_AGE", time.Hour, "how long browsers may reuse a CORS preflight answer", nonNegativeDuration)
	s.Duration(&h.Cache.MaxAge, "cache-max-age", "AMITY_CACHE_MAX_AGE", h.Cache.MaxAge, "how long anonymous GET query answers may be cached (Cache-Control max-age); 0 makes clients revalidate with the ETag every time", nonNegativeDuration)

	if err := s.ParseAndResolve(args); err != nil {
		return cfg, err
	}

	// Settings that follow from others.
	if t.write == 0 {
		t.write = h.RequestTimeout + 5*time.Second
	}
	h.Tracing = cfg.tracing.Exporter != tracing.Off
	h.MetricsAccess = server.MetricsAdmin
	if cfg.metricsAddr != "" {
		h.MetricsAccess = server.MetricsElsewhere
	}
	return cfg, nil
}

// checkDatabaseURL refuses a URL that lib/pq would refuse later, at connection time,
// with an error that names no setting. A key=value connection string is left to lib/pq.
func checkDatabaseURL(t string) string {
	if !strings.Contains(t, "://") {
		return ""
	}
	u, err := url.Parse(t)
	if err != nil {
		return "not a URL"
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Sprintf("scheme %q: want postgres://", u.Scheme)
	}
	return ""
}

// checkHostPort checks host:port, the port a number or a service name; the host may be
// empty (every interface) or a name resolved later.
func checkHostPort(t string) string {
	if strings.Contains(t, "/") {
		return "not a host:port address (give host:4318, not a URL)"
	}
	_, port, err := net.SplitHostPort(t)
	if err != nil {
		return "not a host:port address (such as 127.0.0.1:8080 or :8080)"
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Sprintf("port %q is not a port number", port)
	}
	return ""
}

// checkHosts refuses what cannot be a Host name, such as a URL given for a name.
func checkHosts(list string) string {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" || item == "*" {
			continue
		}
		if strings.ContainsAny(item, "/@ ") {
			return fmt.Sprintf("%q is not a host name (give api.example.org, not a URL)", item)
		}
	}
	return ""
}

// checkOrigin checks one CORS origin: scheme://host[:port], as browsers send it.
func checkOrigin(o string) string {
	if o == "*" {
		return ""
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Sprintf("%q is not an origin (such as https://app.example.org)", o)
	}
	return ""
}

// parsePrefixes reads a comma-separated list of addresses (one host each) and CIDR
// ranges.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range", item)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}
