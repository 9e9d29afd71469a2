package bench

import (
	"fmt"
	"sort"
	"strings"
)

// agg is a cell averaged over its rounds.
type agg struct {
	rps, p50, p99, cpu, pgcpu, cpuSec float64
	req, errs, n                      int
	answerHits, answerLookups         int64
}

func aggregate(cells []Cell) map[[3]string]*agg {
	out := map[[3]string]*agg{}
	for _, c := range cells {
		k := [3]string{c.Op, fmt.Sprint(c.Concurrency), c.Server}
		a := out[k]
		if a == nil {
			a = &agg{}
			out[k] = a
		}
		a.rps += c.RPS
		a.p50 += c.P50ms
		a.p99 += c.P99ms
		a.cpu += c.CPUus
		a.pgcpu += c.PGCPUus
		a.cpuSec += c.CPUSeconds
		a.req += c.Requests
		a.errs += c.Errors
		a.answerHits += c.AnswerHits
		a.answerLookups += c.AnswerLookups
		a.n++
	}
	for _, a := range out {
		n := float64(a.n)
		a.rps, a.p50, a.p99, a.cpu, a.pgcpu, a.cpuSec = a.rps/n, a.p50/n, a.p99/n, a.cpu/n, a.pgcpu/n, a.cpuSec/n
	}
	return out
}

