package timer

import "time"

// Clock is a loop's source of time. Times are durations measured from the
// clock's own epoch; they never go backwards. Implementations in this package
// are safe for concurrent use; a loop calls them from its own goroutine.
type Clock interface {
	// Now returns the current time of the clock. It is called on every
	// loop iteration and must be cheap.
	Now() time.Duration

	// Wait is called by a loop that has nothing to run before deadline. It
	// returns how long the loop must really block in its poller before the
	// deadline is reached. The real clock returns max(0, deadline-Now());
	// the virtual clock advances its time to deadline (if later than now)
	// and returns 0.
	Wait(deadline time.Duration) time.Duration
}

// base is the monotonic reading every Real clock measures from. Keeping the
// epoch of a Real as an offset from base makes the zero Real usable.
var base = time.Now()

var (
	_ Clock = (*Real)(nil)
	_ Clock = (*Virtual)(nil)
)

// Real is the real monotonic clock. Its epoch is the moment NewReal was
// called; the zero Real is valid and has the moment this package was
// initialized as its epoch. It never reads wall-clock time, so changes to the
// system clock do not move it. A Real is immutable and safe for concurrent use.
type Real struct {
	epoch time.Duration // offset from base
}

// NewReal returns a real clock whose epoch is now. Safe to call from any
// goroutine.
func NewReal() *Real {
	return &Real{epoch: time.Since(base)}
}

// Now returns the monotonic time elapsed since the clock's epoch. It costs
// one read of the runtime's monotonic clock (no system call on Linux) and
// does not allocate. Safe for concurrent use.
func (r *Real) Now() time.Duration {
	return time.Since(base) - r.epoch
}

// Wait returns how long the caller must block for the clock to reach
// deadline: max(0, deadline-Now()). It does not sleep; the loop blocks in its
// poller for that long. Safe for concurrent use.
func (r *Real) Wait(deadline time.Duration) time.Duration {
	now := r.Now()
	if deadline <= now {
		return 0 // also keeps deadline-now from overflowing for very early deadlines
	}
	return deadline - now
}
