package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amity/amity/internal/postgres/pgtest"
)

// merge-candidates lists a name-keyed city and the gazetteer's row of it, and changes
// nothing.
func TestMergeCandidatesCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "--database-url", dbURL, "../../testdata/import/countries.json", "../../testdata/import/cities.txt"}, &out, &out, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"merge-candidates", "--database-url", dbURL}, &out, &out, nil); err != nil {
		t.Fatalf("merge-candidates: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "no merge candidates") {
		t.Errorf("a gazetteer alone has candidates:\n%s", out.String())
	}
	// A partner's list names Testville again, under a key of its own, a kilometre away.
	file := filepath.Join(t.TempDir(), "partner.ndjson")
	lines := `{"type":"source","key":"partner-list","title":"Testville twinning list","url":"https://example.org/partner-list"}
{"type":"city","key":"testville-partner","name":"TESTVILLE","country":"XT","latitude":10.505,"longitude":20.255,"sources":["partner-list"]}
`
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"import", "--database-url", dbURL, file}, &out, &out, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"merge-candidates", "--database-url", dbURL, "--country", "xt"}, &out, &out, nil); err != nil {
		t.Fatalf("merge-candidates: %v\n%s", err, out.String())
	}
	// The table lists both records, and the command that merges them follows it.
	table, merge, _ := strings.Cut(out.String(), "To merge a pair")
	if got := table; strings.Count(got, "Testville")+strings.Count(got, "TESTVILLE") != 2 || !strings.Contains(got, "1 pairs") || !strings.Contains(got, " km") ||
		!strings.Contains(merge, "\namity merge --into ") {
		t.Errorf("merge-candidates after the partner's list:\n%s", got)
	}
	out.Reset()
	err := run(ctx, []string{"merge-candidates", "--database-url", dbURL, "--limit", "20000"}, &out, &out, nil)
	if err == nil || !strings.Contains(err.Error(), "at most 10000") {
		t.Errorf("--limit 20000: %v", err)
	}
}
