package postgres

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/lib/pq"
)

// Every statement with arguments runs as a named prepared statement of its connection,
// prepared the first time that connection sees the text. PostgreSQL then parses and
// plans a read once per connection instead of once per execution: on the benchmark's
// one-city lookup that was most of the PostgreSQL CPU of a request (docs/benchmarks.md).
// The texts are the store's own, and parameterised, so the set is small; a bound per
// connection (least recently used out) keeps dynamic filter combinations from growing
// it without end. Statements without arguments keep the simple protocol, which also
// allows several statements in one string (migrations).

// stmtCacheSize is how many prepared statements a connection keeps.
const stmtCacheSize = 128

// stmtCache belongs to one connection; database/sql never uses a connection from two
// goroutines at once, so it needs no lock.
type stmtCache struct {
	byText map[string]*list.Element
	lru    list.List // of *cachedStmt, most recently used first
}

type cachedStmt struct {
	text string
	stmt driver.Stmt
}

func newStmtCache() *stmtCache {
	return &stmtCache{byText: map[string]*list.Element{}}
}

// prepared returns the connection's prepared statement for q, preparing it if needed.
func (c countingConn) prepared(ctx context.Context, q string) (driver.Stmt, error) {
	if e, ok := c.stmts.byText[q]; ok {
		c.stmts.lru.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt, nil
	}
	st, err := c.driverConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.stmts.lru.Len() >= stmtCacheSize {
		oldest := c.stmts.lru.Back()
		c.stmts.lru.Remove(oldest)
		old := oldest.Value.(*cachedStmt)
		delete(c.stmts.byText, old.text)
		if err := old.stmt.Close(); err != nil {
			st.Close()
			return nil, err
		}
	}
	c.stmts.byText[q] = c.stmts.lru.PushFront(&cachedStmt{text: q, stmt: st})
	return st, nil
}

// forget drops q's statement after PostgreSQL refused to run it as prepared.
func (c countingConn) forget(q string) {
	if e, ok := c.stmts.byText[q]; ok {
		c.stmts.lru.Remove(e)
		delete(c.stmts.byText, q)
		e.Value.(*cachedStmt).stmt.Close()
	}
}

// stalePlan reports the error PostgreSQL gives when a table a prepared statement reads
// changed shape since it was prepared (a migration run by another replica): the
// statement must be prepared again.
func stalePlan(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "0A000" && strings.Contains(pqErr.Message, "cached plan")
}

func (c countingConn) query(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return viaPrepared(c, ctx, q, args,
		func() (driver.Rows, error) { return c.driverConn.QueryContext(ctx, q, args) },
		func(st driver.Stmt) (driver.Rows, error) { return st.(driver.StmtQueryContext).QueryContext(ctx, args) })
}

func (c countingConn) exec(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return viaPrepared(c, ctx, q, args,
		func() (driver.Result, error) { return c.driverConn.ExecContext(ctx, q, args) },
		func(st driver.Stmt) (driver.Result, error) { return st.(driver.StmtExecContext).ExecContext(ctx, args) })
}

// viaPrepared runs q through the connection's prepared statement, or directly when it has
// no arguments or its context plans each statement afresh (planEach); a statement
// PostgreSQL refuses as stale runs directly and is prepared again next time.
func viaPrepared[R any](c countingConn, ctx context.Context, q string, args []driver.NamedValue,
	direct func() (R, error), run func(driver.Stmt) (R, error)) (R, error) {
	mode, _ := ctx.Value(preparingKey{}).(preparing)
	if c.stmts == nil || mode == planEachTime || (len(args) == 0 && mode != prepareEvery) {
		return direct()
	}
	st, err := c.prepared(ctx, q)
	if err != nil {
		var zero R
		return zero, err
	}
	r, err := run(st)
	if stalePlan(err) {
		c.forget(q)
		return direct()
	}
	return r, err
}

type preparingKey struct{}

// preparing says which statements of a context run as prepared statements.
type preparing int

const (
	prepareWithArgs preparing = iota // the default: statements with arguments
	prepareEvery                     // every statement, one statement a string
	planEachTime                     // none: each is planned for the rows at hand
)

// prepareAll marks a context whose statements are prepared even without arguments:
// a mutation's batch, whose fixed texts would otherwise be parsed and planned at each
// of its statements. Such a context must run one statement a string.
func prepareAll(ctx context.Context) context.Context {
	return context.WithValue(ctx, preparingKey{}, prepareEvery)
}

// planEach marks a context none of whose statements is prepared: a file's batch, whose
// statements run once each over staged rows of any number, and must be planned for
// that number (and under the settings the batch chose for it). A plan a connection
// cached for a mutation's one row would be quadratic over a file's thousands, and a
// file's plan would make a mutation hash a whole table.
func planEach(ctx context.Context) context.Context {
	return context.WithValue(ctx, preparingKey{}, planEachTime)
}

// oneAtATime undoes prepareAll, for a string of several statements.
func oneAtATime(ctx context.Context) context.Context {
	return context.WithValue(ctx, preparingKey{}, prepareWithArgs)
}
