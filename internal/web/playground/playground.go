// Package playground serves an in-browser GraphiQL IDE for Amity's GraphQL
// API that works fully offline.
//
// Every file the browser needs (GraphiQL, React, ReactDOM, their CSS and the
// small bootstrap script) is embedded in the binary with go:embed, because
// the API is often run on machines without internet access and a CDN would
// both break there and widen what the page has to trust. The vendored files
// come from scripts/vendor-graphiql.sh, which pins their versions; their
// licenses are embedded and served alongside them (see LicensePaths).
//
// # Mounting
//
// The handler returned by Handler serves both the page (at exactly "/") and
// its assets (under AssetPrefix) and answers 404 for everything else, so
// mounting it once at the server root is enough:
//
//	mux.Handle("/", playground.Handler("/graphql", examples))
//
// Because the page refers to its assets by the absolute path AssetPrefix, the
// handler must see request paths as the server does: do not wrap it in
// http.StripPrefix. If "/" is needed by something else, the same handler can
// instead be mounted on just the two routes it serves:
//
//	h := playground.Handler("/graphql", examples)
//	mux.Handle("GET /{$}", h)
//	mux.Handle(playground.AssetPrefix, h)
package playground

import (
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/amity/amity/internal/web/webasset"
)

// AssetPrefix is the URL path under which the page loads its embedded
// assets. It is exported so callers that do not mount the handler at "/" can
// route this prefix to it as well.
const AssetPrefix = "/playground/assets/"

// Vendored file names carry their upstream version so they can be cached
// forever; scripts/vendor-graphiql.sh must be kept in step with these.
const (
	graphiqlJS  = "graphiql-3.9.0.min.js"
	graphiqlCSS = "graphiql-3.9.0.min.css"
	reactJS     = "react-18.3.1.production.min.js"
	reactDOMJS  = "react-dom-18.3.1.production.min.js"
)

// Our own files are not versioned in their names, so they are served with
// revalidation instead of as immutable.
const (
	initJS  = "init.js"
	pageCSS = "playground.css"
)

// Example is a ready-made query offered to the user as a GraphiQL tab, so
// newcomers can run something meaningful before they know the schema.
type Example struct {
	// Name identifies the example; it is shown as a comment on the first
	// line of the tab because GraphiQL titles tabs by operation name only
	// (once: a query that already opens with that comment keeps just its own).
	Name string
	// Query is the GraphQL document placed in the tab's editor.
	Query string
	// Variables is optional JSON text for the tab's variables editor.
	Variables string
}

//go:embed assets
var embedded embed.FS

var assets = mustLoadAssets()

// LicensePaths lists the URL paths of the embedded third-party license
// texts, so an "about" page or footer can link to them.
var LicensePaths = func() []string {
	var out []string
	for name := range assets {
		if strings.HasPrefix(name, "LICENSE-") {
			out = append(out, AssetPrefix+name)
		}
	}
	sort.Strings(out)
	return out
}()

func mustLoadAssets() map[string]*webasset.File {
	out, err := webasset.Load(embedded, "assets")
	if err != nil {
		panic("playground: reading embedded assets: " + err.Error())
	}
	for _, name := range []string{graphiqlJS, graphiqlCSS, reactJS, reactDOMJS, initJS, pageCSS} {
		if out[name] == nil {
			panic("playground: embedded asset missing (re-run scripts/vendor-graphiql.sh?): " + name)
		}
	}
	return out
}

// versioned are the files with their version in their name, cached for good; the
// others revalidate.
var versioned = map[string]bool{graphiqlJS: true, graphiqlCSS: true, reactJS: true, reactDOMJS: true}

func cacheControl(name string, _ *http.Request) string {
	if versioned[name] {
		return webasset.Immutable
	}
	return webasset.Revalidate
}

