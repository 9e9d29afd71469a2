package bench

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// With s = 1 over n ranks, rank k is drawn with probability 1/((k+1)·H(n)): the first
// rank twice as often as the second, ten times as often as the tenth.
func TestZipfDrawsFollowTheLaw(t *testing.T) {
	const n, draws = 1000, 400_000
	z := newZipf(n, 1)
	var h float64
	for k := 1; k <= n; k++ {
		h += 1 / float64(k)
	}
	for _, k := range []int{0, 1, 9, 99} {
		if want := 1 / (float64(k+1) * h); math.Abs(z.p(k)-want) > 1e-12 {
			t.Errorf("p(%d) = %g, want %g", k, z.p(k), want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, n)
	for i := 0; i < draws; i++ {
		k := z.draw(r)
		if k < 0 || k >= n {
			t.Fatalf("draw %d out of [0, %d)", k, n)
		}
		counts[k]++
	}
	for _, k := range []int{0, 1, 9, 99} {
		want := z.p(k) * draws
		// Five standard deviations of a binomial count.
		if tol := 5 * math.Sqrt(want); math.Abs(float64(counts[k])-want) > tol {
			t.Errorf("rank %d drawn %d times, want %.0f ± %.0f", k, counts[k], want, tol)
		}
	}
	if counts[0] < 8*counts[9] {
		t.Errorf("rank 0 drawn %d times, rank 9 %d: not skewed like s = 1", counts[0], counts[9])
	}
}

func TestZipfZeroIsUniform(t *testing.T) {
	z := newZipf(4, 0)
	for k := 0; k < 4; k++ {
		if math.Abs(z.p(k)-0.25) > 1e-12 {
			t.Errorf("p(%d) = %g, want 0.25", k, z.p(k))
		}
	}
}

func TestTemplatesFillEveryVariable(t *testing.T) {
	for _, name := range []string{"Q1", "Q3", "Q5", "Q6"} {
		o, _ := opByName(name)
		a, p := requestBodies(o, sentinelCity, sentinelOther, sentinelName)
		sv, ov := cityVals(cityRef{id: sentinelCity}), cityVals(cityRef{id: sentinelOther})
		marks := [3][]byte{sv[0], ov[0], jsonString(sentinelName)}
		c := cityRef{id: uuid.MustParse("11111111-2222-4333-8444-555555555555"), name: "Testville 000123"}
		d := cityRef{id: uuid.MustParse("99999999-2222-4333-8444-555555555555"), name: "Testville 000999"}
		cv, dv := cityVals(c), cityVals(d)
		got := makeTemplate(a, marks).render(nil, cv[0], dv[0], cv[2])
		want, _ := requestBodies(o, c.id, d.id, c.name)
		if string(got) != string(want) {
			t.Errorf("%s amity: rendered %s, want %s", name, got, want)
		}
		if o.PG != "" {
			marks[0] = sv[1]
			got = makeTemplate(p, marks).render(nil, cv[1], dv[0], cv[2])
			_, want = requestBodies(o, c.id, d.id, c.name)
			if string(got) != string(want) {
				t.Errorf("%s postgraphile: rendered %s, want %s", name, got, want)
			}
		}
		if !json.Valid(got) {
			t.Errorf("%s: not JSON: %s", name, got)
		}
	}
}

// The freshness check: an answer that shows a state older than the last write whose
// response arrived before the read began is stale; one that shows that state, or a
// later one still in flight, is fresh; and a refused write's state is never required.
func TestFreshnessCatchesStaleAnswers(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	city := "c1"
	key := "pop/" + city
	tests := []struct {
		name     string
		observed string
		read     time.Time
		fresh    bool
	}{
		{"before any write, the initial value", "100", at(5), true},
		{"write 0 in flight: old or new both fresh", "100", at(15), true},
		{"write 0 in flight: new", "1000000000", at(15), true},
		{"after write 0's response: the old value is stale", "100", at(25), false},
		{"after write 0's response: its value", "1000000000", at(25), true},
		{"after write 0, write 1 in flight: either", "1000000001", at(35), true},
		{"after write 1's response: write 0's value is stale", "1000000000", at(45), false},
		{"after write 1's response: write 1's value", "1000000001", at(45), true},
		{"refused write 2's value never required", "1000000001", at(65), true},
		{"a value no write made is stale", "12345", at(45), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFreshness()
			f.initial(key, "100")
			// Write 0: sent at 10 ms, response at 20 ms.
			if tt.read.After(at(10)) {
				f.sent(key, "1000000000", 0, at(10))
			}
			if tt.read.After(at(20)) {
				f.committed(0, at(20))
			}
			// Write 1: sent at 30 ms, response at 40 ms.
			if tt.read.After(at(30)) {
				f.sent(key, "1000000001", 1, at(30))
			}
			if tt.read.After(at(40)) {
				f.committed(1, at(40))
			}
			// Write 2: sent at 50 ms, refused at 60 ms.
			if tt.read.After(at(50)) {
				f.sent(key, "1000000002", 2, at(50))
			}
			if tt.read.After(at(60)) {
				f.failed(2)
			}
			stale := f.checkAnswer("amity", "Q1", city, n1{Population: tt.observed}, tt.read, tt.read.Add(time.Millisecond), 0)
			if got := stale == 0; got != tt.fresh {
				_, _, msgs := f.counts()
				t.Errorf("fresh = %v, want %v (%v)", got, tt.fresh, msgs)
			}
		})
	}
}

// A partnership the writer created must be in every later answer for either city, and
// gone from every answer after its retraction, even though create-then-retract brings
// the set back to a value it had before.
func TestFreshnessPartnershipSets(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	f := newFreshness()
	f.initial("ps/a", "")
	f.initial("ps/b", "")
	sig := "Testville 000002@2100-01-02"
	f.sent("ps/a", partnershipSet([]string{sig}), 1, at(0))
	f.sent("ps/b", partnershipSet([]string{"Testville 000001@2100-01-02"}), 1, at(0))
	f.committed(1, at(10))
	f.sent("ps/a", "", 3, at(25))
	f.sent("ps/b", "", 3, at(25))
	f.committed(3, at(30))
	answer := func(ps ...n2p) n2 {
		// The data set's own partnerships (earlier dates) are ignored.
		return n2{Name: "Testville 000001", Partnerships: append(ps, n2p{Since: "2019-05-01", Partner: "Testville 000777"})}
	}
	with := n2p{Since: "2100-01-02", Partner: "Testville 000002"}
	cases := []struct {
		name  string
		a     n2
		read  time.Time
		stale int
	}{
		{"created, then read: present", answer(with), at(20), 0},
		{"created, then read: missing", answer(), at(20), 1},
		{"retracted, then read: gone", answer(), at(40), 0},
		{"retracted, then read: still there", answer(with), at(40), 1},
		{"read before the create's response: either", answer(), at(5), 0},
		{"read during the retraction: either", answer(with), at(26), 0},
	}
	for _, c := range cases {
		if got := f.checkAnswer("postgraphile", "Q2", "a", c.a, c.read, c.read.Add(time.Millisecond), 0); got != c.stale {
			t.Errorf("%s: %d stale, want %d", c.name, got, c.stale)
		}
	}
	checked, n, msgs := f.counts()
	if checked != len(cases) || n != 2 || len(msgs) != 2 || !strings.Contains(msgs[0], "ps/a") || f.staleAnswers() != 2 {
		t.Errorf("checked %d, %d stale fields in %d answers, reports %q", checked, n, f.staleAnswers(), msgs)
	}
}

func TestTitleBase(t *testing.T) {
	for in, want := range map[string]string{
		"Synthetic Agreement 000123":        "Synthetic Agreement 000123",
		"Synthetic Agreement 000123 rev 42": "Synthetic Agreement 000123",
		"A rev of things":                   "A rev of things",
	} {
		if got := titleBase(in); got != want {
			t.Errorf("titleBase(%q) = %q, want %q", in, got, want)
		}
	}
}

// writeProc writes the stat and status files of a fake process.
func writeProc(t *testing.T, root string, pid, ppid int, name string, utime, stime, hwmKB int) {
	t.Helper()
	dir := filepath.Join(root, strconv.Itoa(pid))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The command name may hold spaces and parentheses, as node's do not but others' can.
	stat := strconv.Itoa(pid) + " (" + name + ") S " + strconv.Itoa(ppid) + " 1 1 0 -1 4194560 100 0 0 0 " +
		strconv.Itoa(utime) + " " + strconv.Itoa(stime) + " 0 0 20 0 1 0 100 1000000 200 18446744073709551615\n"
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	status := "Name:\t" + name + "\nVmHWM:\t  " + strconv.Itoa(hwmKB) + " kB\nVmRSS:\t  100 kB\n"
	if err := os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o644); err != nil {
		t.Fatal(err)
	}
}

