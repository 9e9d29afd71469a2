package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestServeDefaults(t *testing.T) {
	cfg, err := parseServe(nil, io.Discard, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"database-url", cfg.db.URL, defaultDatabaseURL},
		{"db-max-conns", cfg.db.MaxOpenConns, 20},
		{"db-statement-timeout", cfg.db.StatementTimeout, 10 * time.Second},
		{"addr", cfg.addr, ":8080"},
		{"seed", cfg.loadSeed, true},
		{"max-complexity", cfg.http.GraphQL.MaxComplexity, 20000},
		{"introspection", cfg.http.GraphQL.Introspection, true},
		{"anonymous", cfg.http.Auth.Anonymous, true},
		{"request-timeout", cfg.http.RequestTimeout, 15 * time.Second},
		{"write-timeout (request timeout + 5s)", cfg.timeouts.write, 20 * time.Second},
		{"max-body-bytes", cfg.http.MaxBodyBytes, int64(1 << 20)},
		{"max-header-bytes", cfg.timeouts.maxHeader, 64 << 10},
		{"memory-limit-mib", cfg.memoryLimitMiB, 96},
		{"gc-percent", cfg.gcPercent, 400},
		{"metrics access", cfg.http.MetricsAccess, server.MetricsAdmin},
		{"hosts checked", cfg.http.Hosts.Check, true},
		{"tracing", cfg.http.Tracing, false},
		{"otel-sample-ratio", cfg.tracing.SampleRatio, 1.0},
		{"rate-limit", cfg.http.RateLimit.KeyRate, 50.0},
		{"rate-limit-burst", cfg.http.RateLimit.Burst, 5 * time.Second},
		{"auth-failure-burst", cfg.http.AuthFailures.Burst, 20},
		{"redis", cfg.partners.redis == nil, true},
		{"redis-prefix", cfg.http.RedisPrefix, "amity:"},
		{"cors-max-age", cfg.http.CORS.MaxAge, time.Hour},
		{"cache-max-age", cfg.http.Cache.MaxAge, 60 * time.Second},
		{"cache-size", cfg.http.ReadCacheBytes, int64(16 << 20)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// A flag wins over its variable, a variable over the default; settings that follow
// from others follow the value in effect.
func TestServePrecedence(t *testing.T) {
	env := map[string]string{
		"AMITY_DB_MAX_CONNS": "5", "AMITY_MAX_DEPTH": "9", "AMITY_REQUEST_TIMEOUT": "30s",
		"AMITY_METRICS_ADDR": "127.0.0.1:9090", "AMITY_OTEL_EXPORTER": "stdout", "AMITY_SEED": "false",
		"AMITY_CORS_ORIGINS": "https://a.example, https://b.example/", "AMITY_TRUSTED_PROXIES": "10.0.0.0/8",
		"AMITY_REDIS_URL": "redis://127.0.0.1:6379/2", "AMITY_CACHE_SIZE": "8",
	}
	cfg, err := parseServe([]string{"--db-max-conns", "7", "--seed", "--allowed-hosts", "api.example.org", "--cache-size", "0"}, io.Discard, envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"flag over variable", cfg.db.MaxOpenConns, 7},
		{"bare bool flag over variable", cfg.loadSeed, true},
		{"variable over default", cfg.http.GraphQL.Limits.MaxDepth, 9},
		{"write timeout follows the request timeout", cfg.timeouts.write, 35 * time.Second},
		{"metrics elsewhere", cfg.http.MetricsAccess, server.MetricsElsewhere},
		{"metrics addr", cfg.metricsAddr, "127.0.0.1:9090"},
		{"tracing on", cfg.http.Tracing, true},
		{"cors origins", strings.Join(cfg.http.CORS.Origins, " "), "https://a.example https://b.example"},
		{"trusted proxies", len(cfg.http.Auth.TrustedProxies), 1},
		{"allowed hosts", strings.Join(cfg.http.Hosts.Allowed, " "), "api.example.org"},
		{"redis db", cfg.partners.redis.DB, 2},
		{"--cache-size 0 turns the read cache off", cfg.http.ReadCacheBytes, int64(0)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// Each kind of value is checked, from a variable and from a flag, and the error names
// where the value came from.
func TestServeBadValues(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		// integers, and their ranges
		{map[string]string{"AMITY_DB_MAX_CONNS": "2O"}, nil, "AMITY_DB_MAX_CONNS: not an integer"},
		{nil, []string{"--db-max-conns=2O"}, "--db-max-conns: not an integer"},
		{map[string]string{"AMITY_CACHE_SIZE": "32MB"}, nil, "AMITY_CACHE_SIZE: not a whole number of MiB"},
		{nil, []string{"--cache-size=-1"}, "--cache-size: not a whole number of MiB"},
		{map[string]string{"AMITY_DB_MAX_CONNS": "0"}, nil, "AMITY_DB_MAX_CONNS: must be at least 1"},
		{map[string]string{"AMITY_MAX_DEPTH": "-1"}, nil, "AMITY_MAX_DEPTH: must not be negative"},
		{map[string]string{"AMITY_MAX_BODY_BYTES": "0"}, nil, "AMITY_MAX_BODY_BYTES: must be at least 1"},
		{map[string]string{"AMITY_MAX_CONCURRENT_REQUESTS": "-4"}, nil, "AMITY_MAX_CONCURRENT_REQUESTS: must not be negative"},
		{map[string]string{"AMITY_GC_PERCENT": "off"}, nil, "AMITY_GC_PERCENT: not an integer"},
		// durations
		{map[string]string{"AMITY_REQUEST_TIMEOUT": "15"}, nil, "AMITY_REQUEST_TIMEOUT: not a duration"},
		{map[string]string{"AMITY_REQUEST_TIMEOUT": "0s"}, nil, "AMITY_REQUEST_TIMEOUT: must be at least 1ms"},
		{nil, []string{"--shutdown-timeout", "-1s"}, "--shutdown-timeout: must not be negative"},
		{map[string]string{"AMITY_DB_CONNECT_TIMEOUT": "5 s"}, nil, "AMITY_DB_CONNECT_TIMEOUT: not a duration"},
		// booleans
		{map[string]string{"AMITY_SEED": "yes"}, nil, "AMITY_SEED: not a boolean"},
		{nil, []string{"--federation=on"}, "--federation: not a boolean"},
		// floats
		{map[string]string{"AMITY_RATE_LIMIT": "fast"}, nil, "AMITY_RATE_LIMIT: not a number"},
		{map[string]string{"AMITY_RATE_LIMIT_ANONYMOUS": "-1"}, nil, "AMITY_RATE_LIMIT_ANONYMOUS: must not be negative"},
		{map[string]string{"AMITY_OTEL_SAMPLE_RATIO": "1.5"}, nil, "AMITY_OTEL_SAMPLE_RATIO: must be between 0 and 1"},
		{map[string]string{"AMITY_AUTH_FAILURE_RATE": "Inf"}, nil, "AMITY_AUTH_FAILURE_RATE: not a number"},
		// enums
		{map[string]string{"AMITY_OTEL_EXPORTER": "jaeger"}, nil, `AMITY_OTEL_EXPORTER: must be one of "" (off), otlp, stdout`},
		// lists
		{map[string]string{"AMITY_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, nil, `AMITY_TRUSTED_PROXIES: "proxy.internal" is neither an address nor a CIDR range`},
		{map[string]string{"AMITY_CORS_ORIGINS": "example.org"}, nil, `AMITY_CORS_ORIGINS: "example.org" is not an origin`},
		{map[string]string{"AMITY_CORS_ORIGINS": "https://example.org/app"}, nil, `AMITY_CORS_ORIGINS: "https://example.org/app" is not an origin`},
		{map[string]string{"AMITY_ALLOWED_HOSTS": "https://api.example.org"}, nil, `AMITY_ALLOWED_HOSTS: "https://api.example.org" is not a host name`},
		// URLs and addresses
		{map[string]string{"DATABASE_URL": "mysql://root@db/amity"}, nil, `DATABASE_URL: scheme "mysql"`},
		{map[string]string{"AMITY_REDIS_URL": "http://127.0.0.1:6379"}, nil, "AMITY_REDIS_URL: not a Redis URL"},
		{map[string]string{"AMITY_ADDR": "8080"}, nil, "AMITY_ADDR: not a host:port address"},
		{nil, []string{"--addr", ":99999"}, `--addr: port "99999" is not a port number`},
		{map[string]string{"AMITY_METRICS_ADDR": "localhost"}, nil, "AMITY_METRICS_ADDR: not a host:port address"},
		{map[string]string{"AMITY_OTEL_ENDPOINT": "http://collector:4318"}, nil, "AMITY_OTEL_ENDPOINT: not a host:port address"},
	}
	for _, tt := range tests {
		_, err := parseServe(tt.args, io.Discard, envOf(tt.env))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("env %v args %v: got %v, want %q", tt.env, tt.args, err, tt.want)
		}
	}
}

// A refused URL is not repeated in the error: it may carry a password.
func TestServeBadURLKeepsItsPassword(t *testing.T) {
	_, err := parseServe(nil, io.Discard, envOf(map[string]string{"AMITY_REDIS_URL": "redis://:hunter2@cache:notaport/0", "DATABASE_URL": "mysql://u:hunter2@db/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("got %v", err)
	}
}

// Every flag and variable of the README's configuration table is one of serve's, and
// serve has no flag the table leaves out: the names are a contract.
func TestServeSettingsMatchTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)` \\| `([A-Z0-9_]+)` \\|").FindAllSubmatch(readme, -1)
	if len(rows) < 50 {
		t.Fatalf("found %d rows in the README's table; has its layout changed?", len(rows))
	}
	var usage bytes.Buffer
	if _, err := parseServe([]string{"-h"}, &usage, envOf(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	documented := map[string]bool{}
	for _, r := range rows {
		name, env := string(r[1]), string(r[2])
		documented[name] = true
		if !regexp.MustCompile(`(?m)^  --` + name + `\b.*\n.*\(env ` + env + `\)`).Match(usage.Bytes()) {
			t.Errorf("--%s (env %s) is in the README but not a serve setting", name, env)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`).FindAllSubmatch(usage.Bytes(), -1) {
		if !documented[string(m[1])] {
			t.Errorf("--%s is not in the README's table", m[1])
		}
	}
}

func TestExitCode(t *testing.T) {
	_, usageErr := parseServe([]string{"--no-such-flag"}, io.Discard, envOf(nil))
	_, badValue := parseServe(nil, io.Discard, envOf(map[string]string{"AMITY_SEED": "yes"}))
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{flag.ErrHelp, 1},
		{usageErr, 2},
		{badValue, 2},
		{errors.New("ping database: connection refused"), 1},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err, io.Discard); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// The binary's entry point, run as a process of its own: a bad variable stops it before
// it touches the database, with exit status 2 and the variable named. The database URL
// points at a closed port, so a start that ignored the value would fail otherwise.
func TestMainRefusesBadVariable(t *testing.T) {
	if os.Getenv("AMITY_TEST_RUN_MAIN") == "1" {
		os.Args = []string{"amity", "serve"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainRefusesBadVariable$")
	cmd.Env = append(os.Environ(), "AMITY_TEST_RUN_MAIN=1", "AMITY_DB_MAX_CONNS=2O",
		"DATABASE_URL=postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("got %v, want exit status 2; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "amity: AMITY_DB_MAX_CONNS: not an integer") {
		t.Errorf("stderr lacks the variable's name:\n%s", stderr.String())
	}
}
