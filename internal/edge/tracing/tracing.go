// Package tracing sets up OpenTelemetry tracing of HTTP requests, GraphQL resolvers and
// SQL statements. It is off by default: with no exporter configured, the global tracer
// provider stays OpenTelemetry's no-op one, and every span costs next to nothing.
package tracing

import (
	"context"
	"fmt"
	"io"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Exporters.
const (
	// Off leaves tracing off.
	Off = ""
	// OTLP sends spans over OTLP/HTTP to Endpoint (or to the standard
	// OTEL_EXPORTER_OTLP_ENDPOINT when Endpoint is empty).
	OTLP = "otlp"
	// Stdout writes spans as JSON lines to Writer: for debugging and tests.
	Stdout = "stdout"
)

// Config chooses where spans go.
type Config struct {
	Exporter string
	Endpoint string // host:port of an OTLP/HTTP collector
	Insecure bool   // plain HTTP to the collector
	// SampleRatio is the share of requests traced, 0 to 1 (parent-based: a caller's
	// sampled trace is always followed).
	SampleRatio float64
	Writer      io.Writer
	Version     string
}

// Setup installs the global tracer provider and propagator the config asks for and
// returns the function that flushes and stops it. With Exporter Off it changes nothing.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	var exp sdktrace.SpanExporter
	switch cfg.Exporter {
	case Off:
		return func(context.Context) error { return nil }, nil
	case OTLP:
		opts := []otlptracehttp.Option{}
		if cfg.Endpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpoint(cfg.Endpoint))
		}
		if cfg.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	case Stdout:
		w := cfg.Writer
		if w == nil {
			w = io.Discard
		}
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	default:
		return nil, fmt.Errorf("tracing: unknown exporter %q (use otlp or stdout)", cfg.Exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	ratio := cfg.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	res := resource.NewSchemaless(attribute.String("service.name", "amity"), attribute.String("service.version", cfg.Version))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}
