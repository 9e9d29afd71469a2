// Package webasset serves the web pages built into the binary, the playground and the
// explorer: each is a Site, one HTML page rendered once and served with its
// Content-Security-Policy, and the embedded files it loads, each with an explicit
// content type, an ETag, and gzip when the browser takes it and it pays.
package webasset

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Cache-Control values for assets.
const (
	// Immutable is for a URL whose content never changes (a version in its name or query).
	Immutable = "public, max-age=31536000, immutable"
	// Revalidate makes the browser check the ETag before reusing its copy.
	Revalidate = "no-cache"
)

// File is an embedded file prepared for serving; what never changes is computed once.
type File struct {
	Body        []byte
	ContentType string
	ETag        string
	// Digest is the hex SHA-256 of the body, for versioned URLs.
	Digest string
	// gzipped compresses on first use: most deployments never serve most assets, so
	// compressing at start-up would be wasted.
	gzipped func() []byte
}

// New prepares the body of the file with the name for serving.
func New(name string, body []byte) *File {
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	return &File{
		Body:        body,
		ContentType: ContentType(name),
		ETag:        `"` + digest[:24] + `"`,
		Digest:      digest,
		gzipped:     sync.OnceValue(func() []byte { return gzipBytes(body) }),
	}
}

// ContentType is explicit rather than mime.TypeByExtension, which consults the host's
// mime.types and so differs between machines.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".json":
		return "application/json; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

// Gzipped is the compressed body, or nil when compression does not save a tenth.
func (f *File) Gzipped() []byte { return f.gzipped() }

// Serve writes the file with the cache policy, compressed when the request accepts
// gzip (a compressed body has its own ETag), answering conditional requests with 304.
func (f *File) Serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Cache-Control", cacheControl)
	hd.Set("Vary", "Accept-Encoding")
	body, etag := f.Body, f.ETag
	if AcceptsGzip(r) {
		if gz := f.gzipped(); gz != nil {
			body = gz
			etag = strings.TrimSuffix(f.ETag, `"`) + `-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// AcceptsGzip honours an explicit "gzip;q=0" refusal, which a substring check would miss.
func AcceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// gzipBytes returns nil when compression does not pay, so callers serve the identity.
func gzipBytes(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(body); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	if buf.Len()*10 > len(body)*9 {
		return nil
	}
	return buf.Bytes()
}
