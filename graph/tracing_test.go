package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/edge/tracing"
)

// lockedBuffer collects what the stdout exporter writes from its own goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestTracing turns tracing on with the stdout exporter and checks that one request
// yields spans for HTTP, the GraphQL operation, a resolver and SQL, in one trace. It
// installs the global tracer provider, so it does not run in parallel.
func TestTracing(t *testing.T) {
	var out lockedBuffer
	stop, err := tracing.Setup(context.Background(), tracing.Config{Exporter: tracing.Stdout, Writer: &out})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Tracing = true
	a := MustAPIWith(t, cfg)
	a.MustPost(t, `query Traced { city(name: "Shenzhen") { name country { name } partnerships { nodes { partner { name } } } } }`, nil).MustData(t, &struct{}{})
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tracing.Setup(context.Background(), tracing.Config{}) })

	out.mu.Lock()
	defer out.mu.Unlock()
	traces := map[string]bool{}
	names := map[string]bool{}
	dec := json.NewDecoder(&out.b)
	for dec.More() {
		var span struct {
			Name        string
			SpanContext struct{ TraceID string }
		}
		if err := dec.Decode(&span); err != nil {
			t.Fatalf("decode span: %v", err)
		}
		names[span.Name] = true
		traces[span.SpanContext.TraceID] = true
	}
	for _, want := range []string{"POST /graphql", "graphql Traced", "resolve Query.city", "sql"} {
		if !names[want] {
			t.Errorf("no span %q among %v", want, keys(names))
		}
	}
	if len(traces) != 1 {
		t.Errorf("spans in %d traces, want one", len(traces))
	}
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return strings.Join(out, ", ")
}
