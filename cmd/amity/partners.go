package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/amity/amity/internal/cors"
	"github.com/amity/amity/internal/examples"
	"github.com/amity/amity/internal/explore"
	"github.com/amity/amity/internal/persisted"
	"github.com/amity/amity/internal/ratelimit"
	"github.com/amity/amity/internal/redisguard"
)

// partnerConfig holds serve's settings for partners and web clients that need work at
// start: the Redis connection and the trusted-documents file.
type partnerConfig struct {
	redisURL         string
	redisTimeout     time.Duration
	trustedFile      string
	trustedAnonymous bool
	corsOrigins      string
	trustedProxies   string
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// partnerFlags are serve's flags for rate limits, persisted queries, CORS and caching.
func partnerFlags(fs *flag.FlagSet, cfg *serveConfig) {
	p, h := &cfg.partners, &cfg.http
	rl := ratelimit.Default()
	fs.StringVar(&p.redisURL, "redis-url", envOr("AMITY_REDIS_URL", ""), "Redis URL (redis://host:6379/0) that shares rate limits and persisted queries between replicas; empty keeps them in memory (env AMITY_REDIS_URL)")
	fs.StringVar(&h.RedisPrefix, "redis-prefix", envOr("AMITY_REDIS_PREFIX", "amity:"), "prefix of every Redis key Amity writes (env AMITY_REDIS_PREFIX)")
	fs.DurationVar(&p.redisTimeout, "redis-timeout", envDuration("AMITY_REDIS_TIMEOUT", redisguard.DefaultTimeout), "longest wait to dial Redis, for one read or write, or for a pooled connection; commands are not retried (env AMITY_REDIS_TIMEOUT)")
	fs.IntVar(&h.RedisBreaker.Failures, "redis-breaker-failures", envInt("AMITY_REDIS_BREAKER_FAILURES", redisguard.DefaultFailures), "failed Redis commands in a row that open the circuit breaker: then rate limits let requests through and persisted queries miss without calling Redis (env AMITY_REDIS_BREAKER_FAILURES)")
	fs.DurationVar(&h.RedisBreaker.Cooldown, "redis-breaker-cooldown", envDuration("AMITY_REDIS_BREAKER_COOLDOWN", redisguard.DefaultCooldown), "how long the open circuit breaker waits before one command probes Redis again (env AMITY_REDIS_BREAKER_COOLDOWN)")
	fs.Float64Var(&h.RateLimit.KeyRate, "rate-limit", envFloat("AMITY_RATE_LIMIT", rl.KeyRate), "requests a second of an API key without a rate of its own; 0 is unlimited (env AMITY_RATE_LIMIT)")
	fs.Float64Var(&h.RateLimit.AnonymousRate, "rate-limit-anonymous", envFloat("AMITY_RATE_LIMIT_ANONYMOUS", rl.AnonymousRate), "requests a second of one client address without a key; 0 is unlimited (env AMITY_RATE_LIMIT_ANONYMOUS)")
	fs.StringVar(&p.trustedProxies, "trusted-proxies", envOr("AMITY_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client, for anonymous rate limits; empty trusts no header (env AMITY_TRUSTED_PROXIES)")
	fs.DurationVar(&h.RateLimit.Burst, "rate-limit-burst", envDuration("AMITY_RATE_LIMIT_BURST", rl.Burst), "how many seconds of its rate a caller may spend at once (env AMITY_RATE_LIMIT_BURST)")
	fs.StringVar(&p.trustedFile, "trusted-documents", envOr("AMITY_TRUSTED_DOCUMENTS", ""), "JSON file of sha256 → document: run only these documents (`amity trusted-documents` writes one) (env AMITY_TRUSTED_DOCUMENTS)")
	fs.BoolVar(&p.trustedAnonymous, "trusted-documents-anonymous-only", envBool("AMITY_TRUSTED_DOCUMENTS_ANONYMOUS_ONLY", false), "apply the trusted documents to requests without an API key only (env AMITY_TRUSTED_DOCUMENTS_ANONYMOUS_ONLY)")
	fs.StringVar(&p.corsOrigins, "cors-origins", envOr("AMITY_CORS_ORIGINS", ""), "comma-separated origins whose pages may call /graphql, or *; empty sends no CORS headers (env AMITY_CORS_ORIGINS)")
	fs.DurationVar(&h.CORS.MaxAge, "cors-max-age", envDuration("AMITY_CORS_MAX_AGE", time.Hour), "how long browsers may reuse a CORS preflight answer (env AMITY_CORS_MAX_AGE)")
	fs.DurationVar(&h.Cache.MaxAge, "cache-max-age", envDuration("AMITY_CACHE_MAX_AGE", h.Cache.MaxAge), "how long anonymous GET query answers may be cached (Cache-Control max-age); 0 makes clients revalidate with the ETag every time (env AMITY_CACHE_MAX_AGE)")
}

// openPartners connects to Redis and loads the trusted documents, as configured. The
// returned close function releases them.
func openPartners(ctx context.Context, cfg *serveConfig, log *slog.Logger) (func(), error) {
	p := cfg.partners
	cfg.http.CORS.Origins = cors.ParseOrigins(p.corsOrigins)
	proxies, err := parsePrefixes(p.trustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg.http.Auth.TrustedProxies = proxies
	closeAll := func() {}
	if p.trustedFile != "" {
		list, err := persisted.LoadList(p.trustedFile)
		if err != nil {
			return nil, err
		}
		cfg.http.GraphQL.Trusted = &persisted.Trusted{List: list, AnonymousOnly: p.trustedAnonymous}
		log.Info("trusted documents only", "documents", len(list), "file", p.trustedFile, "anonymous_only", p.trustedAnonymous)
	}
	if p.redisURL != "" {
		opts, err := redis.ParseURL(p.redisURL)
		if err != nil {
			return nil, fmt.Errorf("--redis-url: %w", err)
		}
		redisguard.Tune(opts, p.redisTimeout)
		client := redis.NewClient(opts)
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := client.Ping(pingCtx).Err(); err != nil {
			// Rate limits let requests through and persisted queries miss while Redis
			// is away; the API itself keeps working.
			log.Warn("redis is not answering yet: rate limits are off and persisted queries miss until it does", "addr", opts.Addr, "err", err)
		}
		cfg.http.Redis = client
		closeAll = func() { client.Close() }
	}
	return closeAll, nil
}

// runTrustedDocuments writes the allow list of trusted-documents mode: the explorer's
// document, every playground example, and any .graphql files given.
func runTrustedDocuments(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trusted-documents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "file to write; - is standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: amity trusted-documents [-o FILE] [extra.graphql ...]\n\nWrites the JSON allow list (sha256 → document) for serve --trusted-documents: the\nexplorer's queries, the playground's examples, and each extra file's document as is.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	docs := []string{explore.Queries}
	for _, e := range examples.All() {
		docs = append(docs, e.Query)
	}
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		docs = append(docs, string(b))
	}
	b := persisted.NewList(docs...).JSON()
	if *out == "-" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(*out, b, 0o644)
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
