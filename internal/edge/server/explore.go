package server

import (
	"net/http"

	"github.com/amity/amity/internal/web/explore"
)

// mountExplore serves the explorer at /explore. Its two patterns are more specific than
// the playground's "/" catch-all, so they win whatever the order of registration.
func mountExplore(mux *http.ServeMux) {
	h := explore.Handler("/graphql")
	mux.Handle(explore.Path, h)
	mux.Handle(explore.Path+"/", h)
}
