package knowledge_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/amity/amity/internal/knowledge"
)

// A problem the writer finds with a mutation's batch reads as one with the input: the
// record's field becomes the input's path, and the sources cited become ids or new.
func TestMutationProblems(t *testing.T) {
	cited, url := uuid.New(), "https://example.org/new"
	city := knowledge.CityWrite{Sources: knowledge.SourceRefs{IDs: []uuid.UUID{cited},
		New: []knowledge.NewSource{{Title: "A", URL: &url}, {Title: "B"}}}}
	b := city.Batch(uuid.New())
	tests := []struct {
		line        int
		field, code string
		want        string
	}{
		{knowledge.MutationLine, "city.wikidata", knowledge.CodeConflict, "input.wikidataId CONFLICT"},
		{knowledge.MutationLine, "city.latitude", "", "input.location INVALID"},
		{knowledge.MutationLine, "city.sources[0]", knowledge.CodeNotFound, "input.sources.ids.0 NOT_FOUND"},
		{knowledge.MutationLine, "city.sources[2]", knowledge.CodeNotFound, "input.sources.new.1 NOT_FOUND"},
		{knowledge.MutationLine + 1, "source.url", knowledge.CodeConflict, "input.sources.new.0.url CONFLICT"},
		{knowledge.MutationLine, "agreement.signatories[1].party", "", "input.signatories.1.party INVALID"},
		{knowledge.MutationLine, "city.version", knowledge.CodeStaleVersion, "input.version STALE_VERSION"},
	}
	for _, tt := range tests {
		var p knowledge.Problems
		knowledge.MutationProblems(&p, b, &knowledge.FileError{Problems: []knowledge.FileProblem{{Line: tt.line, Field: tt.field, Code: tt.code, Message: "m"}}})
		var ie *knowledge.InputError
		if err := p.Err(); err != nil {
			ie = err.(*knowledge.InputError)
		}
		if ie == nil || len(ie.Problems) != 1 {
			t.Errorf("%d %s: %v, want one problem", tt.line, tt.field, ie)
			continue
		}
		if got := strings.Join(ie.Problems[0].Path, ".") + " " + ie.Problems[0].Code; got != tt.want {
			t.Errorf("%d %s: %s, want %s", tt.line, tt.field, got, tt.want)
		}
	}
}
