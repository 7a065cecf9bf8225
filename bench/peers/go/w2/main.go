// Command w2 is the plain-Go peer of W2 tasks (docs/workloads.md): N tasks, each
// yields to the scheduler once and then stores its index; wait for all, sum.
//
// Usage: w2 N [goroutines|pull]
//
// goroutines: what a Go user would write, wg.Go(func(){ runtime.Gosched();
// results[i] = i }) for all i, then wg.Wait(). Run it with the default
// GOMAXPROCS and with GOMAXPROCS=1 (the label says which).
//
// pull: the pure mechanism baseline, no loop, timers or poller. Task i is
// iter.Pull(seq_i) where seq_i yields once (the sleep(0)) and then stores
// results[i] = i. The FIFO ready queue of the N next functions is built first
// (nothing has run yet, like create_task); pass 1 resumes each to its yield,
// pass 2 resumes each to completion. Cost per task: coroutine creation plus
// two resume/yield switch pairs.
//
// Timed from before the first spawn to after the sum. Check: sum == N(N-1)/2.
package main

import (
	"iter"
	"runtime"
	"sync"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

func goroutines(n int) int {
	results := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			runtime.Gosched()
			results[i] = i
		})
	}
	wg.Wait()
	return sum(results)
}

func pull(n int) int {
	results := make([]int, n)
	ready := make([]func() (struct{}, bool), 0, n) // FIFO: run in index order
	for i := range n {
		seq := func(yield func(struct{}) bool) {
			if !yield(struct{}{}) {
				return
			}
			results[i] = i
		}
		next, _ := iter.Pull(seq) // no stop needed: every seq runs to its end
		ready = append(ready, next)
	}
	for i, next := range ready {
		if _, ok := next(); !ok {
			peer.Fail("task %d finished before its yield", i)
		}
	}
	for i, next := range ready {
		if _, ok := next(); ok {
			peer.Fail("task %d yielded twice", i)
		}
	}
	return sum(results)
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func main() {
	n := peer.IntArg(0, 100_000)
	mode := peer.Arg(1, "goroutines")
	var run func(int) int
	var label string
	switch mode {
	case "goroutines":
		run, label = goroutines, "go goroutines+WaitGroup+Gosched"+peer.ProcsSuffix()
	case "pull":
		run, label = pull, "go iter.Pull coroutines"+peer.ProcsSuffix()
	default:
		peer.Fail("unknown mode %q (want goroutines or pull)", mode)
	}
	rss0 := peer.MaxRSSKB()
	t0 := time.Now()
	total := run(n)
	elapsed := time.Since(t0).Seconds()
	rss1 := peer.MaxRSSKB()
	if want := n * (n - 1) / 2; total != want {
		peer.Fail("sum = %d, want %d", total, want)
	}
	peer.Emit(map[string]any{
		"workload": "W2", "peer": label, "mode": mode, "n": n,
		"elapsed_s": elapsed, "tasks_per_s": float64(n) / elapsed,
		"peak_rss_kb": rss1, "rss_delta_kb": rss1 - rss0,
	})
}
