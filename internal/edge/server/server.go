// Package server puts Amity's HTTP surface together: the GraphQL endpoint with its
// per-request loaders and limits, the playground, and the health endpoints.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/99designs/gqlgen/graphql"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/graph/limits"
	"github.com/amity/amity/graph/loader"
	"github.com/amity/amity/internal/edge/admission"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/cors"
	"github.com/amity/amity/internal/edge/graphqlhttp"
	"github.com/amity/amity/internal/edge/httpcache"
	"github.com/amity/amity/internal/edge/metrics"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/edge/ratelimit"
	"github.com/amity/amity/internal/edge/redisguard"
	"github.com/amity/amity/internal/edge/seclog"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
	"github.com/amity/amity/internal/postgres/readcache"
)

// Config tunes the HTTP surface.
type Config struct {
	// GraphQL is the GraphQL endpoint's policy. What the endpoint is wired to (the
	// logger, the change feed, the authenticator, the loaders' wait, the operation
	// timeout, tracing, the WebSocket rate limit, admission) New builds from the rest of
	// Config: see graphOptions.
	GraphQL GraphQL
	// MaxBodyBytes caps a request body; GraphQL documents are small, and a body cap is
	// the cheapest defence against memory exhaustion.
	MaxBodyBytes int64
	// RequestTimeout bounds one GraphQL request, SQL included.
	RequestTimeout time.Duration
	// LoaderWait is how long per-request loaders gather keys before a batch runs.
	LoaderWait time.Duration
	// MaxConcurrentRequests bounds the GraphQL operations that execute at once, over
	// HTTP and WebSocket; the others wait, by cost and caller (internal/edge/admission).
	// 0 means no bound.
	MaxConcurrentRequests int
	// CheapComplexity is the largest cost admission counts as cheap: cheap operations
	// have slots of their own (0: admission.DefaultCheapCost).
	CheapComplexity int
	// ReadsBesideWrites is the most reads that start while a mutation executes (0:
	// no bound; admission.Config).
	ReadsBesideWrites int
	// Metrics serves Prometheus metrics at /metrics.
	Metrics bool
	// MetricsAccess says who may read them on this handler: anyone (the zero value),
	// admin keys, or nobody (Server.Metrics serves them on a listener of their own).
	// The amity binary asks for admin keys unless --metrics-addr is set.
	MetricsAccess MetricsAccess
	// Hosts says which Host headers are served; the zero value serves any, the amity
	// binary only loopback names, IP literals and --allowed-hosts.
	Hosts HostPolicy
	// AuthFailures bounds failed authentications per client address (the keys of an
	// address past it are refused unread, with RATE_LIMITED). The zero value bounds
	// nothing; the amity binary starts from ratelimit.DefaultFailures().
	AuthFailures ratelimit.Limit
	// SecurityLogPerSecond caps the security log's lines a second
	// (seclog.DefaultPerSecond if 0).
	SecurityLogPerSecond int
	// Auth configures API keys and anonymous access.
	Auth auth.Config
	// Tracing wraps requests in OpenTelemetry spans (HTTP, GraphQL operations, resolvers);
	// internal/edge/tracing sets up where they go.
	Tracing bool
	// Redis, if set, shares rate limits and automatic persisted queries between
	// replicas; without it both live in this process's memory.
	Redis redis.UniversalClient
	// RedisPrefix starts every Redis key Amity writes ("amity:" if empty).
	RedisPrefix string
	// RedisBreaker sets the circuit breaker New adds to Redis (internal/edge/redisguard), so
	// that an unavailable Redis fails every use of it at once. Give the client short
	// timeouts too (redisguard.Tune), and each server a client of its own.
	RedisBreaker redisguard.Config
	// RateLimit sets requests a second per API key and per anonymous client address.
	// The zero value limits nobody; the amity binary starts from ratelimit.Default().
	RateLimit ratelimit.Config
	// CORS lists the origins whose pages may call the API; none by default.
	CORS cors.Config
	// Cache sets how long anonymous GET answers may be cached.
	Cache httpcache.Config
	// ReadCacheBytes bounds the cache of reads that requests share
	// (internal/postgres/readcache); 0 turns it off. The change feed keeps it true
	// (notify.Hub.Keep): docs/operations.md, "The read cache".
	ReadCacheBytes int64
	// FeedPing is how often the change feed proves itself live while the read cache is
	// on (0: 1s): a feed that stops answering turns the cache off within two of them.
	FeedPing time.Duration
	// Replica says what this replica's database is, when it may be a standby.
	Replica Replica
}

