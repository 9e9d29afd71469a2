package readcache

import (
	"context"
	"time"
)

// FlushDaily empties the cache at every midnight UTC until ctx ends. Some reads are
// about today (a network counted as of now ends a partnership whose until has come):
// they change when the day does, with no write to announce it, and "today" is a UTC
// day in the store. now is the clock (time.Now outside tests).
func (c *Cache) FlushDaily(ctx context.Context, now func() time.Time) {
	if c == nil {
		return
	}
	for {
		t := now().UTC()
		next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		timer := time.NewTimer(next.Sub(t))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
			c.Flush()
		}
	}
}
