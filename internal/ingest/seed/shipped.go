// Package seed holds the knowledge Amity ships with: knowledge.ndjson, a file in the
// NDJSON import format, embedded in the binary, and its digest. It has no model or
// rules of its own: the file reads as every import file does (importer.ParseNDJSON,
// knowledge.Batch.Check), and the store loads it once per digest (postgres.ApplyBundle).
package seed

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
)

// ShippedName names the shipped knowledge in bundle_loads and in error messages, so an
// operator can tell it from files imported by hand.
const ShippedName = "shipped:knowledge.ndjson"

// ShippedPath is where the shipped knowledge lies in the source tree: its problems
// are reported at lines of this file.
const ShippedPath = "internal/ingest/seed/knowledge.ndjson"

//go:embed knowledge.ndjson
var shipped []byte

// Digest is the sha256 hex digest of a knowledge file's raw bytes: the loader records
// it, so that a file is loaded once however often the server starts.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ShippedBytes returns a copy of the embedded knowledge file.
func ShippedBytes() []byte {
	return bytes.Clone(shipped)
}

// ShippedDigest is Digest of the embedded knowledge file.
func ShippedDigest() string {
	return Digest(shipped)
}

// Shipped reads the embedded knowledge file as `amity import` reads an NDJSON file,
// checked by the domain's rules.
func Shipped() (*knowledge.Batch, error) {
	b, err := importer.ParseNDJSON(ShippedPath, bytes.NewReader(shipped), nil)
	if err != nil {
		return nil, fmt.Errorf("shipped knowledge: %w", err)
	}
	return b, nil
}
