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
	c, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	dc := &deadlineConn{Conn: c}
	if slot, ok := ctx.Value(netConnSlotKey{}).(*netConnSlot); ok {
		slot.conn = dc
	}
	return dc, nil
}

// deadlineConn is the socket of one database connection.
type deadlineConn struct{ net.Conn }

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
