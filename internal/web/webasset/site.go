package webasset

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A Site is one HTML page and the embedded files it loads, as the playground and the
// explorer are: the page at exactly Path, the files under AssetPrefix, Path+"/"
// redirected to Path (the query kept), and 404 for anything else. Its handler must see
// request paths as the server does (no http.StripPrefix): the page names its files by
// absolute path.
type Site struct {
	Path        string
	AssetPrefix string
	Assets      map[string]*File
	// CacheControl is an asset's Cache-Control for the request (Immutable or Revalidate).
	CacheControl func(name string, r *http.Request) string
	// CSP is the page's Content-Security-Policy, a directive an item.
	CSP []string
}

// Handler renders the page once, from the template and data (it depends only on what
// the site is built with), and serves the site.
func (s Site) Handler(page *template.Template, data any) (http.Handler, error) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("rendering page: %w", err)
	}
	return &site{Site: s, page: New("index.html", buf.Bytes()), csp: strings.Join(s.CSP, "; ")}, nil
}

type site struct {
	Site
	page *File
	csp  string
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := r.URL.Path
	var name string
	switch {
	case p == s.Path:
	case s.Path != "/" && p == s.Path+"/":
		target := s.Path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	case strings.HasPrefix(p, s.AssetPrefix) && s.Assets[strings.TrimPrefix(p, s.AssetPrefix)] != nil:
		name = strings.TrimPrefix(p, s.AssetPrefix)
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name != "" {
		s.Assets[name].Serve(w, r, s.CacheControl(name, r))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", s.page.ContentType)
	hd.Set("Content-Security-Policy", s.csp)
	hd.Set("Referrer-Policy", "same-origin")
	// Revalidate, so that a new build's asset URLs (or examples) are seen at once; the
	// ETag keeps that cheap. Not gzipped: the page is a few kilobytes.
	hd.Set("Cache-Control", Revalidate)
	hd.Set("ETag", s.page.ETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.page.Body))
}

// Load prepares the named files of dir in fsys for serving, or every file of dir when
// no name is given.
func Load(fsys fs.FS, dir string, names ...string) (map[string]*File, error) {
	if len(names) == 0 {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	out := make(map[string]*File, len(names))
	for _, name := range names {
		body, err := fs.ReadFile(fsys, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out[name] = New(name, body)
	}
	return out, nil
}

// ConnectSrc is the connect-src of a page that calls the GraphQL endpoint: its own
// origin, and for an absolute endpoint that endpoint's origin too. It refuses anything
// that could smuggle directives into the header.
func ConnectSrc(endpoint string) (string, error) {
	if endpoint == "" {
		return "", fmt.Errorf("empty GraphQL endpoint")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("invalid GraphQL endpoint %q: %v", endpoint, err)
	}
	if u.Scheme == "" && u.Host == "" {
		return "'self'", nil
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("GraphQL endpoint %q must be a path or an absolute http(s) URL", endpoint)
	}
	if strings.ContainsAny(u.Host, " ;,'\"") {
		return "", fmt.Errorf("GraphQL endpoint %q has an unusable host", endpoint)
	}
	return "'self' " + u.Scheme + "://" + u.Host, nil
}
