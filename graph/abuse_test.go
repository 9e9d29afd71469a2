package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// httpResult is one answer over a real loopback connection.
type httpResult struct {
	status  int
	body    []byte
	codes   []string
	elapsed time.Duration
}

var codeRE = regexp.MustCompile(`"code":"([A-Z_]+)"`)

func send(t testing.TB, c *http.Client, url, contentType string, body []byte) httpResult {
	t.Helper()
	start := time.Now()
	resp, err := c.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := httpResult{status: resp.StatusCode, body: b, elapsed: time.Since(start)}
	for _, m := range codeRE.FindAllSubmatch(b, -1) {
		r.codes = append(r.codes, string(m[1]))
	}
	return r
}

func queryBody(q string) []byte {
	b, _ := json.Marshal(map[string]any{"query": q})
	return b
}

func mustHealthy(t *testing.T, c *http.Client, base string) {
	t.Helper()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	r := send(t, c, base+"/graphql", "application/json", queryBody(`{ city(name: "Shenzhen") { name } }`))
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"name":"Shenzhen"`)) {
		t.Fatalf("the server no longer answers a plain query: %d %s", r.status, r.body)
	}
}

// TestAbuse sends hostile requests over a real loopback connection. Each must get a
// clear error with a stable code within a second, and the server must stay healthy.
func TestAbuse(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	c := &http.Client{Timeout: 10 * time.Second}
	url := srv.URL + "/graphql"
	before := a.MustTableCounts(t)

	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 10000 {
		fmt.Fprintf(&aliases, " a%d: cities { totalCount }", i)
	}
	aliases.WriteString(" }")
	deep := strings.Repeat("{ city(name: \"Shenzhen\") { country ", 100) + "{ name }" + strings.Repeat(" } }", 100)
	var batch bytes.Buffer
	batch.WriteString("[")
	for i := range 10000 {
		if i > 0 {
			batch.WriteString(",")
		}
		batch.WriteString(`{"query":"{ cities { totalCount } }"}`)
	}
	batch.WriteString("]")
	manyFields := "{" + strings.Repeat(" __typename", 1_000_000/12) + " }"
	bigString := `{ city(name: "` + strings.Repeat("x", 1_000_000) + `") { name } }`

	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantStatus  int
		wantCode    string
	}{
		{"10,000 aliases", "application/json", queryBody(aliases.String()), 200, "TOO_MANY_ALIASES"},
		{"200-deep nesting", "application/json", queryBody(deep), 200, "QUERY_TOO_DEEP"},
		{"fragment cycle", "application/json", queryBody(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`), 200, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment cycle through fields", "application/json", queryBody(`{ city(name: "Shenzhen") { ...C } } fragment C on City { country { cities { nodes { ...C } } } }`), 200, "GRAPHQL_VALIDATION_FAILED"},
		{"1 MB document of fields", "application/json", queryBody(manyFields), 200, "TOO_MANY_TOKENS"},
		{"1 MB string argument", "application/json", queryBody(bigString), 200, "QUERY_TOO_LARGE"},
		{"body over 1 MiB", "application/json", queryBody(strings.Repeat(" ", 2<<20) + "{ __typename }"), 413, "REQUEST_TOO_LARGE"},
		{"batch of 10,000 operations", "application/json", batch.Bytes(), 400, "BATCHING_NOT_SUPPORTED"},
		{"invalid UTF-8", "application/json", []byte("{\"query\":\"{ city(name: \\\"\xff\xfe\\\") { name } }\"}"), 400, "BAD_REQUEST"},
		{"invalid UTF-8 in a variable", "application/json", []byte("{\"query\":\"query($n: String) { city(name: $n) { name } }\",\"variables\":{\"n\":\"\xc3\x28\"}}"), 400, "BAD_REQUEST"},
		{"not JSON", "application/json", []byte(`{"query": "{ __typename }"`), 400, "BAD_REQUEST"},
		{"query is a number", "application/json", []byte(`{"query": 42}`), 400, "BAD_REQUEST"},
		{"variables is a list", "application/json", []byte(`{"query": "{ __typename }", "variables": [1]}`), 400, "BAD_REQUEST"},
		{"text/plain", "text/plain", queryBody(`{ __typename }`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"form", "application/x-www-form-urlencoded", []byte(`query=%7B__typename%7D`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"multipart", "multipart/form-data; boundary=x", []byte("--x\r\n\r\n{}\r\n--x--"), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"application/graphql", "application/graphql", []byte(`{ __typename }`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"no content type", "", queryBody(`{ __typename }`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"latin-1 charset", "application/json; charset=iso-8859-1", queryBody(`{ __typename }`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"too many directives", "application/json", queryBody(`{ __typename` + strings.Repeat(" @include(if: true)", 50) + ` }`), 200, "TOO_MANY_DIRECTIVES"},
		{"too costly", "application/json", queryBody(`{ cities(first: 100) { nodes { partnerships(first: 100) { nodes { partner { agreements(first: 100) { nodes { title } } } } } } } }`), 200, "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, c, url, tt.contentType, tt.body)
			if r.elapsed > time.Second {
				t.Errorf("answered in %v, want under a second", r.elapsed)
			}
			if r.status != tt.wantStatus {
				t.Errorf("status %d, want %d", r.status, tt.wantStatus)
			}
			if !slices.Contains(r.codes, tt.wantCode) {
				t.Errorf("want code %s, got %.300s", tt.wantCode, r.body)
			}
			if len(r.body) > 4096 {
				t.Errorf("the error echoes the request: %d bytes", len(r.body))
			}
		})
	}
	mustHealthy(t, c, srv.URL)
	if diff := cmpCounts(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("hostile requests changed the database: %s", diff)
	}
}

func cmpCounts(a, b map[string]int) string {
	for k, v := range a {
		if b[k] != v {
			return fmt.Sprintf("%s: %d rows, then %d", k, v, b[k])
		}
	}
	return ""
}

// injections are strings that break naively built SQL.
var injections = []string{
	`'; DROP TABLE cities; --`,
	`" OR "1"="1`,
	`' OR '1'='1' --`,
	`%' UNION SELECT id, name FROM cities --`,
	`\'; SELECT pg_sleep(5); --`,
	"nul\x00byte",
	`$1 $$ $$; SELECT 1; $$`,
	`%_%\`,
}

// introspected is the part of the schema the injection test needs.
type introspected struct {
	Schema struct {
		QueryType struct{ Name string }
		Types     []struct {
			Kind        string
			Name        string
			Fields      []ioField
			InputFields []ioArg
			EnumValues  []struct{ Name string }
		}
	} `json:"__schema"`
}

type ioField struct {
	Name string
	Args []ioArg
	Type ioType
}

type ioArg struct {
	Name string
	Type ioType
}

type ioType struct {
	Kind   string
	Name   string
	OfType *ioType
}

func (t ioType) named() ioType {
	for t.OfType != nil {
		t = *t.OfType
	}
	return t
}

func (t ioType) isList() bool {
	for x := &t; x != nil; x = x.OfType {
		if x.Kind == "LIST" {
			return true
		}
	}
	return false
}

// TestSQLInjection puts SQL-injection strings into every string and ID argument of
// every query field, and into every string field of their input objects. Each request
// must answer without an internal error, within a second, and change nothing.
func TestSQLInjection(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	before := a.MustTableCounts(t)
	const typeRef = `kind name ofType { kind name ofType { kind name ofType { kind name } } }`
	var schema introspected
	a.MustPost(t, `{ __schema { queryType { name } types { kind name
		fields { name type { `+typeRef+` } args { name type { `+typeRef+` } } }
		inputFields { name type { `+typeRef+` } }
		enumValues { name } } } }`, nil).MustData(t, &schema)
	types := map[string]int{}
	for i, ty := range schema.Schema.Types {
		types[ty.Name] = i
	}
	kindOf := func(t ioType) string { return schema.Schema.Types[types[t.named().Name]].Kind }

	// literal returns a value for an argument of type t, with s for strings; ok is false
	// for a required argument the test cannot fill.
	var literal func(t ioType, s string, depth int) (any, bool)
	literal = func(t ioType, s string, depth int) (any, bool) {
		named := t.named()
		var v any
		switch {
		case named.Name == "String" || named.Name == "ID":
			v = s
		case named.Name == "Int":
			v = 1
		case named.Name == "Float":
			v = 1.0
		case named.Name == "Boolean":
			v = true
		case named.Name == "Date":
			v = "2024-03-06"
		case kindOf(named) == "ENUM":
			v = schema.Schema.Types[types[named.Name]].EnumValues[0].Name
		case kindOf(named) == "INPUT_OBJECT" && depth < 2:
			obj := map[string]any{}
			for _, f := range schema.Schema.Types[types[named.Name]].InputFields {
				fv, ok := literal(f.Type, s, depth+1)
				if !ok {
					if f.Type.Kind == "NON_NULL" {
						return nil, false
					}
					continue
				}
				if f.Type.Kind == "NON_NULL" || fv != nil {
					obj[f.Name] = fv
				}
			}
			v = obj
		default:
			return nil, t.Kind != "NON_NULL"
		}
		if t.isList() {
			v = []any{v}
		}
		return v, true
	}

	c := 0
	query := schema.Schema.Types[types[schema.Schema.QueryType.Name]]
	for _, f := range query.Fields {
		hasString := false
		for _, arg := range f.Args {
			n := arg.Type.named()
			hasString = hasString || n.Name == "String" || n.Name == "ID" || kindOf(n) == "INPUT_OBJECT"
		}
		if !hasString {
			continue
		}
		for _, inj := range injections {
			var defs, args []string
			vars := map[string]any{}
			skip := false
			for _, arg := range f.Args {
				v, ok := literal(arg.Type, inj, 0)
				if !ok {
					skip = true
					break
				}
				if v == nil {
					continue
				}
				defs = append(defs, "$"+arg.Name+": "+typeString(arg.Type))
				args = append(args, arg.Name+": $"+arg.Name)
				vars[arg.Name] = v
			}
			if skip {
				t.Logf("skipping %s: an argument the test cannot fill", f.Name)
				break
			}
			sel := ""
			if k := kindOf(f.Type); k == "OBJECT" || k == "INTERFACE" || k == "UNION" {
				sel = "{ __typename }"
			}
			q := fmt.Sprintf("query(%s) { %s(%s) %s }", strings.Join(defs, ", "), f.Name, strings.Join(args, ", "), sel)
			start := time.Now()
			resp := a.MustPost(t, q, vars)
			c++
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s with %q took %v", f.Name, inj, d)
			}
			for _, e := range resp.Errors {
				if code := e.code(); code == "INTERNAL_SERVER_ERROR" || code == "GRAPHQL_VALIDATION_FAILED" || code == "" {
					t.Errorf("%s with %q: %s", f.Name, inj, resp.Raw)
				}
			}
		}
	}
	if c < 10 {
		t.Errorf("only %d injection requests were built; the schema walk is broken", c)
	}
	if diff := cmpCounts(before, a.MustTableCounts(t)); diff != "" {
		t.Errorf("injections changed the database: %s", diff)
	}
}

func typeString(t ioType) string {
	switch t.Kind {
	case "NON_NULL":
		return typeString(*t.OfType) + "!"
	case "LIST":
		return "[" + typeString(*t.OfType) + "]"
	}
	return t.Name
}

// TestLoadCheapBesideExpensive is a bounded load test on loopback: workers send a fixed
// number of expensive requests (over the complexity, depth and alias limits) and cheap
// queries at once, for at most a few seconds. Every cheap query must be answered, every
// expensive one refused, and refusals must run no SQL.
func TestLoadCheapBesideExpensive(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	url := srv.URL + "/graphql"

	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 2000 {
		fmt.Fprintf(&aliases, " a%d: cities(first: 100) { nodes { name } }", i)
	}
	aliases.WriteString(" }")
	expensive := [][]byte{
		queryBody(`{ cities(first: 100) { nodes { partnerships(first: 100) { nodes { partner { agreements(first: 100) { nodes { title } } } } } } } }`),
		queryBody(strings.Repeat("{ city(name: \"Shenzhen\") { country ", 50) + "{ name }" + strings.Repeat(" } }", 50)),
		queryBody(aliases.String()),
	}
	cheap := queryBody(`{ city(name: "Moscow") { name country { name } } }`)

	const perKind = 300
	const workers = 8
	deadline := time.Now().Add(8 * time.Second)
	var cheapOK, cheapFail, refused, notRefused atomic.Int64
	var mu sync.Mutex
	var cheapLatencies []time.Duration
	jobs := make(chan int, 2*perKind)
	for i := range 2 * perKind {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if time.Now().After(deadline) {
					return
				}
				if i%2 == 0 {
					r := send(t, c, url, "application/json", cheap)
					if r.status == 200 && len(r.codes) == 0 {
						cheapOK.Add(1)
					} else {
						cheapFail.Add(1)
					}
					mu.Lock()
					cheapLatencies = append(cheapLatencies, r.elapsed)
					mu.Unlock()
				} else {
					r := send(t, c, url, "application/json", expensive[(i/2)%len(expensive)])
					if len(r.codes) > 0 && slices.ContainsFunc(r.codes, func(c string) bool {
						return c == "COMPLEXITY_LIMIT_EXCEEDED" || c == "QUERY_TOO_DEEP" || c == "TOO_MANY_ALIASES"
					}) {
						refused.Add(1)
					} else {
						notRefused.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	if time.Now().After(deadline) {
		t.Errorf("the load did not finish within its time bound")
	}
	slices.Sort(cheapLatencies)
	p99 := time.Duration(0)
	if n := len(cheapLatencies); n > 0 {
		p99 = cheapLatencies[n*99/100]
	}
	t.Logf("cheap: %d answered, %d failed, p99 %v; expensive: %d refused, %d not refused",
		cheapOK.Load(), cheapFail.Load(), p99, refused.Load(), notRefused.Load())
	if cheapOK.Load() != perKind || cheapFail.Load() != 0 {
		t.Errorf("cheap queries: %d answered, %d failed, want %d answered", cheapOK.Load(), cheapFail.Load(), perKind)
	}
	if refused.Load() != perKind {
		t.Errorf("expensive queries: %d refused, %d not, want %d refused", refused.Load(), notRefused.Load(), perKind)
	}
	if p99 > time.Second {
		t.Errorf("cheap queries slowed to p99 %v under refused load", p99)
	}

	// The refusals ran no SQL: the statement histogram saw only the cheap queries'.
	resp, err := c.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`amity_graphql_requests_total{operation="anonymous",outcome="refused"} 300`,
		`amity_graphql_refusals_total{code="COMPLEXITY_LIMIT_EXCEEDED"} 100`,
		`amity_graphql_refusals_total{code="TOO_MANY_ALIASES"} 100`,
		`amity_graphql_refusals_total{code="QUERY_TOO_DEEP"} 100`,
		`amity_graphql_sql_statements_bucket{le="0"} 300`,
		`go_sql_max_open_connections{db_name="amity"}`,
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	mustHealthy(t, c, srv.URL)
}
