package seclog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A flood of events writes at most perSecond lines a second, and the next line written
// says how many were left out.
func TestEventsAreRateLimited(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), 3)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	ctx := WithLog(context.Background(), l)
	for range 1000 {
		Event(ctx, AuthFailed, "client", "192.0.2.1", "code", "UNAUTHENTICATED")
	}
	if n := strings.Count(buf.String(), "security=true"); n != 3 {
		t.Fatalf("%d lines in one second, want 3:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "event=auth_failed") || !strings.Contains(buf.String(), "client=192.0.2.1") {
		t.Errorf("line lacks its attributes:\n%s", buf.String())
	}
	buf.Reset()
	now = now.Add(time.Second)
	Event(ctx, AuthFailed, "client", "192.0.2.1")
	if !strings.Contains(buf.String(), "suppressed=997") {
		t.Errorf("the next second's first line does not count the suppressed events:\n%s", buf.String())
	}
}

// Without a log in the context, events go nowhere (and do not panic).
func TestNoLog(t *testing.T) {
	Event(context.Background(), WriteRefused)
}
