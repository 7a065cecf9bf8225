package task

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// ReturnWhen says when Wait returns.
type ReturnWhen int

const (
	// AllCompleted returns when every waitable is done.
	AllCompleted ReturnWhen = iota
	// FirstCompleted returns when any waitable is done.
	FirstCompleted
	// FirstException returns when any waitable ends with an error (a
	// cancellation counts), or when all are done.
	FirstException
)

// NoTimeout makes Wait wait without a time limit.
const NoTimeout time.Duration = -1

// Wait waits until the condition when holds for ws, or timeout (loop time;
// NoTimeout for none) passes, and splits ws into done and pending, each in
// the order given (asyncio.wait). A timeout is not an error and cancels
// nothing; a timeout of 0 returns the split at once. An empty ws is an
// error.
//
// Cancellation: returns ErrCancelled (ErrTimeout in an expired Timeout
// scope) with the split at that moment, also when the condition already
// holds (cancellation is level-triggered); the waitables are not
// cancelled.
func Wait(ctx context.Context, ws []Waitable, when ReturnWhen, timeout time.Duration) (done, pending []Waitable, err error) {
	if len(ws) == 0 {
		return nil, nil, errors.New("task: Wait with no waitables")
	}
	if when < AllCompleted || when > FirstException {
		return nil, nil, fmt.Errorf("task: Wait: invalid ReturnWhen %d", when)
	}
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, nil, fmt.Errorf("Wait: %w: the context carries no loop", ErrNotInTask)
	}
	for i, w := range ws {
		if isNil(w) || w.Loop() != l {
			return nil, nil, fmt.Errorf("Wait: waitable %d: nil or %w", i, eventloop.ErrWrongLoop)
		}
	}
	err = eventloop.AwaitError(ctx)
	if err == nil && !satisfied(ws, when) && timeout != 0 {
		wake := eventloop.NewFuture[struct{}](l)
		ids := make([]eventloop.CallbackID, len(ws))
		for i, w := range ws {
			ids[i] = w.OnDone(func() {
				if !wake.Done() && satisfied(ws, when) {
					wake.SetResult(struct{}{})
				}
			})
		}
		var timer eventloop.TimerHandle
		if timeout > 0 {
			// CallAt with a saturated deadline: now+timeout must not wrap.
			if at := l.Deadline(timeout); at != Never {
				timer, _ = l.CallAt(at, func() { wake.SetResult(struct{}{}) })
			}
		}
		err = eventloop.WaitDone(ctx, wake)
		timer.Cancel()
		for i, w := range ws {
			w.RemoveDoneCallback(ids[i])
		}
	}
	for _, w := range ws {
		if w.Done() {
			done = append(done, w)
		} else {
			pending = append(pending, w)
		}
	}
	return done, pending, err
}

func satisfied(ws []Waitable, when ReturnWhen) bool {
	all := true
	for _, w := range ws {
		if !w.Done() {
			all = false
			continue
		}
		switch when {
		case FirstCompleted:
			return true
		case FirstException:
			if w.Cancelled() || w.Err() != nil {
				return true
			}
		}
	}
	return all
}

// WaitFor waits at most d (loop time; Never for no limit) for a to finish
// and returns its result (asyncio.wait_for). On timeout it cancels a,
// waits until a has finished its cleanup, and returns a's outcome with a
// cancellation turned into ErrTimeout: normally ErrTimeout, but a's value
// if a handled the cancellation and returned one, or the error a returned
// while cleaning up (as asyncio.wait_for does since bpo-84849). With
// d <= 0 a done a gives its result and a pending one times out at once.
//
// Cancellation: cancelling ctx cancels a too, waits for its cleanup, and
// returns ErrCancelled.
func WaitFor[T any](ctx context.Context, d time.Duration, a Awaitable[T]) (T, error) {
	var zero T
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return zero, fmt.Errorf("WaitFor: %w: the context carries no loop", ErrNotInTask)
	}
	if isNil(a) {
		return zero, errors.New("task: WaitFor of nil")
	}
	cctx, ds, err := eventloop.WithDeadline(ctx, l.Deadline(d))
	if err != nil {
		return zero, err
	}
	defer ds.Close()
	v, err := eventloop.Await(cctx, a)
	if err != nil && ds.Expired() && ctx.Err() == nil && a.Done() {
		// Our deadline cancelled a and Await waited for it to finish:
		// what a ended with decides.
		v, err = a.Result()
	}
	return v, ds.Result(err)
}

// Shield waits for a like Await, but a cancellation of ctx is not passed
// on to a (asyncio.shield): Shield returns ErrCancelled at once and a keeps
// running; its result can be read from a later.
func Shield[T any](ctx context.Context, a Awaitable[T]) (T, error) {
	var zero T
	if isNil(a) {
		return zero, errors.New("task: Shield of nil")
	}
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return zero, fmt.Errorf("Shield: %w: the context carries no loop", ErrNotInTask)
	}
	if a.Loop() != l {
		return zero, fmt.Errorf("Shield: %w", eventloop.ErrWrongLoop)
	}
	if a.Done() {
		if err := eventloop.WaitDone(ctx, a); err != nil { // still reports a cancelled ctx
			return zero, err
		}
		return a.Result()
	}
	outer := eventloop.NewFuture[struct{}](l)
	id := a.OnDone(func() { outer.SetResult(struct{}{}) })
	if err := eventloop.WaitDone(ctx, outer); err != nil {
		a.RemoveDoneCallback(id)
		return zero, err
	}
	return a.Result()
}

// AsCompleted yields the waitables of ws as they finish, earliest first
// (asyncio.as_completed), as a range-over-func iterator. Each step yields
// a done waitable and a nil error; if ctx is cancelled (or its Timeout
// expires) the iteration yields (zero, ErrCancelled or ErrTimeout) once
// and stops. Misuse (no loop in ctx, a nil waitable or one of another
// loop) is likewise yielded once as an error. The waitables are never
// cancelled by AsCompleted. Breaking out of the loop early is fine.
func AsCompleted[W Waitable](ctx context.Context, ws ...W) iter.Seq2[W, error] {
	return func(yield func(W, error) bool) {
		var zero W
		l := eventloop.LoopOf(ctx)
		if l == nil {
			yield(zero, fmt.Errorf("AsCompleted: %w: the context carries no loop", ErrNotInTask))
			return
		}
		for i, w := range ws {
			if isNil(w) || w.Loop() != l {
				yield(zero, fmt.Errorf("AsCompleted: waitable %d: nil or %w", i, eventloop.ErrWrongLoop))
				return
			}
		}
		var finished []W
		wake := eventloop.NewFuture[struct{}](l)
		ids := make([]eventloop.CallbackID, len(ws))
		for i, w := range ws {
			ids[i] = w.OnDone(func() {
				finished = append(finished, w)
				if !wake.Done() {
					wake.SetResult(struct{}{})
				}
			})
		}
		defer func() {
			for i, w := range ws {
				w.RemoveDoneCallback(ids[i])
			}
		}()
		for n := 0; n < len(ws); {
			if len(finished) == 0 {
				if err := eventloop.WaitDone(ctx, wake); err != nil {
					yield(zero, err)
					return
				}
				wake = eventloop.NewFuture[struct{}](l)
				continue
			}
			w := finished[0]
			finished = finished[1:]
			n++
			if !yield(w, nil) {
				return
			}
		}
	}
}
