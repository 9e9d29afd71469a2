package knowledge

// RefMap maps (kind, reference) pairs to values, for the checks and the writer, which
// meet every reference of a file and mostly the same few: a gazetteer names a few
// countries, and GeoNames as the source of every row and name. The pairs met last are
// compared before the map is asked, because a Ref hashes field by field (ten of them),
// which cost a 200,000-row gazetteer import about half a second of CPU.
type RefMap[V any] struct {
	m      map[refPair]V
	recent [4]refEntry[V]
	next   int
}

type refPair struct {
	kind string
	ref  Ref
}

type refEntry[V any] struct {
	refPair
	v  V
	ok bool
}

// Get returns the value of (kind, r) and whether there is one.
func (m *RefMap[V]) Get(kind string, r Ref) (V, bool) {
	k := refPair{kind, r}
	for i := range m.recent {
		if e := &m.recent[i]; e.ok && e.refPair == k {
			return e.v, true
		}
	}
	v, ok := m.m[k]
	if ok {
		m.remember(k, v)
	}
	return v, ok
}

// Put sets the value of (kind, r).
func (m *RefMap[V]) Put(kind string, r Ref, v V) {
	k := refPair{kind, r}
	if m.m == nil {
		m.m = map[refPair]V{}
	}
	m.m[k] = v
	for i := range m.recent {
		if e := &m.recent[i]; e.ok && e.refPair == k {
			e.v = v
			return
		}
	}
	m.remember(k, v)
}

func (m *RefMap[V]) remember(k refPair, v V) {
	m.recent[m.next] = refEntry[V]{refPair: k, v: v, ok: true}
	m.next = (m.next + 1) % len(m.recent)
}

// Len is the number of pairs.
func (m *RefMap[V]) Len() int { return len(m.m) }

// Each calls f with every pair and its value, in no order.
func (m *RefMap[V]) Each(f func(kind string, r Ref, v V)) {
	for k, v := range m.m {
		f(k.kind, k.ref, v)
	}
}
