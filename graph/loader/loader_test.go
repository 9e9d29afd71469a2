package loader

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestPreload(t *testing.T) {
	var calls atomic.Int32
	fail := false
	l := newLoader(time.Millisecond, func(_ context.Context, keys []int) ([]string, []error) {
		calls.Add(1)
		if fail {
			return nil, []error{errors.New("database down")}
		}
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = string(rune('a' + k))
		}
		return out, nil
	})

	ctx, failed := WithPreloadReport(context.Background())
	if got := l.Preload(ctx, []int{0, 1, 2}); len(got) != 3 || got[2] != "c" {
		t.Fatalf("Preload = %q", got)
	}
	if v, err := l.Load(ctx, 1); v != "b" || err != nil || calls.Load() != 1 {
		t.Errorf("Load after Preload = %q, %v after %d fetches, want b from the cache", v, err, calls.Load())
	}
	if failed.Load() {
		t.Error("a successful Preload reported a failure")
	}

	fail = true
	if got := l.Preload(ctx, []int{7, 8}); got[0] != "" || got[1] != "" {
		t.Errorf("failed Preload = %q, want zero values", got)
	}
	if !failed.Load() {
		t.Error("a failed Preload was not reported")
	}
	if _, err := l.Load(ctx, 7); err == nil || calls.Load() != 3 {
		t.Errorf("Load of a key whose Preload failed: %v after %d fetches, want the error from a fetch of its own", err, calls.Load())
	}
}
