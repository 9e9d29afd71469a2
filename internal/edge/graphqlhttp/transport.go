// Package graphqlhttp answers GraphQL over HTTP (https://graphql.github.io/graphql-over-http/)
// for gqlgen: it reads GET and POST requests into gqlgen's parameters, refuses what the
// spec and Amity's limits refuse before the executor sees it, and writes the answer with
// the spec's media types and status codes. Every refusal carries a stable
// extensions.code (the Code constants).
package graphqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/amity/amity/graph/limits"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
)

// Codes of requests refused by the HTTP transport before GraphQL sees them. They reach
// clients as extensions.code.
const (
	CodeBadRequest           = "BAD_REQUEST"
	CodeBatchingNotSupported = "BATCHING_NOT_SUPPORTED"
	CodeRequestTooLarge      = "REQUEST_TOO_LARGE"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeNotAcceptable        = "NOT_ACCEPTABLE"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// Observer is told the outcome of every GraphQL request; internal/edge/metrics implements it.
type Observer interface {
	// ObserveOperation records one request: the operation name ("" if it has none or
	// none was resolved), its outcome (ok, error, unavailable, internal, invalid,
	// refused), how long it took and how many SQL statements it ran.
	ObserveOperation(operation, outcome string, d time.Duration, statements int64)
	// ObserveRefusal records a request refused by a limit, by the refusal's code.
	ObserveRefusal(code string)
}

// refusalCodes are the codes of requests refused by a limit, as opposed to requests
// that are merely malformed.
var refusalCodes = append(append([]string{CodeBatchingNotSupported, CodeRequestTooLarge}, limits.Codes...), persisted.Codes...)

// Transport implements GraphQL over HTTP (https://graphql.github.io/graphql-over-http/):
// POST with application/json, GET for queries only, content negotiation between
// application/json and application/graphql-response+json, and the spec's status codes.
// gqlgen's own GET and POST transports differ in small ways (422 for request errors,
// 406 for a mutation over GET, a null data entry on request errors, JSON arrays read
// as garbage), so Amity answers HTTP itself and hands gqlgen the parsed parameters.
type Transport struct {
	// MaxTokens bounds the lexical tokens the transport reads while it looks for the
	// operation a request selects (to refuse a mutation over GET, a subscription).
	MaxTokens int
	// Observer, if set, is told the outcome of every request.
	Observer Observer
}

var _ graphql.Transport = Transport{}

// ExtRetryAfter is the extensions entry of an operation the admission gate refused:
// seconds after which the client may retry. Over HTTP it is also the Retry-After
// header of the 503.
const ExtRetryAfter = "retryAfter"

// Supports takes every request but a WebSocket upgrade.
func (t Transport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") == "" }

// requestError is a request refused before it reached the GraphQL executor.
type requestError struct {
	status int
	err    *gqlerror.Error
}

func newRequestError(status int, code, format string, args ...any) *requestError {
	err := &gqlerror.Error{Message: fmt.Sprintf(format, args...)}
	errcode.Set(err, code)
	return &requestError{status: status, err: err}
}

func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := time.Now()
	ctx := r.Context()
	_, statements := postgres.WithStatementCounter(ctx)
	observe := func(op, outcome string) {
		if t.Observer != nil {
			t.Observer.ObserveOperation(op, outcome, time.Since(start), statements.Load())
		}
	}

	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		t.refuse(w, mediaJSON, newRequestError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use GET or POST"))
		observe("", "invalid")
		return
	}

	media, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		t.refuse(w, mediaJSON, newRequestError(http.StatusNotAcceptable, CodeNotAcceptable,
			"the server answers %s or %s; the Accept header allows neither", mediaGraphQLResponse, mediaJSON))
		observe("", "invalid")
		return
	}

	var params *graphql.RawParams
	var reqErr *requestError
	if r.Method == http.MethodGet {
		params, reqErr = readGET(r)
		if reqErr == nil {
			reqErr = t.onlyQueries(params)
		}
	} else {
		params, reqErr = readPOST(r)
	}
	if reqErr == nil {
		reqErr = t.noSubscription(params)
	}
	if reqErr == nil && params.Query == "" && params.Extensions["persistedQuery"] == nil {
		reqErr = newRequestError(http.StatusBadRequest, CodeBadRequest, `the request has no query: send {"query": "{ ... }"}`)
	}
	if reqErr != nil {
		if reqErr.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "POST")
		}
		t.refuse(w, media, reqErr)
		name := ""
		if params != nil {
			name = params.OperationName
		}
		observe(name, t.requestOutcome(gqlerror.List{reqErr.err}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}

	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		status := http.StatusOK // application/json: the spec's 200 for every well-formed request
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		writeResponse(w, media, status, &response{Errors: resp.Errors, Extensions: resp.Extensions})
		observe(operationName(opCtx, params), t.requestOutcome(resp.Errors))
		return
	}

	if opCtx.Operation != nil && opCtx.Operation.Operation == ast.Subscription {
		// A document sent by hash (persisted query) is known only now.
		t.refuse(w, media, subscriptionRefusal())
		observe(operationName(opCtx, params), "invalid")
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation != nil && opCtx.Operation.Operation != ast.Query {
		// A document sent by hash (persisted query) is known only now.
		w.Header().Set("Allow", "POST")
		t.refuse(w, media, newRequestError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "a %s must be sent with POST; GET runs queries only", opCtx.Operation.Operation))
		observe(operationName(opCtx, params), "invalid")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		err := &gqlerror.Error{Message: "the request was cancelled or took too long"}
		errcode.Set(err, knowledge.EUNAVAILABLE)
		resp = &graphql.Response{Errors: gqlerror.List{err}}
	}
	if retryAfter, refused := admissionRefusal(resp); refused {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeResponse(w, media, http.StatusServiceUnavailable, &response{Errors: resp.Errors, Extensions: resp.Extensions})
		observe(operationName(opCtx, params), "refused") // a limit, not the database's trouble
		return
	}
	writeResponse(w, media, http.StatusOK, &response{Errors: resp.Errors, Data: resp.Data, HasData: true, Extensions: resp.Extensions})
	observe(operationName(opCtx, params), executionOutcome(resp.Errors))
}