// CPU and peak RSS of a server are summed over its whole process tree: a node:cluster
// primary and its workers (and their children), not over unrelated processes.
func TestProcessTreeSums(t *testing.T) {
	root := t.TempDir()
	writeProc(t, root, 1, 0, "init", 1000, 1000, 9000)
	writeProc(t, root, 100, 1, "node", 10, 5, 50_000) // the primary
	writeProc(t, root, 101, 100, "node (worker)", 300, 40, 150_000)
	writeProc(t, root, 102, 100, "node", 200, 60, 140_000)
	writeProc(t, root, 150, 102, "sh", 1, 1, 1_000)                         // a worker's child
	writeProc(t, root, 200, 1, "amity", 700, 70, 80_000)                    // another server
	if err := os.MkdirAll(filepath.Join(root, "self"), 0o755); err != nil { // not a pid
		t.Fatal(err)
	}
	tree := procTree(root, 100)
	if len(tree) != 4 {
		t.Errorf("tree of 100 = %v, want 100, 101, 102, 150", tree)
	}
	if got, want := treeCPU(root, 100), time.Duration(10+5+300+40+200+60+1+1)*10*time.Millisecond; got != want {
		t.Errorf("treeCPU = %v, want %v", got, want)
	}
	if got, want := treeStatusKB(root, 100, "VmHWM"), int64(50_000+150_000+140_000+1_000); got != want {
		t.Errorf("treeStatusKB = %d, want %d", got, want)
	}
	if got, want := treeCPU(root, 200), 770*10*time.Millisecond; got != want {
		t.Errorf("treeCPU of a lone process = %v, want %v", got, want)
	}
}

