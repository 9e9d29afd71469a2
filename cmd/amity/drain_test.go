package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestSIGTERMDrains sends the process a real SIGTERM while a request is in flight: the
// request must still be answered, new connections refused, and serve must return nil.
// A proxy that delays the database makes the request slow enough to be caught in flight.
func TestSIGTERMDrains(t *testing.T) {
	dbURL := pgtest.MustCreateDB(t)
	proxy := pgtest.MustProxy(t)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var log syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", proxy.URL(t, dbURL), "--shutdown-timeout", "10s"}, &log, &log, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30s")
	}

	proxy.Delay(300 * time.Millisecond)
	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader([]byte(`{"query":"{ city(name: \"Shenzhen\") { name } }"}`)))
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inflight <- result{status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(150 * time.Millisecond) // the request is now waiting on the slowed database
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	select {
	case r := <-inflight:
		if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"name":"Shenzhen"`) {
			t.Errorf("the in-flight request was not drained: %d %s %v", r.status, r.body, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight request got no answer")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after SIGTERM, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after SIGTERM")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
	if !strings.Contains(log.String(), "shutting down: draining requests") || !strings.Contains(log.String(), "stopped") {
		t.Errorf("log lacks the shutdown lines:\n%s", log.String())
	}
}
