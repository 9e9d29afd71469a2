// Package examples holds the example queries that the playground preloads, the README
// shows and the golden tests run, so the three never drift apart.
package examples

import (
	"embed"
	"path"
	"sort"
	"strings"
)

//go:embed *.graphql
var files embed.FS

// Example is one example query.
type Example struct {
	// File is the file name, such as "01-memorandum.graphql"; golden files use its stem.
	File string
	// Name is the title from the file's first line ("# Who signed ...").
	Name  string
	Query string
}

// All returns the examples in file-name order.
func All() []Example {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	var out []Example
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		q := string(b)
		first, _, _ := strings.Cut(q, "\n")
		out = append(out, Example{
			File:  e.Name(),
			Name:  strings.TrimSpace(strings.TrimPrefix(first, "#")),
			Query: q,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// Stem is the file name without its extension.
func (e Example) Stem() string { return strings.TrimSuffix(e.File, path.Ext(e.File)) }
