package extension

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Tracer spans GraphQL work: one span per operation, and one per resolver field (fields
// read straight off a struct would only add noise). It uses the global tracer provider,
// which is a no-op unless internal/edge/tracing set one up.
type Tracer struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = Tracer{}

// instrumentationName names the spans' source; it predates this package and stays, so
// trace queries that filter on it keep working.
const instrumentationName = "github.com/amity/amity/graph"

func (Tracer) ExtensionName() string                   { return "OpenTelemetry" }
func (Tracer) Validate(graphql.ExecutableSchema) error { return nil }
func (Tracer) otel() trace.Tracer                      { return otel.Tracer(instrumentationName) }
func (t Tracer) spanName(oc *graphql.OperationContext) string {
	return "graphql " + spanOperationName(oc)
}

func spanOperationName(oc *graphql.OperationContext) string {
	if oc.OperationName != "" {
		return oc.OperationName
	}
	if oc.Operation != nil && oc.Operation.Name != "" {
		return oc.Operation.Name
	}
	return "anonymous"
}

func (t Tracer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	ctx, span := t.otel().Start(ctx, t.spanName(oc), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("graphql.operation.name", spanOperationName(oc))))
	if oc.Operation != nil {
		span.SetAttributes(attribute.String("graphql.operation.type", string(oc.Operation.Operation)))
	}
	handler := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp == nil {
			span.End()
			return nil
		}
		if len(resp.Errors) > 0 {
			span.SetStatus(codes.Error, resp.Errors.Error())
		}
		span.End()
		return resp
	}
}

func (t Tracer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := t.otel().Start(ctx, "resolve "+fc.Object+"."+fc.Field.Name,
		trace.WithAttributes(attribute.String("graphql.field.path", fc.Path().String())))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}