// pageTemplate keeps every server-provided value in places html/template
// escapes contextually: the config is a Go value rendered inside a JSON
// script element, where html/template emits JSON with "<" escaped, so
// example text cannot close the element.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>Amity — GraphQL playground</title>
<link rel="stylesheet" href="{{.GraphiQLCSS}}">
<link rel="stylesheet" href="{{.PageCSS}}">
<script type="application/json" id="config">{{.Config}}</script>
</head>
<body>
<header class="amity-header"><strong>Amity</strong> — playground for Amity's knowledge API: cities, officials, agreements, partnerships and institutions, with their sources. Queries are sent to <code>{{.Config.Endpoint}}</code>; the Docs panel on the left documents the schema.</header>
<div id="graphiql">Loading the playground…</div>
<noscript>The GraphQL playground needs JavaScript. The API itself is at <code>{{.Config.Endpoint}}</code>.</noscript>
<script src="{{.ReactJS}}"></script>
<script src="{{.ReactDOMJS}}"></script>
<script src="{{.GraphiQLJS}}"></script>
<script src="{{.InitJS}}"></script>
</body>
</html>
`))

// pageConfig is what init.js reads from the page; the JSON names are its
// contract with init.js.
type pageConfig struct {
	Endpoint string        `json:"endpoint"`
	Examples []exampleJSON `json:"examples"`
}

type exampleJSON struct {
	Name string `json:"name"`
	// Query is the text of the tab's editor: the example's query, opened by its name
	// as a comment (see tabQuery).
	Query     string `json:"query"`
	Variables string `json:"variables,omitempty"`
}

// tabQuery is the text of an example's tab. GraphiQL titles tabs by operation name only,
// so the example's name opens the tab as a GraphQL comment, which says what the example
// is without changing what the query means. A query that already opens with that
// comment (every file in internal/web/examples does: its first line is its name) is
// left as it is, or the tab would say its name twice.
func tabQuery(e Example) string {
	name := strings.Join(strings.Fields(e.Name), " ") // one line, whatever the name holds
	if name == "" {
		return e.Query
	}
	first, _, _ := strings.Cut(strings.TrimLeft(e.Query, " \t\r\n"), "\n")
	if c, ok := strings.CutPrefix(strings.TrimSpace(first), "#"); ok && strings.Join(strings.Fields(c), " ") == name {
		return e.Query
	}
	return "# " + name + "\n" + e.Query
}

type pageData struct {
	Config                                    pageConfig
	GraphiQLCSS, PageCSS, ReactJS, ReactDOMJS string
	GraphiQLJS, InitJS                        string
}

// Handler returns the playground: the GraphiQL page at "/", pointed at
// endpoint with examples preloaded as tabs (the first one active), and the
// embedded assets under AssetPrefix. See the package comment for mounting.
//
// endpoint may be a path on the same origin (the usual case, e.g. "/graphql")
// or an absolute http(s) URL; for the latter its origin is added to the
// page's connect-src so the browser lets GraphiQL reach it. Examples are
// shown only on a user's first visit: GraphiQL keeps the user's own tabs in
// localStorage afterwards.
//
// Handler panics if endpoint is empty or not a valid URL, since that is a
// wiring mistake best caught at startup rather than in a user's browser.
func Handler(endpoint string, examples []Example) http.Handler {
	connect, err := webasset.ConnectSrc(endpoint)
	if err != nil {
		panic("playground: " + err.Error())
	}
	cfg := pageConfig{Endpoint: endpoint, Examples: make([]exampleJSON, 0, len(examples))}
	for _, e := range examples {
		cfg.Examples = append(cfg.Examples, exampleJSON{Name: e.Name, Query: tabQuery(e), Variables: e.Variables})
	}
	site := webasset.Site{
		Path:         "/",
		AssetPrefix:  AssetPrefix,
		Assets:       assets,
		CacheControl: cacheControl,
		CSP: []string{
			"default-src 'none'",
			// No inline scripts at all: the bootstrap is the embedded init.js.
			"script-src 'self'",
			// GraphiQL and CodeMirror set inline styles at runtime.
			"style-src 'self' 'unsafe-inline'",
			// GraphiQL's CSS embeds its fonts and icons as data: URLs.
			"img-src 'self' data:",
			"font-src 'self' data:",
			"connect-src " + connect,
			"base-uri 'none'",
			"form-action 'none'",
			"frame-ancestors 'none'",
		},
	}
	h, err := site.Handler(pageTemplate, pageData{
		Config:      cfg,
		GraphiQLCSS: AssetPrefix + graphiqlCSS,
		PageCSS:     AssetPrefix + pageCSS,
		ReactJS:     AssetPrefix + reactJS,
		ReactDOMJS:  AssetPrefix + reactDOMJS,
		GraphiQLJS:  AssetPrefix + graphiqlJS,
		InitJS:      AssetPrefix + initJS,
	})
	if err != nil {
		panic("playground: " + err.Error())
	}
	return h
}
