package poller

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stressConfig shapes one run of stressWakes.
type stressConfig struct {
	producers, perProducer int
	// toggle, if set, runs on the loop goroutine before every Wait; it
	// may Add and Delete fds so that the loop alternates between waiting
	// on the channel and on the kernel.
	toggle func(iter int)
}

// stressWakes is the lost wake-up test. Producers post items (a counter)
// and call Wake, as CallSoonThreadsafe will; the loop reads the counter and
// calls Wait(-1) only when it has seen everything posted so far. If a Wake
// were ever lost, the loop would sleep forever with an item posted: the
// watchdog reports it. Half of the producers wait for the loop to catch up
// after each post, which makes the loop go to sleep before most Wakes and
// so exercises the race between a Wake and a Wait that is about to block.
func stressWakes(t *testing.T, p Poller, cfg stressConfig) {
	total := int64(cfg.producers * cfg.perProducer)
	var posted, seen atomic.Int64
	var hung atomic.Bool

	var producers sync.WaitGroup
	for i := range cfg.producers {
		producers.Go(func() {
			for j := range cfg.perProducer {
				n := posted.Add(1)
				if err := p.Wake(); err != nil {
					t.Errorf("Wake: %v", err)
					return
				}
				switch {
				case i%2 == 0:
					for seen.Load() < n && !hung.Load() {
						runtime.Gosched()
					}
				case j%16 == 0:
					runtime.Gosched()
				}
			}
		})
	}

	done := make(chan struct{})
	watchdog := make(chan struct{})
	go func() {
		defer close(watchdog)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		last, since := seen.Load(), time.Now()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if s := seen.Load(); s != last || posted.Load() == s {
				last, since = s, time.Now()
			} else if time.Since(since) > hangGuard {
				// A Wake cannot rescue the loop (the lost one left
				// pending set, so Wake is a no-op): fail loudly now,
				// with the goroutine dump, rather than at the test
				// binary's timeout.
				panic(fmt.Sprintf("lost wake-up: posted %d, the loop saw %d and has slept for %v; stats %+v",
					posted.Load(), s, hangGuard, p.Stats()))
			}
		}
	}()

	buf := make([]Event, 4)
	for iter := 0; seen.Load() < total && !hung.Load(); iter++ {
		if cfg.toggle != nil {
			cfg.toggle(iter)
		}
		if n := posted.Load(); n > seen.Load() {
			seen.Store(n)
			continue
		}
		// Mostly block; sometimes only poll, sometimes time out (each
		// leaves stale signals behind for later Waits to absorb).
		timeout := time.Duration(-1)
		switch {
		case iter%7 == 0:
			timeout = 0
		case iter%13 == 0:
			timeout = 50 * time.Microsecond
		}
		n, err := p.Wait(buf, timeout)
		if err != nil || n != 0 {
			t.Errorf("Wait = %v, %v; want no events", buf[:n], err)
			hung.Store(true) // stop the producers that wait for us
			break
		}
	}
	producers.Wait()
	close(done)
	<-watchdog
	s := p.Stats()
	t.Logf("%d posts, %d Waits, %d sleeps, %d chan + %d kernel signals, %d stale",
		total, s.Waits, s.Sleeps, s.ChanWakes, s.KernelWakes, s.StaleWakeups)
}

func stressSize() (producers, per int) {
	if testing.Short() {
		return 4, 300
	}
	return 4, 3000
}

func TestStressWakesFake(t *testing.T) {
	producers, per := stressSize()
	f := NewFake()
	defer f.Close()
	f.SetReady(1, Writable) // never asked for: only a Wake ends a Wait
	toggle := func(iter int) {
		if iter%3 != 0 {
			return
		}
		if f.Registered() == 0 {
			mustAdd(t, f, 1, Readable, uint32(iter))
		} else {
			mustDelete(t, f, 1)
		}
	}
	stressWakes(t, f, stressConfig{producers: producers, perProducer: per, toggle: toggle})
}
