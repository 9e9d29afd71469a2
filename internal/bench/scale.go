// Package bench is Amity's benchmark harness: a deterministic synthetic data generator
// that loads a bench database through the project's own migrations (Seed), a bounded
// loopback load generator (Run) that measures Amity and PostGraphile v5 side by side on
// the same data, and the report of what it measured. docs/benchmarks.md describes how to
// run it and holds the figures.
package bench

import (
	"fmt"
	"net/url"
	"strings"
)

// Scale is the size of a synthetic data set.
type Scale struct {
	Name          string
	Countries     int
	Cities        int
	Partnerships  int
	Agreements    int
	OfficialsPer  int // officials per city
	Institutions  int
	Sources       int
	NamedFraction float64 // cities with names in other languages
}

// Scales are the sizes issue 6 asks for.
var Scales = map[string]Scale{
	"s": {Name: "s", Countries: 200, Cities: 2_000, Partnerships: 20_000, Agreements: 5_000,
		OfficialsPer: 3, Institutions: 500, Sources: 2_500, NamedFraction: 0.2},
	"l": {Name: "l", Countries: 200, Cities: 100_000, Partnerships: 1_000_000, Agreements: 300_000,
		OfficialsPer: 3, Institutions: 20_000, Sources: 150_000, NamedFraction: 0.2},
}

// ScaleByName returns the named scale.
func ScaleByName(name string) (Scale, error) {
	s, ok := Scales[name]
	if !ok {
		return Scale{}, fmt.Errorf("unknown scale %q (want s or l)", name)
	}
	return s, nil
}

// DefaultDatabaseURL is the bench database of a scale on the local server.
func DefaultDatabaseURL(scale string) string {
	return "postgres://postgres@127.0.0.1:5432/amity_bench_" + scale + "?sslmode=disable"
}

// splitURL returns the database name of a URL and the URL of the server's maintenance
// database, where CREATE DATABASE runs.
func splitURL(dbURL string) (name, admin string, err error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", "", fmt.Errorf("database url: %w", err)
	}
	name = strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.ContainsAny(name, `"/`) {
		return "", "", fmt.Errorf("database url %q names no usable database", dbURL)
	}
	u.Path = "/postgres"
	return name, u.String(), nil
}

// SeedVersion changes whenever the generator would produce different data, so that a
// database seeded by an older generator is seeded again.
const SeedVersion = 1

func marker(s Scale) string {
	return fmt.Sprintf("amity bench data: scale=%s version=%d seed=%d", s.Name, SeedVersion, prngSeed)
}
