// Package redistest connects tests to the Redis on this machine, each test under a key
// prefix of its own. Without Redis the test is skipped, except in CI (CI=true), where a
// missing Redis fails it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the Redis the tests use: AMITY_TEST_REDIS_ADDR, else 127.0.0.1:6379.
func Addr() string {
	if a := os.Getenv("AMITY_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// MustClient returns a client and a key prefix unique to the test; the test's keys are
// deleted and the client closed when it ends.
func MustClient(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(), DialTimeout: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("redis at %s: %v (CI needs it: .ci/run starts it)", Addr(), err)
		}
		tb.Skipf("redis at %s is not answering (%v): start it with redis-server, or set AMITY_TEST_REDIS_ADDR", Addr(), err)
	}
	var b [6]byte
	rand.Read(b[:])
	prefix := "amity-test:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c, prefix
}
