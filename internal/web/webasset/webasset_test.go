package webasset

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	body := []byte(strings.Repeat("console.log('amity');\n", 200))
	f := New("app.js", body)
	tests := []struct {
		name, accept, ifNoneMatch string
		wantStatus                int
		wantGzip                  bool
	}{
		{"plain", "", "", 200, false},
		{"gzip", "gzip, br", "", 200, true},
		{"gzip refused", "gzip;q=0", "", 200, false},
		{"not modified", "", f.ETag, 304, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/app.js", nil)
			if tt.accept != "" {
				req.Header.Set("Accept-Encoding", tt.accept)
			}
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			f.Serve(rec, req, Immutable)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
				t.Fatalf("gzip %v, want %v", got, tt.wantGzip)
			}
			if rec.Header().Get("Cache-Control") != Immutable || rec.Header().Get("ETag") == "" {
				t.Errorf("headers %v", rec.Header())
			}
			if tt.wantStatus != 200 {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			got := rec.Body.Bytes()
			if tt.wantGzip {
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, body) {
				t.Error("body differs from the file")
			}
		})
	}
	if New("tiny.css", []byte("a{}")).Gzipped() != nil {
		t.Error("a body gzip cannot shrink is compressed anyway")
	}
}
