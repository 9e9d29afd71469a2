package graph_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/web/examples"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current answers")

// TestExamples runs every example query (the playground's and the README's) against
// the shipped knowledge and compares the answer with its golden file.
func TestExamples(t *testing.T) {
	t.Parallel()
	a := MustAPI(t)
	for _, ex := range examples.All() {
		t.Run(ex.Stem(), func(t *testing.T) {
			resp := a.MustPost(t, ex.Query, nil)
			if resp.Status != 200 || len(resp.Errors) > 0 {
				t.Fatalf("status %d, errors: %s", resp.Status, resp.Raw)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, resp.Raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", ex.Stem()+".golden.json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run `make golden` to create it)", err)
			}
			if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
				t.Errorf("%s differs from its golden file (-want +got):\n%s", ex.File, diff)
			}
		})
	}
}
