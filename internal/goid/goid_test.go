package goid_test

import (
	"sync"
	"testing"

	"github.com/aio-go/aio/internal/goid"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every live goroutine has its own ID, and a goroutine's ID is stable.
func TestIDDistinctAndStable(t *testing.T) {
	const n = 64
	ids := make([]uintptr, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := goid.ID()
			start.Wait() // all alive at once
			if b := goid.ID(); a != b {
				t.Errorf("goroutine %d: ID changed from %#x to %#x", i, a, b)
			}
			ids[i] = a
		}()
	}
	start.Done()
	wg.Wait()
	seen := map[uintptr]bool{goid.ID(): true}
	for i, id := range ids {
		if id == 0 || seen[id] {
			t.Errorf("goroutine %d: ID %#x is zero or shared", i, id)
		}
		seen[id] = true
	}
}

func BenchmarkID(b *testing.B) {
	var x uintptr
	for range b.N {
		x += goid.ID()
	}
	_ = x
}