// Replica is how a replica whose database may be a standby serves (docs/operations.md,
// "Replicas on standbys"). The zero value is a replica of the primary.
type Replica struct {
	// ReadOnly, if set, refuses mutations with READ_ONLY while it reports true.
	ReadOnly func() bool
	// WritesTo names where writes go, for READ_ONLY's message.
	WritesTo string
	// NotifyDSN is the database whose change notifications the change feed listens to:
	// the primary's, since a standby relays no notifications. Empty: the store's own.
	NotifyDSN string
	// Standby, if set, says the store is a standby: the change feed gives a change to
	// subscribers once the standby has replayed it, and the read cache caches nothing
	// read before that.
	Standby *notify.Positions
	// Lag reads how far the standby's replay is behind; /readyz fails past MaxLag.
	Lag    func(context.Context) (time.Duration, error)
	MaxLag time.Duration
}

// GraphQL is what a deployment chooses about the GraphQL endpoint; each field is
// graph.Options' field of the same name.
type GraphQL struct {
	MaxComplexity int
	Introspection bool
	Federation    bool
	Limits        limits.Config
	Dev           bool
	// Observer is told the outcome of every request; nil: the server's metrics.
	Observer graphqlhttp.Observer
	// PersistedQueries stores automatic persisted queries; nil: in Redis when Config
	// has a client, else in this replica's memory.
	PersistedQueries graphql.Cache[string]
	// Trusted, if set, runs only the documents of its list.
	Trusted *persisted.Trusted
}

// DefaultReadCacheBytes is the read cache's default budget. A cached read lives on the
// heap the garbage collector marks: at l scale, Q2 at c=64 went from 1,843 requests a
// second without the cache to 2,342 with 16 MiB (107 MB peak RSS) and 2,142 with 32 MiB,
// whose marking cost more than its hits saved (docs/benchmarks.md).
const DefaultReadCacheBytes = 16 << 20

// DefaultConfig returns production-safe defaults for the handler. What guards the
// network edge — the Host policy, admin-only /metrics, the failed-authentication budget,
// like the rate limits — is left off here (tests reach the handler as example.com and
// read /metrics freely); the amity binary's flags turn it on.
func DefaultConfig() Config {
	g := graph.DefaultOptions()
	return Config{GraphQL: GraphQL{MaxComplexity: g.MaxComplexity, Introspection: g.Introspection, Limits: g.Limits, Dev: g.Dev}, MaxBodyBytes: 1 << 20, RequestTimeout: 15 * time.Second, LoaderWait: loader.DefaultWait, Metrics: true,
		MaxConcurrentRequests: admission.DefaultCapacity(),
		Auth:                  auth.Config{Anonymous: true, CacheTTL: 10 * time.Second}, Cache: httpcache.Config{MaxAge: 60 * time.Second},
		ReadCacheBytes: DefaultReadCacheBytes}
}

