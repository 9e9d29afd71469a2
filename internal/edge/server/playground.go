package server

import (
	"net/http"

	"github.com/amity/amity/internal/web/examples"
	"github.com/amity/amity/internal/web/playground"
)

// mountPlayground serves GraphiQL at / with the example queries preloaded as tabs.
func mountPlayground(mux *http.ServeMux) {
	var tabs []playground.Example
	for _, ex := range examples.All() {
		tabs = append(tabs, playground.Example{Name: ex.Name, Query: ex.Query})
	}
	mux.Handle("/", playground.Handler("/graphql", tabs))
}
