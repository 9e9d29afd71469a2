package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestExploreRoutes: /explore and its assets win over the playground's "/" catch-all,
// which still serves everything else.
func TestExploreRoutes(t *testing.T) {
	mux := http.NewServeMux()
	mountPlayground(mux)
	mountExplore(mux)
	for _, c := range []struct {
		path, wantType, wantBody string
		wantStatus               int
	}{
		{"/explore", "text/html; charset=utf-8", "<title>Amity explorer</title>", 200},
		{"/explore?city=%E6%B7%B1%E5%9C%B3", "text/html; charset=utf-8", "<title>Amity explorer</title>", 200},
		{"/explore/assets/explore.js", "text/javascript; charset=utf-8", "", 200},
		{"/explore/assets/explore.css", "text/css; charset=utf-8", "", 200},
		{"/explore/", "", "", http.StatusMovedPermanently},
		{"/explore/nothing", "", "", http.StatusNotFound},
		{"/", "text/html; charset=utf-8", "GraphQL playground", 200},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.wantStatus {
			t.Errorf("GET %s: status %d, want %d", c.path, rec.Code, c.wantStatus)
			continue
		}
		if c.wantType != "" && rec.Header().Get("Content-Type") != c.wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, rec.Header().Get("Content-Type"), c.wantType)
		}
		if !strings.Contains(rec.Body.String(), c.wantBody) {
			t.Errorf("GET %s: body lacks %q", c.path, c.wantBody)
		}
	}
}
