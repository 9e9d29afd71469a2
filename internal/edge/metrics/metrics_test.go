package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// Names of operations that never executed (refused, invalid) do not use up the
// operation label's slots: after a flood of them, the first real operations still get
// their names, and the flood counts as "other".
func TestOnlyExecutedOperationsAreNamed(t *testing.T) {
	m := New(nil)
	for i := range 2 * MaxOperationNames {
		outcome := "refused"
		if i%2 == 1 {
			outcome = "invalid"
		}
		m.ObserveOperation(fmt.Sprint("Junk", i), outcome, time.Millisecond, 0)
	}
	m.ObserveOperation("CityPage", "ok", time.Millisecond, 3)
	m.ObserveOperation("CityPage", "refused", time.Millisecond, 0)
	out := scrape(t, m)
	if strings.Contains(out, `operation="Junk`) {
		t.Errorf("names of operations that never ran became labels")
	}
	for _, want := range []string{
		`amity_graphql_requests_total{operation="CityPage",outcome="ok"} 1`,
		`amity_graphql_requests_total{operation="CityPage",outcome="refused"} 1`,
		fmt.Sprintf(`amity_graphql_requests_total{operation="other",outcome="refused"} %d`, MaxOperationNames),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Executed operations are still bounded.
	for i := range 2 * MaxOperationNames {
		m.ObserveOperation(fmt.Sprint("Op", i), "ok", time.Millisecond, 1)
	}
	if n := strings.Count(scrape(t, m), `amity_graphql_request_duration_seconds_count{operation="Op`); n != MaxOperationNames-1 {
		t.Errorf("%d executed names labelled, want %d", n, MaxOperationNames-1)
	}
}
