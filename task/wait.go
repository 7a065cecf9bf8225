package task

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"time"

	"github.com/aio-go/aio/internal/errs"

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
// error. O(len(ws)) in all: each completion costs O(1).
//
// Cancellation: returns ErrCancelled (ErrTimeout in an expired Timeout
// scope) with the split at that moment, also when the condition already
// holds (cancellation is level-triggered); the waitables are not
// cancelled.
func Wait(ctx context.Context, ws []eventloop.Waitable, when ReturnWhen, timeout time.Duration) (done, pending []eventloop.Waitable, err error) {
	if len(ws) == 0 {
		return nil, nil, errors.New("task: Wait with no waitables")
	}
	if when < AllCompleted || when > FirstException {
		return nil, nil, fmt.Errorf("task: Wait: invalid ReturnWhen %d", when)
	}
	l, lerr := eventloop.LoopOfTask(ctx)
	if lerr != nil {
		return nil, nil, errs.Op("task", "Wait", lerr)
	}
	for i, w := range ws {
		if isNil(w) || w.Loop() != l {
			return nil, nil, errs.Op("task", "Wait", fmt.Errorf("waitable %d: nil or %w", i, eventloop.ErrWrongLoop))
		}
	}
	err = eventloop.AwaitError(ctx)
	if err == nil && timeout != 0 && !doneAlready(ws, when) {
		err = newWaiting(l, len(ws), when).wait(ctx, ws, timeout)
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

// doneAlready reports whether when holds for ws before Wait waits.
func doneAlready(ws []eventloop.Waitable, when ReturnWhen) bool {
	c := waiting{n: len(ws), when: when}
	for _, w := range ws {
		if w.Done() {
			c.done++
			if when == FirstException && w.Err() != nil {
				c.failed++
			}
		}
	}
	return c.satisfied()
}

// waiting is the state of one Wait. It counts its children's completions
// as they happen (an eventloop.DoneWatcher on each), so each completion costs O(1)
// and no closure; a scan of every child per completion made Wait O(n²).
//
// Wait decides in the iteration after a completion, where a done callback
// of that child would run, on everything completed by then: check, made
// once, is queued per completion (until one finds the condition held),
// which keeps the iteration Wait returns in what it was with callbacks.
type waiting struct {
	wake   *eventloop.Future[struct{}]
	check  func() // w.decide, queued per completion
	n      int    // children (a waitable given twice counts twice)
	done   int    // children completed
	failed int    // children completed with an error, a cancellation included
	when   ReturnWhen
	held   bool // the condition holds; a check is queued behind the completion that made it
}

func newWaiting(l *eventloop.Loop, n int, when ReturnWhen) *waiting {
	w := &waiting{wake: eventloop.NewFuture[struct{}](l), n: n, when: when}
	w.check = w.decide
	return w
}

func (w *waiting) satisfied() bool {
	switch {
	case w.when == FirstCompleted && w.done > 0, w.when == FirstException && w.failed > 0:
		return true
	}
	return w.done == w.n
}

// FutureDone counts a child's completion (see eventloop.Watch). FirstException
// reads the child's error, as asyncio's wait does, so it takes it.
func (w *waiting) FutureDone(err error) bool {
	w.done++
	if err != nil {
		w.failed++
	}
	if !w.held {
		// Once the condition holds, the check queued now (or one queued
		// before it) wakes the caller: later completions need none.
		w.held = w.satisfied()
		w.wake.Loop().CallSoon(w.check)
	}
	return w.when == FirstException
}

func (w *waiting) decide() {
	if !w.wake.Done() && w.satisfied() {
		w.wake.SetResult(struct{}{})
	}
}

// wait watches ws until the condition holds, the timeout passes or ctx
// is cancelled, and then stops watching the children still pending.
func (w *waiting) wait(ctx context.Context, ws []eventloop.Waitable, timeout time.Duration) error {
	l := w.wake.Loop()
	for _, c := range ws {
		eventloop.Watch(c, w) // a child done already is counted at once
	}
	var timer eventloop.TimerHandle
	if timeout > 0 {
		// CallAt with a saturated deadline: now+timeout must not wrap.
		if at := l.Deadline(timeout); at != eventloop.Never {
			timer, _ = l.CallAt(at, func() { w.wake.SetResult(struct{}{}) })
		}
	}
	err := eventloop.WaitDone(ctx, w.wake)
	timer.Cancel()
	for _, c := range ws {
		if !c.Done() {
			eventloop.Unwatch(c, w)
		}
	}
	return err
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
func WaitFor[T any](ctx context.Context, d time.Duration, a eventloop.Awaitable[T]) (T, error) {
	var zero T
	l, lerr := eventloop.LoopOfTask(ctx)
	if lerr != nil {
		return zero, errs.Op("task", "WaitFor", lerr)
	}
	if isNil(a) {
		return zero, errors.New("task: WaitFor of nil")
	}
	if d <= 0 && !a.Done() {
		// Times out at once, before a runs again: a task not started yet
		// never runs its body (waiting for the deadline's timer would let
		// its first step, queued already, run first).
		a.Cancel()
		if err := eventloop.WaitDone(ctx, a); err != nil {
			return zero, err
		}
		v, err := a.Result()
		if a.Cancelled() {
			return zero, eventloop.ErrTimeout
		}
		return v, err
	}
	cctx, ds, err := eventloop.WithTimeoutAt(ctx, l.Deadline(d))
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
func Shield[T any](ctx context.Context, a eventloop.Awaitable[T]) (T, error) {
	var zero T
	if isNil(a) {
		return zero, errors.New("task: Shield of nil")
	}
	l, lerr := eventloop.LoopOfTask(ctx)
	if lerr != nil {
		return zero, errs.Op("task", "Shield", lerr)
	}
	if a.Loop() != l {
		return zero, errs.Op("task", "Shield", eventloop.ErrWrongLoop)
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
// cancelled by AsCompleted. Breaking out of the loop early is fine: it
// stops watching the waitables still pending. A waitable given more than
// once is yielded once, at its first position (asyncio.as_completed takes
// a set). O(len(ws)) in all.
func AsCompleted[W eventloop.Waitable](ctx context.Context, ws ...W) iter.Seq2[W, error] {
	return func(yield func(W, error) bool) {
		var zero W
		l, lerr := eventloop.LoopOfTask(ctx)
		if lerr != nil {
			yield(zero, errs.Op("task", "AsCompleted", lerr))
			return
		}
		for i, w := range ws {
			if isNil(w) || w.Loop() != l {
				yield(zero, errs.Op("task", "AsCompleted", fmt.Errorf("waitable %d: nil or %w", i, eventloop.ErrWrongLoop)))
				return
			}
		}
		ws = distinct(ws)
		c := newCompletions(l, len(ws))
		for i, w := range ws {
			eventloop.Watch(w, &c.slots[i])
		}
		defer func() {
			for i, w := range ws {
				if !w.Done() {
					eventloop.Unwatch(w, &c.slots[i])
				}
			}
		}()
		for n := 0; n < len(ws); {
			if n == c.delivered {
				if err := eventloop.WaitDone(ctx, c.wake); err != nil {
					yield(zero, err)
					return
				}
				c.wake = eventloop.NewFuture[struct{}](l)
				continue
			}
			w := ws[c.order[n]]
			n++
			if !yield(w, nil) {
				return
			}
		}
	}
}

// completions records the order in which AsCompleted's children complete.
// Each child has a slot (its eventloop.DoneWatcher, so the hook knows which child
// it is), all allocated at once. A child becomes available to the
// consumer in the iteration after it completed, where a done callback of
// it would run: deliver, made once, is queued per completion.
type completions struct {
	slots     []completionSlot
	order     []int // indexes into ws, in completion order
	delivered int   // how many of order the consumer may take
	wake      *eventloop.Future[struct{}]
	deliver   func() // c.deliverOne
}

// completionSlot watches child i.
type completionSlot struct {
	c *completions
	i int
}

func newCompletions(l *eventloop.Loop, n int) *completions {
	c := &completions{slots: make([]completionSlot, n), order: make([]int, 0, n), wake: eventloop.NewFuture[struct{}](l)}
	for i := range c.slots {
		c.slots[i] = completionSlot{c, i}
	}
	c.deliver = c.deliverOne
	return c
}

// FutureDone records that child s.i completed (see eventloop.Watch). The error is
// left to whoever reads the yielded waitable.
func (s *completionSlot) FutureDone(error) bool {
	s.c.order = append(s.c.order, s.i)
	s.c.wake.Loop().CallSoon(s.c.deliver)
	return false
}

func (c *completions) deliverOne() {
	c.delivered++
	if !c.wake.Done() {
		c.wake.SetResult(struct{}{})
	}
}

// distinct returns ws without its repeats (the first of each kept, in
// order); ws itself when it has none, so the common case copies nothing.
func distinct[W eventloop.Waitable](ws []W) []W {
	if len(ws) < 2 {
		return ws
	}
	seen := make(map[any]struct{}, len(ws))
	var out []W
	for i, w := range ws {
		var k any = w
		if !reflect.TypeOf(k).Comparable() {
			if out != nil {
				out = append(out, w)
			}
			continue
		}
		if _, dup := seen[k]; dup {
			if out == nil {
				out = append(make([]W, 0, len(ws)-1), ws[:i]...)
			}
			continue
		}
		seen[k] = struct{}{}
		if out != nil {
			out = append(out, w)
		}
	}
	if out == nil {
		return ws
	}
	return out
}
