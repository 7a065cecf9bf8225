package donehook_test

import (
	"testing"

	_ "github.com/aio-go/aio/eventloop" // sets Add and Remove
	"github.com/aio-go/aio/internal/donehook"
)

// The behaviour of hooks is tested in package eventloop, which implements
// them (donehook_test.go there); this checks only that linking eventloop
// wires the package up, which every user of it relies on.
func TestEventloopSetsTheFunctions(t *testing.T) {
	if donehook.Add == nil || donehook.Remove == nil {
		t.Fatal("donehook.Add or Remove is nil with package eventloop linked")
	}
}
