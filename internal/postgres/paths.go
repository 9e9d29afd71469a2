package postgres

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

// CityPaths finds the shortest chains of partnerships between two cities, meeting in
// the middle: one recursive walk goes half the hops out from each end, and the walks
// join where they reach the same city. Walking half the depth from both sides keeps
// the rows to about 2·d^(h/2) instead of d^h for cities of degree d. It returns
// BAD_USER_INPUT for an invalid query.
func (db *DB) CityPaths(ctx context.Context, q knowledge.PathQuery) ([]*knowledge.CityPath, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	fwdDepth := (q.MaxHops + 1) / 2
	bwdDepth := q.MaxHops / 2
	const query = `
WITH RECURSIVE
-- A merged (or adopted) city's id finds the city it became (city_merges).
ends(a, b) AS (
  SELECT coalesce((SELECT survivor_id FROM city_merges WHERE merged_id = $1), $1::uuid),
    coalesce((SELECT survivor_id FROM city_merges WHERE merged_id = $2), $2::uuid)
),
fwd(node, path, edges) AS (
  SELECT a, ARRAY[a], ARRAY[]::uuid[] FROM ends
  UNION ALL
  SELECT e.next, f.path || e.next, f.edges || e.id
  FROM fwd f CROSS JOIN LATERAL (
    SELECT p.city_b_id AS next, p.id FROM partnerships p WHERE p.city_a_id = f.node
    UNION ALL
    SELECT p.city_a_id, p.id FROM partnerships p WHERE p.city_b_id = f.node) e
  WHERE cardinality(f.edges) < $3 AND e.next <> ALL (f.path)
),
bwd(node, path, edges) AS (
  SELECT b, ARRAY[b], ARRAY[]::uuid[] FROM ends
  UNION ALL
  SELECT e.next, b.path || e.next, b.edges || e.id
  FROM bwd b CROSS JOIN LATERAL (
    SELECT p.city_b_id AS next, p.id FROM partnerships p WHERE p.city_a_id = b.node
    UNION ALL
    SELECT p.city_a_id, p.id FROM partnerships p WHERE p.city_b_id = b.node) e
  WHERE cardinality(b.edges) < $4 AND e.next <> ALL (b.path)
)
SELECT f.path AS fwd_path, f.edges AS fwd_edges, b.path AS bwd_path, b.edges AS bwd_edges
FROM fwd f JOIN bwd b ON b.node = f.node
WHERE cardinality(f.edges) + cardinality(b.edges) BETWEEN 1 AND $5
ORDER BY cardinality(f.edges) + cardinality(b.edges), f.path, b.path
LIMIT $6`
	var rows []struct {
		FwdPath  pq.StringArray `db:"fwd_path"`
		FwdEdges pq.StringArray `db:"fwd_edges"`
		BwdPath  pq.StringArray `db:"bwd_path"`
		BwdEdges pq.StringArray `db:"bwd_edges"`
	}
	// A chain of n hops is found once per city it could be split at, so ask for enough
	// rows to still have First distinct chains after removing the repeats.
	limit := q.First * (q.MaxHops + 1)
	if err := db.SelectContext(ctx, &rows, query, q.From, q.To, fwdDepth, bwdDepth, q.MaxHops, limit); err != nil {
		return nil, mapError(err)
	}

	var paths []*knowledge.CityPath
	seen := map[string]bool{}
	shortest := -1
	for _, r := range rows {
		cities := append(parseUUIDs(r.FwdPath), reversed(parseUUIDs(r.BwdPath))[1:]...)
		edges := append(parseUUIDs(r.FwdEdges), reversed(parseUUIDs(r.BwdEdges))...)
		if !distinct(cities) {
			continue // the two halves crossed before meeting: a walk with a loop
		}
		if shortest >= 0 && len(edges) > shortest {
			break // rows come shortest first; keep only the shortest chains
		}
		key := uuidKey(edges)
		if seen[key] {
			continue
		}
		seen[key] = true
		shortest = len(edges)
		p := &knowledge.CityPath{CityIDs: cities}
		for i, e := range edges {
			p.Hops = append(p.Hops, &knowledge.PathHop{FromID: cities[i], ToID: cities[i+1], PartnershipID: e})
		}
		paths = append(paths, p)
		if len(paths) == q.First {
			break
		}
	}
	return paths, nil
}

func parseUUIDs(s []string) []uuid.UUID {
	out := make([]uuid.UUID, len(s))
	for i, v := range s {
		out[i] = uuid.MustParse(v) // the database only returns uuids here
	}
	return out
}

func reversed(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func distinct(ids []uuid.UUID) bool {
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

func uuidKey(ids []uuid.UUID) string {
	b := make([]byte, 0, 16*len(ids))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return string(b)
}
