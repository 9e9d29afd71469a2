package server

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"

	"github.com/amity/amity/internal/edge/cors"
	"github.com/amity/amity/internal/edge/httpcache"
	"github.com/amity/amity/internal/edge/metrics"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/edge/ratelimit"
)

func (cfg Config) redisPrefix() string {
	if cfg.RedisPrefix == "" {
		return "amity:"
	}
	return cfg.RedisPrefix
}

// persistedQueryCache is the configured cache of automatic persisted queries, else one
// shared through Redis if there is one, else nil (graph keeps them in memory).
func persistedQueryCache(cfg Config, log *slog.Logger) graphql.Cache[string] {
	if cfg.GraphQL.PersistedQueries == nil && cfg.Redis != nil {
		return persisted.NewRedisCache(cfg.Redis, cfg.redisPrefix()+"apq:", persisted.DefaultTTL, log)
	}
	return cfg.GraphQL.PersistedQueries
}

// newLimiter limits requests in Redis if there is one, else in memory.
func newLimiter(cfg Config, m *metrics.Metrics, log *slog.Logger) *ratelimit.Limiter {
	var store ratelimit.Store = ratelimit.NewMemory(ratelimit.DefaultMaxKeys)
	if cfg.Redis != nil {
		store = ratelimit.NewRedis(cfg.Redis, cfg.redisPrefix()+"rl:")
	}
	return ratelimit.New(store, cfg.RateLimit, log, m)
}

// edge is the outermost layer of the GraphQL endpoint: CORS first, so that preflights
// are answered before authentication and every answer (401 and 429 included) is
// readable by an allowed page; then the caching headers.
func edge(cfg Config, next http.Handler) http.Handler {
	return cors.Middleware(cfg.CORS, httpcache.Middleware(cfg.Cache, next))
}
