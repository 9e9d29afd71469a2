package playground

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/amity/amity/internal/web/examples"
)

var testExamples = []Example{
	{Name: "Cities", Query: "{ cities(first: 5) { edges { node { name } } } }"},
	{Name: "Agreements by city", Query: "query A($id: ID!) { node(id: $id) { id } }", Variables: `{"id": "x"}`},
	// Hostile text: must stay data inside the JSON config element.
	{Name: `Evil </script><script>alert("name")</script>`, Query: `{ a } # </script><script>alert(1)</script><!-- & "quotes" 'single' ` + "\u2028"},
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// configFromPage extracts the config the way a browser would: the element
// ends at the first "</script", so any escaping failure truncates the JSON
// and makes it fail to parse or round-trip.
func configFromPage(t *testing.T, page string) pageConfig {
	t.Helper()
	const open = `<script type="application/json" id="config">`
	i := strings.Index(page, open)
	if i < 0 {
		t.Fatalf("config element not found in page:\n%s", page)
	}
	rest := page[i+len(open):]
	j := strings.Index(strings.ToLower(rest), "</script")
	if j < 0 {
		t.Fatal("config element not closed")
	}
	var cfg pageConfig
	if err := json.Unmarshal([]byte(rest[:j]), &cfg); err != nil {
		t.Fatalf("config is not valid JSON: %v\n%s", err, rest[:j])
	}
	return cfg
}

func TestPage(t *testing.T) {
	h := Handler("/graphql", testExamples)
	resp := get(t, h, "/")
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if strings.HasPrefix(d, "script-src") && d != "script-src 'self'" {
			t.Errorf("script-src too lax: %q", d)
		}
	}
	if strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows eval: %q", csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if !strings.Contains(body, "<title>Amity — GraphQL playground</title>") {
		t.Error("page title missing")
	}
	if !strings.Contains(body, "knowledge API") {
		t.Error("header line about Amity's knowledge API missing")
	}

	cfg := configFromPage(t, body)
	if cfg.Endpoint != "/graphql" {
		t.Errorf("config endpoint = %q", cfg.Endpoint)
	}
	if len(cfg.Examples) != len(testExamples) {
		t.Fatalf("config has %d examples, want %d", len(cfg.Examples), len(testExamples))
	}
	for i, e := range testExamples {
		got := cfg.Examples[i]
		if got.Name != e.Name || got.Query != "# "+strings.Join(strings.Fields(e.Name), " ")+"\n"+e.Query || got.Variables != e.Variables {
			t.Errorf("example %d = %+v, want %+v opened by its name", i, got, e)
		}
	}
}

// TestExampleTabsNameOnce: each tab opens with its example's name as a comment, once,
// whether or not the query already starts with it (the shipped examples do).
func TestExampleTabsNameOnce(t *testing.T) {
	var tabs []Example
	for _, ex := range examples.All() {
		tabs = append(tabs, Example{Name: ex.Name, Query: ex.Query})
	}
	if len(tabs) == 0 {
		t.Fatal("no shipped examples")
	}
	tabs = append(tabs,
		Example{Name: "Bare", Query: "{ cities { totalCount } }"},
		Example{Name: "Spaced  out\nname", Query: "#   Spaced out name\n{ a }"},
		Example{Name: "Other comment", Query: "# Something else\n{ a }"},
	)
	cfg := configFromPage(t, readBody(t, get(t, Handler("/graphql", tabs), "/")))
	if len(cfg.Examples) != len(tabs) {
		t.Fatalf("%d tabs, want %d", len(cfg.Examples), len(tabs))
	}
	for i, got := range cfg.Examples {
		name := strings.Join(strings.Fields(tabs[i].Name), " ")
		lines := strings.Split(got.Query, "\n")
		if c := strings.Join(strings.Fields(strings.TrimPrefix(lines[0], "#")), " "); !strings.HasPrefix(lines[0], "#") || c != name {
			t.Errorf("tab %d opens with %q, want the comment # %s", i, lines[0], name)
		}
		if len(lines) > 1 && strings.HasPrefix(lines[1], "#") && strings.Join(strings.Fields(strings.TrimPrefix(lines[1], "#")), " ") == name {
			t.Errorf("tab %d repeats its name:\n%s", i, got.Query)
		}
		if !strings.HasSuffix(got.Query, tabs[i].Query) {
			t.Errorf("tab %d does not hold the example's query:\n%s", i, got.Query)
		}
	}
	if got := cfg.Examples[len(tabs)-1].Query; got != "# Other comment\n# Something else\n{ a }" {
		t.Errorf("a query opening with another comment: tab %q", got)
	}
}

