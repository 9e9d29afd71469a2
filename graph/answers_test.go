package graph_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/amity/amity/internal/edge/server"
	"github.com/amity/amity/internal/knowledge"
)

// A repeated query is answered whole from the read cache (one cache hit, no SQL, no
// resolver), for the caller it was answered to, and never after a write changed what it
// read. TestReadCache proves the invalidation across replicas with the same queries.
func TestAnswerCache(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	srv := a.handler.(*server.Server)
	waitFor(t, 10*time.Second, "the read cache to be on", srv.ReadCache().Enabled)
	shenzhen := mustCityID(t, a, "Shenzhen")
	vars := map[string]any{"id": shenzhen}
	// post sends the query as the caller (secret "" is anonymous) and reports whether
	// the answer came whole from the cache: a single hit, and no statement.
	post := func(secret, query string, vars map[string]any) (response, bool) {
		t.Helper()
		before := srv.ReadCache().Stats().Hits
		r := a.MustPostAs(t, secret, query, vars)
		hits := srv.ReadCache().Stats().Hits - before
		return r, hits == 1 && r.Statements == 0
	}

	first, whole := post("", cachedCity, vars)
	if whole {
		t.Fatal("the first query was answered from the cache")
	}
	// The shipped knowledge's load may still reach the server through the change feed
	// and empty the cache once: ask until the answer is kept.
	waitFor(t, 10*time.Second, "a repeated query to be answered from the cache", func() bool {
		again, whole := post("", cachedCity, vars)
		if !bytes.Equal(first.Data, again.Data) {
			t.Fatalf("the repeated query answered %s, first %s", again.Data, first.Data)
		}
		return whole
	})
	// Other variables, another document or another operation are other answers.
	if _, whole := post("", cachedCity, map[string]any{"id": mustCityID(t, a, "Moscow")}); whole {
		t.Error("another city's query was answered with Shenzhen's answer")
	}

	t.Run("callers", func(t *testing.T) {
		reader := MustKey(t, a, "reader", knowledge.ScopeRead)
		other := MustKey(t, a, "other reader", knowledge.ScopeRead)
		if _, whole := post(reader, cachedCity, vars); whole {
			t.Error("a key was answered with the anonymous callers' answer")
		}
		if _, whole := post(reader, cachedCity, vars); !whole {
			t.Error("a key's repeated query was not answered from the cache")
		}
		if _, whole := post(other, cachedCity, vars); whole {
			t.Error("a key was answered with another key's answer")
		}
		// What a key may see depends on its scopes: an admin's audit log is not a
		// reader's refusal, nor the other way round.
		admin := MustKey(t, a, "admin", knowledge.ScopeRead, knowledge.ScopeAdmin)
		const audit = `{ auditLog(first: 1) { nodes { action } } }`
		for range 2 {
			if r, _ := post(reader, audit, nil); len(r.Errors) == 0 {
				t.Fatalf("a reader read the audit log: %s", r.Raw)
			}
			if r, _ := post(admin, audit, nil); len(r.Errors) > 0 {
				t.Fatalf("an admin could not read the audit log: %s", r.Raw)
			}
		}
	})

	t.Run("what is not kept", func(t *testing.T) {
		// An answer with errors.
		const bad = `query($id: ID!) { city(id: $id) { name } }`
		for range 2 {
			if _, whole := post("", bad, map[string]any{"id": "not-an-id"}); whole {
				t.Error("an answer with errors came from the cache")
			}
		}
		// A read that does not declare what it depends on (search reads outside the
		// loaders) keeps its answers out of the cache.
		const search = `{ search(query: "Shenzhen", first: 3) { edges { node { __typename } } } }`
		for range 2 {
			if r, whole := post("", search, nil); whole || r.Statements == 0 || len(r.Errors) > 0 {
				t.Errorf("search: whole answer from the cache %v, %d statements, %s", whole, r.Statements, r.Raw)
			}
		}
	})

	t.Run("a write drops it", func(t *testing.T) {
		writer := MustKey(t, a, "writer", knowledge.ScopeRead, knowledge.ScopeWrite)
		var city struct {
			City struct{ Version int }
		}
		a.MustPost(t, `query($id: ID!) { city(id: $id) { version } }`, vars).MustData(t, &city)
		r := a.MustPostAs(t, writer, `mutation($input: UpdateCityInput!) { updateCity(input: $input) { city { population } errors { message } } }`,
			map[string]any{"input": map[string]any{"id": shenzhen, "version": city.City.Version, "population": 17_000_001,
				"sources": map[string]any{"new": []any{map[string]any{"title": "Testville census", "url": "https://example.org/census"}}}}})
		if len(r.Errors) > 0 || bytes.Contains(r.Data, []byte(`"message"`)) {
			t.Fatalf("update: %s", r.Raw)
		}
		var d cachedCityData
		after, whole := post("", cachedCity, vars)
		after.MustData(t, &d)
		if whole || d.City.Population == nil || *d.City.Population != 17_000_001 {
			t.Errorf("after the write: whole answer from the cache %v, population %v", whole, d.City.Population)
		}
		// The change also arrives through the change feed, a moment later, and drops
		// what was kept before it arrived; then the answer stays.
		waitFor(t, 10*time.Second, "the new answer to be kept", func() bool {
			r, whole := post("", cachedCity, vars)
			var d cachedCityData
			r.MustData(t, &d)
			if d.City.Population == nil || *d.City.Population != 17_000_001 {
				t.Fatalf("after the write: population %v", d.City.Population)
			}
			return whole
		})
	})
}
