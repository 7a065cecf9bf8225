package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
)

// CreateConnection connects to address on network ("tcp", "tcp4", "tcp6",
// "unix") and returns the transport and the protocol factory made for it,
// once the protocol's ConnectionMade has run (asyncio's
// loop.create_connection). Host names are resolved on the loop's executor;
// the addresses are tried in turn and, if all fail, the *NetError joins
// their errors (errors.Is(err, unix.ECONNREFUSED) sees through it). TCP
// connections get TCP_NODELAY unless WithNoDelay(false). The connection
// goes through the loop's Network (WithNetwork), the OS by default.
//
// WithHappyEyeballsDelay races the addresses instead (RFC 8305, asyncio's
// happy_eyeballs_delay): each attempt runs in a task of its own, the next
// one starts after the delay or as soon as the previous one failed, the
// first connection up wins and factory is called for it alone; every other
// attempt is cancelled, its socket closed, and CreateConnection returns
// only once they all finished. WithInterleave reorders the addresses by
// family first. Both need a Network that implements Resolver (the OS
// network does); without them the addresses are tried in turn as above.
//
// It is an await: call it from a task of the loop, with the task's ctx.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); a connection attempt
// in flight is abandoned and its socket closed (with happy eyeballs: every
// attempt, and CreateConnection waits for them before it returns), a
// resolution in flight is left to finish on its goroutine and its answer
// dropped; factory is not called, or, if the connection was already up,
// its transport is aborted (the protocol sees ConnectionMade and
// ConnectionLost(nil)).
func CreateConnection[P StreamProtocol](ctx context.Context, factory func() P, network, address string, opts ...ConnOption) (Transport, P, error) {
	var p P
	l, err := loopFor(ctx, "CreateConnection")
	if err != nil {
		return nil, p, err
	}
	if factory == nil {
		return nil, p, errs.Op("transport", "CreateConnection", eventloop.ErrNilCallback)
	}
	cfg := connConfig(opts)
	t, err := dialNetwork(ctx, NetworkOf(l), network, address, func() StreamProtocol { p = factory(); return p }, cfg)
	if err != nil {
		return nil, p, err
	}
	if err := awaitStarted(ctx, t); err != nil {
		return nil, p, err
	}
	return t, p, nil
}

// awaitStarted lets the loop run the transport's scheduled ConnectionMade
// before the await returns (it was queued first, so one iteration is
// enough); on cancellation the transport is aborted.
func awaitStarted(ctx context.Context, t Transport) error {
	if err := eventloop.Sleep(ctx, 0); err != nil {
		t.Abort()
		return err
	}
	return nil
}

// loopFor is the loop ctx carries. Unlike the task-level awaits, the
// transport calls accept a loop's root context too (l.Context()): a
// server or a connection can be set up from a callback or before the loop
// runs, as long as nothing has to wait (a name to resolve parks, and then
// fails with ErrNotInTask).
func loopFor(ctx context.Context, op string) (*eventloop.Loop, error) {
	if ctx == nil {
		return nil, errs.Op("transport", op, fmt.Errorf("%w: nil context", eventloop.ErrNotInTask))
	}
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, errs.Op("transport", op, fmt.Errorf("%w: the context carries no loop", eventloop.ErrNotInTask))
	}
	return l, nil
}

// isAwaitErr reports the errors an await returns for its own reasons
// (cancellation, a closed loop, misuse), which are passed on unwrapped.
func isAwaitErr(err error) bool {
	return errors.Is(err, eventloop.ErrCancelled) || errors.Is(err, eventloop.ErrTimeout) ||
		errors.Is(err, eventloop.ErrClosed) || errors.Is(err, eventloop.ErrNotInTask)
}
