// Package httpcache makes anonymous GraphQL queries over GET cacheable by browsers,
// CDNs and proxies, and everything else explicitly uncacheable.
//
// A response is public and cacheable only when all of these hold: the request is a GET
// (GET runs queries only: mutations need POST and subscriptions a WebSocket), it has no
// Authorization header (so its answer is the same for every anonymous caller), it is no
// WebSocket upgrade, and the answer is a 200 whose body has no errors. Such a response
// gets Cache-Control: public, max-age=N and a strong ETag of its body, and a request
// whose If-None-Match holds that ETag gets 304 Not Modified without the body. Every
// other response gets Cache-Control: no-store (private, no-store when the request
// carried a key).
package httpcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Config tunes caching.
type Config struct {
	// MaxAge is how long shared caches and browsers may reuse an anonymous GET answer
	// without asking again. 0 keeps the ETag but makes clients revalidate every time
	// (Cache-Control: no-cache).
	MaxAge time.Duration
}

// Middleware adds caching headers to the GraphQL endpoint's responses.
func Middleware(cfg Config, next http.Handler) http.Handler {
	cacheControl := "public, max-age=" + strconv.Itoa(int(cfg.MaxAge.Seconds()))
	if cfg.MaxAge <= 0 {
		cacheControl = "public, no-cache"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Authorization, Accept")
		switch {
		case r.Header.Get("Upgrade") != "":
			next.ServeHTTP(w, r)
			return
		case r.Header.Get("Authorization") != "":
			h.Set("Cache-Control", "private, no-store")
			next.ServeHTTP(w, r)
			return
		case r.Method != http.MethodGet:
			h.Set("Cache-Control", "no-store")
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedWriter{header: h, status: http.StatusOK}
		next.ServeHTTP(buf, r)
		body := buf.body.Bytes()
		if buf.status != http.StatusOK || hasErrors(body) {
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(buf.status)
			w.Write(body)
			return
		}
		etag := ETag(body)
		h.Set("Cache-Control", cacheControl)
		h.Set("ETag", etag)
		if matches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

// ETag is the strong entity tag of a body: its SHA-256, shortened.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// matches implements If-None-Match's weak comparison against one strong tag.
func matches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

// hasErrors reports whether a GraphQL response body has a non-empty errors entry (or is
// no JSON object at all, which is never cached either).
func hasErrors(body []byte) bool {
	var resp struct {
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return true
	}
	e := bytes.TrimSpace(resp.Errors)
	return len(e) > 0 && !bytes.Equal(e, []byte("null")) && !bytes.Equal(e, []byte("[]"))
}

// bufferedWriter holds a response back until its cacheability is known.
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
