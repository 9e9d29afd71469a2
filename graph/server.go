package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	gqlextension "github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph/extension"
	"github.com/amity/amity/graph/limits"
	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/graphqlhttp"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/notify"
	"github.com/amity/amity/internal/postgres/readcache"
)

// Options tune the GraphQL handler. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// MaxComplexity caps a query's cost, in the units of graph/complexity.go: pages and
	// plain lists multiply their items' cost by their size, path searches and search
	// cost what they were measured to take (docs/operations.md, "Query cost and limits").
	MaxComplexity int
	// Introspection lets clients read the schema. This is a public knowledge API whose
	// schema is its documentation, so it is on by default.
	Introspection bool
	// Tracing spans each operation and resolver field with OpenTelemetry.
	Tracing bool
	// Federation answers Apollo Federation's _service and _entities fields, so that a
	// gateway can compose Amity as a subgraph. Off, those fields are refused.
	Federation bool
	// Limits cap the size and shape of a document before it is parsed and validated.
	Limits limits.Config
	// Dev turns on developer conveniences that production leaves off: "Did you mean …"
	// suggestions in validation errors, which let anyone map a schema cheaply.
	Dev bool
	// Observer, if set, is told the outcome of every request (metrics).
	Observer graphqlhttp.Observer
	Logger   *slog.Logger

	// PersistedQueries stores automatic persisted queries (APQ); nil keeps them in an
	// in-memory LRU of this replica. internal/edge/persisted's RedisCache shares them.
	PersistedQueries graphql.Cache[string]
	// Trusted, if set, turns on trusted-documents mode: only its list's documents run.
	Trusted *persisted.Trusted

	// Subscriptions, if set, feeds the Subscription type and turns on the WebSocket
	// transport (graphql-transport-ws); see subscriptions.go.
	Subscriptions *notify.Hub
	// WebSocketOrigins are the other origins (the CORS list) whose pages may open a
	// WebSocket; the server's own origin always may.
	WebSocketOrigins []string
	// Authenticator checks a key sent in a WebSocket's connection_init payload.
	Authenticator *auth.Authenticator
	// LoaderWait is the wait of the loaders made per WebSocket event and operation.
	LoaderWait time.Duration
	// ReadCache, if set, keeps reads across requests (internal/postgres/readcache);
	// the server keeps it true with the change feed.
	ReadCache *readcache.Cache
	// ReadOnly, if set, refuses mutations with READ_ONLY while it reports true (a
	// replica on a standby); WritesTo names where writes go, for the message.
	ReadOnly func() bool
	WritesTo string
	// OperationTimeout bounds a query or mutation sent over a WebSocket (the HTTP
	// request timeout does not apply to a long-lived connection).
	OperationTimeout time.Duration
	// OperationLimit, if set, rate-limits each operation sent over a WebSocket, which
	// the HTTP middleware never sees (it limited the upgrade): a non-nil error refuses
	// the operation.
	OperationLimit func(context.Context) *gqlerror.Error
	// Admission is the gate every operation passes, by cost and caller (admission.go).
	Admission Admission
}

// DefaultOptions are production-safe defaults.
func DefaultOptions() Options {
	return Options{MaxComplexity: 20000, Introspection: true, Limits: limits.Default(), Logger: slog.Default()}
}

// NewHandler returns the GraphQL endpoint over the store. It expects graph/loader's
// middleware in front of it.
func NewHandler(store *postgres.DB, opts Options) *handler.Server {
	cfg := Config{Resolvers: &Resolver{Store: store, Changes: opts.Subscriptions, Log: opts.Logger}}
	cfg.Directives.NeedsScope = requireScope
	weigh(&cfg.Complexity)

	schema := NewExecutableSchema(cfg)
	srv := handler.New(schema)
	srv.AddTransport(graphqlhttp.Transport{MaxTokens: opts.Limits.MaxTokens, Observer: opts.Observer})
	if opts.Subscriptions != nil {
		addWebsocket(srv, store, opts)
	}
	if opts.ReadCache != nil {
		srv.AroundOperations(cacheAnswers(opts.ReadCache)) // before admission: an answer at hand needs no slot
	}
	srv.AroundOperations(opts.Admission.admit) // after the WebSocket rate limit: what it refuses never queues
	srv.AroundOperations(pruneColumns)
	srv.SetQueryCache(limits.NewQueryCache(0)) // bounded by the bytes its parsed documents hold
	srv.SetParserTokenLimit(max(0, opts.Limits.MaxTokens))
	srv.SetDisableSuggestion(!opts.Dev)
	if !opts.Federation {
		srv.AroundRootFields(refuseFederation)
	}
	srv.Use(extension.DeferRefusal{})
	if opts.ReadOnly != nil {
		srv.Use(extension.ReadOnlyRefusal{ReadOnly: opts.ReadOnly, WritesTo: opts.WritesTo})
	}
	if opts.Introspection {
		srv.Use(gqlextension.Introspection{})
	} else {
		srv.Use(extension.IntrospectionRefusal{Federation: opts.Federation})
	}
	if opts.Federation {
		srv.Use(extension.NewEntityGuard(schema.Schema()))
	}
	lim := limits.New(opts.Limits)
	usePersistedQueries(srv, opts, lim)
	srv.Use(lim)
	if opts.Tracing {
		srv.Use(extension.Tracer{})
	}
	if opts.MaxComplexity > 0 {
		srv.Use(gqlextension.FixedComplexityLimit(opts.MaxComplexity))
	}

	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		return presentError(ctx, log, err)
	})
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return knowledge.Errorf(knowledge.EINTERNAL, "internal error")
	})
	return srv
}

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

