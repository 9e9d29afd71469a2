package graph

import (
	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/amity/amity/graph/limits"
	"github.com/amity/amity/internal/edge/persisted"
)

// usePersistedQueries installs persisted queries: automatic persisted queries, and in
// trusted-documents mode the allow list before them. They run before the limits, so a
// document sent by hash is checked like one sent in full; and APQ checks a document
// against the same limits before storing it, so nothing the limits refuse is ever
// stored (in memory or in Redis).
func usePersistedQueries(srv *handler.Server, opts Options, lim *limits.Extension) {
	cache := opts.PersistedQueries
	if cache == nil {
		cache = persisted.NewMemoryCache(persisted.DefaultMemoryBytes)
	}
	if opts.Trusted != nil {
		srv.Use(*opts.Trusted)
		if !opts.Trusted.AnonymousOnly {
			// Every document is on the list, which answers hashes itself.
			return
		}
	}
	srv.Use(persisted.APQ{Cache: cache, Check: lim.CheckQuery})
}
