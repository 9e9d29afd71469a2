package knowledge

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// API keys and what they may do: the auth edge checks them, the store keeps them.

// Scope is what a key may do.
type Scope string

// Scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// ParseScopes reads a comma-separated scope list such as "read,write".
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, part := range strings.Split(s, ",") {
		switch sc := Scope(strings.ToLower(strings.TrimSpace(part))); sc {
		case ScopeRead, ScopeWrite, ScopeAdmin:
			out = append(out, sc)
		case "":
		default:
			return nil, FieldErrorf("scopes", "unknown scope %q: use read, write and admin", part)
		}
	}
	if len(out) == 0 {
		return nil, FieldErrorf("scopes", "give at least one scope: read, write or admin")
	}
	return out, nil
}

// Key is a stored API key: never the secret, only its hash.
type Key struct {
	ID         uuid.UUID
	Name       string
	SecretHash []byte
	Scopes     []Scope
	RatePerSec *float64
	CreatedAt  time.Time
	RevokedAt  *time.Time
}
