package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/amity/amity/internal/knowledge"
)

type keyRow struct {
	ID         uuid.UUID      `db:"id"`
	Name       string         `db:"name"`
	SecretHash []byte         `db:"secret_hash"`
	Scopes     pq.StringArray `db:"scopes"`
	RatePerSec *float64       `db:"rate_per_sec"`
	CreatedAt  time.Time      `db:"created_at"`
	RevokedAt  *time.Time     `db:"revoked_at"`
}

func (r *keyRow) domain() *knowledge.Key {
	k := &knowledge.Key{ID: r.ID, Name: r.Name, SecretHash: r.SecretHash, RatePerSec: r.RatePerSec, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
	for _, s := range r.Scopes {
		k.Scopes = append(k.Scopes, knowledge.Scope(s))
	}
	return k
}

const keyCols = "id, name, secret_hash, scopes, rate_per_sec, created_at, revoked_at"

// CreateKey stores a new key under the hash of its secret. It returns BAD_USER_INPUT for
// an empty name, no scopes or a rate that is not positive.
func (db *DB) CreateKey(ctx context.Context, name string, hash []byte, scopes []knowledge.Scope, ratePerSec *float64) (*knowledge.Key, error) {
	if name == "" {
		return nil, knowledge.FieldErrorf("name", "a key needs a name")
	}
	if len(scopes) == 0 {
		return nil, knowledge.FieldErrorf("scopes", "a key needs at least one scope")
	}
	if ratePerSec != nil && *ratePerSec <= 0 {
		return nil, knowledge.FieldErrorf("rate", "the rate must be above 0 requests a second")
	}
	ss := make([]string, len(scopes))
	for i, s := range scopes {
		ss[i] = string(s)
	}
	const q = `INSERT INTO api_keys (name, secret_hash, scopes, rate_per_sec) VALUES ($1, $2, $3, $4) RETURNING ` + keyCols
	var r keyRow
	if err := db.GetContext(ctx, &r, q, name, hash, pq.Array(ss), ratePerSec); err != nil {
		return nil, mapError(err)
	}
	return r.domain(), nil
}

// Keys lists every key, revoked ones too, oldest first.
func (db *DB) Keys(ctx context.Context) ([]*knowledge.Key, error) {
	const q = `SELECT ` + keyCols + ` FROM api_keys ORDER BY created_at, id`
	var rows []keyRow
	if err := db.SelectContext(ctx, &rows, q); err != nil {
		return nil, mapError(err)
	}
	keys := make([]*knowledge.Key, len(rows))
	for i := range rows {
		keys[i] = rows[i].domain()
	}
	return keys, nil
}

// RevokeKey revokes a key for good. It returns NOT_FOUND for an unknown id; revoking a
// revoked key again changes nothing.
func (db *DB) RevokeKey(ctx context.Context, id uuid.UUID) (*knowledge.Key, error) {
	const q = `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ` + keyCols
	var r keyRow
	if err := db.GetContext(ctx, &r, q, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, knowledge.Errorf(knowledge.ENOTFOUND, "no key has the id %s", id)
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}

// KeyByHash returns the key with the secret hash, or nil if there is none.
func (db *DB) KeyByHash(ctx context.Context, hash []byte) (*knowledge.Key, error) {
	const q = `SELECT ` + keyCols + ` FROM api_keys WHERE secret_hash = $1`
	var r keyRow
	if err := db.GetContext(ctx, &r, q, hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, mapError(err)
	}
	return r.domain(), nil
}
