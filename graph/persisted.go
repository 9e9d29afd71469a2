package graph

import (
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"

	"github.com/amity/amity/internal/persisted"
)

// usePersistedQueries installs persisted queries: automatic persisted queries, and in
// trusted-documents mode the allow list before them. They run before the limits, so a
// document sent by hash is checked like one sent in full.
func usePersistedQueries(srv *handler.Server, opts Options) {
	cache := opts.PersistedQueries
	if cache == nil {
		cache = lru.New[string](1000)
	}
	if opts.Trusted != nil {
		srv.Use(*opts.Trusted)
		if !opts.Trusted.AnonymousOnly {
			// Every document is on the list, which answers hashes itself.
			return
		}
	}
	srv.Use(persisted.APQ{Cache: cache})
}
