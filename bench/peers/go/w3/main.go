// Command w3 is the plain-Go peer of W3 timers (docs/workloads.md):
// time.AfterFunc N timers, Stop the odd ones, wait for the rest.
//
// Usage: w3 real N SEED
//
// Go timers fire on other goroutines while the schedule and cancel loops
// still run, so a Stop can lose to a timer that already fired; such a timer
// counts as fired (stop_lost), and the program waits for ceil(N/2) + stop_lost
// callbacks: a WaitGroup of N, done once per callback or per successful Stop.
// Every fired callback also costs a new goroutine.
//
// Check: fired == ceil(N/2) + stop_lost, both when the WaitGroup is released
// and again after every timer's deadline has passed (outside the interval),
// so a stopped timer that fired anyway is caught.
package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

func main() {
	clock := peer.Arg(0, "real")
	n := peer.IntArg(1, 1_000_000)
	seed := peer.IntArg(2, 12345)
	if clock != "real" {
		peer.Fail("plain Go has the real clock only (got %q)", clock)
	}
	delays := make([]time.Duration, n)
	for i, ms := range peer.LCGDelaysMs(n, uint32(seed)) {
		delays[i] = time.Duration(ms) * time.Millisecond
	}
	expected := (n + 1) / 2

	var wg sync.WaitGroup
	var fired atomic.Int64
	cb := func() {
		fired.Add(1)
		wg.Done()
	}
	timers := make([]*time.Timer, n)
	wg.Add(n)

	rss0 := peer.MaxRSSKB()
	c0 := peer.CPUSeconds()
	t0 := time.Now()
	for i := range n {
		timers[i] = time.AfterFunc(delays[i], cb)
	}
	t1 := time.Now()
	stopLost := 0
	for i := 1; i < n; i += 2 {
		if timers[i].Stop() {
			wg.Done()
		} else {
			stopLost++
		}
	}
	t2 := time.Now()
	wg.Wait()
	t3 := time.Now()
	cpu := peer.CPUSeconds() - c0
	rss1 := peer.MaxRSSKB()
	firedInTime := fired.Load()

	// Every timer is due by t1 + 999 ms; wait past that, then check again.
	time.Sleep(time.Until(t1.Add(1010 * time.Millisecond)))
	want := int64(expected + stopLost)
	if firedInTime != want || fired.Load() != want {
		peer.Fail("%d callbacks ran (%d after the drain), want exactly %d (ceil(N/2) = %d + stop_lost = %d)",
			firedInTime, fired.Load(), want, expected, stopLost)
	}
	elapsed := t3.Sub(t0).Seconds()
	peer.Emit(map[string]any{
		"workload": "W3", "peer": "go time.AfterFunc" + peer.ProcsSuffix(),
		"clock": clock, "n": n, "seed": seed,
		"elapsed_s": elapsed, "timers_per_s": float64(n) / elapsed,
		"schedule_s": t1.Sub(t0).Seconds(), "cancel_s": t2.Sub(t1).Seconds(),
		"fire_s": t3.Sub(t2).Seconds(), "cpu_s": cpu,
		"timers_per_cpu_s": float64(n) / cpu, "stop_lost": stopLost,
		"fired": fired.Load(), "peak_rss_kb": rss1, "rss_delta_kb": rss1 - rss0,
	})
}
