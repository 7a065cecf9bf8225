package task

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

// ErrNotStarted is the error of Start when the child returned without
// error but without calling ready (Trio's RuntimeError "child exited
// without calling task_status.started()").
var ErrNotStarted = errors.New("task: Start: the child returned without calling ready")

// Cancel cancels the group: its body and every child see their ctx
// cancelled, no new child starts (SpawnIn fails with ErrGroupClosed), and
// the group ends once they have all returned (Trio's
// nursery.cancel_scope.cancel(), asyncio's TaskGroup.cancel in 3.14).
// Unlike a failure it is not an error: Group and Wait return nil when
// nothing failed, and only the failures otherwise. The task that owns the
// group is not cancelled. Calling Cancel again, or after Wait, does
// nothing. Loop goroutine only.
func (g *TaskGroup) Cancel() {
	if g.closed {
		return
	}
	g.userCancel = true
	g.abort()
}

// Start runs fn as a child of g and waits until it is ready (Trio's
// nursery.start): fn calls ready(v) once it has done its setup (a server
// bound to its port), Start returns v, and fn goes on running in the
// group. If fn fails before calling ready, Start returns its error and
// the group is not affected (the failure is Start's caller's to handle);
// a failure after ready is the group's, as for any child. A fn that
// returns nil without calling ready makes Start fail with ErrNotStarted.
// Calls of ready after the first, or after fn returned, do nothing.
// ctx is the context of the task calling Start (usually the group body).
//
// Cancellation: if ctx is cancelled before fn called ready, Start cancels
// fn, waits for it to return, and returns ErrCancelled (ErrTimeout in an
// expired scope); once ready was called, the value wins: Start returns it
// and fn keeps running. Cancelling the group cancels fn like any child.
func Start[T any](ctx context.Context, g *TaskGroup, fn func(ctx context.Context, ready func(v T)) error, opts ...eventloop.TaskOption) (T, error) {
	var zero T
	if g == nil || g.loop == nil || fn == nil {
		return zero, fmt.Errorf("task: Start: %w: nil group or function, or a group without a loop", eventloop.ErrNilCallback)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return zero, err
	}
	var st struct {
		ready, ended bool
		v            T
		err          error // fn's error before ready
	}
	sig := eventloop.NewFuture[struct{}](g.loop) // a wake-up only: the state is st
	ready := func(v T) {
		if st.ready || st.ended {
			return
		}
		st.ready, st.v = true, v
		if !sig.Done() {
			sig.SetResult(struct{}{})
		}
	}
	child := SpawnIn(g, func(ctx context.Context) (struct{}, error) {
		err := fn(ctx, ready)
		st.ended = true
		if st.ready {
			return struct{}{}, err // after ready: the group's
		}
		if err == nil {
			err = ErrNotStarted
		}
		st.err = err
		if !sig.Done() {
			sig.SetResult(struct{}{})
		}
		return struct{}{}, nil // before ready: Start's, not the group's
	}, opts...)
	if child.Done() { // refused: the group is closed
		_, err := child.Result()
		return zero, err
	}
	err := eventloop.WaitDone(ctx, sig)
	if st.ready {
		return st.v, nil // the value wins over a cancellation in the same instant
	}
	if err != nil {
		child.Cancel()
		eventloop.WaitDone(context.WithoutCancel(ctx), child)
		if st.ready {
			return st.v, nil
		}
		if st.err != nil && !eventloop.IsOnlyCancellation(st.err) {
			return zero, errors.Join(err, st.err)
		}
		return zero, err
	}
	return zero, st.err
}

// SetLimit bounds the children of g that run at once to n (errgroup's
// SetLimit); n <= 0 removes the bound. Children spawned with Go or SpawnIn
// beyond the limit start as tasks but wait, in FIFO order, for a running
// one to end before their fn runs; GoWait makes the spawner wait instead,
// so that a producer of work is held back. Raising the limit lets waiting
// children in at once. Loop goroutine only.
func (g *TaskGroup) SetLimit(n int) {
	g.limit = max(0, n)
	g.grant()
}

