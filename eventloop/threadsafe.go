package eventloop

import (
	"errors"
	"fmt"

	"github.com/aio-go/aio/internal/errs"
)

// SetResultThreadsafe completes f with v from any goroutine: asyncio's
// loop.call_soon_threadsafe(fut.set_result, v) made one call (and what
// asyncio.wrap_future does for a concurrent future). The result is set on
// the loop in its next iteration, in the order this goroutine posted it
// relative to its other CallSoonThreadsafe calls; a task awaiting f then
// resumes. If f is already done by then (it was cancelled because its
// awaiter gave up, or completed twice), v is dropped: the one who
// cancelled f no longer wants it. It fails only with ErrClosed once the
// loop is closed (v is dropped too). Safe from any goroutine; it allocates
// one closure.
func (f *Future[T]) SetResultThreadsafe(v T) error {
	return f.post("SetResultThreadsafe", func() {
		if !f.done {
			f.result = v
			f.complete(nil)
		}
	})
}

// SetErrorThreadsafe completes f with err from any goroutine, as
// SetResultThreadsafe does with a result. err must not be nil.
func (f *Future[T]) SetErrorThreadsafe(err error) error {
	if err == nil {
		return errors.New("eventloop: SetErrorThreadsafe: nil error")
	}
	return f.post("SetErrorThreadsafe", func() {
		if !f.done {
			f.complete(err)
		}
	})
}

// CancelThreadsafe cancels f from any goroutine, on the loop's next
// iteration; it does nothing to a future that is done by then. It fails
// only with ErrClosed once the loop is closed.
func (f *Future[T]) CancelThreadsafe() error {
	return f.post("CancelThreadsafe", func() { f.Cancel() })
}

func (f *Future[T]) post(op string, fn func()) error {
	if f == nil || f.loop == nil {
		return errs.Op("eventloop", op, fmt.Errorf("%w: nil future or a future without a loop", ErrInvalidState))
	}
	if err := f.loop.CallSoonThreadsafe(fn); err != nil {
		return errs.Op("eventloop", op, err)
	}
	return nil
}
