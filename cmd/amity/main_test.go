package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amity/amity/internal/postgres/pgtest"
)

// syncBuffer collects the server's log across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustServe starts `amity serve` on a free port against the database and returns its
// address and a function that stops it the way Ctrl-C does and returns run's error.
func MustServe(t *testing.T, dbURL string, log io.Writer) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", dbURL}, log, log, ready)
	}()
	select {
	case addr := <-ready:
		return addr, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped before serving: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start within 30s")
	}
	return "", nil
}

func mustQuery(t *testing.T, addr, query string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

// TestServe runs the binary's serve command end to end: it migrates an empty database,
// loads the shipped knowledge, answers over HTTP, stops cleanly, and on a second start
// adds nothing twice.
func TestServe(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.MustCreateDB(t)
	var log syncBuffer

	addr, stop := MustServe(t, dbURL, &log)
	got := mustQuery(t, addr, `{ agreements { totalCount nodes { signedOn signatories { official { name } } } } }`)
	want := `{"data":{"agreements":{"totalCount":1,"nodes":[{"signedOn":"2024-03-06","signatories":[{"official":{"name":"Wang Shourui"}},{"official":{"name":"Sergey Cheremin"}}]}]}}}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after Ctrl-C, want nil", err)
	}
	if !strings.Contains(log.String(), "amity is serving") || !strings.Contains(log.String(), "loaded shipped knowledge") {
		t.Errorf("log lacks the start-up lines:\n%s", log.String())
	}

	const counts = `{ cities { totalCount } officials { totalCount } agreements { totalCount } institutions { totalCount } sources { totalCount } }`
	addr, stop = MustServe(t, dbURL, &log)
	again := mustQuery(t, addr, counts)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if want := `{"data":{"cities":{"totalCount":2},"officials":{"totalCount":2},"agreements":{"totalCount":1},"institutions":{"totalCount":3},"sources":{"totalCount":3}}}`; again != want {
		t.Errorf("after a second start: got %s, want %s", again, want)
	}
	if !strings.Contains(log.String(), "shipped knowledge already loaded") {
		t.Errorf("second start did not skip the loaded bundle:\n%s", log.String())
	}
}

// TestCommands checks the command line's answers to bad input.
func TestCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"bad flag", []string{"serve", "--no-such-flag"}, "flag provided but not defined"},
		{"bad value of migrate", []string{"migrate", "--db-max-conns=2O"}, "--db-max-conns: not an integer"},
		{"bad value of keys", []string{"keys", "list", "--db-connect-timeout=5"}, "--db-connect-timeout: not a duration"},
		{"bad value of import", []string{"import", "--db-max-idle-conns=-1", "x.ndjson"}, "--db-max-idle-conns: must not be negative"},
		{"unreachable database", []string{"migrate", "--database-url", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}, "ping database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out, &out, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestMigrate migrates an empty database and is idempotent.
func TestMigrate(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.MustCreateDB(t)
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "--database-url", dbURL}, &out, &out, nil); err != nil {
			t.Fatalf("migrate #%d: %v", i+1, err)
		}
	}
}
