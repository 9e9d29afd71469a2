package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/metrics"
)

// TestWithTimeoutAnswersForAStuckHandler: a handler that does not return at its
// deadline (stuck below its context, as on a stalled database) still gets its client a
// 503 SERVICE_UNAVAILABLE by the deadline plus the grace, and its late writes go
// nowhere; an answer already under way is never cut or overwritten; a panic still
// reaches recoverPanics.
func TestWithTimeoutAnswersForAStuckHandler(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const timeout = 200 * time.Millisecond
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // after the parallel subtests
	serve := func(t *testing.T, h http.HandlerFunc) (*http.Response, string, *metrics.Metrics) {
		t.Helper()
		m := metrics.New(nil)
		srv := httptest.NewServer(recoverPanics(log, withTimeout(timeout, log, m, h)))
		t.Cleanup(srv.Close)
		c := &http.Client{Timeout: 10 * time.Second}
		resp, err := c.Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read the answer: %v", err)
		}
		return resp, string(b), m
	}

	t.Run("stuck", func(t *testing.T) {
		t.Parallel()
		late := make(chan error, 1)
		start := time.Now()
		resp, body, m := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Handler", "yes")
			<-r.Context().Done()
			select { // stuck past the grace, as under a stalled socket
			case <-release:
			case <-time.After(timeout + 3*AnswerGrace):
			}
			_, err := w.Write([]byte(`{"data":{"late":true}}`))
			late <- err
		})
		elapsed := time.Since(start)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("got %d %v %s", resp.StatusCode, resp.Header, body)
		}
		var answer struct {
			Errors []struct {
				Extensions struct{ Code string }
			}
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || len(answer.Errors) != 1 || answer.Errors[0].Extensions.Code != "SERVICE_UNAVAILABLE" {
			t.Fatalf("not a SERVICE_UNAVAILABLE error: %s (%v)", body, err)
		}
		if resp.Header.Get("X-Handler") != "" {
			t.Errorf("the guard's answer carries the handler's headers: %v", resp.Header)
		}
		if elapsed > timeout+AnswerGrace+2*time.Second { // generous: only "not the handler's 3 s"
			t.Errorf("answered after %v", elapsed)
		}
		if err := <-late; err == nil {
			t.Error("the handler's late write was accepted")
		}
		if got := testutilCounter(t, m, "amity_http_deadline_answers_total"); got != 1 {
			t.Errorf("amity_http_deadline_answers_total = %v, want 1", got)
		}
	})

	t.Run("answer under way", func(t *testing.T) {
		t.Parallel()
		resp, body, m := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"data":`))
			w.(http.Flusher).Flush()
			time.Sleep(timeout + 2*AnswerGrace) // past the guard's moment
			w.Write([]byte(`{"ok":true}}`))
		})
		if resp.StatusCode != http.StatusOK || body != `{"data":{"ok":true}}` {
			t.Errorf("the started answer was changed: %d %s", resp.StatusCode, body)
		}
		if got := testutilCounter(t, m, "amity_http_deadline_answers_total"); got != 0 {
			t.Errorf("amity_http_deadline_answers_total = %v, want 0", got)
		}
	})

	t.Run("panic", func(t *testing.T) {
		t.Parallel()
		resp, body, _ := serve(t, func(http.ResponseWriter, *http.Request) { panic("handler bug") })
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "INTERNAL_SERVER_ERROR") || strings.Contains(body, "handler bug") {
			t.Errorf("got %d %s", resp.StatusCode, body)
		}
	})

	t.Run("in time", func(t *testing.T) {
		t.Parallel()
		resp, body, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if _, ok := r.Context().Deadline(); !ok {
				t.Error("the handler's context has no deadline")
			}
			w.Header().Set("X-Handler", "yes")
			w.Write([]byte(`{"data":{}}`))
		})
		if resp.StatusCode != http.StatusOK || body != `{"data":{}}` || resp.Header.Get("X-Handler") != "yes" {
			t.Errorf("got %d %v %s", resp.StatusCode, resp.Header, body)
		}
	})
}

// testutilCounter reads a counter without labels from the metrics' registry.
func testutilCounter(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// BenchmarkWithTimeout is the guard's cost on a request answered in time: a goroutine,
// a timer and a header copy.
func BenchmarkWithTimeout(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	body := []byte(`{"data":{"__typename":"Query"}}`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	for _, guarded := range []bool{false, true} {
		h := http.Handler(handler)
		name := "bare"
		if guarded {
			h, name = withTimeout(15*time.Second, log, metrics.New(nil), handler), "guarded"
		}
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
