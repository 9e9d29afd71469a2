package main

import (
	"bytes"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gqlgenDir is the source of the gqlgen version go.mod requires: its templates are what
// `make generate` will expand, whatever graph/generated.go holds today.
func gqlgenDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/99designs/gqlgen").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("locating gqlgen's source (go list -m): %v", err)
	}
	return dir
}

// TestGqlgenStillEmitsTheCalls reads gqlgen's code templates: after an upgrade whose
// templates no longer write a call marshalpatch rewrites, it fails here, at the first
// `go test`, rather than at the next `make generate`.
func TestGqlgenStillEmitsTheCalls(t *testing.T) {
	var templates bytes.Buffer
	err := filepath.WalkDir(filepath.Join(gqlgenDir(t), "codegen"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".gotpl") {
			return err
		}
		b, err := os.ReadFile(path)
		templates.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rewrites {
		if !bytes.Contains(templates.Bytes(), []byte(r.from)) {
			t.Error(stale("gqlgen's codegen templates", r))
		}
	}
}

// TestRewrittenFunctionsKeepGqlgensSignatures type-checks that each function of
// graph/marshal.go can stand for gqlgen's: a gqlgen whose function takes other
// arguments would otherwise surface as compile errors deep in generated.go.
func TestRewrittenFunctionsKeepGqlgensSignatures(t *testing.T) {
	fset := token.NewFileSet()
	marshal, err := parser.ParseFile(fset, "../../../graph/marshal.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	decls := map[string]*ast.FuncDecl{}
	for _, d := range marshal.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
			decls[fn.Name.Name] = fn
		}
	}
	// One variable per rewrite, of the local function's type, holding gqlgen's.
	var src strings.Builder
	src.WriteString("package check\n\nimport (\n\t\"context\"\n\t\"github.com/99designs/gqlgen/graphql\"\n)\n\nvar _ = context.Background\n")
	for _, r := range rewrites {
		fn := decls[r.local]
		if fn == nil {
			t.Fatalf("graph/marshal.go has no function %s, which marshalpatch writes into the generated code", r.local)
		}
		var typ bytes.Buffer
		if err := printer.Fprint(&typ, fset, fn.Type); err != nil {
			t.Fatal(err)
		}
		src.WriteString("var _ " + typ.String() + " = " + r.upstream + "\n")
	}
	file, err := parser.ParseFile(fset, "check.go", src.String(), 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	if _, err := conf.Check("check", fset, []*ast.File{file}, nil); err != nil {
		t.Errorf("a function of graph/marshal.go no longer has the signature of the gqlgen function it replaces: %v\n"+
			"Give it gqlgen's new signature (and behaviour), or drop the rewrite (docs/generated-code.md).", err)
	}
}

// TestGeneratedCodeIsPatched fails when graph/generated.go was written by gqlgen alone
// (go run github.com/99designs/gqlgen rather than make generate).
func TestGeneratedCodeIsPatched(t *testing.T) {
	gen, err := os.ReadFile("../../../graph/generated.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rewrites {
		if bytes.Contains(gen, []byte(r.from)) || !bytes.Contains(gen, []byte(r.to)) {
			t.Errorf("graph/generated.go calls %s) where it should call %s): it was generated without marshalpatch; run make generate", r.from, r.to)
		}
	}
}

func TestPatch(t *testing.T) {
	src := []byte("ret := graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, f)\ndeferred := graphql.NewDeferredGroup(ctx)\n")
	got, err := patch("x.go", src)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ret := marshalSlice(ctx, len(v), 0, false, f)\ndeferred := newDeferredGroup(ctx)\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// gqlgen renamed or dropped a call: refused, saying what to do.
	_, err = patch("x.go", []byte("deferred := graphql.NewDeferredGroup(ctx)\n"))
	if err == nil || !strings.Contains(err.Error(), "graphql.MarshalSliceConcurrently(") || !strings.Contains(err.Error(), "docs/generated-code.md") {
		t.Errorf("a missing call: %v", err)
	}
}
