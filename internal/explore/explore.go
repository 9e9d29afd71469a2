// Package explore serves Amity's explorer: a page at /explore that shows a city's
// international network on a world map, the reference web client of the public GraphQL
// API.
//
// Everything the browser needs is embedded in the binary (go:embed), so the page works
// with no internet at all: no CDN, no map tiles. The front-end source is in web/explore;
// its built, minified bundle is committed under assets/ so the Go build needs no Node.
// Rebuild it with
//
//	cd web/explore && npm ci && npm run build
//
// (see docs/explore.md). The page talks to the server only through the GraphQL endpoint,
// with the operations of Queries.
//
// # Mounting
//
// The handler serves the page at exactly Path, its assets under AssetPrefix, redirects
// Path+"/" to Path and answers 404 for anything else under Path+"/":
//
//	h := explore.Handler("/graphql")
//	mux.Handle(explore.Path, h)
//	mux.Handle(explore.Path+"/", h)
//
// Do not wrap it in http.StripPrefix: the page refers to its assets by absolute path.
package explore

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/amity/amity/internal/webasset"
)

// Path is where the page is served.
const Path = "/explore"

// AssetPrefix is the URL path under which the page loads its embedded assets.
const AssetPrefix = "/explore/assets/"

//go:embed assets
var embedded embed.FS

// Queries is the GraphQL document the explorer sends: every operation the page can
// post to the endpoint, so a trusted-documents mode can list it.
var Queries = mustRead("assets/queries.graphql")

// served lists the assets the browser may fetch; other embedded files (such as the build
// manifest SOURCE.sha256) are for the tests.
var served = []string{"explore.js", "explore.css", "LICENSES.txt", "queries.graphql"}

const (
	cacheImmutable  = webasset.Immutable
	cacheRevalidate = webasset.Revalidate
)

// asset is an embedded file prepared for serving. version is a digest of the body: the
// page asks for "name?v=version", which may be cached for good, since a new build
// changes the version and so the URL.
type asset struct {
	*webasset.File
	version string
}

var assets = func() map[string]*asset {
	out := make(map[string]*asset, len(served))
	for _, name := range served {
		f := webasset.New(name, []byte(mustRead("assets/"+name)))
		out[name] = &asset{File: f, version: f.Digest[:12]}
	}
	return out
}()

func mustRead(name string) string {
	b, err := embedded.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("explore: embedded asset missing (rebuild web/explore, see docs/explore.md): %v", err))
	}
	return string(b)
}

// pageTemplate is the page before any script runs: the search form works without
// JavaScript (it reloads /explore?city=…), and the header, form and introduction paint
// at once while the bundle loads.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="description" content="A city's international network on a world map: partnerships, agreements, institutions, with their sources.">
<link rel="icon" href="data:,">
<title>Amity explorer</title>
<link rel="stylesheet" href="{{.CSS}}">
<script type="application/json" id="config">{{.Config}}</script>
<script defer src="{{.JS}}"></script>
</head>
<body data-state="idle">
<a class="skip" href="#panel">Skip to the city's details</a>
<header class="top">
<h1><a href="/explore">Amity explorer</a></h1>
<form id="search" role="search" method="get" action="/explore" autocomplete="off">
<label for="q">City</label>
<input id="q" name="city" type="search" required placeholder="Any name: Shenzhen, 深圳, Москва…" aria-describedby="q-hint" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="suggestions" spellcheck="false">
<ul id="suggestions" role="listbox" aria-label="Matching cities" hidden></ul>
<button type="submit">Show</button>
</form>
<nav aria-label="Elsewhere"><a href="/">GraphQL playground</a></nav>
</header>
<p id="q-hint" class="sr-only">Type a city's name in any language or script; suggestions appear below. Use the arrow keys to choose one.</p>
<div id="status" role="status" aria-live="polite"></div>
<main>
<section class="map-section" aria-label="Map">
<div id="map"></div>
<div id="legend"></div>
<div id="unknown"></div>
<div id="time" hidden>
<label for="year">Network as of</label>
<input id="year" type="range" min="2000" max="2000" step="1" value="2000" aria-describedby="year-out">
<output id="year-out" for="year">today</output>
<button id="play" type="button" aria-pressed="false">Play</button>
<button id="today" type="button">Today</button>
</div>
</section>
<section id="panel" tabindex="-1" aria-label="City details">
<div class="intro">
<h2>A city's network, with its sources</h2>
<p>Search a city by any of its names to see its partner cities on the map, coloured by kind, with the agreements, signatories, institutions and figures behind them, and every source cited.</p>
<p>Try <a href="/explore?city=%E6%B7%B1%E5%9C%B3">深圳 (Shenzhen)</a> or <a href="/explore?city=Moscow">Moscow</a>.</p>
</div>
<noscript><p>The map needs JavaScript. The same knowledge is in the GraphQL API at <code>{{.Config.Endpoint}}</code>.</p></noscript>
</section>
</main>
</body>
</html>
`))

type pageConfig struct {
	Endpoint string `json:"endpoint"`
}

type handler struct {
	page     []byte
	pageETag string
	csp      string
}

// Handler returns the explorer, pointed at the GraphQL endpoint: a path on the same
// origin (the usual "/graphql") or an absolute http(s) URL, whose origin is then added
// to the page's connect-src. It panics on an unusable endpoint, a wiring mistake best
// caught at startup.
func Handler(endpoint string) http.Handler {
	connect, err := connectSrc(endpoint)
	if err != nil {
		panic("explore: " + err.Error())
	}
	var buf bytes.Buffer
	err = pageTemplate.Execute(&buf, struct {
		Config  pageConfig
		CSS, JS string
	}{
		Config: pageConfig{Endpoint: endpoint},
		CSS:    versioned("explore.css"),
		JS:     versioned("explore.js"),
	})
	if err != nil {
		panic("explore: rendering page: " + err.Error())
	}
	sum := sha256.Sum256(buf.Bytes())
	return &handler{
		page:     buf.Bytes(),
		pageETag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		csp: strings.Join([]string{
			"default-src 'none'",
			"script-src 'self'",
			"style-src 'self'",
			"img-src 'self' data:",
			"connect-src " + connect,
			"base-uri 'none'",
			// The search form works without JavaScript by reloading the page.
			"form-action 'self'",
			"frame-ancestors 'none'",
		}, "; "),
	}
}

func versioned(name string) string {
	return AssetPrefix + name + "?v=" + assets[name].version
}

func connectSrc(endpoint string) (string, error) {
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

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := r.URL.Path
	var a *asset
	switch {
	case p == Path:
	case p == Path+"/":
		target := Path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	case strings.HasPrefix(p, AssetPrefix):
		if a = assets[strings.TrimPrefix(p, AssetPrefix)]; a == nil {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if a == nil {
		h.servePage(w, r)
		return
	}
	serveAsset(w, r, a)
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("Referrer-Policy", "same-origin")
	// Revalidate, so a new build's asset URLs are seen at once; the ETag keeps it cheap.
	hd.Set("Cache-Control", cacheRevalidate)
	hd.Set("ETag", h.pageETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	// Only the URL the page uses, with the current version, is cached for good: a stale
	// or missing version revalidates, so an old page never pins a new file.
	cache := cacheRevalidate
	if r.URL.Query().Get("v") == a.version {
		cache = cacheImmutable
	}
	a.Serve(w, r, cache)
}
