package looptest

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

// maxIdleRounds bounds WaitIdle's wait: other tasks that never stop
// yielding would keep it waiting for ever.
var maxIdleRounds = 100_000

// WaitIdle returns once every other task of the loop is blocked and
// nothing else can run at the current loop time: no callback or task step
// queued, no callback posted from another goroutine, no timer due now
// (trio's wait_all_tasks_blocked). It replaces "sleep a little and hope
// the others got there" in tests. Virtual time does not move while it
// waits. Work outside the loop (an executor job, a socket's peer) does
// not count: WaitIdle does not wait for it.
//
// It gives up with ErrNeverIdle after 100,000 loop iterations of other
// work.
//
// Cancellation: returns ErrCancelled (ErrTimeout in an expired scope) as
// soon as ctx is cancelled.
func WaitIdle(ctx context.Context) error {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return fmt.Errorf("looptest: WaitIdle: %w", eventloop.ErrNotInTask)
	}
	for range maxIdleRounds {
		if err := eventloop.Sleep(ctx, 0); err != nil {
			return err
		}
		if !l.Pending().Busy(l.Time()) {
			return nil
		}
	}
	return fmt.Errorf("%w after %d iterations", ErrNeverIdle, maxIdleRounds)
}
