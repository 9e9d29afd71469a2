package pgtest_test

import (
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/amity/amity/internal/postgres/pgtest"
)

// The pair replicates: a row written on the primary is read on the standby once it has
// replayed, not while replay is paused; the standby refuses writes until promoted.
func TestPairReplicates(t *testing.T) {
	t.Parallel()
	p := pgtest.StartPair(t, "amity")
	p.Primary.Exec(t, "amity", "CREATE TABLE t (v int)")
	p.WaitReplayed(t)
	standby, err := sqlx.Open("postgres", p.Standby.URL("amity"))
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	count := func() int {
		var n int
		if err := standby.Get(&n, "SELECT count(*) FROM t"); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var inRecovery bool
	if err := standby.Get(&inRecovery, "SELECT pg_is_in_recovery()"); err != nil || !inRecovery {
		t.Fatalf("standby in recovery = %v, %v", inRecovery, err)
	}

	p.PauseReplay(t)
	p.Primary.Exec(t, "amity", "INSERT INTO t VALUES (1)")
	if n := count(); n != 0 {
		t.Errorf("paused standby shows %d rows, want 0", n)
	}
	p.ResumeReplay(t)
	p.WaitReplayed(t)
	if n := count(); n != 1 {
		t.Errorf("caught-up standby shows %d rows, want 1", n)
	}
	if _, err := standby.Exec("INSERT INTO t VALUES (2)"); err == nil {
		t.Error("the standby took a write")
	}

	p.Primary.Stop(t)
	p.Standby.Promote(t)
	if _, err := standby.Exec("INSERT INTO t VALUES (2)"); err != nil {
		t.Errorf("the promoted standby refused a write: %v", err)
	}
}
