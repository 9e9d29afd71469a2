package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// TestKeysCommand creates, lists and revokes a key, and checks that only the secret's
// hash is stored.
func TestKeysCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(t)
	keys := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append(append([]string{"keys"}, args...), "--database-url", dbURL), &out, &out, nil)
		return out.String(), err
	}

	out, err := keys("create", "--name", "Testland FAO", "--scopes", "read,write", "--rate", "5/s")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	secret := regexp.MustCompile(`amity_[A-Za-z0-9_-]{43}`).FindString(out)
	id := regexp.MustCompile(`created key ([0-9a-f-]{36})`).FindStringSubmatch(out)
	if secret == "" || id == nil {
		t.Fatalf("create printed no secret or id:\n%s", out)
	}

	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.Get(&stored, `SELECT count(*) FROM api_keys WHERE secret_hash = $1`, auth.HashSecret(secret)); err != nil || stored != 1 {
		t.Errorf("the key's hash is not stored: %d, %v", stored, err)
	}
	var plain int
	db.Get(&plain, `SELECT count(*) FROM api_keys WHERE position($1::bytea in secret_hash) > 0`, []byte(secret))
	if plain != 0 {
		t.Error("the secret itself is stored")
	}

	out, err = keys("list")
	if err != nil || !strings.Contains(out, "Testland FAO") || !strings.Contains(out, "read,write") || !strings.Contains(out, "5/s") {
		t.Errorf("list: %v\n%s", err, out)
	}
	if strings.Contains(out, secret) {
		t.Error("list shows the secret")
	}
	if out, err = keys("revoke", id[1]); err != nil || !strings.Contains(out, "revoked key") {
		t.Errorf("revoke: %v\n%s", err, out)
	}
	key, err := db.KeyByHash(ctx, auth.HashSecret(secret))
	if err != nil || key == nil || key.RevokedAt == nil {
		t.Errorf("after revoke: %+v, %v", key, err)
	}

	for _, bad := range [][]string{
		{"create", "--name", "x", "--scopes", "read,fly"},
		{"create", "--name", "", "--scopes", "read"},
		{"create", "--name", "x", "--rate", "-3/s"},
		{"revoke", "not-an-id"},
		{"revoke", "00000000-0000-0000-0000-000000000000"},
		{"frobnicate"},
	} {
		if _, err := keys(bad...); err == nil {
			t.Errorf("keys %v: want an error", bad)
		}
	}
}
