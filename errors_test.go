package aio_test

// One way to say an error: every error the library makes reads
// "pkg: Op: detail" (docs/design.md, Habits: Errors). This test walks the
// library's source and checks each errors.New and fmt.Errorf literal: it
// starts with its package's name, or with %w (the error it wraps names
// its package first), unless it is the cause handed to errs.Op, which
// puts "pkg: op: " in front itself.

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/aio-go/aio/transport"
)

// errorLiterals returns the literals of f's errors.New and fmt.Errorf
// calls that errs.Op does not prefix, with their positions.
func errorLiterals(fset *token.FileSet, f *ast.File) (lits []string, pos []token.Position) {
	prefixed := map[*ast.CallExpr]bool{} // calls that are a direct argument of errs.Op
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if isCall(call, "errs", "Op") && len(call.Args) == 3 {
			if inner, ok := call.Args[2].(*ast.CallExpr); ok {
				prefixed[inner] = true
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || prefixed[call] || len(call.Args) == 0 {
			return true
		}
		if !isCall(call, "errors", "New") && !isCall(call, "fmt", "Errorf") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		lits = append(lits, s)
		pos = append(pos, fset.Position(lit.Pos()))
		return true
	})
	return lits, pos
}

func isCall(call *ast.CallExpr, pkg, name string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

// notYetConverted lists packages whose errors still read the old way
// while their code is being changed elsewhere; empty once they are done.
var notYetConverted = map[string]bool{}

func TestErrorStringsNameTheirPackage(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range libraryDirs(t) {
		names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name.Name == "main" || notYetConverted[filepath.ToSlash(dir)] {
				continue
			}
			lits, pos := errorLiterals(fset, f)
			for i, s := range lits {
				// "%w: detail" wraps an error that names its package first.
				if !strings.HasPrefix(s, f.Name.Name+": ") && !strings.HasPrefix(s, "%w") {
					t.Errorf("%s: error %q does not start with %q (write pkg: Op: detail, or hand the cause to errs.Op)", pos[i], s, f.Name.Name+": ")
				}
			}
		}
	}
}

// TestErrorLiteralsAreFound checks the walker on a file with each case.
func TestErrorLiteralsAreFound(t *testing.T) {
	src := `package queue

func f() {
	_ = errors.New("queue: fine")
	_ = errors.New("no prefix")
	_ = fmt.Errorf("%s: %w", op, ErrClosed)
	_ = errs.Op("queue", "Get", errors.New("prefixed by Op"))
	_ = errs.Op("queue", "Get", fmt.Errorf("also %w", err))
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	lits, _ := errorLiterals(fset, f)
	want := []string{"queue: fine", "no prefix", "%s: %w"}
	if strings.Join(lits, "|") != strings.Join(want, "|") {
		t.Errorf("found %q, want %q", lits, want)
	}
}

// TestErrorMessagesReadOneWay makes a dozen representative errors across
// the packages and checks each reads "pkg: Op: detail", says no package
// twice in a row, and keeps its sentinel underneath.
func TestErrorMessagesReadOneWay(t *testing.T) {
	closed, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	bg := context.Background()
	var cases []errorCase
	add := func(name, prefix string, sentinel, err error) {
		cases = append(cases, errorCase{name, prefix, sentinel, err})
	}
	_, err = closed.CallSoon(func() {})
	add("CallSoon on a closed loop", "eventloop: CallSoon: ", eventloop.ErrClosed, err)
	add("Sleep outside a task", "eventloop: Sleep: ", eventloop.ErrNotInTask, eventloop.Sleep(bg, 0))
	_, _, err = transport.CreateConnection(bg, func() *transport.ProtocolBase { return &transport.ProtocolBase{} }, "tcp", "127.0.0.1:1")
	add("CreateConnection outside a task", "transport: CreateConnection: ", eventloop.ErrNotInTask, err)
	_, err = queue.NewQueue[int](0).Get(bg)
	add("queue Get outside a task", "queue: Get: ", eventloop.ErrNotInTask, err)
	add("Lock.Acquire outside a task", "locks: ", eventloop.ErrNotInTask, new(locks.Lock).Acquire(bg))

	task.Main(func(ctx context.Context) error {
		l := eventloop.LoopOf(ctx)
		a, b, err := transport.NewTransportPair(l, &transport.ProtocolBase{}, &transport.ProtocolBase{})
		if err != nil {
			return err
		}
		add("SetWriteBufferLimits low > high", "transport: SetWriteBufferLimits: ", nil, a.SetWriteBufferLimits(1, 2))
		a.Abort()
		b.Abort()
		_, err = eventloop.Await[int](ctx, eventloop.NewFuture[int](closed))
		add("Await of another loop's future", "eventloop: Await: ", eventloop.ErrWrongLoop, err)
		_, err = l.CallLater(0, nil)
		add("CallLater with nil", "eventloop: CallLater: ", eventloop.ErrNilCallback, err)
		return nil
	}, eventloop.WithClock(timer.NewVirtual()))

	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := c.err.Error()
		if !strings.HasPrefix(msg, c.prefix) {
			t.Errorf("%s: %q does not start with %q", c.name, msg, c.prefix)
		}
		pkg := msg[:strings.Index(msg, ":")+2]
		if strings.Contains(msg[len(pkg):], pkg) && strings.HasPrefix(strings.SplitN(msg[len(pkg):], ": ", 2)[1], pkg) {
			t.Errorf("%s: %q says %q twice in a row", c.name, msg, pkg)
		}
		if c.sentinel != nil && !errors.Is(c.err, c.sentinel) {
			t.Errorf("%s: %v does not match %v", c.name, c.err, c.sentinel)
		}
	}
	if len(cases) < 8 {
		t.Fatalf("only %d cases ran", len(cases))
	}
}

type errorCase struct {
	name, prefix string
	sentinel     error
	err          error
}
