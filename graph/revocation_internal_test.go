package graph

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"

	"github.com/amity/amity/internal/edge/auth"
	"github.com/amity/amity/internal/knowledge"
)

// keys is a key store of one key, revocable.
type keys struct{ key *knowledge.Key }

func (k *keys) KeyByHash(context.Context, []byte) (*knowledge.Key, error) {
	c := *k.key
	return &c, nil
}

// closeRecorder is a WebSocket connection that only records how it was closed.
type closeRecorder struct {
	transport.WebsocketConn
	code int
}

func (c *closeRecorder) WriteClose(code int, _ string) error {
	c.code = code
	return nil
}

// An operation sent on a socket whose key was revoked is refused with UNAUTHENTICATED,
// and the socket is closed with 4403 once the refusal is written; before the
// revocation reaches the cache, operations run.
func TestOperationOnRevokedKeyIsRefused(t *testing.T) {
	secret, hash, err := auth.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	store := &keys{key: &knowledge.Key{ID: uuid.New(), Name: "partner", SecretHash: hash, Scopes: []knowledge.Scope{knowledge.ScopeWrite}}}
	authn := auth.NewAuthenticator(store, auth.Config{CacheTTL: time.Millisecond})
	r, _ := http.NewRequest(http.MethodGet, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	p, err := authn.Authenticate(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	conn := &closeRecorder{}
	ctx := context.WithValue(context.Background(), wsKey{}, &wsConn{})
	ctx = context.WithValue(ctx, socketKey{}, &socket{conn: conn})
	ctx = auth.WithPrincipal(ctx, p)
	ran := 0
	next := func(ctx context.Context) graphql.ResponseHandler {
		ran++
		return graphql.OneShot(&graphql.Response{})
	}
	mw := recheckOperation(authn)

	if resp := mw(ctx, next)(ctx); ran != 1 || len(resp.Errors) != 0 {
		t.Fatalf("valid key: ran %d, errors %v", ran, resp.Errors)
	}
	now := time.Now()
	store.key.RevokedAt = &now
	time.Sleep(2 * time.Millisecond) // past the TTL of 1ms
	h := mw(ctx, next)
	resp := h(ctx)
	if ran != 1 || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != auth.CodeUnauthenticated {
		t.Fatalf("revoked key: ran %d more, errors %v", ran-1, resp.Errors)
	}
	if conn.code != 0 {
		t.Fatalf("socket closed (%d) before the refusal was written", conn.code)
	}
	if h(ctx) != nil {
		t.Fatal("the refusal did not end the operation")
	}
	if conn.code != CloseForbidden {
		t.Errorf("socket closed with %d, want %d", conn.code, CloseForbidden)
	}
}
