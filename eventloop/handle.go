package eventloop

import (
	"time"

	"github.com/aio-go/aio/timer"
)

// Handle identifies a callback queued by CallSoon. The zero Handle refers
// to nothing. A Handle is a small value; copying it is fine, but keep the
// one you cancel through if you will ask Cancelled after the loop has run
// past the callback (as for TimerHandle).
type Handle struct {
	loop      *Loop
	pos       uint64
	cancelled bool // Cancel through this handle succeeded
}

// Cancel stops the callback from running. It reports whether the callback
// was still queued (false when it already ran or was already cancelled).
// Loop goroutine (or running task) only. O(1).
func (h *Handle) Cancel() bool {
	if h == nil || h.loop == nil || !h.loop.ready.cancel(h.pos) {
		return false
	}
	h.cancelled = true
	return true
}

// Cancelled reports whether Cancel stopped the callback (asyncio's
// Handle.cancelled()): always after Cancel through this handle; through a
// copy, only while the callback would still have been queued (the loop
// keeps no record of a callback once it passed its place). False for the
// zero Handle. Loop goroutine (or running task) only. O(1).
func (h Handle) Cancelled() bool {
	return h.cancelled || h.loop != nil && h.loop.ready.cancelled(h.pos)
}

// TimerHandle identifies a callback scheduled by CallLater or CallAt. It is
// a small value holding no state of the timer's own: the loop keeps that in
// its timer table, which the handle names by index and by the sequence
// number of the scheduling, so a handle kept after its timer is gone never
// touches a later timer that reuses the index. The zero TimerHandle refers
// to nothing: Cancel reports false, Pending and Cancelled report false.
//
// Copying a TimerHandle is fine; a copy names the same timer. Keep the one
// you cancel through if you will ask Cancelled much later: the loop forgets
// that a timer was cancelled once its storage is reused by another timer
// or given back (after mass cancellation), and from then on only the
// handle Cancel was called on remembers (a copy made before still reports
// false).
type TimerHandle struct {
	loop      *Loop
	when      time.Duration
	seq       uint64 // timer.ID, flattened: the handle stays 32 bytes
	index     uint32
	cancelled bool // Cancel through this handle succeeded
}

func (h *TimerHandle) id() timer.ID { return timer.ID{Seq: h.seq, Index: h.index} }

// Cancel stops the timer. It reports whether the timer was still pending
// (false once it fired or was cancelled, or for the zero TimerHandle). The
// loop lets go of the callback at once; its slot leaves the timer heap
// later (lazy cancellation), so Cancel is O(1) amortized. Loop goroutine
// (or running task) only.
func (h *TimerHandle) Cancel() bool {
	if h == nil || h.loop == nil || !h.loop.timers.Cancel(h.id()) {
		return false
	}
	h.cancelled = true
	return true
}

// Cancelled reports whether Cancel stopped the timer before it fired (see
// TimerHandle for copies), or Close dropped it. Loop goroutine (or running
// task) only. O(1).
func (h TimerHandle) Cancelled() bool {
	return h.cancelled || h.loop != nil && h.loop.timers.Cancelled(h.id())
}

// Pending reports whether the timer is still to fire: neither fired (its
// callback queued) nor cancelled. Loop goroutine (or running task) only.
// O(1).
func (h TimerHandle) Pending() bool { return h.loop != nil && h.loop.timers.Pending(h.id()) }

// When returns the loop time at which the timer fires (or would have).
func (h TimerHandle) When() time.Duration { return h.when }

// timerValue is what the loop keeps for a pending timer in its heap: the
// callback of CallLater, CallAt or a deadline, or the task of a Sleep.
type timerValue struct {
	fn func()
	t  *taskBase
}

// pushTimer schedules fn at when.
func (l *Loop) pushTimer(when time.Duration, fn func()) TimerHandle {
	id := l.timers.Push(when, timerValue{fn: fn})
	return TimerHandle{loop: l, when: when, seq: id.Seq, index: id.Index}
}

// fireTimer queues what a due timer holds: its callback, or the step of
// its sleeping task.
func (l *Loop) fireTimer(now time.Duration, it timer.Item[timerValue]) {
	l.stats.timerFired(now - it.When)
	if l.tracer != nil {
		l.traceTimer(it)
	}
	if t := it.Value.t; t != nil {
		l.unpark(t, false) // a Sleep: queue the task's step itself
	} else {
		l.ready.push(it.Value.fn)
	}
}
