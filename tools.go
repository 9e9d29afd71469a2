//go:build tools

// Package tools pins the code generators `go generate` runs, so their versions live in go.mod.
package tools

import _ "github.com/99designs/gqlgen"
