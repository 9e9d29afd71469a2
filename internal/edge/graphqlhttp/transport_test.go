package graphqlhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/internal/edge/graphqlhttp"
	"github.com/amity/amity/internal/knowledge"
)

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu        sync.Mutex
	outcomes  []string
	refusals  []string
	operation []string
}

func (r *recorder) ObserveOperation(op, outcome string, _ time.Duration, _ int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.operation = append(r.operation, op)
	r.outcomes = append(r.outcomes, outcome)
}

func (r *recorder) ObserveRefusal(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refusals = append(r.refusals, code)
}

// mustServer is gqlgen's test schema (type Query { name find(id:) }, a Mutation and a
// Subscription) behind the transport alone.
func mustServer(t *testing.T, around graphql.OperationMiddleware) (*testserver.TestServer, *recorder) {
	t.Helper()
	srv := testserver.New()
	obs := &recorder{}
	srv.AddTransport(graphqlhttp.Transport{MaxTokens: 1000, Observer: obs})
	if around != nil {
		srv.AroundOperations(around)
	}
	return srv, obs
}

type answer struct {
	status int
	header http.Header
	body   struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	raw string
}

func (a answer) code() string {
	if len(a.body.Errors) == 0 {
		return ""
	}
	c, _ := a.body.Errors[0].Extensions["code"].(string)
	return c
}

func do(t *testing.T, h http.Handler, r *http.Request) answer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", r.Method, r.URL, rec.Body.String())
		}
	}
	return a
}

func post(body, contentType, accept string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	return r
}

func get(query string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(query), nil)
}

// TestTransport: what the spec and Amity's rules say each kind of request gets, before
// and after the executor.
func TestTransport(t *testing.T) {
	t.Parallel()
	const (
		jsonType   = "application/json"
		gqlResp    = "application/graphql-response+json"
		okQuery    = `{"query":"{ name }"}`
		badSyntax  = `{"query":"{ name "}`
		mutation   = `{"query":"mutation { name }"}`
		subscribe  = `{"query":"subscription { name }"}`
		bothKinds  = `{"query":"query Q { name } subscription S { name }","operationName":"S"}`
		wrongField = `{"query":"{ nothing }"}`
	)
	cases := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
		wantType   string
	}{
		{"a query over POST", post(okQuery, jsonType, ""), 200, "", jsonType},
		{"a query over GET", get("{ name }"), 200, "", jsonType},
		{"the GraphQL response type when asked for", post(okQuery, jsonType, gqlResp), 200, "", gqlResp},
		{"a syntax error, as JSON", post(badSyntax, jsonType, jsonType), 200, "GRAPHQL_PARSE_FAILED", jsonType},
		{"a syntax error, as a GraphQL response", post(badSyntax, jsonType, gqlResp), 400, "GRAPHQL_PARSE_FAILED", gqlResp},
		{"a validation error, as a GraphQL response", post(wrongField, jsonType, gqlResp), 400, "GRAPHQL_VALIDATION_FAILED", gqlResp},
		{"a mutation over GET", get("mutation { name }"), 405, graphqlhttp.CodeMethodNotAllowed, jsonType},
		{"a mutation over POST reaches the executor", post(mutation, jsonType, ""), 200, "", jsonType},
		{"a subscription over POST", post(subscribe, jsonType, ""), 400, graphqlhttp.CodeSubscriptionNeedsWebSocket, jsonType},
		{"a subscription over GET", get("subscription { name }"), 400, graphqlhttp.CodeSubscriptionNeedsWebSocket, jsonType},
		{"a subscription selected by name", post(bothKinds, jsonType, ""), 400, graphqlhttp.CodeSubscriptionNeedsWebSocket, jsonType},
		{"a batch", post(`[`+okQuery+`]`, jsonType, ""), 400, graphqlhttp.CodeBatchingNotSupported, jsonType},
		{"no query", post(`{}`, jsonType, ""), 400, graphqlhttp.CodeBadRequest, jsonType},
		{"not JSON", post(`{"query":`, jsonType, ""), 400, graphqlhttp.CodeBadRequest, jsonType},
		{"variables that are not an object", post(`{"query":"{ name }","variables":[1]}`, jsonType, ""), 400, graphqlhttp.CodeBadRequest, jsonType},
		{"a body that is not UTF-8", post("{\"query\":\"{ name }\xff\"}", jsonType, ""), 400, graphqlhttp.CodeBadRequest, jsonType},
		{"another media type", post(okQuery, "text/plain", ""), 415, graphqlhttp.CodeUnsupportedMediaType, jsonType},
		{"an Accept header neither type satisfies", post(okQuery, jsonType, "text/html"), 406, graphqlhttp.CodeNotAcceptable, jsonType},
		{"PUT", httptest.NewRequest(http.MethodPut, "/graphql", strings.NewReader(okQuery)), 405, graphqlhttp.CodeMethodNotAllowed, jsonType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := mustServer(t, nil)
			a := do(t, srv, c.req)
			if a.status != c.wantStatus || a.code() != c.wantCode {
				t.Errorf("got %d %q, want %d %q: %s", a.status, a.code(), c.wantStatus, c.wantCode, a.raw)
			}
			if got := a.header.Get("Content-Type"); !strings.HasPrefix(got, c.wantType) {
				t.Errorf("Content-Type %q, want %s", got, c.wantType)
			}
		})
	}
}

