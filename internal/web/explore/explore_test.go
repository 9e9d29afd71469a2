package explore

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/internal/web/webasset"
)

func get(t *testing.T, h http.Handler, target string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPage(t *testing.T) {
	h := Handler("/graphql")
	resp := get(t, h, "/explore?city=%E6%B7%B1%E5%9C%B3")
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	if resp.Header.Get("ETag") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("missing ETag or nosniff: %v", resp.Header)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	// No inline script or style: the CSP would block them.
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(strings.ReplaceAll(page, `<script type="application/json" id="config">`, "")) {
		t.Error("page has an inline script")
	}
	if strings.Contains(page, "style=") || strings.Contains(page, "<style") {
		t.Error("page has inline styles")
	}
	for _, want := range []string{
		`<script defer src="/explore/assets/explore.js?v=` + version(assets["explore.js"]) + `"></script>`,
		`<link rel="stylesheet" href="/explore/assets/explore.css?v=` + version(assets["explore.css"]) + `">`,
		`{"endpoint":"/graphql"}`,
		`<label for="q">`, `role="search"`, `role="status"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestAbsoluteEndpoint(t *testing.T) {
	resp := get(t, Handler("https://api.example.org/graphql"), "/explore")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.org;") {
		t.Errorf("CSP = %q", csp)
	}
	for _, bad := range []string{"", "ftp://x/graphql", "https://a b/graphql", "http://"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler(%q) did not panic", bad)
				}
			}()
			Handler(bad)
		}()
	}
}

func TestAssets(t *testing.T) {
	h := Handler("/graphql")
	for name, ct := range map[string]string{
		"explore.js":      "text/javascript; charset=utf-8",
		"explore.css":     "text/css; charset=utf-8",
		"LICENSES.txt":    "text/plain; charset=utf-8",
		"queries.graphql": "text/plain; charset=utf-8",
	} {
		a := assets[name]
		resp := get(t, h, AssetPrefix+name+"?v="+version(a))
		b := body(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ct {
			t.Errorf("%s: status %d, Content-Type %q, want %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), ct)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != webasset.Immutable {
			t.Errorf("%s?v=current: Cache-Control %q, want immutable", name, cc)
		}
		if b != string(a.Body) {
			t.Errorf("%s: body differs from the embedded file", name)
		}
		if cc := get(t, h, AssetPrefix+name+"?v=stale").Header.Get("Cache-Control"); cc != webasset.Revalidate {
			t.Errorf("%s?v=stale: Cache-Control %q, want no-cache", name, cc)
		}
		etag := resp.Header.Get("ETag")
		if r := get(t, h, AssetPrefix+name, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: status %d, want 304", name, r.StatusCode)
		}
	}
	for _, p := range []string{AssetPrefix + "SOURCE.sha256", AssetPrefix + "nope.js", AssetPrefix + "../explore.go", "/explore/other"} {
		if r := get(t, h, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.StatusCode)
		}
	}
	if r := get(t, h, "/explore/?city=Moscow"); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/explore?city=Moscow" {
		t.Errorf("GET /explore/: %d to %q, want 301 to /explore?city=Moscow", r.StatusCode, r.Header.Get("Location"))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/explore", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /explore: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// TestBundleSize holds the budget: under 300 KB of JavaScript, gzipped.
func TestBundleSize(t *testing.T) {
	h := Handler("/graphql")
	resp := get(t, h, AssetPrefix+"explore.js", "Accept-Encoding", "gzip")
	gz := body(t, resp)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("explore.js not served gzipped to a client that accepts it")
	}
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, assets["explore.js"].Body) {
		t.Fatalf("gzipped body does not decode to the asset: %v", err)
	}
	t.Logf("explore.js: %d bytes, %d gzipped", len(plain), len(gz))
	if len(gz) > 300*1024 {
		t.Errorf("explore.js is %d bytes gzipped, over the 300 KB budget", len(gz))
	}
	if r := get(t, h, AssetPrefix+"explore.js", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent despite gzip;q=0")
	}
}

// TestQueriesMatchSchema validates every operation the page sends against the public
// schema, so a schema change that breaks the explorer fails here, not in a browser.
func TestQueriesMatchSchema(t *testing.T) {
	// The executable schema is schema.graphqls as the server serves it, with the
	// federation directives gqlgen adds.
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, Queries, nil)
	if len(errs) > 0 {
		t.Fatalf("queries.graphql does not validate against schema.graphqls: %v", errs)
	}
	var names []string
	for _, op := range doc.Operations {
		names = append(names, op.Name)
	}
	if want := "ExploreSearch ExploreCity ExploreNetwork"; strings.Join(names, " ") != want {
		t.Errorf("operations = %v, want %s (update the page and this test together)", names, want)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "web", "explore", "src", "queries.graphql"))
	if err == nil && string(src) != Queries {
		t.Error("assets/queries.graphql differs from web/explore/src/queries.graphql: rebuild the bundle (docs/explore.md)")
	}
}

// TestBundleIsCurrent fails when the front-end source changed after the committed
// bundle was built: the build records its inputs' digests in SOURCE.sha256.
func TestBundleIsCurrent(t *testing.T) {
	manifest, err := embedded.ReadFile("assets/SOURCE.sha256")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..", "..", "web", "explore")
	if _, err := os.Stat(root); err != nil {
		t.Skip("web/explore not present")
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(manifest))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad manifest line %q", sc.Text())
		}
		listed[name] = true
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: %v (rebuild: cd web/explore && npm ci && npm run build)", name, err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("web/explore/%s changed since the bundle was built: cd web/explore && npm ci && npm run build", name)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "src"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed["src/"+e.Name()] {
			t.Errorf("web/explore/src/%s is not in the built bundle's manifest: rebuild", e.Name())
		}
	}
}
