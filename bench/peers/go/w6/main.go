// Command w6 is the plain-Go peer of W6 subprocess (docs/workloads.md): spawn and
// reap N x /usr/bin/true from C goroutines.
//
// Usage: w6 N C
//
// C goroutines share a job counter; each runs
// exec.Command("/usr/bin/true").Run() (nil stdio = /dev/null; Go uses pidfd
// on Linux) and checks it succeeded. Timed from before the workers start
// until all have finished. Check: N children ran, every one exited 0.
package main

import (
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

func main() {
	n := peer.IntArg(0, 500)
	c := peer.IntArg(1, 10)
	var next, done atomic.Int64
	var mu sync.Mutex // protects firstErr
	var firstErr error

	t0 := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				err := exec.Command("/usr/bin/true").Run()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	if done.Load() != int64(n) || firstErr != nil {
		peer.Fail("%d of %d children reaped; first error: %v", done.Load(), n, firstErr)
	}
	peer.Emit(map[string]any{
		"workload": "W6", "peer": "go os/exec" + peer.ProcsSuffix(), "n": n, "c": c,
		"elapsed_s": elapsed, "spawns_per_s": float64(n) / elapsed,
		"peak_rss_kb": peer.MaxRSSKB(),
	})
}
