// Command w3 is our W3 (timers) from docs/workloads.md: schedule N timers with
// LCG delays in [0, 1000) ms, cancel every odd one, run past the last
// deadline and check that exactly the rest fired.
//
// Usage: w3 virtual|real N SEED
package main

import (
	"time"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/timer"
)

func main() {
	mode := report.Arg(0, "virtual")
	n := report.IntArg(1, 1_000_000)
	seed := report.IntArg(2, 12345)
	delays := make([]time.Duration, n)
	state := uint32(seed)
	for i := range delays {
		state = 1664525*state + 1013904223
		delays[i] = time.Duration((state>>8)%1000) * time.Millisecond
	}
	var opts []eventloop.Option
	switch mode {
	case "virtual":
		opts = append(opts, eventloop.WithClock(timer.NewVirtual()))
	case "real":
	default:
		report.Fail("unknown mode %q (virtual|real)", mode)
	}
	l, err := eventloop.New(opts...)
	if err != nil {
		report.Fail("%v", err)
	}
	defer l.Close()
	// The loop runs past the last deadline (a timer at 1000 ms, after every
	// delay, stops it) and every callback that ran is counted, as the peers
	// do: a Cancel that does not cancel shows as too many callbacks.
	want := (n + 1) / 2
	fired := 0
	cb := func() { fired++ }
	handles := make([]eventloop.TimerHandle, n)
	cpu0 := report.CPUSeconds()
	t0 := time.Now()
	for i, d := range delays {
		handles[i], _ = l.CallLater(d, cb)
	}
	if _, err := l.CallLater(1000*time.Millisecond, l.Stop); err != nil {
		report.Fail("%v", err)
	}
	t1 := time.Now()
	for i := 1; i < n; i += 2 {
		if !handles[i].Cancel() {
			report.Fail("timer %d could not be cancelled", i)
		}
	}
	t2 := time.Now()
	if err := l.RunForever(); err != nil {
		report.Fail("%v", err)
	}
	t3 := time.Now()
	cpu := report.CPUSeconds() - cpu0
	if fired != want {
		report.Fail("%d callbacks ran, want %d", fired, want)
	}
	for i := 1; i < n; i += 2 {
		if !handles[i].Cancelled() {
			report.Fail("cancelled timer %d lost its cancellation", i)
		}
	}
	total := t3.Sub(t0).Seconds()
	report.Emit(map[string]any{
		"workload": "W3", "peer": "aio " + mode, "clock": mode, "n": n, "seed": seed,
		"elapsed_s": total, "timers_per_s": float64(n) / total,
		"schedule_s": t1.Sub(t0).Seconds(), "cancel_s": t2.Sub(t1).Seconds(), "fire_s": t3.Sub(t2).Seconds(),
		"cpu_s": cpu, "timers_per_cpu_s": float64(n) / cpu, "peak_rss_kb": report.MaxRSSKB(),
	})
}
