package server

import (
	"context"
	"log/slog"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph"
	"github.com/amity/amity/graph/limits"
	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/edge/graphqlhttp"
	"github.com/amity/amity/internal/edge/persisted"
	"github.com/amity/amity/internal/postgres/notify"
	"github.com/amity/amity/internal/postgres/readcache"
)

type nopObserver struct{ graphqlhttp.Observer }

// Every field of graph.Options is either the caller's policy or built by New: with
// both sides set, graphOptions leaves none at its zero value. A field added to
// graph.Options fails this until graphOptions decides where it comes from.
func TestGraphOptionsSetsEveryField(t *testing.T) {
	policy := GraphQL{
		MaxComplexity: 1, Introspection: true, Federation: true, Limits: limits.Default(), Dev: true,
		Observer: nopObserver{}, PersistedQueries: graphql.MapCache[string]{}, Trusted: &persisted.Trusted{},
	}
	w := wiring{
		log: slog.Default(), observer: nopObserver{}, persisted: graphql.MapCache[string]{},
		changes: &notify.Hub{}, authn: &auth.Authenticator{}, origins: []string{"https://a.example"},
		loaderWait: 1, readCache: readcache.New(1), operationTimeout: 1, tracing: true,
		readOnly: func() bool { return true }, writesTo: "https://primary.example",
		operationLimit: func(context.Context) *gqlerror.Error { return nil },
		admission:      graph.Admission{MaxWait: 1},
	}
	opts := reflect.ValueOf(graphOptions(policy, w))
	for i := range opts.NumField() {
		if opts.Field(i).IsZero() {
			t.Errorf("graphOptions leaves graph.Options.%s unset", opts.Type().Field(i).Name)
		}
	}
}

// The policy's fields keep graph.Options' names, and defaults, so callers of
// DefaultConfig see what graph.DefaultOptions gives.
func TestDefaultConfigKeepsGraphDefaults(t *testing.T) {
	g, d := graph.DefaultOptions(), DefaultConfig().GraphQL
	if d.MaxComplexity != g.MaxComplexity || d.Introspection != g.Introspection || d.Limits != g.Limits || d.Dev != g.Dev {
		t.Errorf("DefaultConfig().GraphQL = %+v, graph.DefaultOptions() = %+v", d, g)
	}
	pt := reflect.TypeFor[GraphQL]()
	ot := reflect.TypeFor[graph.Options]()
	for i := range pt.NumField() {
		f := pt.Field(i)
		if of, ok := ot.FieldByName(f.Name); !ok || of.Type != f.Type {
			t.Errorf("GraphQL.%s has no field of its name and type in graph.Options", f.Name)
		}
	}
}
