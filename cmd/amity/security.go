package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/amity/amity/internal/ratelimit"
	"github.com/amity/amity/internal/seclog"
	"github.com/amity/amity/internal/server"
)

// securityConfig holds serve's settings about who may reach what: the Host names
// served, where metrics are served.
type securityConfig struct {
	metricsAddr  string
	allowedHosts string
}

// securityFlags are serve's flags for keys, failed authentications, the security log,
// the Host policy and the metrics endpoint.
func securityFlags(fs *flag.FlagSet, cfg *serveConfig) {
	s, h := &cfg.security, &cfg.http
	fails := ratelimit.DefaultFailures()
	fs.StringVar(&s.metricsAddr, "metrics-addr", envOr("AMITY_METRICS_ADDR", ""), "serve Prometheus metrics on this address of their own (such as 127.0.0.1:9090), to anyone who reaches it, and not on the API's; empty serves them at the API's /metrics to API keys with the admin scope only (env AMITY_METRICS_ADDR)")
	fs.StringVar(&s.allowedHosts, "allowed-hosts", envOr("AMITY_ALLOWED_HOSTS", ""), "comma-separated Host names served besides loopback names and IP literals (api.example.org, *.example.org), or * for any; other names get 421, which stops DNS rebinding (env AMITY_ALLOWED_HOSTS)")
	fs.DurationVar(&h.Auth.CacheTTL, "key-cache-ttl", envDuration("AMITY_KEY_CACHE_TTL", h.Auth.CacheTTL), "how long a looked-up API key is trusted: a revoked key stops within this, over HTTP and on open WebSockets (env AMITY_KEY_CACHE_TTL)")
	fs.Float64Var(&h.AuthFailures.Rate, "auth-failure-rate", envFloat("AMITY_AUTH_FAILURE_RATE", fails.Rate), "failed authentications a second one client address may keep up; past its burst its keys get 429 without a look-up; 0 is unlimited (env AMITY_AUTH_FAILURE_RATE)")
	fs.IntVar(&h.AuthFailures.Burst, "auth-failure-burst", envInt("AMITY_AUTH_FAILURE_BURST", fails.Burst), "failed authentications one client address may make at once (env AMITY_AUTH_FAILURE_BURST)")
	fs.IntVar(&h.SecurityLogPerSecond, "security-log-rate", envInt("AMITY_SECURITY_LOG_RATE", seclog.DefaultPerSecond), "most security log lines (security=true) a second; the rest are counted in the next line (env AMITY_SECURITY_LOG_RATE)")
}

// applySecurity turns the parsed flags into the server's settings.
func applySecurity(cfg *serveConfig) {
	cfg.http.Hosts = server.HostPolicy{Check: true, Allowed: server.ParseHosts(cfg.security.allowedHosts)}
	cfg.http.MetricsAccess = server.MetricsAdmin
	if cfg.security.metricsAddr != "" {
		cfg.http.MetricsAccess = server.MetricsElsewhere
	}
}

// serveMetrics serves the metrics on --metrics-addr, if set, until the returned
// function stops it.
func serveMetrics(addr string, s *server.Server, log *slog.Logger) (func(), error) {
	if addr == "" || s.Metrics() == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("metrics are served apart", "metrics", "http://"+displayAddr(ln.Addr().String())+"/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
