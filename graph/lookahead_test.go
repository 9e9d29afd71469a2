package graph

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestLookaheadKnowsTheSchema holds the lookahead's tables (lookahead.go) against the
// schema the server runs. The lookahead only speeds up: a field it does not know still
// answers, through its loader, so nothing else fails when a new relation is left out of
// it; this test is what does. It fails, naming the type and field, when
//   - a type the lookahead reads has a field its table does not name: preload it, or list
//     it among the table's loaders with the reason;
//   - a table names a field the schema does not have;
//   - a field it preloads or reads with its object leads to a type it does not describe;
//   - a type read whole with its parent (wholeTypes) has a field that needs a load.
func TestLookaheadKnowsTheSchema(t *testing.T) {
	for _, problem := range lookaheadProblems(NewExecutableSchema(Config{}).Schema()) {
		t.Error(problem)
	}
}

// The check must catch what it is for: a new relation on a type the lookahead walks, on
// one it reads without walking, and below a type it reads whole, and a stale table entry.
func TestLookaheadCheckCatchesNewFields(t *testing.T) {
	base := NewExecutableSchema(Config{}).Schema()
	for _, tt := range []struct {
		name   string
		change func(s *ast.Schema)
		want   string
	}{
		{"relation on a walked type", addField("City", "mayor", "Official"), "City.mayor"},
		{"scalar on a walked type", addField("Agreement", "pages", "Int"), "Agreement.pages"},
		{"relation on a type read plain", addField("Institution", "partners", "[Institution!]!"), "Institution.partners"},
		{"relation below a whole type", addField("Source", "cities", "[City!]!"), "Source.cities"},
		{"field the schema lost", dropField("Partnership", "agreement"), "Partnership.agreement"},
		{"connection field the schema lost", dropField("AgreementConnection", "totalCount"), "totalCount, which AgreementConnection"},
		{"field on a connection", addField("PartnershipConnection", "summary", "String"), "PartnershipConnection (through City.partnerships) has summary"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := copySchema(base)
			tt.change(s)
			problems := lookaheadProblems(s)
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Errorf("no problem names %s; got %q", tt.want, problems)
			}
		})
	}
}

// lookaheadProblems lists, one sentence each, where the lookahead's tables and the
// schema disagree.
func lookaheadProblems(s *ast.Schema) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	described := map[string]bool{}
	// leadsTo is every type a field the lookahead follows (plain or preloaded) leads to.
	leadsTo := map[string]string{}
	for _, ft := range fenced {
		t, preload := ft.table()
		described[t.typeName] = true
		def := s.Types[t.typeName]
		if def == nil || def.Kind != ast.Object {
			report("lookahead.go describes %s, which is not an object type of the schema", t.typeName)
			continue
		}
		if len(t.implementors) == 0 || t.implementors[0] != t.typeName {
			report("lookahead.go's %s table collects fields with the implementors of %v", t.typeName, t.implementors)
		}
		kinds := map[string][]string{}
		for n := range t.plain {
			kinds[n] = append(kinds[n], "plain")
		}
		for _, n := range preload {
			kinds[n] = append(kinds[n], "preloaded")
		}
		for n, why := range t.loaders {
			kinds[n] = append(kinds[n], "left to the loaders")
			if strings.TrimSpace(why) == "" {
				report("lookahead.go leaves %s.%s to the loaders without saying why", t.typeName, n)
			}
		}
		for _, n := range sortedKeys(kinds) {
			f := def.Fields.ForName(n)
			switch {
			case f == nil:
				report("lookahead.go knows %s.%s, which the schema does not have: remove it from the %s table", t.typeName, n, t.typeName)
			case len(kinds[n]) > 1:
				report("lookahead.go lists %s.%s as %s at once: choose one", t.typeName, n, strings.Join(kinds[n], " and "))
			case kinds[n][0] != "left to the loaders":
				if def := s.Types[f.Type.Name()]; def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union) {
					leadsTo[def.Name] = t.typeName + "." + n
				}
			}
			if f != nil && len(kinds[n]) == 1 && kinds[n][0] == "plain" && !isLeaf(s, f.Type) && !wholeTypes[f.Type.Name()] {
				report("lookahead.go reads %s.%s (a %s) with its object, but %s is neither a scalar nor read whole (wholeTypes): preload it instead",
					t.typeName, n, f.Type.Name(), f.Type.Name())
			}
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || kinds[f.Name] != nil {
				continue
			}
			report("%s.%s (%s) is in the schema but not in the lookahead (graph/lookahead.go): add it to %s's preloads "+
				"(one statement for a whole level, see batching_test.go), or to its plain fields if it is read with the object, "+
				"or to its loaders with the reason it is left to them", t.typeName, f.Name, f.Type.String(), t.typeName)
		}
	}
	// What the lookahead follows must lead to types it describes, to connections over them,
	// or to types it reads whole.
	for _, name := range sortedKeys(leadsTo) {
		def := s.Types[name]
		switch {
		case described[name] || wholeTypes[name]:
		case strings.HasSuffix(name, "Connection"):
			problems = append(problems, connectionProblems(s, def, described, leadsTo[name])...)
		default:
			report("%s leads to %s, which the lookahead neither describes nor reads whole (graph/lookahead.go)", leadsTo[name], name)
		}
	}
	for _, name := range sortedKeys(wholeTypes) {
		def := s.Types[name]
		if def == nil || def.Kind != ast.Object {
			report("lookahead.go reads %s whole, which is not an object type of the schema", name)
			continue
		}
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "__") && !isLeaf(s, f.Type) && !wholeTypes[f.Type.Name()] {
				report("%s.%s (%s): the lookahead reads %s whole with its parent (wholeTypes in graph/lookahead.go), so this field "+
					"would load one object after another; preload it and walk %s instead", name, f.Name, f.Type.String(), name, name)
			}
		}
	}
	return problems
}