// admissionRefusal recognises an operation the admission gate did not run
// (admission.go): no data, and SERVICE_UNAVAILABLE with retryAfter. It is answered 503
// with Retry-After, so that HTTP clients and proxies back off; an operation that ran
// and failed keeps 200 and its data.
func admissionRefusal(resp *graphql.Response) (retryAfter int, ok bool) {
	if len(resp.Data) > 0 || len(resp.Errors) != 1 {
		return 0, false
	}
	e := resp.Errors[0]
	if code, _ := e.Extensions["code"].(string); code != knowledge.EUNAVAILABLE {
		return 0, false
	}
	retryAfter, ok = e.Extensions[ExtRetryAfter].(int)
	return retryAfter, ok
}

// onlyQueries refuses a GET of a mutation: GET must be safe, so mutations need POST
// (405, as the GraphQL-over-HTTP spec says). A document that does not parse is left to
// the executor to report.
func (t Transport) onlyQueries(p *graphql.RawParams) *requestError {
	op := t.selectedOperation(p)
	if op == nil || op.Operation == ast.Query || op.Operation == ast.Subscription {
		return nil // noSubscription refuses a subscription
	}
	return newRequestError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "a %s must be sent with POST; GET runs queries only", op.Operation)
}

// selectedOperation parses the query text and returns the operation the request
// selects, or nil when there is no text, it does not parse, or it names no operation:
// the executor reports those.
func (t Transport) selectedOperation(p *graphql.RawParams) *ast.OperationDefinition {
	if p.Query == "" {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, t.MaxTokens)
	if err != nil {
		return nil
	}
	if p.OperationName == "" && len(doc.Operations) == 1 {
		return doc.Operations[0]
	}
	return doc.Operations.ForName(p.OperationName)
}

// CodeSubscriptionNeedsWebSocket refuses a subscription sent as a plain HTTP request.
const CodeSubscriptionNeedsWebSocket = "SUBSCRIPTION_NEEDS_WEBSOCKET"

// noSubscription refuses a subscription over plain HTTP before anything runs. One
// HTTP request gets one answer, and a subscription's first event may never come: left
// to the executor, the request held an execution slot until its deadline and then
// failed, so a few such requests a second froze the API for everyone. Subscriptions
// run over the WebSocket transport of the same endpoint.
func (t Transport) noSubscription(p *graphql.RawParams) *requestError {
	// Only a document that holds the word can select a subscription: most requests
	// skip the second parse.
	if !strings.Contains(p.Query, "subscription") {
		return nil
	}
	if op := t.selectedOperation(p); op != nil && op.Operation == ast.Subscription {
		return subscriptionRefusal()
	}
	return nil
}

func subscriptionRefusal() *requestError {
	return newRequestError(http.StatusBadRequest, CodeSubscriptionNeedsWebSocket,
		"a subscription needs a WebSocket: open one on this endpoint with the graphql-transport-ws protocol; plain GET and POST run queries and mutations only")
}

func (t Transport) refuse(w http.ResponseWriter, media string, e *requestError) {
	writeResponse(w, media, e.status, &response{Errors: gqlerror.List{e.err}})
}

// requestOutcome classifies a request that did not execute: refused by a limit, or
// invalid (malformed, not parsable, not valid against the schema).
func (t Transport) requestOutcome(errs gqlerror.List) string {
	for _, e := range errs {
		if code, _ := e.Extensions["code"].(string); slices.Contains(refusalCodes, code) {
			if t.Observer != nil {
				t.Observer.ObserveRefusal(code)
			}
			return "refused"
		}
	}
	return "invalid"
}

