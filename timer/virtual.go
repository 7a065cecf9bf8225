package timer

import (
	"math"
	"sync/atomic"
	"time"
)

// Virtual is a clock that moves only when told to: through Wait (a loop with
// nothing to do jumps straight to its next deadline), Advance or Set. It
// starts at 0 and never goes backwards; requests to move it back are ignored.
// A zero Virtual is ready to use. It is safe for concurrent use, and must not
// be copied after first use.
//
// Tests that use it never sleep: a loop driven by a Virtual clock runs a
// program full of timers as fast as its callbacks allow, and runs it the same
// way every time.
type Virtual struct {
	now atomic.Int64 // nanoseconds since the epoch; only ever increases
}

// NewVirtual returns a virtual clock at time 0. Safe to call from any
// goroutine.
func NewVirtual() *Virtual {
	return &Virtual{}
}

// Now returns the clock's current time: one atomic load. Safe for concurrent
// use.
func (v *Virtual) Now() time.Duration {
	return time.Duration(v.now.Load())
}

// Wait moves the clock forward to deadline if deadline is later than now, and
// returns 0: the loop never has to block for virtual time to pass. Safe for
// concurrent use.
func (v *Virtual) Wait(deadline time.Duration) time.Duration {
	v.Set(deadline)
	return 0
}

// Advance moves the clock forward by d. A negative or zero d is ignored, since
// time never goes backwards; the clock saturates at the largest
// time.Duration instead of overflowing. Safe for concurrent use; concurrent
// calls add up.
func (v *Virtual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	for {
		old := v.now.Load()
		next := old + int64(d)
		if next < old {
			next = math.MaxInt64
		}
		if v.now.CompareAndSwap(old, next) {
			return
		}
	}
}

// Set moves the clock forward to t. It is ignored if t is earlier than Now,
// since time never goes backwards. Safe for concurrent use: after concurrent
// calls the clock shows the latest of the times set.
func (v *Virtual) Set(t time.Duration) {
	for {
		old := v.now.Load()
		if int64(t) <= old || v.now.CompareAndSwap(old, int64(t)) {
			return
		}
	}
}
