// Package graph is Amity's GraphQL layer: the gqlgen-generated executor and thin
// resolvers that unpack arguments and call the store or a per-request loader. The
// schema's source is graph/schema, one file per entity, and each file's resolvers are
// in graph/<file>.resolvers.go; docs/architecture.md ("graph/, by role") says where the
// rest is.
package graph

//go:generate go run github.com/99designs/gqlgen generate
//go:generate go run ../internal/tools/marshalpatch generated.go
//go:generate go run ../internal/tools/schemaprint ../schema.graphqls

import (
	"log/slog"

	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
)

// Resolver holds what the resolvers need. Relations between objects go through the
// per-request loaders in the context (graph/loader), never straight to the store.
type Resolver struct {
	Store *postgres.DB
	// Changes feeds the subscriptions (nil: subscriptions are off).
	Changes *notify.Hub
	// Log is where subscriptions report what they cannot tell a client.
	Log *slog.Logger
}
