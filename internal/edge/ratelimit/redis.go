package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcra takes one request from a caller's budget atomically. It keeps the caller's
// theoretical arrival time in microseconds of Redis's own clock (so replicas with
// skewed clocks agree) and lets the key expire when the budget is full again.
// KEYS[1]: the caller; ARGV[1]: microseconds per request; ARGV[2]: the burst.
// It returns {1, 0, tat} when the request is allowed, {0, microseconds to wait, tat}
// when not, where tat is the caller's theoretical arrival time after the call, in
// microseconds from now.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return {0, math.ceil(allow_at - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, 0, math.ceil(new_tat - now)}
`)

// Redis is a Store shared by every replica that uses the same Redis and prefix.
type Redis struct {
	client redis.Scripter
	prefix string
}

// NewRedis returns a store keeping its counters under prefix (such as "amity:rl:").
func NewRedis(client redis.Scripter, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Allow implements Store.
func (s *Redis) Allow(ctx context.Context, key string, l Limit) (Decision, error) {
	interval := max(1, l.interval().Microseconds())
	res, err := gcra.Run(ctx, s.client, []string{s.prefix + key}, strconv.FormatInt(interval, 10), l.Burst).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("ratelimit: redis: unexpected reply %v", res)
	}
	d := Decision{Allowed: res[0] == 1, RetryAfter: time.Duration(res[1]) * time.Microsecond}
	remaining, reset := decide(l, time.Duration(res[2])*time.Microsecond)
	d.Reset = reset
	if d.Allowed {
		d.Remaining = remaining
	}
	return d, nil
}
