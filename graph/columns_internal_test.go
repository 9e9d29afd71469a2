package graph

import (
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestColumnsKnowTheSchema holds the column tables (columns.go) against the schema: a
// field they do not know reads every column of its type, which is correct but reads
// more than needed, so nothing else fails when a new field is left out of them; this
// test does. A name the schema lacks fails too.
func TestColumnsKnowTheSchema(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	for typ, fields := range columnsOfFields {
		def := schema.Types[typ]
		if def == nil {
			t.Errorf("columns.go describes %s, which the schema does not have", typ)
			continue
		}
		for _, f := range def.Fields {
			if _, known := fields[f.Name]; !known {
				t.Errorf("%s.%s is not in columns.go: name the column groups it needs (0 for none)", typ, f.Name)
			}
		}
		for name := range fields {
			if !slices.ContainsFunc(def.Fields, func(f *ast.FieldDefinition) bool { return f.Name == name }) {
				t.Errorf("columns.go names %s.%s, which the schema does not have", typ, name)
			}
		}
	}
}
