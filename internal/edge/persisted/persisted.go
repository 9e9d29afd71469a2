// Package persisted serves persisted queries: Apollo's automatic persisted queries
// (APQ), whose documents live in a cache shared by the replicas when Redis is
// configured, and a trusted-documents mode in which the server runs only the documents
// of an allow list.
//
// Both speak the same wire protocol: a request carries
// extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex sha256 of the document>"}
// with or without the document itself. A hash-only GET is a plain, cacheable URL.
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Error codes of persisted-query requests, as extensions.code.
const (
	// CodeNotFound: a hash the server does not know (yet); an APQ client re-sends the
	// document with its hash. gqlgen's own code, as Apollo clients expect it.
	CodeNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodeInvalid: a malformed persistedQuery extension, an unsupported version, or a
	// hash that is not the document's.
	CodeInvalid = "PERSISTED_QUERY_INVALID"
	// CodeNotAllowed: trusted-documents mode, and the hash is not on the allow list.
	CodeNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
	// CodeTrustedDocumentRequired: trusted-documents mode, and the request sent a
	// document (without a hash, or one not on the list) that is not on the allow list.
	CodeTrustedDocumentRequired = "TRUSTED_DOCUMENT_REQUIRED"
)

// Codes are the codes of requests refused by an allow list.
var Codes = []string{CodeNotAllowed, CodeTrustedDocumentRequired}

func init() {
	for _, c := range []string{CodeNotFound, CodeInvalid, CodeNotAllowed, CodeTrustedDocumentRequired} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// Hash is the hex SHA-256 of a document, the form APQ and trusted documents use.
func Hash(document string) string {
	sum := sha256.Sum256([]byte(document))
	return hex.EncodeToString(sum[:])
}

func newError(code, format string, args ...any) *gqlerror.Error {
	err := &gqlerror.Error{Message: fmt.Sprintf(format, args...)}
	errcode.Set(err, code)
	return err
}

// extensionOf reads extensions.persistedQuery; ok is false when the request has none.
func extensionOf(p *graphql.RawParams) (hash string, ok bool, err *gqlerror.Error) {
	raw, present := p.Extensions["persistedQuery"]
	if !present || raw == nil {
		return "", false, nil
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		return "", true, newError(CodeInvalid, `extensions.persistedQuery must be an object such as {"version": 1, "sha256Hash": "..."}`)
	}
	if v := fmt.Sprint(m["version"]); v != "1" {
		return "", true, newError(CodeInvalid, "persisted query version %s is not supported: use version 1", v)
	}
	hash, _ = m["sha256Hash"].(string)
	hash = strings.ToLower(hash)
	if len(hash) != sha256.Size*2 {
		return "", true, newError(CodeInvalid, "extensions.persistedQuery.sha256Hash must be the document's SHA-256 in hex (64 characters)")
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return "", true, newError(CodeInvalid, "extensions.persistedQuery.sha256Hash must be the document's SHA-256 in hex (64 characters)")
	}
	return hash, true, nil
}

// APQ is automatic persisted queries (gqlgen's protocol) with Amity's error codes and
// the server's limits: a document is stored only once it passed Check, so a client
// cannot fill the cache (or Redis) with documents that would be refused anyway, and a
// document read back by hash is checked again (the limits may have changed since it
// was stored, by another replica or before a restart).
type APQ struct {
	Cache graphql.Cache[string]
	// Check returns the refusal of a document that breaks the server's limits, and
	// nil for one that may run (graph/limits' Extension.CheckQuery). Nil checks
	// nothing.
	Check func(ctx context.Context, query string) *gqlerror.Error
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = APQ{}

// ExtensionName implements graphql.HandlerExtension.
func (APQ) ExtensionName() string { return "AutomaticPersistedQuery" }

// Validate implements graphql.HandlerExtension.
func (a APQ) Validate(graphql.ExecutableSchema) error {
	if a.Cache == nil {
		return errors.New("persisted.APQ needs a cache")
	}
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (a APQ) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	hash, ok, err := extensionOf(p)
	if !ok || err != nil {
		return err
	}
	sent := p.Query != ""
	if !sent {
		q, found := a.Cache.Get(ctx, hash)
		if !found {
			return newError(CodeNotFound, "PersistedQueryNotFound")
		}
		p.Query = q
	}
	// The limits first: refusing a document far over the length limit reads only its
	// head, where hashing it would read all of it.
	if a.Check != nil {
		if err := a.Check(ctx, p.Query); err != nil {
			return err
		}
	}
	if sent {
		if Hash(p.Query) != hash {
			return newError(CodeInvalid, "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
		}
		a.Cache.Add(ctx, hash, p.Query)
	}
	// gqlgen's extension.GetApqStats reads these, as it would with gqlgen's own APQ.
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(apqStatsKey, &extension.ApqStats{Hash: hash, SentQuery: sent})
	}
	return nil
}

// apqStatsKey is the key under which gqlgen's APQ extension keeps its stats.
const apqStatsKey = "APQ"

// DefaultTTL is how long Redis keeps an automatic persisted query after it was last
// registered.
const DefaultTTL = 24 * time.Hour

// RedisCache is an APQ cache shared by replicas: a small in-process LRU in front of
// Redis. Redis failures read as misses, so a client re-sends the document.
type RedisCache struct {
	client redis.Cmdable
	prefix string
	ttl    time.Duration
	local  *MemoryCache
	log    *slog.Logger

	mu         sync.Mutex
	lastWarned time.Time
}

// NewRedisCache returns an APQ cache keeping documents under prefix (such as
// "amity:apq:") for ttl (DefaultTTL if 0).
func NewRedisCache(client redis.Cmdable, prefix string, ttl time.Duration, log *slog.Logger) *RedisCache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if log == nil {
		log = slog.Default()
	}
	return &RedisCache{client: client, prefix: prefix, ttl: ttl, local: NewMemoryCache(DefaultMemoryBytes), log: log}
}

// Get implements graphql.Cache.
func (c *RedisCache) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := c.local.Get(ctx, hash); ok {
		return q, true
	}
	q, err := c.client.Get(ctx, c.prefix+hash).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			c.warn(ctx, err)
		}
		return "", false
	}
	// Redis is shared: check what it holds, so that nothing written there by another
	// program runs under a hash that is not its own.
	if Hash(q) != hash {
		return "", false
	}
	c.local.Add(ctx, hash, q)
	return q, true
}

// Add implements graphql.Cache.
func (c *RedisCache) Add(ctx context.Context, hash, query string) {
	c.local.Add(ctx, hash, query)
	if err := c.client.Set(ctx, c.prefix+hash, query, c.ttl).Err(); err != nil {
		c.warn(ctx, err)
	}
}

func (c *RedisCache) warn(ctx context.Context, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.lastWarned) < 10*time.Second {
		return
	}
	c.lastWarned = time.Now()
	c.log.WarnContext(ctx, "persisted query cache: redis failed", "err", err)
}
