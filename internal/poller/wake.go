package poller

// Wake and Wait hand-shake.
//
// Wake sets pending and, only if it is the one that set it, signals the
// loop by the mechanism the loop declared in mode before it blocked:
//
//	Wake (any goroutine)             Wait (loop goroutine)
//	  if pending.Swap(true): return    mode.Store(how)      // W1
//	  switch mode.Load() {             if pending.Load():   // W2
//	  case modeChan:   send on ch          return
//	  case modeKernel: kick()          block until ch / kick / event / timeout
//	  case modeAwake:  nothing         mode.Store(modeAwake)
//	  }                                pending.Store(false) // consume
//
// Go's atomics are sequentially consistent, so of Wake's (Swap, Load) and
// Wait's (W1, W2) at least one side sees the other's write: either Wait sees
// pending and does not block, or Wake sees the mode and signals the very
// mechanism Wait is about to block on. Both the channel (buffered) and the
// kernel kick (a level in the kernel or an expired deadline) keep a signal
// that arrives before the block begins, so no wake-up is lost in between.
//
// Only the Wake that flips pending from false to true signals, so a burst
// of Wakes costs one signal; while the loop runs (modeAwake) they cost none.
// Wait consumes pending just before it returns; a Wake after that point
// flips it again and reaches the next Wait, which is why the loop must read
// its inbox after Wait returns.
//
// Both sides can see each other: then Wait returns without blocking and the
// signal stays behind, a stale token in ch or a stale kick. A later Wait
// that receives one finds pending false, knows that the Wake behind it was
// consumed already (only Wait clears pending), counts it in StaleWakeups and
// goes back to sleep. The same check absorbs a Wake that loaded mode, was
// descheduled, and signalled after the Wait it aimed at had returned.

import (
	"sync/atomic"
	"time"
)

// How the loop is waiting, published in waker.mode before Wait blocks.
const (
	modeAwake  int32 = iota // not blocking: Wake only sets pending
	modeChan                // blocking (or about to) on waker.ch
	modeKernel              // blocking (or about to) in the kernel poller: Wake calls kick
)

// waker implements Wake and the blocking half of Wait that the backends
// share. The zero value is not usable; call init.
type waker struct {
	pending atomic.Bool  // a Wake no Wait has consumed yet
	mode    atomic.Int32 // how the loop is waiting: modeAwake, modeChan or modeKernel
	closed  atomic.Bool  // set by Close; later Wakes return ErrClosed

	ch    chan struct{} // capacity 1: wakes a Wait in modeChan
	timer *time.Timer   // reused for timeouts in modeChan; loop goroutine only

	// kick wakes a Wait blocked in modeKernel. It must be safe from any
	// goroutine, also concurrently with Close (then it may fail with
	// ErrClosed). Nil for pollers that never use modeKernel.
	kick func() error

	waits, sleeps, chanWakes, kernelWakes, stale atomic.Uint64 // see Stats
}

func (w *waker) init(kick func() error) {
	w.ch = make(chan struct{}, 1)
	w.kick = kick
}

// wake is Poller.Wake.
func (w *waker) wake() error {
	if w.closed.Load() {
		return ErrClosed
	}
	// The Load keeps a burst of Wakes from bouncing the cache line with
	// writes while one is already pending.
	if w.pending.Load() || w.pending.Swap(true) {
		return nil
	}
	switch w.mode.Load() {
	case modeChan:
		w.chanWakes.Add(1)
		select {
		case w.ch <- struct{}{}:
		default: // a stale token is already there; it will do
		}
	case modeKernel:
		w.kernelWakes.Add(1)
		return w.kick()
	}
	return nil
}

// consume clears pending. Wait calls it last, after it stopped blocking.
func (w *waker) consume() {
	if w.pending.Load() {
		w.pending.Store(false)
	}
}

// enter publishes how the loop is about to block and reports whether a Wake
// is already pending, in which case the caller must not block. The caller
// must call leave when it stops blocking.
func (w *waker) enter(mode int32) (pending bool) {
	w.mode.Store(mode)
	w.sleeps.Add(1)
	return w.pending.Load()
}

func (w *waker) leave() { w.mode.Store(modeAwake) }

// sleepChan blocks on the channel until a Wake, the timeout (< 0: none) or a
// token on extra (nil: none). It reports whether extra fired.
func (w *waker) sleepChan(timeout time.Duration, extra <-chan struct{}) (extraFired bool) {
	defer w.leave()
	if w.enter(modeChan) {
		return false
	}
	var expired <-chan time.Time
	if timeout >= 0 {
		if w.timer == nil {
			w.timer = time.NewTimer(timeout)
		} else {
			w.timer.Reset(timeout)
		}
		// Go 1.23 timers: after Stop no stale tick can be received.
		defer w.timer.Stop()
		expired = w.timer.C
	}
	for {
		select {
		case <-w.ch:
			if w.pending.Load() {
				return false
			}
			w.stale.Add(1)
		case <-extra:
			return true
		case <-expired:
			return false
		}
	}
}

func (w *waker) stats() Stats {
	return Stats{
		Waits:        w.waits.Load(),
		Sleeps:       w.sleeps.Load(),
		ChanWakes:    w.chanWakes.Load(),
		KernelWakes:  w.kernelWakes.Load(),
		StaleWakeups: w.stale.Load(),
	}
}
