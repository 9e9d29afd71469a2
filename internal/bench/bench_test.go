package bench

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var tiny = Scale{Name: "tiny", Countries: 5, Cities: 60, Partnerships: 300, Agreements: 80,
	OfficialsPer: 3, Institutions: 10, Sources: 20, NamedFraction: 0.3}

// The generator is deterministic and respects the schema's constraints.
func TestGenerateIsDeterministicAndValid(t *testing.T) {
	a, b := generate(tiny), generate(tiny)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs of the generator differ")
	}
	pairs := map[[2]int32]bool{}
	for _, p := range a.partnerships {
		if !less(a.cities[p.a].id, a.cities[p.b].id) {
			t.Fatalf("partnership %v: city_a_id must sort before city_b_id", p.id)
		}
		if pairs[[2]int32{p.a, p.b}] {
			t.Fatalf("partnership %v: pair repeated", p.id)
		}
		pairs[[2]int32{p.a, p.b}] = true
		if p.until != 0 && p.until < p.since {
			t.Fatalf("partnership %v ends before it starts", p.id)
		}
		if p.agreement >= 0 {
			ag := a.agreements[p.agreement]
			if ag.parties[0] != p.a || ag.parties[1] != p.b {
				t.Fatalf("partnership %v: its agreement's parties are not its cities", p.id)
			}
		}
	}
	if len(a.partnerships) != tiny.Partnerships || len(a.agreements) != tiny.Agreements {
		t.Fatalf("got %d partnerships and %d agreements", len(a.partnerships), len(a.agreements))
	}
	for _, ag := range a.agreements {
		if n := len(ag.parties); n < 2 || n > 3 {
			t.Fatalf("agreement %v has %d parties", ag.id, n)
		}
		seen := map[int32]bool{}
		for _, c := range ag.parties {
			if seen[c] {
				t.Fatalf("agreement %v names a party twice", ag.id)
			}
			seen[c] = true
		}
		if ag.sources[0] < 0 {
			t.Fatalf("agreement %v cites no source", ag.id)
		}
	}
}

func TestStatementCounterReadsRequestLines(t *testing.T) {
	c := newStmtCounter()
	lines := []string{
		`{"time":"x","level":"INFO","msg":"request","id":"Q4-load","method":"POST","status":200,"sql_statements":6}`,
		`{"time":"x","level":"INFO","msg":"request","id":"Q4-load","method":"POST","status":200,"sql_statements":8}`,
		`{"time":"x","level":"INFO","msg":"amity is serving"}`,
	}
	var counted int
	for _, l := range lines {
		if c.add([]byte(l)) {
			counted++
		}
	}
	avg, mx := c.snapshot()
	if counted != 2 || avg["Q4"] != 7 || mx["Q4"] != 8 {
		t.Fatalf("counted %d lines, avg %v, max %v", counted, avg, mx)
	}
}

func TestMarkdownRendersRatios(t *testing.T) {
	r := &Result{Started: time.Unix(0, 0), Machine: map[string]string{"nproc": "2"}}
	r.Scales = []*ScaleResult{{Scale: "s", Statements: map[string]float64{"Q1": 2}, StatementsMax: map[string]int{"Q1": 2},
		Cells: []Cell{
			{Op: "Q1", Concurrency: 16, Server: "amity", RPS: 300, P50ms: 1, P99ms: 4},
			{Op: "Q1", Concurrency: 16, Server: "postgraphile", RPS: 100, P50ms: 2, P99ms: 8},
		}}}
	md := Markdown(r)
	for _, want := range []string{"| Q1 | 16 | 300 | 100 | 3.00× |", "0.50×", "2.00 (max 2)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestEveryOperationHasBothQueriesOrIsAmityOnly(t *testing.T) {
	for _, o := range ops {
		if o.Amity == "" {
			t.Errorf("%s has no Amity query", o.Name)
		}
		if o.PG != "" && (o.normAmity == nil || o.normPG == nil) {
			t.Errorf("%s has a PostGraphile query but no projection to compare", o.Name)
		}
	}
}
