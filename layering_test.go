package aio_test

// The layering test: imports point down only (docs/design.md, "Layers"
// and "Habits: Layering"; docs/architecture.md). It asks the go tool for the
// dependencies of every library package and fails when a package reaches a
// layer above its own, or when go.mod requires a module the library may
// not depend on.

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const module = "github.com/aio-go/aio"

// layers lists the library's packages from the bottom up; a package may
// import packages of its own layer or of a lower one. A package below one
// of these directories (say eventloop/internal/x) belongs to its layer.
// Layers whose packages do not exist yet are skipped.
var layers = [][]string{
	{"timer", "internal/ilist", "internal/errs", "internal/goid"}, // ilist: the intrusive list; errs: errors as pkg: Op: detail; goid: the calling goroutine (the net.Conn view's two paths)
	{"internal/poller"},
	{"eventloop"},
	{"transport", "files"},                 // networking, and files on a bounded pool: both built on the loop's public API only
	{"task", "internal/testkit"},           // testkit: helpers the library's own tests share
	{"internal/parking", "locks", "queue"}, // parking: the waiter list locks and queues share
	{"streams"},
	{"subprocess"},
	{"web"},         // HTTP/1.1 server and client over streams
	{"debugserver"}, // the outside view of loops: imports eventloop; nothing in the library imports it
	{"looptest"},    // the testing toolkit: may use every layer
}

// allowedRequires are the only modules the library's go.mod may require:
// x/sys for the poller, go-cmp and goleak for tests. Whatever the benchmark
// driver or a peer needs lives in a module of its own (bench/peers/go).
var allowedRequires = []string{
	"golang.org/x/sys",
	"github.com/google/go-cmp",
	"go.uber.org/goleak",
}

// layerOf returns the layer of a package path relative to the module, or
// -1 when it belongs to none.
func layerOf(rel string) int {
	for i, dirs := range layers {
		for _, d := range dirs {
			if rel == d || strings.HasPrefix(rel, d+"/") {
				return i
			}
		}
	}
	return -1
}

func goTool(t *testing.T) string {
	t.Helper()
	// go test puts its own GOROOT/bin first on the PATH of the tests.
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not found on PATH: %v", err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func lines(b []byte) []string { return strings.Fields(string(b)) }

func TestImportsPointDown(t *testing.T) {
	goCmd := goTool(t)
	pkgs := lines(run(t, goCmd, "list", "./..."))
	checked := 0
	for _, pkg := range pkgs {
		rel, ok := strings.CutPrefix(pkg, module+"/")
		if !ok {
			continue // the module root itself: this test only
		}
		layer := layerOf(rel)
		if layer < 0 {
			continue // cmd/, bench/: programs, not library layers
		}
		checked++
		for _, dep := range lines(run(t, goCmd, "list", "-deps", pkg)) {
			drel, ok := strings.CutPrefix(dep, module+"/")
			if !ok || dep == pkg {
				continue // standard library, x/sys, or the package itself
			}
			switch dl := layerOf(drel); {
			case dl < 0:
				t.Errorf("%s (layer %d) depends on %s, which is in no layer; "+
					"a library package may import only library packages (add new ones to layers in layering_test.go)",
					rel, layer, drel)
			case dl > layer:
				t.Errorf("%s (layer %d: %v) depends on %s (layer %d: %v): imports must point down",
					rel, layer, layers[layer], drel, dl, layers[dl])
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no library package to check")
	}
}

func TestGoModRequiresOnlyAllowedModules(t *testing.T) {
	var mod struct {
		Require []struct{ Path string }
	}
	if err := json.Unmarshal(run(t, goTool(t), "mod", "edit", "-json"), &mod); err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	for _, r := range mod.Require {
		if !slices.Contains(allowedRequires, r.Path) {
			t.Errorf("go.mod requires %s; the library may require only %v "+
				"(tools and peers belong in a module of their own, like bench/peers/go)",
				r.Path, allowedRequires)
		}
	}
}
