package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGraphQLOverHTTPAudit runs the graphql-http audit suite (npm graphql-http, the
// reference conformance suite of the GraphQL-over-HTTP spec) against the server. It
// needs node and `npm ci` in tools/graphql-http-audit; without them it skips, except
// in CI (CI=true), where it fails.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("..", "tools", "graphql-http-audit"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	case !exists(filepath.Join(dir, "node_modules", "graphql-http", "package.json")):
		missing = "run `npm ci` in tools/graphql-http-audit"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the GraphQL-over-HTTP audit cannot run in CI: %s", missing)
		}
		t.Skipf("skipping the GraphQL-over-HTTP audit: %s", missing)
	}

	a := MustAPI(t)
	srv := httptest.NewServer(a.handler)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "audit.mjs", srv.URL+"/graphql")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var summary struct {
		Total        int      `json:"total"`
		OK           []string `json:"ok"`
		MustFailed   []string `json:"mustFailed"`
		ShouldFailed []string `json:"shouldFailed"`
		MayFailed    []string `json:"mayFailed"`
	}
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &summary); jerr != nil {
		t.Fatalf("audit did not finish (%v):\n%s", err, out)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "ok ") {
			t.Log(l)
		}
	}
	t.Logf("graphql-http audit: %d audits, %d ok, MUST failed %v, SHOULD failed %v, MAY failed %v",
		summary.Total, len(summary.OK), summary.MustFailed, summary.ShouldFailed, summary.MayFailed)
	if len(summary.MustFailed) > 0 || err != nil {
		t.Errorf("MUST audits failed: %v (%v)", summary.MustFailed, err)
	}
	if summary.Total == 0 || len(summary.OK) < summary.Total/2 {
		t.Errorf("implausible audit result: %+v", summary)
	}
}

func withParam(r *http.Request, key, value string) *http.Request {
	q := r.URL.Query()
	q.Set(key, value)
	r.URL.RawQuery = q.Encode()
	return r
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestHTTPTransport checks the spec's rules the audit does not: GET runs queries only,
// status codes per media type, no data entry on request errors.
func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	post := func(body, contentType, accept string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		return r
	}
	get := func(query, accept string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(query), nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		return r
	}
	const gqlResp = "application/graphql-response+json"
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantType   string
		wantCode   string
		wantAllow  string
	}{
		{"POST query", post(`{"query":"{ __typename }"}`, "application/json", ""), 200, "application/json", "", ""},
		{"POST asks graphql-response+json", post(`{"query":"{ __typename }"}`, "application/json", gqlResp), 200, gqlResp, "", ""},
		{"GET query", get(`{ __typename }`, ""), 200, "application/json", "", ""},
		{"GET mutation", get(`mutation { x }`, ""), 405, "application/json", "METHOD_NOT_ALLOWED", "POST"},
		{"GET subscription by name", withParam(get(`query A { __typename } subscription B { x }`, gqlResp), "operationName", "B"), 400, gqlResp, "SUBSCRIPTION_NEEDS_WEBSOCKET", ""},
		// Not refused as a mutation; invalid only because the schema has no mutations yet.
		{"GET query by name beside a mutation", withParam(get(`query A { __typename } mutation B { x }`, ""), "operationName", "A"), 200, "application/json", "GRAPHQL_VALIDATION_FAILED", ""},
		{"PUT", httptest.NewRequest(http.MethodPut, "/graphql", nil), 405, "application/json", "METHOD_NOT_ALLOWED", "GET, POST, OPTIONS"},
		{"validation error, application/json", post(`{"query":"{ nope }"}`, "application/json", ""), 200, "application/json", "GRAPHQL_VALIDATION_FAILED", ""},
		{"validation error, graphql-response+json", post(`{"query":"{ nope }"}`, "application/json", gqlResp), 400, gqlResp, "GRAPHQL_VALIDATION_FAILED", ""},
		{"parse error, graphql-response+json", post(`{"query":"{"}`, "application/json", gqlResp), 400, gqlResp, "GRAPHQL_PARSE_FAILED", ""},
		{"unacceptable", post(`{"query":"{ __typename }"}`, "application/json", "text/html"), 406, "application/json", "NOT_ACCEPTABLE", ""},
		{"wildcard accept", post(`{"query":"{ __typename }"}`, "application/json", "text/html, */*;q=0.8"), 200, "application/json", "", ""},
		{"preferred by quality", post(`{"query":"{ __typename }"}`, "application/json", "application/json;q=0.5, "+gqlResp), 200, gqlResp, "", ""},
		{"no query", post(`{"qeury":"{ __typename }"}`, "application/json", ""), 400, "application/json", "BAD_REQUEST", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tt.wantType+"; charset=utf-8" {
				t.Errorf("Content-Type %q, want %s; charset=utf-8", ct, tt.wantType)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if tt.wantCode == "" {
				if _, ok := body["errors"]; ok {
					t.Errorf("unexpected errors: %s", rec.Body)
				}
				return
			}
			if !bytes.Contains(body["errors"], []byte(`"code":"`+tt.wantCode+`"`)) {
				t.Errorf("want code %s, got %s", tt.wantCode, rec.Body)
			}
			if _, ok := body["data"]; ok {
				t.Errorf("a request error has a data entry: %s", rec.Body)
			}
		})
	}
}
