package knowledge

import "testing"

// TestRefMap puts more pairs than the recent ones hold, with references that differ in
// one field only, and reads each back, also after it changed.
func TestRefMap(t *testing.T) {
	var m RefMap[int]
	refs := []struct {
		kind string
		ref  Ref
	}{
		{KindCountry, Ref{Code: "XT"}}, {KindCountry, Ref{Code: "XU"}}, {KindSource, Ref{Key: "XT"}},
		{KindCity, Ref{Name: "Testville", Country: "XT"}}, {KindCity, Ref{Name: "Testville", Country: "XT", Admin1: "01"}},
		{KindCity, Ref{Name: "Testville", Country: "XT", Located: true, Lat: 1}}, {KindCity, Ref{GeoNames: 1}},
	}
	if _, ok := m.Get(KindCountry, Ref{Code: "XT"}); ok {
		t.Fatal("an empty map has a value")
	}
	for i, r := range refs {
		m.Put(r.kind, r.ref, i)
	}
	for round := 0; round < 2; round++ {
		for i, r := range refs {
			if v, ok := m.Get(r.kind, r.ref); !ok || v != i+round*100 {
				t.Errorf("round %d: Get(%s, %+v) = %d, %v; want %d", round, r.kind, r.ref, v, ok, i+round*100)
			}
		}
		for i, r := range refs {
			m.Put(r.kind, r.ref, i+100)
		}
	}
	if m.Len() != len(refs) {
		t.Errorf("Len = %d, want %d", m.Len(), len(refs))
	}
	n := 0
	m.Each(func(string, Ref, int) { n++ })
	if n != len(refs) {
		t.Errorf("Each saw %d pairs, want %d", n, len(refs))
	}
	if _, ok := m.Get(KindCity, Ref{Name: "Testville", Country: "XU"}); ok {
		t.Error("a pair never put has a value")
	}
}
