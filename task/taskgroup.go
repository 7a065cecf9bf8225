package task

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
)

// ErrGroupClosed is the error of a task spawned into a TaskGroup that is
// finished or shutting down after a failure.
var ErrGroupClosed = errors.New("task: task group is finished or shutting down")

// TaskGroup runs tasks as one unit (asyncio.TaskGroup): the first child
// that fails cancels all the others, and Wait waits for every child before
// returning all their errors joined. Children run under the group's
// context, so cancelling the task that owns the group cancels them too.
// A TaskGroup is used from its loop only.
type TaskGroup struct {
	owner    context.Context
	ctx      context.Context
	cancel   context.CancelFunc
	loop     *eventloop.Loop
	left     int
	errs     []error
	aborting bool
	closed   bool
	idle     *eventloop.Future[struct{}]
	children childWatch
	// Cancel was called: the group's own cancellation is not an error.
	userCancel bool
	// SetLimit: at most limit children run fn at once (0: no limit).
	limit int
	slots int                           // children holding a slot
	queue []*eventloop.Future[struct{}] // waiting for a slot, FIFO
}

// childWatch watches a group's children (its eventloop.DoneWatcher on each): no
// closure per child. The group acts on a completion in the iteration after
// it, where a done callback of the child would run: handle, made once, is
// queued per completion and takes the oldest error of ended.
type childWatch struct {
	g      *TaskGroup
	ended  []error // errors of the children ended and not handled yet, from ended[next] on
	next   int
	handle func() // g.childDone
}

// FutureDone records a child's error (see eventloop.Watch); the group takes it.
func (c *childWatch) FutureDone(err error) bool {
	c.ended = append(c.ended, err)
	c.g.loop.CallSoon(c.handle)
	return true
}

// NewTaskGroup opens a group under ctx, which must be a task's context.
// End it with Wait. Prefer Group, which cannot forget the Wait.
func NewTaskGroup(ctx context.Context) *TaskGroup {
	cctx, cancel := eventloop.WithCancel(ctx)
	g := &TaskGroup{owner: ctx, ctx: cctx, cancel: cancel, loop: eventloop.LoopOf(ctx)}
	g.children = childWatch{g: g, handle: g.childDone}
	return g
}

// Group opens a TaskGroup, runs body with the group's context, and waits
// for every child (async with asyncio.TaskGroup() as tg). If body or any
// child fails, the group cancels the rest (body's awaits included) and
// Group returns every failure joined; inspect them with errors.Is and
// errors.As. A child's or the body's cancellation is not a failure; a
// body that returns a cancellation of its own (it awaited something that
// was cancelled) still ends the group, and Group returns that error when
// nothing failed.
//
// Cancellation: cancelling ctx cancels body and every child; Group waits
// for all of them, then returns ErrCancelled (ErrTimeout when ctx's
// Timeout expired) joined with any failures.
func Group(ctx context.Context, body func(ctx context.Context, g *TaskGroup) error) error {
	if _, err := eventloop.LoopOfTask(ctx); err != nil {
		return errs.Op("task", "Group", err) // the body would run outside any task
	}
	g := NewTaskGroup(ctx)
	var bodyErr error
	if body != nil {
		bodyErr = body(g.ctx, g)
	}
	if bodyErr != nil {
		// Any error leaving the body ends the group, as in asyncio.
		if !g.isCancellation(bodyErr) {
			g.errs = append([]error{bodyErr}, g.errs...)
		}
		g.abort()
	}
	err := g.Wait()
	if err == nil && bodyErr != nil && !(g.userCancel && g.isCancellation(bodyErr)) {
		return bodyErr
	}
	return err
}

// Context returns the group's context: the one its children derive from.
func (g *TaskGroup) Context() context.Context { return g.ctx }

// Go starts fn as a child of the group.
func (g *TaskGroup) Go(fn func(ctx context.Context) error, opts ...eventloop.TaskOption) *eventloop.Task[struct{}] {
	if fn == nil {
		return SpawnIn[struct{}](g, nil, opts...)
	}
	return SpawnIn(g, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
}

// SpawnIn starts fn as a child of g and returns its task
// (TaskGroup.create_task). After Wait, or once the group is shutting down
// after a failure, fn never runs: the task fails with ErrGroupClosed on
// the loop's next iteration (asyncio raises RuntimeError there; a task
// error nobody reads is reported by the loop, so the mistake is not
// silent).
func SpawnIn[T any](g *TaskGroup, fn func(ctx context.Context) (T, error), opts ...eventloop.TaskOption) *eventloop.Task[T] {
	if g.limit > 0 && fn != nil && !g.closed && !g.aborting {
		return spawnLimited(g, fn, opts...)
	}
	return spawnIn(g, fn, opts...)
}

func spawnIn[T any](g *TaskGroup, fn func(ctx context.Context) (T, error), opts ...eventloop.TaskOption) *eventloop.Task[T] {
	if (g.closed || g.aborting) && g.loop != nil {
		return eventloop.Spawn(g.loop.Context(), func(context.Context) (T, error) {
			var zero T
			return zero, ErrGroupClosed
		}, opts...)
	}
	t := eventloop.Spawn(g.ctx, fn, opts...)
	if t.Done() { // could not start: bad input, closed loop
		return t
	}
	g.left++
	eventloop.Watch(t, &g.children)
	return t
}

// childDone handles the oldest child completion not handled yet.
func (g *TaskGroup) childDone() {
	c := &g.children
	err := c.ended[c.next]
	c.ended[c.next] = nil
	if c.next++; c.next == len(c.ended) {
		c.ended, c.next = c.ended[:0], 0
	}
	g.left--
	if err != nil && !g.isCancellation(err) { // a cancellation is not a failure
		g.errs = append(g.errs, err)
		g.abort()
	}
	if g.left == 0 && g.idle != nil {
		g.idle.SetResult(struct{}{})
	}
}

// isCancellation reports whether err is just the group's own cancellation
// coming back: only a cancellation (eventloop.IsOnlyCancellation: a
// failure joined with a cancellation, such as an inner group's, is a
// failure), and a timeout only once the group's context is cancelled (a
// Timeout around the owner expired). A timeout of a child's own Timeout,
// while the group is live, is a failure.
func (g *TaskGroup) isCancellation(err error) bool {
	return eventloop.IsOnlyCancellation(err) &&
		(g.ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded))
}

func (g *TaskGroup) abort() {
	if !g.aborting {
		g.aborting = true
		g.cancel()
	}
}

// Wait waits for every child to finish and closes the group. It returns
// nil when all succeeded, otherwise every failure joined (a child's
// cancellation is not a failure). Wait must be called by the task that
// owns the group; it is not interrupted by cancellation (the children are
// cancelled through the group's context and Wait waits for them), and
// when the owner's ctx is cancelled it adds ErrCancelled (ErrTimeout for
// an expired Timeout) to the result.
func (g *TaskGroup) Wait() error {
	if g.loop == nil {
		return errs.Op("task", "TaskGroup.Wait", fmt.Errorf("%w: the context carries no loop", eventloop.ErrNotInTask))
	}
	if g.closed {
		return errs.Op("task", "TaskGroup.Wait", fmt.Errorf("%w: already waited", eventloop.ErrInvalidState))
	}
	for g.left > 0 {
		g.idle = eventloop.NewFuture[struct{}](g.loop)
		if err := eventloop.WaitDone(context.WithoutCancel(g.owner), g.idle); err != nil {
			g.errs = append(g.errs, err) // misuse or loop closing
			break
		}
	}
	g.closed = true
	g.cancel()
	errs := g.errs
	if err := eventloop.AwaitError(g.owner); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
