package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A server may be more than one process: PostGraphile runs a node:cluster primary and a
// worker per core. Measuring only the pid the harness started would miss the workers,
// where nearly all of its CPU goes, so CPU and memory are summed over the whole tree.

// procTree returns pid and all its descendants, read from procfs rooted at root
// ("/proc"). A process that exits while the tree is read is left out.
func procTree(root string, pid int) []int {
	entries, err := os.ReadDir(root)
	if err != nil {
		return []int{pid}
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := statFields(string(b))
		if len(f) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], p)
	}
	out := []int{pid}
	seen := map[int]bool{pid: true}
	// Bounded by the number of processes: each is queued at most once.
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// statFields are the fields of /proc/PID/stat after the command name, which may hold
// spaces and parentheses: f[0] is the state, f[1] the parent pid, f[11] utime, f[12] stime.
func statFields(s string) []string {
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	return strings.Fields(s)
}

// treeCPU is the user+system CPU time used so far by pid and its descendants.
func treeCPU(root string, pid int) time.Duration {
	var sum time.Duration
	for _, p := range procTree(root, pid) {
		sum += procCPUFile(filepath.Join(root, strconv.Itoa(p), "stat"))
	}
	return sum
}

// treeStatusKB sums a /proc/PID/status field (VmHWM, VmRSS) over pid and its
// descendants. For VmHWM the sum is an upper bound of the tree's peak: each process's
// peak counts whole even if the peaks came at different moments, and pages the
// processes share count once per process.
func treeStatusKB(root string, pid int, field string) int64 {
	var sum int64
	for _, p := range procTree(root, pid) {
		sum += procStatusKBFile(filepath.Join(root, strconv.Itoa(p), "status"), field)
	}
	return sum
}

// procCPUFile reads utime+stime from a /proc/PID/stat file, in clock ticks of 1/100 s.
func procCPUFile(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	f := statFields(string(b))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
