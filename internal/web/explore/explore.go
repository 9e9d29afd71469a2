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
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/amity/amity/internal/web/webasset"
)

// Path is where the page is served.
const Path = "/explore"

// AssetPrefix is the URL path under which the page loads its embedded assets.
const AssetPrefix = "/explore/assets/"

//go:embed assets
var embedded embed.FS

// served lists the assets the browser may fetch; other embedded files (such as the build
// manifest SOURCE.sha256) are for the tests.
var served = []string{"explore.js", "explore.css", "LICENSES.txt", "queries.graphql"}

var assets = func() map[string]*webasset.File {
	files, err := webasset.Load(embedded, "assets", served...)
	if err != nil {
		panic(fmt.Sprintf("explore: embedded asset missing (rebuild web/explore, see docs/explore.md): %v", err))
	}
	return files
}()

// Queries is the GraphQL document the explorer sends: every operation the page can
// post to the endpoint, so a trusted-documents mode can list it.
var Queries = string(assets["queries.graphql"].Body)

// version is a digest of an asset's body: the page asks for "name?v=version", which may
// be cached for good, since a new build changes the version and so the URL.
func version(f *webasset.File) string { return f.Digest[:12] }

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
<p id="q-hint" class="sr-only">Type a city's name in any language or script; suggestions appear below. Use the arrow keys to choose one.</p>
</form>
<nav aria-label="Elsewhere"><a href="/">GraphQL playground</a></nav>
</header>
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

// Handler returns the explorer, pointed at the GraphQL endpoint: a path on the same
// origin (the usual "/graphql") or an absolute http(s) URL, whose origin is then added
// to the page's connect-src. It panics on an unusable endpoint, a wiring mistake best
// caught at startup.
func Handler(endpoint string) http.Handler {
	connect, err := webasset.ConnectSrc(endpoint)
	if err != nil {
		panic("explore: " + err.Error())
	}
	site := webasset.Site{
		Path:         Path,
		AssetPrefix:  AssetPrefix,
		Assets:       assets,
		CacheControl: cacheControl,
		CSP: []string{
			"default-src 'none'",
			"script-src 'self'",
			"style-src 'self'",
			"img-src 'self' data:",
			"connect-src " + connect,
			"base-uri 'none'",
			// The search form works without JavaScript by reloading the page.
			"form-action 'self'",
			"frame-ancestors 'none'",
		},
	}
	h, err := site.Handler(pageTemplate, struct {
		Config  pageConfig
		CSS, JS string
	}{
		Config: pageConfig{Endpoint: endpoint},
		CSS:    versioned("explore.css"),
		JS:     versioned("explore.js"),
	})
	if err != nil {
		panic("explore: " + err.Error())
	}
	return h
}

func versioned(name string) string {
	return AssetPrefix + name + "?v=" + version(assets[name])
}

// cacheControl caches for good only the URL the page uses, with the current version: a
// stale or missing version revalidates, so an old page never pins a new file.
func cacheControl(name string, r *http.Request) string {
	if r.URL.Query().Get("v") == version(assets[name]) {
		return webasset.Immutable
	}
	return webasset.Revalidate
}
