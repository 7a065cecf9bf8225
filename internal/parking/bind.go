package parking

import (
	"context"
	"fmt"
	"strings"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
)

// Binder ties a primitive to the loop of its first await, as asyncio's
// _LoopBoundMixin does, and turns every way of misusing it into an error:
// an await from a goroutine or callback that is not the ctx's running task
// (eventloop.ErrNotInTask), from a task of another loop
// (eventloop.ErrWrongLoop), or after its loop closed (eventloop.ErrClosed).
// The zero Binder is unbound. Loop goroutine only.
type Binder struct {
	loop *eventloop.Loop
}

// Loop returns the bound loop, or nil before the first await.
func (b *Binder) Loop() *eventloop.Loop { return b.loop }

// Parker returns the Parker of the task ctx belongs to, binding the
// primitive to its loop on first use. op names the operation in errors
// ("locks: Lock.Acquire"). It does not look at ctx's cancellation; see
// eventloop.AwaitError.
func (b *Binder) Parker(ctx context.Context, op string) (eventloop.Parker, error) {
	p, err := eventloop.ParkerFor(ctx, b.loop)
	if err != nil || b.loop == nil {
		return b.bind(p, err, op) // first use or misuse: out of line
	}
	return p, nil
}

func (b *Binder) bind(p eventloop.Parker, err error, op string) (eventloop.Parker, error) {
	if err != nil {
		return p, b.wrap(op, err)
	}
	b.loop = p.Loop()
	return p, nil
}

// Closed returns an error when the bound loop is closed, and in debug mode
// when called from a goroutine that is neither the loop's nor its running
// task's (eventloop.ErrWrongGoroutine, naming the caller). Non-awaiting
// methods (Release, Set, PutNowait) call it before they wake anyone: a
// closed loop has no ready queue to wake tasks into.
func (b *Binder) Closed(op string) error {
	if b.Checked() {
		return b.closedSlow(op)
	}
	return nil
}

// Checked reports whether Closed could return an error: the bound loop is
// closed or in debug mode. It inlines (an atomic load and a field read),
// so hot paths write `if b.Checked() { err = b.Closed(op) }` and pay no
// call when the loop is open and not debugging.
func (b *Binder) Checked() bool {
	l := b.loop
	return l != nil && l.CheckNeeded()
}

func (b *Binder) closedSlow(op string) error {
	if b.loop.IsClosed() {
		pkg, name, _ := strings.Cut(op, ": ")
		return errs.Op(pkg, name, fmt.Errorf("it belongs to a closed loop: %w", eventloop.ErrClosed))
	}
	return b.loop.Check(op)
}

func (b *Binder) wrap(op string, err error) error {
	if cerr := b.Closed(op); cerr != nil {
		return cerr // the clearest reason: whatever ctx says, that loop is gone
	}
	return opError(op, err)
}

// opError is err as the error of op, an operation named with its package
// ("locks: Lock.Acquire").
func opError(op string, err error) error {
	pkg, name, _ := strings.Cut(op, ": ")
	return errs.Op(pkg, name, err)
}
