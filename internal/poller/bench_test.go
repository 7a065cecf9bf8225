//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package poller

import (
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// benchPoller returns New with nfds idle socket fds registered (0: the
// loop waits on the channel; 1: on the kernel poller).
func benchPoller(b *testing.B, nfds int) Poller {
	p, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	for range nfds {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
		if err := p.Add(fds[0], Readable, 0); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// BenchmarkWakeRoundTrip: another goroutine calls Wake, the waiter's Wait
// returns and it acknowledges on a channel. "asleep" variants first make
// sure the waiter is asleep, so every round trip takes the signalling path
// (sleeps/op = 1); the others let Wake race with the waiter going back to
// sleep, as a busy loop would.
func BenchmarkWakeRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name   string
		new    func(b *testing.B) Poller
		asleep bool
	}{
		{"chan", func(b *testing.B) Poller { return benchPoller(b, 0) }, false},
		{"chan/asleep", func(b *testing.B) Poller { return benchPoller(b, 0) }, true},
		{"netpoll", func(b *testing.B) Poller { return benchPoller(b, 1) }, false},
		{"netpoll/asleep", func(b *testing.B) Poller { return benchPoller(b, 1) }, true},
		{"fake", func(b *testing.B) Poller { return NewFake() }, false},
	} {
		b.Run(bc.name, func(b *testing.B) { benchRoundTrip(b, bc.new(b), bc.asleep) })
	}
}

func benchRoundTrip(b *testing.B, p Poller, asleep bool) {
	ack := make(chan struct{})
	var stop atomic.Bool
	go func() {
		defer close(ack)
		buf := make([]Event, 8)
		for {
			if _, err := p.Wait(buf, -1); err != nil {
				b.Error(err)
				return
			}
			if stop.Load() {
				return
			}
			ack <- struct{}{}
		}
	}()
	before := p.Stats()
	sleeps := before.Sleeps
	for b.Loop() {
		if asleep {
			sleeps++
			for p.Stats().Sleeps < sleeps {
				runtime.Gosched()
			}
		}
		p.Wake()
		<-ack
	}
	b.StopTimer()
	stop.Store(true)
	p.Wake()
	for range ack {
	}
	s := p.Stats()
	b.ReportMetric(float64(s.Sleeps-before.Sleeps)/float64(b.N), "sleeps/op")
}

// BenchmarkWaitZero: a non-blocking poll with one registered, idle fd.
func BenchmarkWaitZero(b *testing.B) {
	p := benchPoller(b, 1)
	buf := make([]Event, 64)
	for b.Loop() {
		if _, err := p.Wait(buf, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWakePending: Wakes from many goroutines while one is already
// pending: the deduplicated fast path, a shared atomic load.
func BenchmarkWakePending(b *testing.B) {
	p := benchPoller(b, 1)
	p.Wake()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.Wake()
		}
	})
}
