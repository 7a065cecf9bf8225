package aio_test

// One home per public name: a name the library exports lives in one
// package and is spelled one way. This test parses every library package
// and fails when one of them gives another package's name a second front
// door: a type alias of it, a variable or constant that only copies it,
// or a function whose body only forwards to it.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// libraryDirs returns the directories of the library's packages (bench/
// and cmd/ hold programs, not library code).
func libraryDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == "bench" || path == "cmd") {
			return filepath.SkipDir
		}
		dirs = append(dirs, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// aioImports maps the local names of a file's imports of library packages
// to their paths.
func aioImports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if !strings.HasPrefix(p, module+"/") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		m[name] = p
	}
	return m
}

// reexport reports whether e is (after any type arguments) a selector of
// an exported name of a library package, and which.
func reexport(e ast.Expr, imports map[string]string) (string, bool) {
	switch x := e.(type) {
	case *ast.IndexExpr:
		return reexport(x.X, imports)
	case *ast.IndexListExpr:
		return reexport(x.X, imports)
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && x.Sel.IsExported() {
			if p, ok := imports[id.Name]; ok {
				return strings.TrimPrefix(p, module+"/") + "." + x.Sel.Name, true
			}
		}
	}
	return "", false
}

// secondDoors lists the second front doors declared in one file.
func secondDoors(f *ast.File) []string {
	imports := aioImports(f)
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && s.Assign.IsValid() {
						if target, ok := reexport(s.Type, imports); ok {
							out = append(out, "type "+s.Name.Name+" = "+target)
						}
					}
				case *ast.ValueSpec:
					for i, n := range s.Names {
						if n.IsExported() && i < len(s.Values) {
							if target, ok := reexport(s.Values[i], imports); ok {
								out = append(out, n.Name+" = "+target)
							}
						}
					}
				}
			}
		case *ast.FuncDecl:
			if d.Recv != nil || !d.Name.IsExported() || d.Body == nil || len(d.Body.List) != 1 {
				continue
			}
			var call *ast.CallExpr
			switch st := d.Body.List[0].(type) {
			case *ast.ReturnStmt:
				if len(st.Results) == 1 {
					call, _ = st.Results[0].(*ast.CallExpr)
				}
			case *ast.ExprStmt:
				call, _ = st.X.(*ast.CallExpr)
			}
			if call == nil {
				continue
			}
			if target, ok := reexport(call.Fun, imports); ok && strings.HasSuffix(target, "."+d.Name.Name) {
				out = append(out, "func "+d.Name.Name+" forwards to "+target)
			}
		}
	}
	return out
}

func TestOneHomePerName(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range libraryDirs(t) {
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, door := range secondDoors(f) {
				t.Errorf("%s: %s: a second home for a name another package owns; use that package's name instead", name, door)
			}
		}
	}
}

// TestSecondDoorsAreFound checks the detector itself on a file that has
// every kind of second door and one legitimate wrapper.
func TestSecondDoorsAreFound(t *testing.T) {
	src := `package task

import (
	"context"

	"github.com/aio-go/aio/eventloop"
	el "github.com/aio-go/aio/eventloop"
)

type Task[T any] = eventloop.Task[T]
type Waitable = el.Waitable
var ErrCancelled = eventloop.ErrCancelled
const Never = eventloop.Never
func Sleep(ctx context.Context, d int) error { return eventloop.Sleep(ctx, d) }
func Go(ctx context.Context) error { return eventloop.Spawn(ctx) } // another name: its own function
type own struct{}
`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := secondDoors(f)
	want := []string{
		"type Task = eventloop.Task",
		"type Waitable = eventloop.Waitable",
		"ErrCancelled = eventloop.ErrCancelled",
		"Never = eventloop.Never",
		"func Sleep forwards to eventloop.Sleep",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
