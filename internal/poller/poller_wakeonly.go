//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package poller

import (
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// On systems without a readiness poller (Windows: its native model is
// completion, not readiness), New returns a wake-only Poller: Wait blocks
// on the waker's channel until a Wake or the timeout, and Add fails with
// an *OpError wrapping errors.ErrUnsupported, because no descriptor can be
// watched for readiness. Everything a loop does without descriptors
// (callbacks, timers, tasks, signals, work posted from other goroutines)
// works on it; I/O on such systems completes on goroutines of its own and
// is posted to the loop (the transport package does so).

// New returns the wake-only Poller of this system.
func New() (Poller, error) {
	p := &wakeOnly{}
	p.w.init(nil)
	return p, nil
}

type wakeOnly struct {
	w      waker
	closed atomic.Bool
}

// errNoReadiness is what Add and Modify of the wake-only Poller wrap,
// besides errors.ErrUnsupported.
var errNoReadiness = errors.New("no readiness poller on " + runtime.GOOS)

func (p *wakeOnly) fail(op string, fd int) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return &OpError{op, fd, errors.Join(errNoReadiness, errors.ErrUnsupported)}
}

func (p *wakeOnly) Add(fd int, ev Events, tag uint32) error    { return p.fail("add", fd) }
func (p *wakeOnly) Modify(fd int, ev Events, tag uint32) error { return p.fail("modify", fd) }
func (p *wakeOnly) Delete(fd int) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return &OpError{"delete", fd, ErrNotRegistered}
}

func (p *wakeOnly) Wait(buf []Event, timeout time.Duration) (int, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	if len(buf) == 0 {
		return 0, &OpError{"wait", -1, errEmptyBuffer}
	}
	p.w.waits.Add(1)
	defer p.w.consume()
	if timeout != 0 && !p.w.pending.Load() {
		p.w.sleepChan(timeout, nil)
	}
	return 0, nil
}

func (p *wakeOnly) Wake() error     { return p.w.wake() }
func (p *wakeOnly) Registered() int { return 0 }
func (p *wakeOnly) Stats() Stats    { return p.w.stats() }

func (p *wakeOnly) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	p.w.closed.Store(true)
	return nil
}