// New returns the HTTP handler of the whole service. Close it on shutdown: it owns the
// subscriptions' change feed and WebSocket connections.
func New(db *postgres.DB, cfg Config, log *slog.Logger) *Server {
	m := metrics.New(db.DB.DB)
	feed := db.ListenDSN()
	if cfg.Replica.NotifyDSN != "" {
		feed = cfg.Replica.NotifyDSN
	}
	s := &Server{changes: notify.New(feed, notify.Options{Logger: log, Standby: cfg.Replica.Standby}), cache: readcache.New(cfg.ReadCacheBytes)}
	s.lifetime, s.stop = context.WithCancel(context.Background())
	if s.cache != nil {
		s.stopCommits = db.OnCommit(s.cache.Invalidate)
		go s.changes.Keep(s.lifetime, s.cache, notify.KeepOptions{Every: cfg.FeedPing})
		go s.cache.FlushDaily(s.lifetime, time.Now)
		m.WatchReadCache(s.cache)
	}
	m.WatchReplayLag(cfg.Replica.Lag)
	authCfg := cfg.Auth
	if authCfg.Failures == nil && cfg.AuthFailures.Rate > 0 {
		authCfg.Failures = ratelimit.NewFailures(cfg.AuthFailures, ratelimit.DefaultMaxKeys)
	}
	authn := auth.NewAuthenticator(db, authCfg)
	if cfg.Redis != nil {
		redisguard.Guard(cfg.Redis, cfg.RedisBreaker, m)
	}
	limiter := newLimiter(cfg, m, log)
	adm := newAdmission(cfg, db)
	m.WatchAdmission(adm.Scheduler)
	var observer graphqlhttp.Observer = m
	if cfg.GraphQL.Observer != nil {
		observer = cfg.GraphQL.Observer
	}
	gql := graph.NewHandler(db, graphOptions(cfg.GraphQL, wiring{
		log: log, observer: observer, persisted: persistedQueryCache(cfg, log),
		changes: s.changes, authn: authn, origins: cfg.CORS.Origins,
		loaderWait: cfg.LoaderWait, readCache: s.cache, readOnly: cfg.Replica.ReadOnly, writesTo: cfg.Replica.WritesTo,
		operationTimeout: cfg.RequestTimeout, tracing: cfg.Tracing,
		operationLimit: limiter.Operation, admission: adm,
	}))

	mux := http.NewServeMux()
	if cfg.Metrics {
		s.metrics = noSniff(checkHosts(cfg.Hosts, m.Handler()))
		if h := metricsRoute(cfg.MetricsAccess, authn, m.Handler()); h != nil {
			mux.Handle("GET /metrics", h)
		}
	}
	api := withTimeout(cfg.RequestTimeout, log, m, loader.Middleware(db, cfg.LoaderWait, s.cache, gql))
	mux.Handle("/graphql", edge(cfg, limitBody(cfg.MaxBodyBytes, m, s.upgrades(authn, authn.Middleware(limiter.Middleware(api)), limiter.Middleware(api)))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := db.PingContext(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
			return
		}
		if lag := cfg.Replica.Lag; lag != nil {
			d, err := lag(ctx)
			switch {
			case err != nil:
				log.WarnContext(ctx, "not ready", "err", err)
				http.Error(w, "standby replay position unavailable\n", http.StatusServiceUnavailable)
				return
			case cfg.Replica.MaxLag > 0 && d > cfg.Replica.MaxLag:
				http.Error(w, fmt.Sprintf("standby lags the primary by %s, more than %s\n", d.Round(time.Millisecond), cfg.Replica.MaxLag), http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintf(w, "ready\nstandby replay lag: %s\n", d.Round(time.Millisecond))
			w.Write([]byte(changeFeedStatus(s.changes.Status())))
			return
		}
		w.Write([]byte("ready\n"))
		w.Write([]byte(changeFeedStatus(s.changes.Status())))
	})
	mountPlayground(mux)
	mountExplore(mux)
	// Every answer gets nosniff, the 421 of a foreign Host and a panic's 500 included.
	sec := seclog.New(log, cfg.SecurityLogPerSecond)
	s.handler = logRequests(log, observeHTTP(m, noSniff(withSecurityLog(sec, checkHosts(cfg.Hosts, recoverPanics(log, mux))))))
	if cfg.Tracing {
		// Outermost, so a caller's traceparent header starts the trace the rest joins.
		s.handler = otelhttp.NewHandler(s.handler, "amity", otelhttp.WithSpanNameFormatter(
			func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
	}
	return s
}

// wiring is what New builds for the GraphQL endpoint from the parts of Config beyond
// its policy.
type wiring struct {
	log              *slog.Logger
	observer         graphqlhttp.Observer
	persisted        graphql.Cache[string]
	changes          *notify.Hub
	authn            *auth.Authenticator
	origins          []string
	loaderWait       time.Duration
	readCache        *readcache.Cache
	readOnly         func() bool
	writesTo         string
	operationTimeout time.Duration
	tracing          bool
	operationLimit   func(context.Context) *gqlerror.Error
	admission        graph.Admission
}

// graphOptions is the one place the GraphQL endpoint's options are put together: the
// caller's policy and what New built. server_test.go fails when graph.Options gains a
// field this leaves unset.
func graphOptions(p GraphQL, w wiring) graph.Options {
	return graph.Options{
		MaxComplexity: p.MaxComplexity, Introspection: p.Introspection, Federation: p.Federation,
		Limits: p.Limits, Dev: p.Dev, Trusted: p.Trusted,
		Observer: w.observer, PersistedQueries: w.persisted, Logger: w.log,
		Subscriptions: w.changes, WebSocketOrigins: w.origins, Authenticator: w.authn,
		LoaderWait: w.loaderWait, ReadCache: w.readCache, ReadOnly: w.readOnly, WritesTo: w.writesTo,
		OperationTimeout: w.operationTimeout, Tracing: w.tracing,
		OperationLimit: w.operationLimit, Admission: w.admission,
	}
}

// newAdmission sizes the gate of every GraphQL operation. Each admitted operation may
// run the pool's size divided by the slots in statements at once, so admitted
// operations together never wait for the pool, and one caller holds at most its share
// of slots times that.
func newAdmission(cfg Config, db *postgres.DB) graph.Admission {
	sched := admission.New(admission.Config{Slots: cfg.MaxConcurrentRequests, CheapCost: cfg.CheapComplexity,
		ReadsBesideWrites: cfg.ReadsBesideWrites})
	a := graph.Admission{Scheduler: sched, MaxWait: cfg.RequestTimeout}
	if sched != nil {
		a.Statements = max(1, db.Stats().MaxOpenConnections/sched.Config().Slots)
	}
	return a
}

func limitBody(n int64, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			m.ObserveRefusal(graphqlhttp.CodeRequestTooLarge)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprintf(w, `{"errors":[{"message":"the request body is larger than %d bytes","extensions":{"code":%q}}]}`, n, graphqlhttp.CodeRequestTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs one line per request, with the SQL statements it ran and an id that
// is also sent back in X-Request-Id, so a client's report can be matched to the log.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		ctx, statements := postgres.WithStatementCounter(r.Context())
		start := time.Now()
		next.ServeHTTP(rec, r.WithContext(ctx))
		log.InfoContext(ctx, "request", "id", id, "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration_ms", float64(time.Since(start).Microseconds())/1000,
			"sql_statements", statements.Load())
	})
}