// The same on the real /proc: this test's own process, and a child it starts, count.
func TestProcessTreeOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no procfs")
	}
	tree := procTree("/proc", os.Getpid())
	if len(tree) == 0 || tree[0] != os.Getpid() {
		t.Fatalf("tree = %v", tree)
	}
	if treeStatusKB("/proc", os.Getpid(), "VmHWM") <= 0 {
		t.Error("no VmHWM for this process")
	}
}

// Every worker sends from an address of its own, on loopback.
func TestWorkerAddrsAreDistinctLoopback(t *testing.T) {
	seen := map[string]bool{}
	for w := 0; w < 512; w++ {
		ip := workerAddr(w)
		if !ip.IsLoopback() {
			t.Fatalf("worker %d: %v is not loopback", w, ip)
		}
		if seen[ip.String()] {
			t.Fatalf("worker %d: %v repeats", w, ip)
		}
		seen[ip.String()] = true
	}
}

// checkRead parses real answers of both servers with the data check's projections and
// finds a stale population, partnership or title in them.
func TestCheckReadParsesBothServersAnswers(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	city := "8c1d0d3e-0000-4000-8000-000000000001"
	f := newFreshness()
	f.initial("pop/"+city, "100")
	f.sent("pop/"+city, "1000000007", 7, t0)
	f.committed(7, t0.Add(time.Millisecond))
	f.initial("title/Synthetic Agreement 000042", "Synthetic Agreement 000042")
	f.sent("title/Synthetic Agreement 000042", "Synthetic Agreement 000042 rev 8", 8, t0)
	f.committed(8, t0.Add(2*time.Millisecond))
	read, end := t0.Add(10*time.Millisecond), t0.Add(20*time.Millisecond)

	amity := &server{name: "amity", index: 0}
	pg := &server{name: "postgraphile", index: 1}
	q1, _ := opByName("Q1")
	q3, _ := opByName("Q3")
	cases := []struct {
		name  string
		s     *server
		o     op
		raw   string
		stale int
	}{
		{"amity Q1 fresh", amity, q1, `{"data":{"city":{"name":"T","population":1000000007,"country":{"code":"TL","name":"Testland"}}}}`, 0},
		{"amity Q1 stale", amity, q1, `{"data":{"city":{"name":"T","population":100,"country":{"code":"TL","name":"Testland"}}}}`, 1},
		{"postgraphile Q1 stale", pg, q1, `{"data":{"cityByRowId":{"name":"T","population":"100","countryByCountryId":{"code":"TL","name":"Testland"}}}}`, 1},
		{"postgraphile Q1 fresh", pg, q1, `{"data":{"cityByRowId":{"name":"T","population":"1000000007","countryByCountryId":{"code":"TL","name":"Testland"}}}}`, 0},
		{"amity Q3 stale title", amity, q3, `{"data":{"agreements":{"nodes":[{"title":"Synthetic Agreement 000042","signedOn":"2024-11-01","parties":[],"signatories":[]}]}}}`, 1},
		{"postgraphile Q3 fresh title", pg, q3, `{"data":{"allAgreements":{"nodes":[{"title":"Synthetic Agreement 000042 rev 8","signedOn":"2024-11-01","agreementPartiesByAgreementId":{"nodes":[]},"signatories":{"nodes":[]}}]}}}`, 0},
	}
	for _, c := range cases {
		_, before, _ := f.counts()
		if msg := checkRead(f, c.s, c.o, city, []byte(c.raw), read, end); msg != "" {
			t.Fatalf("%s: %s", c.name, msg)
		}
		_, after, _ := f.counts()
		if got := after - before; got != c.stale {
			t.Errorf("%s: %d stale, want %d", c.name, got, c.stale)
		}
	}
	if msg := checkRead(f, amity, q1, city, []byte(`{"errors":[{"message":"x"}]}`), read, end); msg == "" {
		t.Error("an answer with errors passed as well formed")
	}
}

