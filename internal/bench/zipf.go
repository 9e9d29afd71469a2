package bench

import (
	"math"
	"math/rand/v2"
	"sort"
)

// zipf draws ranks 0..n-1 with P(k) ∝ 1/(k+1)^s: a few cities are asked for very often
// and most rarely, as on a public API. math/rand/v2's Zipf needs s > 1; the workload
// wants s = 1 (the classic word-frequency law), so this inverts a table of the
// cumulative weights instead. The table is read-only once built, so workers share it,
// each drawing from its own PRNG.
type zipf struct {
	cdf []float64 // cdf[k] = P(rank <= k); the last is 1
}

func newZipf(n int, s float64) *zipf {
	if n <= 0 {
		n = 1
	}
	cdf := make([]float64, n)
	var sum float64
	for k := range cdf {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	cdf[n-1] = 1
	return &zipf{cdf: cdf}
}

// draw returns a rank in [0, n).
func (z *zipf) draw(r *rand.Rand) int {
	u := r.Float64()
	return sort.SearchFloat64s(z.cdf, u) // the first k with cdf[k] >= u
}

// p is the probability of rank k.
func (z *zipf) p(k int) float64 {
	if k == 0 {
		return z.cdf[0]
	}
	return z.cdf[k] - z.cdf[k-1]
}
