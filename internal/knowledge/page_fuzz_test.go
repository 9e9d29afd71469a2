package knowledge

import "testing"

// FuzzPageArgsLimit feeds the page arguments every connection takes: Limit must never
// panic, and a page it accepts holds 0 to MaxPageSize items.
func FuzzPageArgsLimit(f *testing.F) {
	f.Add(true, 20, false, "", false, 0, false, "")
	f.Add(true, 101, true, "c", false, 0, false, "")
	f.Add(false, 0, false, "", true, 5, true, "c")
	f.Add(true, -1, false, "", true, 1, false, "")
	f.Add(false, 0, false, "", false, 0, true, "")
	f.Fuzz(func(t *testing.T, hasFirst bool, first int, hasAfter bool, after string, hasLast bool, last int, hasBefore bool, before string) {
		var a PageArgs
		if hasFirst {
			a.First = &first
		}
		if hasAfter {
			a.After = &after
		}
		if hasLast {
			a.Last = &last
		}
		if hasBefore {
			a.Before = &before
		}
		n, backward, err := a.Limit()
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("%+v: error %v has code %s", a, err, ErrorCode(err))
			}
			return
		}
		if n < 0 || n > MaxPageSize {
			t.Fatalf("%+v: page of %d", a, n)
		}
		if backward && a.First != nil || !backward && a.Last != nil {
			t.Fatalf("%+v: direction %v", a, backward)
		}
	})
}
