//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package poller

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestStaleSignalIsAbsorbed sends the signal a Wake would send, without the
// Wake (pending stays false), to a sleeping Wait: as for a late signal whose
// Wake an earlier Wait consumed. Wait must count it and sleep on until a
// real Wake.
func TestStaleSignalIsAbsorbed(t *testing.T) {
	modes(t, newOSHarness(t), func(t *testing.T, p Poller, kernel bool) {
		w := &p.(*osPoller).w
		signal := func() {
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
		if kernel {
			signal = func() { w.kick() }
		}
		const (
			running = iota
			waking  // the goroutine is about to Wake
			done    // Wait returned first
		)
		var state atomic.Int32
		before := p.Stats()
		join := whenAsleep(p, before.Sleeps+1, func() {
			// A kick can land before Wait arms its deadline and be
			// overwritten, so send until one is counted.
			for p.Stats().StaleWakeups == before.StaleWakeups && state.Load() == running {
				signal()
				runtime.Gosched()
			}
			if state.CompareAndSwap(running, waking) {
				p.Wake()
			}
		})
		wait(t, p, -1)
		returnedFirst := state.CompareAndSwap(running, done)
		join()
		if returnedFirst {
			t.Fatalf("Wait returned on a stale signal; stats %+v", p.Stats())
		}
		if s := p.Stats(); s.StaleWakeups == before.StaleWakeups {
			t.Fatalf("stale signal not counted; stats %+v", s)
		}
	})
}
