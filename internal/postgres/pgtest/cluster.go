package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amity/amity/internal/postgres"
)

// Pair is a private PostgreSQL primary and a streaming standby of it, each its own
// server on its own port and directory, started from the installed binaries: what a
// test of replicas on a standby needs, without ever touching the shared server.
type Pair struct {
	Primary, Standby *Server
	dir              string
}

// Server is one private PostgreSQL server.
type Server struct {
	Name string
	Port int
	Dir  string // its data directory
	bin  string
	log  string
}

// URL is the server's database name as a connection URL (role postgres, trust).
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

// PostgresBin is where the installed server binaries are: AMITY_PG_BIN, or the newest
// of Debian's /usr/lib/postgresql/<version>/bin.
func PostgresBin() (string, error) {
	if dir := os.Getenv("AMITY_PG_BIN"); dir != "" {
		return dir, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVersion := "", 0
	for _, f := range found {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(f))))
		if err == nil && v > bestVersion {
			best, bestVersion = filepath.Dir(f), v
		}
	}
	if best == "" {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", fmt.Errorf("no PostgreSQL server binaries (initdb) found: set AMITY_PG_BIN")
	}
	return best, nil
}

// StartPair starts a primary and a streaming standby of it, creates the database name
// on the primary (the standby receives it by replication), and stops both and removes
// their directories when the test ends. It skips the test when the binaries are not
// installed.
func StartPair(tb testing.TB, name string) *Pair {
	tb.Helper()
	bin, err := PostgresBin()
	if err != nil {
		tb.Skip(err)
	}
	dir, err := os.MkdirTemp("", "amity-pair-")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Pair{dir: dir}
	tb.Cleanup(func() {
		for _, s := range []*Server{p.Standby, p.Primary} {
			if s != nil {
				s.Stop(tb)
			}
		}
		os.RemoveAll(dir)
	})
	// PostgreSQL refuses to run as root: the servers run as the postgres user when the
	// test runs as root (as CI does), as the test's own user otherwise.
	if err := chownForServer(dir); err != nil {
		tb.Fatal(err)
	}
	p.Primary = &Server{Name: "primary", Port: freePort(tb), Dir: filepath.Join(dir, "primary"), bin: bin, log: filepath.Join(dir, "primary.log")}
	run(tb, bin, "initdb", "-D", p.Primary.Dir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	appendConf(tb, p.Primary.Dir, fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
synchronous_commit = off
full_page_writes = off
`, p.Primary.Port, dir))
	p.Primary.Start(tb)

	p.Standby = &Server{Name: "standby", Port: freePort(tb), Dir: filepath.Join(dir, "standby"), bin: bin, log: filepath.Join(dir, "standby.log")}
	run(tb, bin, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Primary.Port), "-U", "postgres",
		"-D", p.Standby.Dir, "-R", "-X", "stream", "--no-sync")
	appendConf(tb, p.Standby.Dir, fmt.Sprintf("port = %d\n", p.Standby.Port))
	p.Standby.Start(tb)

	admin := p.Primary.open(tb, "postgres")
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("pgtest: create %s on the primary: %v", name, err)
	}
	p.WaitReplayed(tb)
	return p
}

// Start starts the server and waits until it accepts connections.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	run(tb, s.bin, "pg_ctl", "-D", s.Dir, "-l", s.log, "-w", "-t", "60", "start")
}

// Stop stops the server at once, as a crash or a pulled plug would (no shutdown
// checkpoint; the standby notices its primary is gone).
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	cmd := serverCommand(filepath.Join(s.bin, "pg_ctl"), "-D", s.Dir, "-m", "immediate", "-w", "stop")
	if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "Is server running?") {
		tb.Logf("pgtest: stop %s: %v\n%s", s.Name, err, out)
	}
}

// Promote makes a standby a primary and waits until it takes writes.
func (s *Server) Promote(tb testing.TB) {
	tb.Helper()
	run(tb, s.bin, "pg_ctl", "-D", s.Dir, "-w", "-t", "60", "promote")
}

// Exec runs a statement on the server's database name.
func (s *Server) Exec(tb testing.TB, name, query string, args ...any) {
	tb.Helper()
	db := s.open(tb, name)
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		tb.Fatalf("pgtest: %s on %s: %v", query, s.Name, err)
	}
}

func (s *Server) open(tb testing.TB, name string) *sqlx.DB {
	tb.Helper()
	db, err := sqlx.Open("postgres", s.URL(name))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// PauseReplay stops the standby from applying what it receives, so that it lags the
// primary until ResumeReplay: a standby behind by as much as a test wants.
func (p *Pair) PauseReplay(tb testing.TB) {
	tb.Helper()
	p.Standby.Exec(tb, "postgres", "SELECT pg_wal_replay_pause()")
}

// ResumeReplay lets the standby catch up again.
func (p *Pair) ResumeReplay(tb testing.TB) {
	tb.Helper()
	p.Standby.Exec(tb, "postgres", "SELECT pg_wal_replay_resume()")
}

// WaitReplayed waits (up to 30s) until the standby has replayed everything the primary
// has written so far.
func (p *Pair) WaitReplayed(tb testing.TB) {
	tb.Helper()
	primary, standby := p.Primary.open(tb, "postgres"), p.Standby.open(tb, "postgres")
	defer primary.Close()
	defer standby.Close()
	target, err := postgres.FlushedWALPosition(context.Background(), primary)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var caughtUp bool
		err := standby.GetContext(ctx, &caughtUp, "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint >= $1", int64(target))
		if err == nil && caughtUp {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("pgtest: the standby has not replayed %d within 30s (last error %v)", target, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// run runs one of the server binaries, as the user the servers run as.
func run(tb testing.TB, bin, name string, args ...string) {
	tb.Helper()
	cmd := serverCommand(filepath.Join(bin, name), args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// serverCommand runs a server binary as postgres when the test runs as root, and as the
// test's user otherwise.
func serverCommand(path string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func chownForServer(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("pgtest: running as root needs a postgres user to run the servers: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

func appendConf(tb testing.TB, dataDir, conf string) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(conf); err != nil {
		tb.Fatal(err)
	}
}

// freePort asks the kernel for a port nobody listens on.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
