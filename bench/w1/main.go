// Command w1 is our W1 (callbacks) from docs/workloads.md: N CallSoon callbacks
// that increment a counter, either chained (each schedules the next, so N
// loop iterations) or queued up front.
//
// Usage: w1 chain|chain-poll|upfront N
//
// Plain chain makes no poll system call while no descriptor is watched
// (and, with one watched, polls every 32 iterations), which is less work
// than uvloop and asyncio do: they poll once per iteration whatever is
// registered. chain-poll is the like-for-like row: every callback also
// makes one zero-timeout poll(2) of an idle pipe, the system call those
// loops pay per iteration (unix only).
package main

import (
	"time"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/eventloop"
)

func main() {
	variant := report.Arg(0, "chain")
	n := report.IntArg(1, 1_000_000)
	l, err := eventloop.New()
	if err != nil {
		report.Fail("%v", err)
	}
	defer l.Close()
	counter := 0
	var start time.Time
	var poll func() // chain-poll: one zero-timeout poll(2) per iteration
	if variant == "chain-poll" {
		p, closeFn, err := idlePoller()
		if err != nil {
			report.Fail("%v", err)
		}
		defer closeFn()
		poll = p
	}
	switch variant {
	case "chain", "chain-poll":
		var cb func()
		cb = func() {
			if poll != nil {
				poll()
			}
			counter++
			if counter < n {
				l.CallSoon(cb)
			} else {
				l.Stop()
			}
		}
		start = time.Now()
		l.CallSoon(cb)
	case "upfront":
		cb := func() {
			if counter++; counter == n {
				l.Stop()
			}
		}
		start = time.Now()
		for i := 0; i < n; i++ {
			l.CallSoon(cb)
		}
	default:
		report.Fail("unknown variant %q (chain|chain-poll|upfront)", variant)
	}
	if err := l.RunForever(); err != nil {
		report.Fail("%v", err)
	}
	elapsed := time.Since(start).Seconds()
	if counter != n {
		report.Fail("counter = %d, want %d", counter, n)
	}
	report.Emit(map[string]any{
		"workload": "W1", "peer": "aio " + variant, "variant": variant, "n": n,
		"elapsed_s": elapsed, "callbacks_per_s": float64(n) / elapsed,
		"peak_rss_kb": report.MaxRSSKB(),
	})
}