// share renders part of whole as a percentage, "–" when whole is 0.
func share(part, whole int64) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(whole))
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Markdown renders the result as the tables docs/benchmarks.md shows.
func Markdown(r *Result) string {
	var b strings.Builder
	keys := make([]string, 0, len(r.Machine))
	for k := range r.Machine {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(&b, "Run of %s UTC; cells of %s (at most %d requests), %s warm-up per server and operation, %d round(s), pool %d per server (PostGraphile: %d node:cluster workers sharing it); cities drawn by Zipf rank, s = %g; mixed cells: %g writes a second.\n\n",
		r.Started.Format("2006-01-02 15:04"), r.Options.Duration, r.Options.MaxRequests, r.Options.Warmup, r.Options.Rounds, r.Options.Pool,
		r.Options.PGWorkers, r.Options.ZipfS, r.Options.WriteRate)
	for _, k := range keys {
		fmt.Fprintf(&b, "- %s: %s\n", k, r.Machine[k])
	}
	byScale := map[string]map[[3]string]*agg{}
	for _, s := range r.Scales {
		a := aggregate(s.Cells)
		byScale[s.Scale] = a
		fmt.Fprintf(&b, "\n### Scale %s\n\n", s.Scale)
		fmt.Fprintln(&b, "| op | c | Amity rps | PostGraphile rps | rps ratio A/P | Amity p50 / p99 ms | PostGraphile p50 / p99 ms | p99 ratio A/P | errors A / P | Amity SQL stmts/req | Amity answers from cache | server CPU µs/req A / P | server CPU s A / P | PostgreSQL CPU µs/req A / P |")
		fmt.Fprintln(&b, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		ops, concs := cellAxes(s.Cells)
		for _, op := range ops {
			for _, c := range concs {
				am, pg := a[[3]string{op, c, "amity"}], a[[3]string{op, c, "postgraphile"}]
				if am == nil {
					continue
				}
				pgRPS, pgLat, pgErr, pgCPU, pgPGCPU, pgSec := "–", "–", "–", "–", "–", "–"
				if pg != nil {
					pgRPS, pgLat = fmt.Sprintf("%.0f", pg.rps), fmt.Sprintf("%.1f / %.1f", pg.p50, pg.p99)
					pgErr, pgCPU, pgPGCPU = fmt.Sprint(pg.errs), fmt.Sprintf("%.0f", pg.cpu), fmt.Sprintf("%.0f", pg.pgcpu)
					pgSec = fmt.Sprintf("%.1f", pg.cpuSec)
				} else {
					pg = &agg{}
				}
				stm := "–"
				if v, ok := s.Statements[op]; ok {
					stm = fmt.Sprintf("%.2f (max %d)", v, s.StatementsMax[op])
				}
				fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %.1f / %.1f | %s | %s | %d / %s | %s | %s | %.0f / %s | %.1f / %s | %.0f / %s |\n",
					op, c, am.rps, pgRPS, ratio(am.rps, pg.rps), am.p50, am.p99, pgLat, ratio(am.p99, pg.p99),
					am.errs, pgErr, stm, share(am.answerHits, am.answerLookups), am.cpu, pgCPU, am.cpuSec, pgSec, am.pgcpu, pgPGCPU)
			}
		}
		fmt.Fprintf(&b, "\nPeak RSS (VmHWM, summed over each server's processes: Amity %d, PostGraphile %d): Amity %.0f MB, PostGraphile %.0f MB. Start to ready: Amity %.0f ms, PostGraphile %.0f ms. Data checked equal on %s. Cities drawn from: %d.\n",
			s.Processes["amity"], s.Processes["postgraphile"], s.PeakRSSMB["amity"], s.PeakRSSMB["postgraphile"], s.StartupMS["amity"], s.StartupMS["postgraphile"], verified(s.Verified), s.Cities)
		mixedTable(&b, s.Cells)
	}
	if sa, la := byScale["s"], byScale["l"]; sa != nil && la != nil {
		fmt.Fprintln(&b, "\n### l versus s (Amity; target: latency within 1.3×)")
		fmt.Fprintln(&b, "\n| op | c | p50 l/s | p99 l/s | rps l/s |")
		fmt.Fprintln(&b, "| --- | ---: | ---: | ---: | ---: |")
		var cells []Cell
		for _, s := range r.Scales {
			cells = append(cells, s.Cells...)
		}
		ops, concs := cellAxes(cells)
		for _, op := range ops {
			for _, c := range concs {
				s, l := sa[[3]string{op, c, "amity"}], la[[3]string{op, c, "amity"}]
				if s == nil || l == nil {
					continue
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", op, c, ratio(l.p50, s.p50), ratio(l.p99, s.p99), ratio(l.rps, s.rps))
			}
		}
	}
	return b.String()
}

func verified(v map[string]int) string {
	var parts []string
	for k, n := range v {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "nothing (PostGraphile skipped)"
	}
	return strings.Join(parts, ", ") + " variable sets"
}

func cellAxes(cells []Cell) (ops, concs []string) {
	seenO, seenC := map[string]bool{}, map[int]bool{}
	var cs []int
	for _, c := range cells {
		if !seenO[c.Op] {
			seenO[c.Op] = true
			ops = append(ops, c.Op)
		}
		if !seenC[c.Concurrency] {
			seenC[c.Concurrency] = true
			cs = append(cs, c.Concurrency)
		}
	}
	sort.Strings(ops)
	sort.Ints(cs)
	for _, c := range cs {
		concs = append(concs, fmt.Sprint(c))
	}
	return ops, concs
}

// mixedTable lists what the writer of each mixed cell did and what the freshness check
// found; the cells' throughput is in the main table (op "mixed").
func mixedTable(b *strings.Builder, cells []Cell) {
	var rows []Cell
	for _, c := range cells {
		if c.Mixed != nil {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(b, "\nMixed cells (Q1–Q4 at random while the writer mutates through Amity; every answer checked):")
	fmt.Fprintln(b, "\n| c | readers on | round | reads | reads per second | p50 / p99 ms | answers from cache | writes (refused, failed) | by kind | fields checked | stale fields | stale answers |")
	fmt.Fprintln(b, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
	for _, c := range rows {
		m := c.Mixed
		kinds := make([]string, 0, len(m.WritesByKind))
		for k, n := range m.WritesByKind {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(b, "| %d | %s | %d | %d | %.0f | %.1f / %.1f | %s | %d (%d, %d) | %s | %d | %d | %d |\n", c.Concurrency, c.Server, c.Round, c.Requests,
			c.RPS, c.P50ms, c.P99ms, share(c.AnswerHits, c.AnswerLookups), m.Writes, m.WritesRefused, m.WritesFailed, strings.Join(kinds, ", "), m.Checked, m.StaleFields, m.Violations)
	}
	for _, c := range rows {
		for _, v := range c.Mixed.FirstViolations {
			fmt.Fprintf(b, "\n- STALE (%s, c=%d): %s", c.Server, c.Concurrency, v)
		}
	}
	fmt.Fprintln(b)
}
