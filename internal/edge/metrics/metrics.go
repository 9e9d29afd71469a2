// Package metrics collects Amity's Prometheus metrics: GraphQL requests by operation and
// outcome, their latency and SQL statements, limit refusals, HTTP responses by route,
// and the database pool. Every label has a bounded set of values, so a client cannot
// grow the number of series: operation names are capped, routes are a fixed list.
//
// Each Metrics has a registry of its own, so several servers (tests) can run in one
// process. docs/operations.md explains every metric.
package metrics

import (
	"database/sql"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxOperationNames is how many distinct operation names get a label value of their
// own; later names count as "other".
const MaxOperationNames = 200

// Label values for operations that have no name of their own.
const (
	OperationAnonymous = "anonymous"
	OperationOther     = "other"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	statements prometheus.Histogram
	refusals   *prometheus.CounterVec
	http       *prometheus.CounterVec
	httpDur    *prometheus.HistogramVec
	deadline   prometheus.Counter
	redis      redisMetrics

	mu    sync.Mutex
	names map[string]bool
}

// New returns the metrics of a server whose database pool is db (nil for none).
func New(db *sql.DB) *Metrics {
	m := &Metrics{
		reg:   prometheus.NewRegistry(),
		names: map[string]bool{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amity_graphql_requests_total",
			Help: "GraphQL requests by operation name and outcome (ok, error, unavailable, internal, invalid, refused).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "amity_graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, from the parsed HTTP request to the written response, by operation name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}, []string{"operation"}),
		statements: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "amity_graphql_sql_statements",
			Help:    "SQL statements run per GraphQL request; it follows a query's depth, not its rows.",
			Buckets: []float64{0, 1, 2, 4, 8, 16, 32, 64},
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amity_graphql_refusals_total",
			Help: "GraphQL requests refused by a limit, by the refusal's extensions.code.",
		}, []string{"code"}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amity_http_requests_total",
			Help: "HTTP responses by route and status code.",
		}, []string{"route", "code"}),
		httpDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "amity_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.deadline = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "amity_http_deadline_answers_total",
		Help: "GraphQL requests answered 503 SERVICE_UNAVAILABLE by the deadline guard because the handler had not answered by the request deadline plus its grace.",
	})
	m.redis = newRedisMetrics()
	m.reg.MustRegister(m.requests, m.duration, m.statements, m.refusals, m.http, m.httpDur, m.deadline,
		m.redis.errors, m.redis.rejected, m.redis.open,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, "amity"))
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the metrics are in, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

var validName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

// operation returns the label value of an operation name: the name itself for the first
// MaxOperationNames valid names of operations that executed, "anonymous" for none,
// "other" for the rest. A request that never executed (refused by a limit, invalid)
// keeps a name already known but adds none: anyone can send any name with a document
// that is refused, and those would otherwise use up the slots before the real
// operations arrive.
func (m *Metrics) operation(name string, executed bool) string {
	if name == "" {
		return OperationAnonymous
	}
	if !validName.MatchString(name) {
		return OperationOther
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if !executed || len(m.names) >= MaxOperationNames {
		return OperationOther
	}
	m.names[name] = true
	return name
}

// Outcomes of requests that never executed (graph's transport reports them).
const (
	OutcomeInvalid = "invalid"
	OutcomeRefused = "refused"
)

// ObserveOperation records one GraphQL request.
func (m *Metrics) ObserveOperation(operation, outcome string, d time.Duration, statements int64) {
	op := m.operation(operation, outcome != OutcomeInvalid && outcome != OutcomeRefused)
	m.requests.WithLabelValues(op, outcome).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
	m.statements.Observe(float64(statements))
}

// ObserveRefusal records a request refused by a limit.
func (m *Metrics) ObserveRefusal(code string) {
	m.refusals.WithLabelValues(code).Inc()
}

// ObserveHTTP records one HTTP response. route must come from a fixed list.
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	m.http.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpDur.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveDeadlineAnswer records a request the deadline guard answered in its
// handler's place: something under the handler (the database, Redis) did not return.
func (m *Metrics) ObserveDeadlineAnswer() {
	m.deadline.Inc()
}

// redisMetrics show Redis's health as the circuit breaker sees it (internal/edge/redisguard).
type redisMetrics struct {
	errors   prometheus.Counter
	rejected prometheus.Counter
	open     prometheus.Gauge
}

func newRedisMetrics() redisMetrics {
	return redisMetrics{
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amity_redis_errors_total",
			Help: "Redis commands that got no answer from Redis (timeouts, refused or broken connections); misses and Redis's own error replies are answers.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amity_redis_breaker_rejected_total",
			Help: "Redis commands the open circuit breaker failed at once, without calling Redis: rate limits let the request through, persisted queries missed.",
		}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amity_redis_breaker_open",
			Help: "1 while the Redis circuit breaker is open (Redis failed; commands fail at once, a probe every cool-down), 0 while it is closed.",
		}),
	}
}

// ObserveRedisError implements redisguard.Observer.
func (m *Metrics) ObserveRedisError() { m.redis.errors.Inc() }

// ObserveRedisRejected implements redisguard.Observer.
func (m *Metrics) ObserveRedisRejected() { m.redis.rejected.Inc() }

// ObserveRedisBreaker implements redisguard.Observer.
func (m *Metrics) ObserveRedisBreaker(open bool) {
	if open {
		m.redis.open.Set(1)
	} else {
		m.redis.open.Set(0)
	}
}
