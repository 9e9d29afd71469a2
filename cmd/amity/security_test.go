package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amity/amity/internal/postgres/pgtest"
)

func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// By default `amity serve` answers /metrics to admin keys only, and refuses a Host that
// is neither a loopback name, an IP literal nor an allowed host.
func TestServeDefaultsProtectMetricsAndHosts(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	addr, stop := MustServe(t, pgtest.MustCreateDB(t), &log)
	defer stop()
	if status, body := get(t, "http://"+addr+"/metrics", ""); status != http.StatusUnauthorized || strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics without a key: %d %.200s", status, body)
	}
	if status, body := get(t, "http://"+addr+"/graphql?query=%7B__typename%7D", "rebound.evil.example"); status != http.StatusMisdirectedRequest || !strings.Contains(body, "HOST_NOT_ALLOWED") {
		t.Errorf("foreign Host: %d %.200s", status, body)
	}
	port := addr[strings.LastIndex(addr, ":"):]
	if status, body := get(t, "http://"+addr+"/graphql?query=%7B__typename%7D", "localhost"+port); status != http.StatusOK {
		t.Errorf("localhost: %d %.200s", status, body)
	}
}

// With --metrics-addr the metrics move to a listener of their own, open to whoever
// reaches it (under the same Host policy), and leave the API's.
func TestServeMetricsAddr(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.MustCreateDB(t)
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", dbURL, "--metrics-addr", "127.0.0.1:0",
			"--allowed-hosts", "api.example.org"}, &log, &log, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped before serving: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start within 30s")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	m := regexp.MustCompile(`metrics=(http://\S+/metrics)`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", log.String())
	}
	if status, body := get(t, m[1], ""); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics listener: %d %.200s", status, body)
	}
	if status, _ := get(t, m[1], "rebound.evil.example"); status != http.StatusMisdirectedRequest {
		t.Errorf("metrics listener, foreign Host: %d", status)
	}
	if status, body := get(t, "http://"+addr+"/metrics", ""); strings.Contains(body, "go_goroutines") {
		t.Errorf("API listener still serves metrics: %d", status)
	}
	if status, body := get(t, "http://"+addr+"/graphql?query=%7B__typename%7D", "api.example.org"); status != http.StatusOK {
		t.Errorf("allowed host: %d %.200s", status, body)
	}
}
