package eventloop

import (
	"time"

	"github.com/aio-go/aio/timer"
)

// Handle identifies a callback queued by CallSoon. The zero Handle refers
// to nothing. A Handle is a small value; copying it is fine.
type Handle struct {
	loop *Loop
	pos  uint64
}

// Cancel stops the callback from running. It reports whether the callback
// was still queued (false when it already ran or was already cancelled).
// Loop goroutine (or running task) only. O(1).
func (h Handle) Cancel() bool {
	if h.loop == nil {
		return false
	}
	return h.loop.ready.cancel(h.pos)
}

// TimerHandle identifies a callback scheduled by CallLater or CallAt.
type TimerHandle struct {
	entry timer.Entry
	fn    func()
	loop  *Loop
}

// Cancel stops the timer. It reports whether the timer was still pending.
// Cancellation is lazy (the entry leaves the heap when it reaches the top
// or when cancelled entries dominate), so Cancel is O(1) amortized.
// Loop goroutine (or running task) only.
func (h *TimerHandle) Cancel() bool {
	if h == nil || h.loop == nil {
		return false
	}
	if !h.loop.timers.Cancel(&h.entry) {
		return false
	}
	h.fn = nil // the heap may keep the entry a while; let the callback go
	return true
}

// Cancelled reports whether Cancel stopped the timer before it fired.
func (h *TimerHandle) Cancelled() bool { return h != nil && h.entry.Cancelled() }

// When returns the loop time at which the timer fires (or would have).
func (h *TimerHandle) When() time.Duration { return h.entry.When }