// connectionProblems checks that a connection the lookahead preloads has only the fields
// it reads with the page, and nodes of a type it describes.
func connectionProblems(s *ast.Schema, conn *ast.Definition, described map[string]bool, via string) []string {
	var problems []string
	for _, n := range sortedKeys(connectionFields) {
		if conn.Fields.ForName(n) == nil {
			problems = append(problems, fmt.Sprintf("the lookahead's connectionFields know %s, which %s (through %s) does not have", n, conn.Name, via))
		}
	}
	for _, f := range conn.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if !connectionFields[f.Name] {
			problems = append(problems, fmt.Sprintf("%s (through %s) has %s, which the lookahead's connectionFields do not know", conn.Name, via, f.Name))
		}
		switch f.Name {
		case "nodes":
			if !described[f.Type.Name()] {
				problems = append(problems, fmt.Sprintf("%s.nodes are %s, which the lookahead does not describe", conn.Name, f.Type.Name()))
			}
		case "edges":
			edge := s.Types[f.Type.Name()]
			for _, n := range sortedKeys(edgeFields) {
				if edge.Fields.ForName(n) == nil {
					problems = append(problems, fmt.Sprintf("the lookahead's edgeFields know %s, which %s does not have", n, edge.Name))
				}
			}
			for _, ef := range edge.Fields {
				if !strings.HasPrefix(ef.Name, "__") && !edgeFields[ef.Name] {
					problems = append(problems, fmt.Sprintf("%s.%s is not among the lookahead's edgeFields", edge.Name, ef.Name))
				}
			}
		}
	}
	return problems
}

func isLeaf(s *ast.Schema, t *ast.Type) bool {
	def := s.Types[t.Name()]
	return def != nil && (def.Kind == ast.Scalar || def.Kind == ast.Enum)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// copySchema copies what the check reads, so a test can change it.
func copySchema(s *ast.Schema) *ast.Schema {
	out := &ast.Schema{Types: make(map[string]*ast.Definition, len(s.Types))}
	for name, def := range s.Types {
		d := *def
		d.Fields = append(ast.FieldList(nil), def.Fields...)
		out.Types[name] = &d
	}
	return out
}

func addField(typeName, field, typ string) func(*ast.Schema) {
	return func(s *ast.Schema) {
		t := ast.NamedType(strings.Trim(typ, "[]!"), nil)
		if strings.HasPrefix(typ, "[") {
			t = ast.NonNullListType(ast.NonNullNamedType(t.NamedType, nil), nil)
		}
		s.Types[typeName].Fields = append(s.Types[typeName].Fields, &ast.FieldDefinition{Name: field, Type: t})
	}
}

func dropField(typeName, field string) func(*ast.Schema) {
	return func(s *ast.Schema) {
		def := s.Types[typeName]
		var kept ast.FieldList
		for _, f := range def.Fields {
			if f.Name != field {
				kept = append(kept, f)
			}
		}
		def.Fields = kept
	}
}
