package postgres

import (
	"context"
	"database/sql/driver"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Statements are counted per request by wrapping the driver connection: every query
// and exec on a context that carries a counter adds one. It is how tests prove that
// the statements of a request grow with query depth, not with rows, and what the
// per-request statement metric reads.

type counterKey struct{}

// WithStatementCounter returns a context whose SQL statements are counted into the
// returned counter. A context that already counts keeps its counter, so an outer
// caller (a test, a metric) sees everything that inner layers ran.
func WithStatementCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		return ctx, n
	}
	n := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, n), n
}

func countStatement(ctx context.Context) {
	if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	if n, ok := ctx.Value(undeclaredKey{}).(*atomic.Int64); ok && ctx.Value(declaredKey{}) == nil {
		n.Add(1)
	}
}

// A read is declared when its caller knows what it depends on (the read cache's
// loaders do); an answer built only from declared reads may be cached whole, since
// its dependencies are known. Statements run outside a declared read are counted, so
// that an answer that ran any is not cached: a new read path is safe before anyone
// declares it.

type undeclaredKey struct{}
type declaredKey struct{}

// WithUndeclaredCounter returns a context whose statements outside declared reads
// (DeclaredRead) are counted into the returned counter.
func WithUndeclaredCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, undeclaredKey{}, n), n
}

// DeclaredRead returns a context whose statements belong to a read whose
// dependencies the caller records.
func DeclaredRead(ctx context.Context) context.Context {
	if ctx.Value(undeclaredKey{}) == nil || ctx.Value(declaredKey{}) != nil {
		return ctx
	}
	return context.WithValue(ctx, declaredKey{}, true)
}

// driverConn is what lib/pq's connection offers; the wrapper must pass every one of
// these on, or database/sql would fall back to slower paths.
type driverConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

type countingConnector struct{ driver.Connector }

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	slot := &netConnSlot{}
	conn, err := c.Connector.Connect(context.WithValue(ctx, netConnSlotKey{}, slot))
	if err != nil {
		return nil, err
	}
	slot.conn.connected()
	if dc, ok := conn.(driverConn); ok {
		return countingConn{driverConn: dc, nc: slot.conn, stmts: newStmtCache()}, nil
	}
	return conn, nil
}

// countingConn counts statements, arms the socket deadline of each (deadline.go) and
// runs them as prepared statements (stmtcache.go).
type countingConn struct {
	driverConn
	nc    *deadlineConn
	stmts *stmtCache
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	countStatement(ctx)
	c.nc.arm(ctx)
	ctx, span := sqlSpan(ctx, q)
	defer span.End()
	rows, err := c.query(ctx, q, args)
	endSpan(span, err)
	return rows, err
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	countStatement(ctx)
	c.nc.arm(ctx)
	ctx, span := sqlSpan(ctx, q)
	defer span.End()
	res, err := c.exec(ctx, q, args)
	endSpan(span, err)
	return res, err
}

// sqlSpan starts a span for a statement when tracing is on (internal/edge/tracing); with the
// default no-op provider it costs next to nothing. Statements are parameterised, so the
// text carries no client data; it is cut short to keep spans small.
func sqlSpan(ctx context.Context, q string) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, trace.SpanFromContext(ctx) // no trace to join: skip the work
	}
	if len(q) > 300 {
		q = q[:300]
	}
	return otel.Tracer("github.com/amity/amity/internal/postgres").Start(ctx, "sql",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.statement", q)))
}

func endSpan(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, err.Error())
	}
}