// A stale answer fails the run, and the error says which field on which server.
func TestStaleAnswersFailTheRun(t *testing.T) {
	res := &Result{Scales: []*ScaleResult{{Scale: "s", Cells: []Cell{
		{Op: "mixed", Concurrency: 16, Server: "amity", Mixed: &MixedStats{Checked: 10}},
		{Op: "Q1", Concurrency: 16, Server: "amity"},
	}}}}
	if err := staleError(res); err != nil {
		t.Fatalf("no stale answers, yet: %v", err)
	}
	res.Scales[0].Cells = append(res.Scales[0].Cells, Cell{Op: "mixed", Concurrency: 64, Server: "postgraphile",
		Mixed: &MixedStats{Checked: 10, StaleFields: 1, Violations: 1, FirstViolations: []string{"postgraphile Q1: pop/x …"}}})
	err := staleError(res)
	if err == nil || !strings.Contains(err.Error(), "c=64, postgraphile: 1 stale answers") || !strings.Contains(err.Error(), "pop/x") {
		t.Fatalf("stale answer: %v", err)
	}
	md := Markdown(res)
	if !strings.Contains(md, "| 64 | postgraphile | 0 | 0 | 0 | 0.0 / 0.0 | – | 0 (0, 0) |  | 10 | 1 | 1 |") || !strings.Contains(md, "STALE (postgraphile, c=64)") {
		t.Errorf("markdown does not show the stale answer:\n%s", md)
	}
}

// Another replica may show a field's state before a write for up to its bound after the
// write's response, and never later.
func TestFreshnessOtherReplicaLag(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const city, key = "c", "pop/c"
	bound := 100 * time.Millisecond
	cases := []struct {
		name     string
		observed string
		read     time.Time
		lag      time.Duration
		fresh    bool
	}{
		{"same replica, 50 ms after the response: the old value is stale", "100", at(60), 0, false},
		{"other replica, 50 ms after the response: the old value is within the bound", "100", at(60), bound, true},
		{"other replica, 50 ms after: the new value is fresh", "1000000000", at(60), bound, true},
		{"other replica, 150 ms after the response: the old value is stale", "100", at(160), bound, false},
		{"other replica, 150 ms after: the new value is fresh", "1000000000", at(160), bound, true},
	}
	for _, c := range cases {
		f := newFreshness()
		f.initial(key, "100")
		f.sent(key, "1000000000", 0, at(0))
		f.committed(0, at(10))
		stale := f.checkAnswer("amity-replica", "Q1", city, n1{Population: c.observed}, c.read, c.read.Add(time.Millisecond), c.lag)
		if got := stale == 0; got != c.fresh {
			_, _, msgs := f.counts()
			t.Errorf("%s: fresh = %v, want %v (%v)", c.name, got, c.fresh, msgs)
		}
	}
}
