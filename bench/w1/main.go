// Command w1 is our W1 (callbacks) from docs/workloads.md: N CallSoon callbacks
// that increment a counter, either chained (each schedules the next, so N
// loop iterations) or queued up front.
//
// Usage: w1 chain|upfront N
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
	switch variant {
	case "chain":
		var cb func()
		cb = func() {
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
		report.Fail("unknown variant %q (chain|upfront)", variant)
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
