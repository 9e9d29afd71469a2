package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amity/amity/internal/postgres/readcache"
)

// WatchReadCache exports the read cache's counters (docs/operations.md, "The read
// cache"), read from the cache at each scrape.
func (m *Metrics) WatchReadCache(c *readcache.Cache) {
	if c != nil {
		m.reg.MustRegister(readCacheCollector{c})
	}
}

var (
	readCacheLookups = prometheus.NewDesc("amity_read_cache_lookups_total",
		"Reads looked up in the read cache, by result (hit, miss).", []string{"result"}, nil)
	readCacheDropped = prometheus.NewDesc("amity_read_cache_dropped_total",
		"Cached reads dropped, by reason (evicted: the byte budget; invalidated: a committed change made them stale).", []string{"reason"}, nil)
	readCacheRefused = prometheus.NewDesc("amity_read_cache_refused_total",
		"Reads not cached: a change arrived while they ran, the standby had not replayed one, or the cache was off.", nil, nil)
	readCacheBytes = prometheus.NewDesc("amity_read_cache_bytes",
		"Bytes the read cache holds, as it estimates them.", nil, nil)
	readCacheEntries = prometheus.NewDesc("amity_read_cache_entries",
		"Reads the read cache holds.", nil, nil)
	answerLookups = prometheus.NewDesc("amity_answer_cache_lookups_total",
		"Queries looked up whole in the read cache, by result (hit: answered without running; miss).", []string{"result"}, nil)
	readCacheOn = prometheus.NewDesc("amity_read_cache_enabled",
		"1 while the read cache takes entries; 0 while the change feed is down or unproven.", nil, nil)
)

type readCacheCollector struct{ c *readcache.Cache }

func (readCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{readCacheLookups, readCacheDropped, readCacheRefused, readCacheBytes, readCacheEntries, readCacheOn, answerLookups} {
		ch <- d
	}
}

func (c readCacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.c.Stats()
	ch <- prometheus.MustNewConstMetric(readCacheLookups, prometheus.CounterValue, float64(st.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(readCacheLookups, prometheus.CounterValue, float64(st.Misses), "miss")
	ch <- prometheus.MustNewConstMetric(readCacheDropped, prometheus.CounterValue, float64(st.Evictions), "evicted")
	ch <- prometheus.MustNewConstMetric(readCacheDropped, prometheus.CounterValue, float64(st.Invalidations), "invalidated")
	ch <- prometheus.MustNewConstMetric(readCacheRefused, prometheus.CounterValue, float64(st.Refused))
	ch <- prometheus.MustNewConstMetric(answerLookups, prometheus.CounterValue, float64(st.AnswerHits), "hit")
	ch <- prometheus.MustNewConstMetric(answerLookups, prometheus.CounterValue, float64(st.AnswerMisses), "miss")
	ch <- prometheus.MustNewConstMetric(readCacheBytes, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(readCacheEntries, prometheus.GaugeValue, float64(st.Entries))
	on := 0.0
	if c.c.Enabled() {
		on = 1
	}
	ch <- prometheus.MustNewConstMetric(readCacheOn, prometheus.GaugeValue, on)
}

var replayLag = prometheus.NewDesc("amity_replay_lag_seconds",
	"How far the standby this replica reads has replayed behind the primary (0 when caught up).", nil, nil)

// WatchReplayLag exports a standby's replay lag, read at each scrape.
func (m *Metrics) WatchReplayLag(lag func(context.Context) (time.Duration, error)) {
	if lag != nil {
		m.reg.MustRegister(replayLagCollector{lag})
	}
}

type replayLagCollector struct {
	lag func(context.Context) (time.Duration, error)
}

func (replayLagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- replayLag }

func (c replayLagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if d, err := c.lag(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(replayLag, prometheus.GaugeValue, d.Seconds())
	}
}