func TestPageEscapesExamples(t *testing.T) {
	body := readBody(t, get(t, Handler("/graphql", testExamples), "/"))
	if strings.Contains(body, "alert(1)</script>") || strings.Contains(body, `<script>alert`) {
		t.Fatalf("example text broke out of the config element:\n%s", body)
	}
	// The only script elements must be the config and the four embedded files.
	if n := strings.Count(strings.ToLower(body), "<script"); n != 5 {
		t.Errorf("page has %d <script> tags, want 5", n)
	}
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(m, `src="`+AssetPrefix) && !strings.Contains(m, `type="application/json"`) {
			t.Errorf("unexpected script element %s", m)
		}
	}
}

func TestAbsoluteEndpointAllowedByCSP(t *testing.T) {
	resp := get(t, Handler("https://api.example.org/graphql", nil), "/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.org;") {
		t.Errorf("CSP = %q, want the endpoint origin in connect-src", csp)
	}
	if cfg := configFromPage(t, readBody(t, resp)); len(cfg.Examples) != 0 {
		t.Errorf("examples = %v, want none", cfg.Examples)
	}
}

func TestBadEndpointPanics(t *testing.T) {
	for _, ep := range []string{"", "javascript:alert(1)", "https://a.example;script-src *"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler(%q) did not panic", ep)
				}
			}()
			Handler(ep, nil)
		}()
	}
}

func TestReferencedAssets(t *testing.T) {
	h := Handler("/graphql", testExamples)
	body := readBody(t, get(t, h, "/"))
	refs := regexp.MustCompile(`(?:src|href)="(`+regexp.QuoteMeta(AssetPrefix)+`[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) != 6 {
		t.Fatalf("page references %d assets, want 6 (2 CSS, 4 JS)", len(refs))
	}
	referenced := map[string]bool{}
	for _, m := range refs {
		p := m[1]
		referenced[strings.TrimPrefix(p, AssetPrefix)] = true
		resp := get(t, h, p)
		b := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, resp.StatusCode)
			continue
		}
		want := "text/javascript; charset=utf-8"
		if strings.HasSuffix(p, ".css") {
			want = "text/css; charset=utf-8"
		}
		if ct := resp.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: Content-Type = %q, want %q", p, ct, want)
		}
		if len(b) == 0 {
			t.Errorf("%s: empty body", p)
		}
		if resp.Header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", p)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", p, got)
		}
		cc := resp.Header.Get("Cache-Control")
		versioned := regexp.MustCompile(`-\d+\.\d+\.\d+\.`).MatchString(p)
		if versioned && cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control = %q, want immutable", p, cc)
		}
		if !versioned && strings.Contains(cc, "immutable") {
			t.Errorf("%s: unversioned asset marked immutable", p)
		}
	}
	// Anything else embedded should be a license; a stale vendored version
	// left behind would bloat the binary for nothing.
	for name := range assets {
		if !referenced[name] && !strings.HasPrefix(name, "LICENSE-") {
			t.Errorf("embedded asset %s is not referenced by the page", name)
		}
	}
	for _, lic := range []string{"LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom"} {
		if assets[lic] == nil {
			t.Errorf("license file %s not embedded", lic)
		}
	}
	if len(LicensePaths) != 3 {
		t.Errorf("LicensePaths = %v", LicensePaths)
	}
}

func TestAssetConditionalAndGzip(t *testing.T) {
	h := Handler("/graphql", nil)
	p := AssetPrefix + graphiqlJS
	plain := get(t, h, p)
	plainBody := readBody(t, plain)
	etag := plain.Header.Get("ETag")

	if resp := get(t, h, p, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	gz := get(t, h, p, "Accept-Encoding", "br, gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", gz.Header.Get("Content-Encoding"))
	}
	if gz.Header.Get("ETag") == etag {
		t.Error("gzip and identity representations share an ETag")
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, []byte(plainBody)) {
		t.Error("gzip body does not decompress to the asset")
	}

	if resp := get(t, h, p, "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent despite q=0")
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler("/graphql", testExamples)
	for _, p := range []string{"/index.html", "/graphql", "/playground/", "/playground/assets/", "/playground/assets/nope.js", "/playground/assets/../playground.go", "/x/"} {
		resp := get(t, h, p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff on 404", p)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, AssetPrefix+initJS, nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, body %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestMountedAtRoot checks the documented wiring through a real ServeMux.
func TestMountedAtRoot(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", Handler("/graphql", testExamples))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]int{"/": 200, AssetPrefix + reactJS: 200, "/other": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
}