// executionOutcome classifies a request that executed.
func executionOutcome(errs gqlerror.List) string {
	outcome := "ok"
	for _, e := range errs {
		switch code, _ := e.Extensions["code"].(string); code {
		case knowledge.EUNAVAILABLE:
			return "unavailable"
		case knowledge.EINTERNAL:
			outcome = "internal"
		default:
			if outcome == "ok" {
				outcome = "error"
			}
		}
	}
	return outcome
}

func operationName(opCtx *graphql.OperationContext, p *graphql.RawParams) string {
	if opCtx != nil && opCtx.Operation != nil {
		return opCtx.Operation.Name
	}
	return p.OperationName
}

// response is a GraphQL response. Unlike graphql.Response it leaves the data entry out
// when the request never executed, as the spec asks.
type response struct {
	Errors     gqlerror.List
	Data       json.RawMessage
	HasData    bool
	Extensions map[string]any
}

func (r *response) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	sep := ""
	field := func(name string, v any) error {
		// The executor's data is already JSON: copying it saves encoding/json a second
		// validating pass over what is most of the response.
		raw, ok := v.(json.RawMessage)
		if !ok {
			var err error
			if raw, err = json.Marshal(v); err != nil {
				return err
			}
		}
		b.WriteString(sep + strconv.Quote(name) + ":")
		b.Write(raw)
		sep = ","
		return nil
	}
	if len(r.Errors) > 0 {
		if err := field("errors", r.Errors); err != nil {
			return nil, err
		}
	}
	if r.HasData {
		data := r.Data
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		if err := field("data", data); err != nil {
			return nil, err
		}
	}
	if len(r.Extensions) > 0 {
		if err := field("extensions", r.Extensions); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeResponse(w http.ResponseWriter, media string, status int, resp *response) {
	b, err := resp.MarshalJSON()
	if err != nil {
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// negotiate picks the response media type from an Accept header: the supported type
// of highest quality, application/json for a missing header or a wildcard, as the
// spec asks of servers during the media type's "watershed".
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		var m string
		switch mt {
		case mediaGraphQLResponse:
			m = mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			m = mediaJSON
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = m, q
		}
	}
	return best, best != ""
}

// wireParams are the request parameters as they arrive, so that each one's JSON type
// can be checked.
type wireParams struct {
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

func readPOST(r *http.Request) (*graphql.RawParams, *requestError) {
	ct := r.Header.Get("Content-Type")
	mt, ctParams, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != mediaJSON {
		return nil, newRequestError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"send the request body as Content-Type: application/json (got %q)", truncate(ct, 100))
	}
	if cs, ok := ctParams["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, newRequestError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the request body must be UTF-8 (got charset %q)", truncate(cs, 40))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newRequestError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "the request body is larger than %d bytes", tooBig.Limit)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, newRequestError(http.StatusRequestTimeout, CodeBadRequest, "the request body did not arrive in time")
		}
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, "the request body could not be read")
	}
	if !utf8.Valid(body) {
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, "the request body is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, `the request body is empty; send {"query": "..."}`)
	case trimmed[0] == '[':
		return nil, newRequestError(http.StatusBadRequest, CodeBatchingNotSupported,
			"batched requests (a JSON array of operations) are not supported: send one operation per request")
	case trimmed[0] != '{':
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, `the request body must be a JSON object such as {"query": "..."}`)
	}
	var wire wireParams
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&wire); err != nil {
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, "the request body is not valid JSON: %s", truncate(err.Error(), 200))
	}
	if dec.More() {
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, "the request body holds more than one JSON value")
	}
	p := &graphql.RawParams{}
	if err := decodeString(wire.Query, "query", &p.Query); err != nil {
		return p, err
	}
	if err := decodeString(wire.OperationName, "operationName", &p.OperationName); err != nil {
		return p, err
	}
	if err := decodeObject(wire.Variables, "variables", &p.Variables); err != nil {
		return p, err
	}
	if err := decodeObject(wire.Extensions, "extensions", &p.Extensions); err != nil {
		return p, err
	}
	return p, nil
}

func readGET(r *http.Request) (*graphql.RawParams, *requestError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, "the URL query string is malformed")
	}
	for _, vs := range q {
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, newRequestError(http.StatusBadRequest, CodeBadRequest, "the URL query string is not valid UTF-8")
			}
		}
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	if v := q.Get("variables"); v != "" {
		if err := decodeObject(json.RawMessage(v), "variables", &p.Variables); err != nil {
			return p, err
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeObject(json.RawMessage(v), "extensions", &p.Extensions); err != nil {
			return p, err
		}
	}
	return p, nil
}

func decodeString(raw json.RawMessage, name string, dst *string) *requestError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return newRequestError(http.StatusBadRequest, CodeBadRequest, "%s must be a string", name)
	}
	return nil
}

func decodeObject(raw json.RawMessage, name string, dst *map[string]any) *requestError {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '{' {
		return newRequestError(http.StatusBadRequest, CodeBadRequest, "%s must be a JSON object", name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return newRequestError(http.StatusBadRequest, CodeBadRequest, "%s must be a JSON object", name)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