// GoWait starts fn as a child of g once fewer than the SetLimit bound run,
// waiting meanwhile (errgroup's Go with a limit). Without a limit it is Go.
// It returns the child's task, or an error when it did not start it.
//
// Cancellation: if ctx is cancelled while GoWait waits for room, fn is not
// started, GoWait returns ErrCancelled (ErrTimeout in an expired scope),
// and the room it was given, if any, goes to the next waiter.
func (g *TaskGroup) GoWait(ctx context.Context, fn func(ctx context.Context) error, opts ...eventloop.TaskOption) (*eventloop.Task[struct{}], error) {
	if fn == nil {
		return nil, fmt.Errorf("task: TaskGroup.GoWait: %w", eventloop.ErrNilCallback)
	}
	if g.limit == 0 {
		return g.Go(fn, opts...), nil
	}
	if err := g.acquireSlot(ctx); err != nil {
		return nil, err
	}
	t := spawnIn(g, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
	t.OnDone(g.releaseSlot) // also when it ends before its first step
	return t, nil
}

// TryGo starts fn as a child if fewer than the SetLimit bound run, and
// reports whether it did (errgroup's TryGo). It never waits.
func (g *TaskGroup) TryGo(fn func(ctx context.Context) error, opts ...eventloop.TaskOption) (*eventloop.Task[struct{}], bool) {
	if fn == nil || g.closed || g.aborting {
		return nil, false
	}
	if g.limit == 0 {
		return g.Go(fn, opts...), true
	}
	if g.slots >= g.limit || len(g.queue) > 0 {
		return nil, false
	}
	g.slots++
	t := spawnIn(g, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
	t.OnDone(g.releaseSlot)
	return t, true
}

// spawnLimited is SpawnIn under a limit: the child takes room at once if
// there is some, else it queues for room now (so children start in the
// order they were spawned) and waits for it in its own task. The room is
// given back when the child ends, however it ends.
func spawnLimited[T any](g *TaskGroup, fn func(ctx context.Context) (T, error), opts ...eventloop.TaskOption) *eventloop.Task[T] {
	if g.slots < g.limit && len(g.queue) == 0 {
		g.slots++
		t := spawnIn(g, fn, opts...)
		t.OnDone(g.releaseSlot)
		return t
	}
	f := eventloop.NewFuture[struct{}](g.loop)
	g.queue = append(g.queue, f)
	granted := func() bool { return f.Done() && f.Err() == nil }
	t := spawnIn(g, func(ctx context.Context) (T, error) {
		if err := eventloop.WaitDone(ctx, f); err != nil || !granted() {
			var zero T
			if err == nil {
				err = f.Err()
			}
			return zero, err
		}
		return fn(ctx)
	}, opts...)
	t.OnDone(func() {
		if granted() {
			g.releaseSlot()
		} else {
			f.Cancel() // grant skips it
		}
	})
	return t
}

// acquireSlot takes room under the limit, waiting in FIFO order.
func (g *TaskGroup) acquireSlot(ctx context.Context) error {
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if g.limit == 0 || (g.slots < g.limit && len(g.queue) == 0) {
		g.slots++
		return nil
	}
	f := eventloop.NewFuture[struct{}](g.loop)
	g.queue = append(g.queue, f)
	err := eventloop.WaitDone(ctx, f)
	if f.Done() && f.Err() == nil {
		if err == nil {
			return nil
		}
		g.releaseSlot() // granted as it was cancelled: pass it on
		return err
	}
	f.Cancel() // grant skips it
	if err == nil {
		err = f.Err()
	}
	return err
}

func (g *TaskGroup) releaseSlot() {
	g.slots--
	g.grant()
}

// grant hands free room to waiters in FIFO order, skipping those that
// gave up.
func (g *TaskGroup) grant() {
	for len(g.queue) > 0 && (g.limit == 0 || g.slots < g.limit) {
		f := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		if f.Done() {
			continue
		}
		g.slots++
		f.SetResult(struct{}{})
	}
}
