package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// cityRef is a city of the bench data set.
type cityRef struct {
	id   uuid.UUID
	name string
}

// workload draws the variables of requests: a city by Zipf rank over a seeded random
// permutation of every city in the data set, so that which cities are hot is arbitrary
// (not the generator's hubs) and every city can be asked for. Bodies are filled in from
// per-operation templates, so drawing one costs a few copies and no JSON encoding.
type workload struct {
	cities  []cityRef // rank order
	z       *zipf
	vals    [][3][]byte // per rank: Amity's id, PostGraphile's id, the typo'd name, as JSON strings
	tmpls   map[string][2]template
	hubs    []cityRef // the most connected cities, which the data check always covers
	byID    map[uuid.UUID]string
	zipfExp float64
}

// Placeholders that request bodies are built around: two cities and a name.
var (
	sentinelCity  = uuid.MustParse("00000000-0000-4000-8000-00000000a001")
	sentinelOther = uuid.MustParse("00000000-0000-4000-8000-00000000a002")
)

const sentinelName = "\u0001bench-name\u0001"

// template is a request body split around its variable slots.
type template struct {
	parts [][]byte // len(slots)+1
	slots []int    // 0 city, 1 other city, 2 name
}

func makeTemplate(body []byte, marks [3][]byte) template {
	var t template
	rest := body
	// Bounded: each round consumes at least one mark from rest.
	for {
		at, which := -1, -1
		for k, m := range marks {
			if i := bytes.Index(rest, m); i >= 0 && (at < 0 || i < at) {
				at, which = i, k
			}
		}
		if at < 0 {
			t.parts = append(t.parts, rest)
			return t
		}
		t.parts = append(t.parts, rest[:at])
		t.slots = append(t.slots, which)
		rest = rest[at+len(marks[which]):]
	}
}

func (t template) render(dst []byte, city, other, name []byte) []byte {
	vals := [3][]byte{city, other, name}
	for i, p := range t.parts {
		dst = append(dst, p...)
		if i < len(t.slots) {
			dst = append(dst, vals[t.slots[i]]...)
		}
	}
	return dst
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// cityVals are a city's variables as each server's body carries them.
func cityVals(c cityRef) [3][]byte {
	return [3][]byte{
		jsonString(knowledge.GlobalID(knowledge.TypeCity, c.id)),
		jsonString(c.id.String()),
		jsonString(strings.Replace(c.name, "ll", "l", 1)),
	}
}

// newWorkload reads every city and builds the templates of the selected operations.
func newWorkload(ctx context.Context, db *sql.DB, selected []op, seed int64, s float64) (*workload, error) {
	read := func(q string) ([]cityRef, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []cityRef
		for rows.Next() {
			var c cityRef
			if err := rows.Scan(&c.id, &c.name); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	hubs, err := read(`SELECT id, name FROM cities WHERE name IN ('Testville 000000', 'Testville 000001', 'Testville 000002') ORDER BY name`)
	if err != nil {
		return nil, err
	}
	all, err := read(`SELECT id, name FROM cities ORDER BY id`)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, errors.New("the bench database has no cities")
	}
	r := rand.New(rand.NewPCG(uint64(seed), 3))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	w := &workload{cities: all, z: newZipf(len(all), s), hubs: hubs, tmpls: map[string][2]template{},
		byID: make(map[uuid.UUID]string, len(all)), zipfExp: s}
	w.vals = make([][3][]byte, len(all))
	for i, c := range all {
		w.vals[i] = cityVals(c)
		w.byID[c.id] = c.name
	}
	marks := func(server int) [3][]byte {
		v := cityVals(cityRef{id: sentinelCity})
		o := cityVals(cityRef{id: sentinelOther})
		return [3][]byte{v[server], o[0], jsonString(sentinelName)}
	}
	for _, o := range selected {
		a, p := requestBodies(o, sentinelCity, sentinelOther, sentinelName)
		w.tmpls[o.Name] = [2]template{makeTemplate(a, marks(0)), makeTemplate(p, marks(1))}
	}
	return w, nil
}

// draw returns a city's rank.
func (w *workload) draw(r *rand.Rand) int { return w.z.draw(r) }

// body appends the body of op for server (0 Amity, 1 PostGraphile) for the cities of
// ranks i and j (j: Q6's other end).
func (w *workload) body(dst []byte, opName string, server, i, j int) []byte {
	if j == i {
		// Two draws often meet on the hottest ranks; Q6 refuses a path from a city to itself.
		j = (i + 1) % len(w.vals)
	}
	v, o := w.vals[i], w.vals[j]
	return w.tmpls[opName][server].render(dst, v[server], o[0], v[2])
}

// bodyFor is body for cities outside the rank order (the hubs of the data check).
func (w *workload) bodyFor(opName string, server int, c, other cityRef) []byte {
	v, o := cityVals(c), cityVals(other)
	return w.tmpls[opName][server].render(nil, v[server], o[0], v[2])
}
