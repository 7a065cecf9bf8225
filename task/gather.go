package task

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// gathering counts the children of a Gather and completes its future when
// the last one is done, or at the first error in fail-fast mode. It
// watches its children through eventloop.Watch rather than OnDone: no closure
// and no callback entry per child (a Gather of 100k tasks made 200k
// allocations for that alone).
type gathering struct {
	fut      *eventloop.Future[struct{}]
	left     int
	failFast bool
	settled  bool  // fut's completion is queued
	first    error // the first child error, in completion order
}

// FutureDone is told when a child completes (see eventloop.Watch). It reads the
// child's error, which Gather consumes, so the loop must not report it as
// never retrieved (asyncio's test_exception_marking); it does so also
// after the Gather returned. The gathering's future is completed through
// the loop, one iteration after the deciding child, as a done callback of
// that child would.
func (g *gathering) FutureDone(err error) bool {
	g.left--
	if err != nil && g.first == nil {
		g.first = err
	}
	if g.settled {
		return true
	}
	if g.left == 0 || (g.failFast && err != nil) {
		g.settled = true
		g.fut.Loop().CallSoon(g.settle)
	}
	return true
}

func (g *gathering) settle() { g.fut.SetResult(struct{}{}) }

// newGathering checks ws and starts watching them. Generic so that
// GatherResults can pass its []Awaitable[T] without a copy.
func newGathering[W eventloop.Waitable](ctx context.Context, ws []W, failFast bool) (*gathering, error) {
	l, lerr := eventloop.LoopOfTask(ctx)
	if lerr != nil {
		return nil, errs.Op("task", "Gather", lerr)
	}
	g := &gathering{fut: eventloop.NewFuture[struct{}](l), left: len(ws), failFast: failFast}
	for i, w := range ws {
		if isNil(w) {
			return nil, fmt.Errorf("task: gather: awaitable %d is nil", i)
		}
		if w.Loop() != l {
			return nil, fmt.Errorf("task: gather: awaitable %d: %w", i, eventloop.ErrWrongLoop)
		}
	}
	if len(ws) == 0 {
		g.fut.SetResult(struct{}{})
		return g, nil
	}
	for _, w := range ws {
		eventloop.Watch(w, g)
	}
	return g, nil
}

// countdown completes its future through the loop once left watched
// futures are done.
type countdown struct {
	fut  *eventloop.Future[struct{}]
	left int
}

// FutureDone does not take the error: a countdown only counts.
func (c *countdown) FutureDone(error) bool {
	if c.left--; c.left == 0 {
		c.fut.Loop().CallSoon(func() { c.fut.SetResult(struct{}{}) })
	}
	return false
}

// waitGathering waits for the gathering. Cancelled, it cancels every
// child that is not done and waits for all of them before returning the
// cancellation. Any other error of the await (misuse, a closing loop) is
// returned as it is: the children are not the caller's to cancel then.
func waitGathering[W eventloop.Waitable](ctx context.Context, g *gathering, ws []W) error {
	err := eventloop.WaitDone(ctx, g.fut)
	if err == nil || !eventloop.IsOnlyCancellation(err) {
		return err
	}
	for _, w := range ws {
		w.Cancel()
	}
	// Count the children that are not done now rather than trusting
	// g.left: a child may have completed in this very iteration, its done
	// callback still queued behind this task's wake-up.
	all := &countdown{fut: eventloop.NewFuture[struct{}](g.fut.Loop())}
	for _, w := range ws {
		if !w.Done() {
			all.left++
		}
	}
	if all.left > 0 {
		for _, w := range ws {
			if !w.Done() {
				eventloop.Watch(w, all)
			}
		}
		eventloop.WaitDone(context.WithoutCancel(ctx), all.fut)
	}
	return err
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
func Gather(ctx context.Context, ws ...eventloop.Waitable) error {
	g, err := newGathering(ctx, ws, true)
	if err != nil {
		return err
	}
	if err := waitGathering(ctx, g, ws); err != nil {
		return err
	}
	return g.first
}

// GatherAll waits for every task or future in ws to finish and returns
// each one's error, in the order given (asyncio.gather with
// return_exceptions=True). The second result is the await's own error:
// cancellation of ctx (after cancelling the children and waiting for
// them) or misuse.
func GatherAll(ctx context.Context, ws ...eventloop.Waitable) ([]error, error) {
	g, err := newGathering(ctx, ws, false)
	if err != nil {
		return nil, err
	}
	if err := waitGathering(ctx, g, ws); err != nil {
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
func GatherResults[T any](ctx context.Context, as ...eventloop.Awaitable[T]) ([]T, error) {
	g, err := newGathering(ctx, as, true)
	if err != nil {
		return nil, err
	}
	if err := waitGathering(ctx, g, as); err != nil {
		return nil, err
	}
	if g.first != nil {
		return nil, g.first
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
