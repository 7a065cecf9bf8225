package eventloop

// The hot path from an await to the task switch is written out by hand in
// a few places, to keep frames from being live across the switch
// (docs/architecture.md, Hosting). Each copy carries a "Mirror of X"
// comment next to the code it copies. These tests keep the copies honest:
// exact copies are compared statement by statement with their original,
// and the others are run against their original on the same workload.

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type parsedPkg struct {
	fset  *token.FileSet
	files map[string]*ast.File
	funcs map[string]*ast.FuncDecl // by name (methods too: names are unique enough here)
	where map[string]string        // function name -> file
}

func parseOwnPackage(t *testing.T) *parsedPkg {
	t.Helper()
	p := &parsedPkg{fset: token.NewFileSet(), files: map[string]*ast.File{}, funcs: map[string]*ast.FuncDecl{}, where: map[string]string{}}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(p.fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		p.files[name] = f
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				p.funcs[fd.Name.Name] = fd
				p.where[fd.Name.Name] = name
			}
		}
	}
	return p
}

func (p *parsedPkg) src(n ast.Node) string {
	var b bytes.Buffer
	printer.Fprint(&b, p.fset, n)
	return b.String()
}

func (p *parsedPkg) stmts(list []ast.Stmt) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p.src(s)
	}
	return out
}

var mirrorMark = regexp.MustCompile(`Mirror of (\w+)(?: \((\w+\.go)\))?`)

// TestMirrorsAreMarkedNextToTheirOriginal: every "Mirror of X" names a
// function of this package, in the same file unless the marker says which
// file holds it; and the copies this file knows about are all marked.
func TestMirrorsAreMarkedNextToTheirOriginal(t *testing.T) {
	p := parseOwnPackage(t)
	seen := map[string]bool{}
	for name, f := range p.files {
		for _, cg := range f.Comments {
			for _, m := range mirrorMark.FindAllStringSubmatch(cg.Text(), -1) {
				orig, file := m[1], m[2]
				if file == "" {
					file = name
				}
				if p.where[orig] != file {
					t.Errorf("%s: %q: %s is in %q, not in %s", name, m[0], orig, p.where[orig], file)
				}
				seen[orig] = true
			}
		}
	}
	for _, orig := range []string{"host", "step", "runReady", "iterate", "Park"} {
		if !seen[orig] {
			t.Errorf("no Mirror of %s marker: a hand-written copy lost its marker", orig)
		}
	}
}

// findMirror returns the statement list that follows the "Mirror of
// orig" comment inside fn: the block the comment opens.
func (p *parsedPkg) findMirror(t *testing.T, fn *ast.FuncDecl, orig string) []ast.Stmt {
	t.Helper()
	file := p.files[p.where[fn.Name.Name]]
	var mark token.Pos
	for _, cg := range file.Comments {
		if cg.Pos() > fn.Pos() && cg.End() < fn.End() && strings.Contains(cg.Text(), "Mirror of "+orig) {
			mark = cg.End()
		}
	}
	if !mark.IsValid() {
		t.Fatalf("no Mirror of %s in %s", orig, fn.Name.Name)
	}
	var found []ast.Stmt
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		b, ok := n.(*ast.BlockStmt)
		if !ok || found != nil {
			return found == nil
		}
		for i, s := range b.List {
			if s.Pos() > mark {
				if i > 0 && b.List[i-1].End() > mark {
					return true // the mark is inside an earlier statement
				}
				found = b.List[i:]
				return false
			}
		}
		return true
	})
	if found == nil {
		t.Fatalf("no statements after Mirror of %s in %s", orig, fn.Name.Name)
	}
	return found
}

// TestMirrorsMatch compares the exact copies with their originals.
func TestMirrorsMatch(t *testing.T) {
	p := parseOwnPackage(t)

	// Park writes out host's body; host ends in "return l.hostDone(t)",
	// the copy in "ok = l.hostDone(t)".
	host := p.stmts(p.funcs["host"].Body.List)
	copyOfHost := p.stmts(p.findMirror(t, p.funcs["Park"], "host"))
	host[len(host)-1] = strings.Replace(host[len(host)-1], "return ", "ok = ", 1)
	if d := cmp.Diff(host, copyOfHost); d != "" {
		t.Errorf("Park's copy of host differs from host (-host +copy):\n%s", d)
	}

	// hostRun writes out step's common case: clear wakeQueued, set
	// current, resume the coroutine.
	step := p.stmts(p.funcs["step"].Body.List)
	want := append([]string{step[1]}, step[len(step)-2:]...)
	got := p.stmts(p.findMirror(t, p.funcs["hostRun"], "step"))
	if len(got) > len(want) {
		got = got[:len(want)]
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("hostRun's copy of step differs (-step +copy):\n%s", d)
	}
}
