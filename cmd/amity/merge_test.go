package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres/pgtest"
)

// The command merge-candidates prints for a pair merges it: the partner's TESTVILLE
// goes into the gazetteer's Testville, what moved is printed, and the pair is no
// candidate any more. Refusals exit non-zero and change nothing.
func TestMergeCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.MustCreateDB(t)
	var out bytes.Buffer
	file := filepath.Join(t.TempDir(), "partner.ndjson")
	lines := `{"type":"source","key":"partner-list","title":"Testville twinning list","url":"https://example.org/partner-list"}
{"type":"city","key":"testville-partner","name":"TESTVILLE","country":"XT","population":140000,"latitude":10.505,"longitude":20.255,"names":[{"language":"de","name":"Testingen"}],"sources":["partner-list"]}
{"type":"partnership","key":"tie","kind":"SISTER_CITY","cities":[{"key":"testville-partner"},{"geonames":99000002}],"sources":["partner-list"]}
`
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "--database-url", dbURL, "../../testdata/import/countries.json", "../../testdata/import/cities.txt", file}, &out, &out, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"merge-candidates", "--database-url", dbURL}, &out, &out, nil); err != nil {
		t.Fatalf("merge-candidates: %v\n%s", err, out.String())
	}
	var command []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "amity merge --into ") {
			command = strings.Fields(strings.SplitN(line, "#", 2)[0])[1:]
		}
	}
	// The partner's record holds the partnership: it is the likelier survivor.
	if len(command) != 4 || !strings.Contains(out.String(), "# Testville into TESTVILLE") {
		t.Fatalf("merge-candidates gives no merge command for the pair:\n%s", out.String())
	}

	out.Reset()
	if err := run(ctx, append(command, "--database-url", dbURL, "--reason", "one city", "--actor", "test-operator"), &out, &out, nil); err != nil {
		t.Fatalf("%v: %v\n%s", command, err, out.String())
	}
	// The gazetteer's names move; its GeoNames id too (the partner's record had none);
	// its population and location differ, and become statements.
	for _, want := range []string{"merged Testville (", "into TESTVILLE (", "moved: 3 names, 1 source,",
		"2 differing values of the merged city kept as statements", "now answers with"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("merge output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"merge-candidates", "--database-url", dbURL}, &out, &out, nil); err != nil || !strings.Contains(out.String(), "no merge candidates") {
		t.Errorf("merge-candidates after the merge: %v\n%s", err, out.String())
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"merged already", append(command, "--database-url", dbURL), 1, "was merged into"},
		{"no survivor", []string{"merge", "--database-url", dbURL, command[3]}, 2, "give --into SURVIVOR"},
		{"not an id", []string{"merge", "--database-url", dbURL, "--into", "Testville", command[3]}, 2, "neither the ID of a City nor a UUID"},
		{"tied cities", []string{"merge", "--database-url", dbURL, "--into", command[2],
			knowledge.KeyID(knowledge.KindCity, "geonames-99000002").String()}, 1, "merge refused, nothing changed:\namity: merged: the two cities are tied to each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(ctx, tt.args, &out, io.Discard, nil)
			if code := exitCode(err, &errOut); code != tt.wantCode || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}
