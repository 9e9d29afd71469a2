package bytelru

import (
	"context"
	"testing"
)

func TestBudgetAndRecency(t *testing.T) {
	ctx := context.Background()
	c := New(10, func(k, v string) int { return len(v) })
	c.Add(ctx, "a", "aaaa")
	c.Add(ctx, "b", "bbbb")
	c.Add(ctx, "a", "aaaa") // again: counted once, and now the newest
	if c.Bytes() != 8 || c.Len() != 2 {
		t.Fatalf("after re-adding: %d bytes, %d entries; want 8, 2", c.Bytes(), c.Len())
	}
	c.Add(ctx, "c", "cccc") // over budget: b, the least recently used, goes
	if _, ok := c.Get(ctx, "b"); ok {
		t.Error("b was kept over the budget")
	}
	if v, ok := c.Get(ctx, "a"); !ok || v != "aaaa" {
		t.Errorf("a: %q, %v", v, ok)
	}
	c.Add(ctx, "big", "xxxxxxxxxxx")
	if _, ok := c.Get(ctx, "big"); ok || c.Bytes() > 10 {
		t.Errorf("an entry over the whole budget was kept (%d bytes)", c.Bytes())
	}
}
