package task

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

// gathering counts the children of a Gather and completes its future when
// the last one is done, or at the first error in fail-fast mode.
type gathering struct {
	fut      *eventloop.Future[struct{}]
	left     int
	failFast bool
	first    error // the first child error, in completion order
}

func newGathering(ctx context.Context, ws []Waitable, failFast bool) (*gathering, error) {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, fmt.Errorf("gather: %w: the context carries no loop", ErrNotInTask)
	}
	g := &gathering{fut: eventloop.NewFuture[struct{}](l), left: len(ws), failFast: failFast}
	for i, w := range ws {
		if isNil(w) {
			return nil, fmt.Errorf("task: gather: awaitable %d is nil", i)
		}
		if w.Loop() != l {
			return nil, fmt.Errorf("gather: awaitable %d: %w", i, eventloop.ErrWrongLoop)
		}
	}
	if len(ws) == 0 {
		g.fut.SetResult(struct{}{})
		return g, nil
	}
	for _, w := range ws {
		w.OnDone(func() {
			g.left--
			// Read every child's error, also after the Gather returned:
			// Gather consumes them, so the loop must not report them as
			// never retrieved (asyncio's test_exception_marking).
			err := w.Err()
			if err != nil && g.first == nil {
				g.first = err
			}
			if g.fut.Done() {
				return
			}
			if g.left == 0 || (g.failFast && err != nil) {
				g.fut.SetResult(struct{}{})
			}
		})
	}
	return g, nil
}

// wait waits for the gathering. Cancelled, it cancels every child that is
// not done and waits for all of them before returning the cancellation.
// Any other error of the await (misuse, a closing loop) is returned as it
// is: the children are not the caller's to cancel then.
func (g *gathering) wait(ctx context.Context, ws []Waitable) error {
	err := eventloop.WaitDone(ctx, g.fut)
	if err == nil || !isCancellation(err) {
		return err
	}
	for _, w := range ws {
		w.Cancel()
	}
	// Count the children that are not done now rather than trusting
	// g.left: a child may have completed in this very iteration, its done
	// callback still queued behind this task's wake-up.
	all := eventloop.NewFuture[struct{}](g.fut.Loop())
	left := 0
	for _, w := range ws {
		if !w.Done() {
			left++
			w.OnDone(func() {
				if left--; left == 0 {
					all.SetResult(struct{}{})
				}
			})
		}
	}
	if left > 0 {
		eventloop.WaitDone(context.WithoutCancel(ctx), all)
	}
	return err
}

// isCancellation reports whether err is the error of a cancelled or
// timed-out await.
func isCancellation(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Gather waits for every task or future in ws and returns nil when all
// succeeded (asyncio.gather). Fail-fast: the first error (in completion
// order) is returned as soon as it happens, and the others keep running
// (they are not cancelled); their errors count as retrieved. A cancelled
// child counts as failing with ErrCancelled. Read results from the
// children themselves (Result), or use GatherResults when they share a
// type.
//
// Cancellation: cancelling ctx cancels every child not yet done; Gather
// waits for them to finish, then returns ErrCancelled (ErrTimeout in an
// expired Timeout scope). A Gather called with the wrong context (not the
// running task's) returns ErrNotInTask and leaves the children alone.
func Gather(ctx context.Context, ws ...Waitable) error {
	g, err := newGathering(ctx, ws, true)
	if err != nil {
		return err
	}
	if err := g.wait(ctx, ws); err != nil {
		return err
	}
	return g.first
}

// GatherAll waits for every task or future in ws to finish and returns
// each one's error, in the order given (asyncio.gather with
// return_exceptions=True). The second result is the await's own error:
// cancellation of ctx (after cancelling the children and waiting for
// them) or misuse.
func GatherAll(ctx context.Context, ws ...Waitable) ([]error, error) {
	g, err := newGathering(ctx, ws, false)
	if err != nil {
		return nil, err
	}
	if err := g.wait(ctx, ws); err != nil {
		return nil, err
	}
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = w.Err()
	}
	return errs, nil
}

// GatherResults is Gather for children of one result type: it returns
// their results in the order given, or the first error (fail-fast; the
// others keep running).
//
// Cancellation: as Gather: the children not yet done are cancelled and
// waited for, and GatherResults returns ErrCancelled and no results.
func GatherResults[T any](ctx context.Context, as ...Awaitable[T]) ([]T, error) {
	ws := make([]Waitable, len(as))
	for i, a := range as {
		ws[i] = a
	}
	if err := Gather(ctx, ws...); err != nil {
		return nil, err
	}
	out := make([]T, len(as))
	for i, a := range as {
		v, err := a.Result()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