// TestOptionsNamesTheMethods: a preflight-style OPTIONS answers the methods, no body.
func TestOptionsNamesTheMethods(t *testing.T) {
	t.Parallel()
	srv, _ := mustServer(t, nil)
	a := do(t, srv, httptest.NewRequest(http.MethodOptions, "/graphql", nil))
	if a.status != http.StatusNoContent || a.header.Get("Allow") != "GET, POST, OPTIONS" {
		t.Errorf("got %d, Allow %q", a.status, a.header.Get("Allow"))
	}
}

// TestAdmissionRefusalIs503: an operation the admission gate did not run (no data, one
// SERVICE_UNAVAILABLE error with retryAfter) is answered 503 with Retry-After, so
// clients and proxies back off; one that ran and failed keeps 200.
func TestAdmissionRefusalIs503(t *testing.T) {
	t.Parallel()
	refuse := func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		e := &gqlerror.Error{Message: "busy", Extensions: map[string]any{"code": knowledge.EUNAVAILABLE, graphqlhttp.ExtRetryAfter: 3}}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{e}})
	}
	srv, obs := mustServer(t, refuse)
	a := do(t, srv, post(`{"query":"{ name }"}`, "application/json", ""))
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "3" || a.code() != knowledge.EUNAVAILABLE {
		t.Errorf("got %d, Retry-After %q: %s", a.status, a.header.Get("Retry-After"), a.raw)
	}
	if len(a.body.Data) > 0 {
		t.Errorf("a refused operation has data: %s", a.raw)
	}
	if len(obs.outcomes) != 1 {
		t.Fatalf("observed %v, want one outcome", obs.outcomes)
	}

	failed := func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		e := &gqlerror.Error{Message: "timeout", Extensions: map[string]any{"code": knowledge.EUNAVAILABLE}}
		return graphql.OneShot(&graphql.Response{Data: json.RawMessage(`{"name":null}`), Errors: gqlerror.List{e}})
	}
	srv, _ = mustServer(t, failed)
	if a := do(t, srv, post(`{"query":"{ name }"}`, "application/json", "")); a.status != http.StatusOK {
		t.Errorf("an operation that ran and failed: got %d, want 200: %s", a.status, a.raw)
	}
}

// TestObserverHearsEveryRequest: the outcome and the operation's name reach the
// observer, and a refusal by a limit is counted as one.
func TestObserverHearsEveryRequest(t *testing.T) {
	t.Parallel()
	srv, obs := mustServer(t, nil)
	do(t, srv, post(`{"query":"query Named { name }"}`, "application/json", ""))
	do(t, srv, post(`[{"query":"{ name }"}]`, "application/json", ""))
	do(t, srv, post(`{"query":"{ nothing }"}`, "application/json", ""))
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if want := []string{"ok", "refused", "invalid"}; strings.Join(obs.outcomes, ",") != strings.Join(want, ",") {
		t.Errorf("outcomes %v, want %v", obs.outcomes, want)
	}
	if obs.operation[0] != "Named" {
		t.Errorf("operation %q, want Named", obs.operation[0])
	}
	if len(obs.refusals) != 1 || obs.refusals[0] != graphqlhttp.CodeBatchingNotSupported {
		t.Errorf("refusals %v, want [%s]", obs.refusals, graphqlhttp.CodeBatchingNotSupported)
	}
}
