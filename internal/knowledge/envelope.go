package knowledge

import "github.com/google/uuid"

// The write envelope: what every write carries besides the facts it writes, whichever
// way it comes (a mutation, an import file, the shipped knowledge).

// Actor is who writes: the API key (nil for none) and the names the audit log keeps.
type Actor struct {
	KeyID     *uuid.UUID
	Name      string
	RequestID string
}

// WriteMeta is what every write carries besides its input.
type WriteMeta struct {
	Actor            Actor
	ClientMutationID *string
}

// WriteResult is the entity a write created or changed, and whether the result is a
// replay of an earlier call with the same client mutation id.
type WriteResult struct {
	ID       uuid.UUID
	Replayed bool
}
