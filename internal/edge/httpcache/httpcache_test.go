package httpcache_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/httpcache"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	body := `{"data":{"x":1}}`
	h := httpcache.Middleware(httpcache.Config{MaxAge: 30 * time.Second}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("answer") {
		case "errors":
			w.Write([]byte(`{"errors":[{"message":"no"}],"data":null}`))
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.Write([]byte(body))
		}
	}))
	do := func(method, target string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	etag := httpcache.ETag([]byte(body))
	tests := []struct {
		name       string
		rec        *httptest.ResponseRecorder
		wantStatus int
		wantCC     string
		wantETag   string
	}{
		{"Cacheable", do("GET", "/graphql"), 200, "public, max-age=30", etag},
		{"NotModified", do("GET", "/graphql", "If-None-Match", `"a", W/`+etag), 304, "public, max-age=30", etag},
		{"NotModifiedStar", do("GET", "/graphql", "If-None-Match", "*"), 304, "public, max-age=30", etag},
		{"Stale", do("GET", "/graphql", "If-None-Match", `"a"`), 200, "public, max-age=30", etag},
		{"Errors", do("GET", "/graphql?answer=errors"), 200, "no-store", ""},
		{"ServerError", do("GET", "/graphql?answer=500"), 500, "no-store", ""},
		{"Keyed", do("GET", "/graphql", "Authorization", "Bearer k"), 200, "private, no-store", ""},
		{"POST", do("POST", "/graphql"), 200, "no-store", ""},
	}
	for _, tt := range tests {
		if tt.rec.Code != tt.wantStatus || tt.rec.Header().Get("Cache-Control") != tt.wantCC || tt.rec.Header().Get("ETag") != tt.wantETag {
			t.Errorf("%s: %d, Cache-Control %q, ETag %q; want %d, %q, %q", tt.name, tt.rec.Code,
				tt.rec.Header().Get("Cache-Control"), tt.rec.Header().Get("ETag"), tt.wantStatus, tt.wantCC, tt.wantETag)
		}
	}
}