// presentError gives every error a stable extensions.code. Errors meant for clients
// keep their message; anything else is logged and shown as a bare "internal error", so
// no SQL or stack reaches a client.
func presentError(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if gqlErr.Extensions == nil {
		gqlErr.Extensions = map[string]any{}
	}
	var domainErr *knowledge.Error
	switch {
	case errors.As(err, &domainErr):
		gqlErr.Message = domainErr.Message
		gqlErr.Extensions["code"] = domainErr.Code
		if domainErr.Field != "" {
			gqlErr.Extensions["field"] = domainErr.Field
		}
		if domainErr.Code == knowledge.EUNAVAILABLE {
			log.WarnContext(ctx, "request failed: service unavailable", "path", gqlErr.Path.String(), "err", err)
		}
	case intVariableError(gqlErr):
		// A variable refused as an Int by gqlparser, in words the client can act on.
	case gqlErr.Extensions["code"] != nil:
		// gqlgen's own parse, validation and complexity errors already carry a code.
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		gqlErr.Message = "the request was cancelled or took too long"
		gqlErr.Extensions["code"] = knowledge.EUNAVAILABLE
	default:
		log.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "err", err)
		gqlErr.Message = "internal error"
		gqlErr.Extensions["code"] = knowledge.EINTERNAL
	}
	return gqlErr
}

// intVariableError rewrites gqlparser's refusal of a variable that is no Int. gqlparser
// coerces variables of the built-in Int itself, before model.UnmarshalInt sees them, and
// refuses a fraction such as 1.5 as "cannot use value 0 as Int" (or "cannot use string
// as Int" inside an input object, a JSON number being a string to it). The client gets
// the rule it broke instead, as the BAD_USER_INPUT every other bad Int gets, naming the
// variable. It reports whether e was such an error.
func intVariableError(e *gqlerror.Error) bool {
	if len(e.Path) < 2 || e.Path[0] != ast.PathName("variable") ||
		!strings.HasPrefix(e.Message, "cannot use ") || !strings.HasSuffix(e.Message, " as Int") {
		return false
	}
	var b strings.Builder
	b.WriteString("$")
	for i, p := range e.Path[1:] {
		switch p := p.(type) {
		case ast.PathIndex:
			b.WriteString("[" + strconv.Itoa(int(p)) + "]")
		case ast.PathName:
			if i > 0 {
				b.WriteString(".")
			}
			b.WriteString(string(p))
		}
	}
	field := b.String()
	e.Message = fmt.Sprintf("%s must be a whole number between %d and %d (a 32-bit Int)", field, model.MinInt, model.MaxInt)
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = knowledge.EINVALID
	e.Extensions["field"] = field
	return true
}

// requireScope enforces @needsScope(scope:) before the field resolves.
func requireScope(ctx context.Context, _ any, next graphql.Resolver, scope model.Scope) (any, error) {
	if err := auth.Require(ctx, knowledge.Scope(strings.ToLower(string(scope)))); err != nil {
		return nil, err
	}
	return next(ctx)
}

// CodeFederationDisabled refuses _service and _entities on a server not run as a subgraph.
const CodeFederationDisabled = "FEDERATION_DISABLED"

// refuseFederation answers the federation fields with an error when federation is off.
func refuseFederation(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	switch graphql.GetRootFieldContext(ctx).Field.Name {
	case "_service", "_entities":
		graphql.AddError(ctx, knowledge.Errorf(CodeFederationDisabled, "this server does not run as a federation subgraph (start it with --federation)"))
		return graphql.Null
	}
	return next(ctx)
}
