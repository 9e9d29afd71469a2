package webasset

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSite(t *testing.T) {
	fsys := fstest.MapFS{
		"assets/app.js":   {Data: []byte("console.log(1)")},
		"assets/NOTES":    {Data: []byte("not served")},
		"assets/sub/x.js": {Data: []byte("in a folder")},
	}
	files, err := Load(fsys, "assets", "app.js")
	if err != nil || len(files) != 1 {
		t.Fatalf("Load(app.js) = %v, %v", files, err)
	}
	if all, err := Load(fsys, "assets"); err != nil || len(all) != 2 || all["sub"] != nil {
		t.Errorf("Load(every file) = %v, %v, want app.js and NOTES", all, err)
	}
	if _, err := Load(fsys, "assets", "gone.js"); err == nil {
		t.Error("Load of a missing file did not fail")
	}
	for _, root := range []string{"/", "/app"} {
		site := Site{
			Path: root, AssetPrefix: "/app/assets/", Assets: files,
			CacheControl: func(string, *http.Request) string { return Immutable },
			CSP:          []string{"default-src 'none'", "connect-src 'self'"},
		}
		h, err := site.Handler(template.Must(template.New("").Parse(`<p>{{.}}</p>`)), "<b>")
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			method, target string
			status         int
			header, want   string
		}{
			{"GET", root, 200, "Content-Security-Policy", "default-src 'none'; connect-src 'self'"},
			{"GET", root, 200, "Cache-Control", Revalidate},
			{"HEAD", root, 200, "Content-Type", "text/html; charset=utf-8"},
			{"POST", root, 405, "Allow", "GET, HEAD"},
			{"GET", "/app/assets/app.js", 200, "Cache-Control", Immutable},
			{"GET", "/app/assets/NOTES", 404, "X-Content-Type-Options", "nosniff"},
			{"POST", "/app/assets/nope.js", 404, "Allow", ""},
			{"GET", "/app/other", 404, "", ""},
		} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			if rec.Code != tt.status || tt.header != "" && rec.Header().Get(tt.header) != tt.want {
				t.Errorf("%s %s (page at %s): %d %s %q, want %d %q", tt.method, tt.target, root, rec.Code, tt.header, rec.Header().Get(tt.header), tt.status, tt.want)
			}
			if tt.method == "GET" && tt.target == root && rec.Body.String() != "<p>&lt;b&gt;</p>" {
				t.Errorf("page %q", rec.Body.String())
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", strings.TrimSuffix(root, "/")+"/?q=1", nil))
		if root == "/app" && (rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/app?q=1") {
			t.Errorf("GET /app/?q=1: %d to %q, want 301 to /app?q=1", rec.Code, rec.Header().Get("Location"))
		}
	}
}

func TestConnectSrc(t *testing.T) {
	for endpoint, want := range map[string]string{
		"/graphql":                        "'self'",
		"https://api.example.org/graphql": "'self' https://api.example.org",
		"http://127.0.0.1:8080/graphql":   "'self' http://127.0.0.1:8080",
	} {
		if got, err := ConnectSrc(endpoint); err != nil || got != want {
			t.Errorf("ConnectSrc(%q) = %q, %v, want %q", endpoint, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x/graphql", "javascript:alert(1)", "https://a.example;script-src *", "http://"} {
		if got, err := ConnectSrc(bad); err == nil {
			t.Errorf("ConnectSrc(%q) = %q, want an error", bad, got)
		}
	}
}
