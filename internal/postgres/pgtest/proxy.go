package pgtest

import (
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy on 127.0.0.1 between a server under test and PostgreSQL (or
// Redis: MustProxyTo). Tests use it to take the database away from one server without
// stopping the PostgreSQL that every other test shares: Cut refuses connections like a stopped server, Stall
// swallows traffic like a dead network, Delay slows every reply down, Restore brings
// the database back on the same address.
type Proxy struct {
	target string
	addr   string

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	delay   time.Duration
	stalled chan struct{} // closed when not stalled
	closed  bool
}

// MustProxy starts a proxy to the PostgreSQL of AdminURL, stopped at the test's end.
func MustProxy(tb testing.TB) *Proxy {
	tb.Helper()
	u, err := url.Parse(AdminURL())
	if err != nil {
		tb.Fatalf("pgtest: parse admin url: %v", err)
	}
	return MustProxyTo(tb, u.Host)
}

// MustProxyTo starts a proxy to any TCP server at target (host:port), such as Redis,
// stopped at the test's end.
func MustProxyTo(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pgtest: proxy listen: %v", err)
	}
	open := make(chan struct{})
	close(open)
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}, stalled: open}
	p.serve(ln)
	tb.Cleanup(p.close)
	return p
}

// Addr is the proxy's address (host:port).
func (p *Proxy) Addr() string { return p.addr }

// URL returns dbURL with its host replaced by the proxy's address.
func (p *Proxy) URL(tb testing.TB, dbURL string) string {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("pgtest: parse url: %v", err)
	}
	u.Host = p.addr
	return u.String()
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
}

func (p *Proxy) handle(client net.Conn) {
	if !p.track(client) {
		return
	}
	p.waitUnstalled(client)
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(server) {
		client.Close()
		return
	}
	go p.pipe(server, client)
	p.pipe(client, server)
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) waitUnstalled(net.Conn) {
	p.mu.Lock()
	ch := p.stalled
	p.mu.Unlock()
	<-ch
}

// pipe copies src to dst chunk by chunk, holding chunks while the proxy is stalled or
// delayed, and closes both ends when either side ends.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			ch, d := p.stalled, p.delay
			p.mu.Unlock()
			<-ch
			if d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF or a closed connection: either way the pipe ends
			return
		}
	}
}

// Cut closes the listener and every connection through it: the server sees its
// connections reset and new ones refused, as when PostgreSQL stops.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.dropLocked()
}

func (p *Proxy) dropLocked() {
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Stall keeps connections open but forwards nothing, as when the network dies.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stalled:
		p.stalled = make(chan struct{})
	default:
	}
}

// Delay holds every forwarded chunk for d, slowing each statement down.
func (p *Proxy) Delay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Restore ends a Cut, Stall or Delay: the proxy listens again on its address. A stall
// ends by dropping the stalled connections, as a dead network's connections would.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	p.delay = 0
	select {
	case <-p.stalled:
	default:
		p.dropLocked()
		close(p.stalled)
	}
	listening := p.ln != nil
	p.mu.Unlock()
	if listening {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	select {
	case <-p.stalled:
	default:
		close(p.stalled)
	}
	p.mu.Unlock()
	p.Cut()
}
