package postgres

import (
	"context"
	"database/sql/driver"
	"net"
	"time"
)

// A request's deadline must bound its SQL even when the network to PostgreSQL is dead
// or the server hangs. lib/pq cancels a statement whose context ends by sending a
// CancelRequest on a new connection, but it keeps waiting for the server's answer on the
// old one, which never comes when packets go nowhere. So every statement also arms a
// socket deadline: its context's deadline plus deadlineGrace, the time the normal
// cancellation gets first. A read that outlives it fails, lib/pq marks the connection
// bad, database/sql drops it, and the request fails with SERVICE_UNAVAILABLE instead
// of hanging until TCP gives up minutes later.
//
// Two more waits of lib/pq's ignore the context, and each used to add the connect
// timeout (5 s) to a request on a stalled database:
//   - The cancellation of a prepared statement waits, before the statement returns,
//     for the server to close the cancel connection, bounded only by connect_timeout.
//     Cancel connections (the dials no Connect asked for) now give up after
//     deadlineGrace.
//   - A connection opened for a request does its startup handshake under
//     connect_timeout alone. Its socket now also gives up at the request's deadline
//     plus deadlineGrace; once connected, the connection is the pool's and that bound
//     is lifted.
// With a request timeout of 15 s and a 5 s connect timeout, the sum was 20 s: the HTTP
// server's write timeout, which closed the client's connection without an answer.

// deadlineGrace is how long after a statement's context deadline its socket gives up.
const deadlineGrace = time.Second

type netConnSlot struct{ conn *deadlineConn }

type netConnSlotKey struct{}

// deadlineDialer dials like lib/pq's default dialer and hands the connection to the
// Connect call that asked for it, through a slot in the context.
type deadlineDialer struct{ d net.Dialer }

func (d deadlineDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d deadlineDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d deadlineDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	slot, connecting := ctx.Value(netConnSlotKey{}).(*netConnSlot)
	var limit time.Time
	switch deadline, ok := ctx.Deadline(); {
	case !connecting:
		// lib/pq dials outside Connect only to cancel a statement.
		limit = time.Now().Add(deadlineGrace)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, limit)
		defer cancel()
	case ok:
		// The earlier of the caller's deadline and connect_timeout (lib/pq wraps the
		// caller's context in it).
		limit = deadline.Add(deadlineGrace)
	}
	c, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	dc := &deadlineConn{Conn: c, limit: limit}
	if connecting {
		slot.conn = dc
	}
	return dc, nil
}

// deadlineConn is the socket of one database connection.
type deadlineConn struct {
	net.Conn
	// limit, if set, is the latest deadline the socket accepts: lib/pq sets its own
	// (connect_timeout) while connecting and cancelling, and clears it after.
	limit time.Time
}

// SetDeadline keeps every deadline within the limit.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	if !c.limit.IsZero() && (t.IsZero() || t.After(c.limit)) {
		t = c.limit
	}
	return c.Conn.SetDeadline(t)
}

// connected lifts the limit of the connection's handshake: the pool keeps it, and each
// statement arms its own deadline.
func (c *deadlineConn) connected() {
	if c != nil {
		c.limit = time.Time{}
		c.Conn.SetDeadline(time.Time{})
	}
}

// arm sets the socket deadline for a statement run under ctx: the context's deadline
// plus the grace, or none if the context has no deadline (migrations, the seed load).
func (c *deadlineConn) arm(ctx context.Context) {
	if c == nil {
		return
	}
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d.Add(deadlineGrace))
	} else {
		c.SetDeadline(time.Time{})
	}
}

func (c countingConn) Ping(ctx context.Context) error {
	c.nc.arm(ctx)
	return c.driverConn.Ping(ctx)
}

func (c countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.nc.arm(ctx)
	return c.driverConn.BeginTx(ctx, opts)
}

func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.nc.arm(ctx)
	return c.driverConn.PrepareContext(ctx, q)
}
