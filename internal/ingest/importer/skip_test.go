package importer_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/amity/amity/internal/ingest/importer"
	"github.com/amity/amity/internal/knowledge"
)

func TestSkipInvalid(t *testing.T) {
	cases := []struct {
		name   string
		format importer.Format
		file   string
		kept   int // entities kept
		want   string
	}{
		{"ndjson: a city and what names it", importer.FormatNDJSON, strings.Join([]string{
			`{"type":"source","key":"s","title":"Testville Gazette","url":"https://example.org/s"}`,
			`{"type":"city","key":"testville","name":"Test\u0007ville","country":"XT"}`,
			`{"type":"official","key":"alex","name":"Alex Example","city":"testville","sources":["s"]}`,
			`{"type":"city","key":"sampleton","name":"Sampleton","country":"XT"}`,
		}, "\n") + "\n",
			2, strings.Join([]string{
				`{"type":"city","key":"testville","name":"Test\u0007ville","country":"XT"}` + "\tline 2: city.name: contains the control character U+0007 (line breaks and tabs are not allowed here)",
				`{"type":"official","key":"alex","name":"Alex Example","city":"testville","sources":["s"]}` + "\tline 3: official.city: refers to city \"testville\", which is on a rejected line",
			}, "\n") + "\n"},
		{"iso 3166: an entry on one line", importer.FormatISO3166, "{\"3166-1\": [\n  {\n    \"alpha_2\": \"XT\",\n    \"name\": \"Testland\"\n  },\n  {\n    \"alpha_2\": \"xu\",\n    \"name\": \"Sampleland\"\n  }\n]}\n",
			3, "{\"alpha_2\":\"xu\",\"name\":\"Sampleland\"}\tline 6: country.code: \"xu\" is not an ISO 3166-1 alpha-2 code (two capital letters)\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := importer.Parse("f", strings.NewReader(tc.file), tc.format, nil)
			var fe *knowledge.FileError
			if !errors.As(err, &fe) || b == nil {
				t.Fatalf("Parse: %v (batch %v), want problems and the batch", err, b != nil)
			}
			kept, rejected, err := importer.SkipInvalid(b, fe.All())
			if err != nil {
				t.Fatal(err)
			}
			if kept.Len() != tc.kept {
				t.Errorf("%d entities kept, want %d", kept.Len(), tc.kept)
			}
			var out bytes.Buffer
			if _, err := importer.WriteRejects(&out, strings.NewReader(tc.file), tc.format, rejected); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("rejects:\n%s\nwant:\n%s", out.String(), tc.want)
			}
		})
	}
	// A problem of the whole file cannot be skipped.
	b := &knowledge.Batch{File: "f"}
	if _, _, err := importer.SkipInvalid(b, []knowledge.FileProblem{{File: "f", Message: "no GeoNames rows"}}); err == nil {
		t.Error("a whole-file problem was skipped")
	}
}
