// Command w4 is the plain-Go peer of W4 ping-pong (docs/workloads.md): N round
// trips between two goroutines (main = A) through two channels.
//
// Usage: w4 N [cap1|unbuffered]
//
// cap1 is the primary variant: at most one token is in flight, so a send
// never blocks, which matches put_nowait. unbuffered is shown too. Run each
// with GOMAXPROCS=1 and the default (the label says which).
//
// Timed from before the goroutine is created until both have finished.
// Check: A's final token == 2N.
package main

import (
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

func main() {
	n := peer.IntArg(0, 1_000_000)
	mode := peer.Arg(1, "cap1")
	var size int
	var label string
	switch mode {
	case "cap1":
		size, label = 1, "go chan cap 1"
	case "unbuffered":
		size, label = 0, "go chan unbuffered"
	default:
		peer.Fail("unknown mode %q (want cap1 or unbuffered)", mode)
	}
	if s := peer.ProcsSuffix(); s != "" {
		label += s
	} else {
		label += " (default GOMAXPROCS)"
	}
	ab := make(chan int, size)
	ba := make(chan int, size)

	t0 := time.Now()
	done := make(chan struct{})
	go func() { // task B
		for range n {
			v := <-ab
			ba <- v + 1
		}
		close(done)
	}()
	v := 0 // task A
	for range n {
		ab <- v + 1
		v = <-ba
	}
	<-done
	elapsed := time.Since(t0).Seconds()
	if v != 2*n {
		peer.Fail("final token = %d, want %d", v, 2*n)
	}
	peer.Emit(map[string]any{
		"workload": "W4", "peer": label, "mode": mode, "n": n,
		"elapsed_s": elapsed, "roundtrips_per_s": float64(n) / elapsed,
		"peak_rss_kb": peer.MaxRSSKB(),
	})
}
