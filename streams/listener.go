package streams

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/goid"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
)

// acceptBacklog bounds the connections a Listener has accepted and not
// handed out yet; beyond it the loop stops taking new ones until Accept
// catches up (they wait in the kernel's backlog).
const acceptBacklog = 128

// Listen starts a server on network and address (as StartServer) and
// returns a net.Listener view of it, for Go servers that take one:
// http.Server.Serve, grpc.Server.Serve, tls.NewListener. Its Accept
// returns a net.Conn view (NewConn) of each new connection, one that any
// goroutine may use and that takes the loop path (those connections
// belong to no task). Listen is an await: call it from a task.
//
// Accept from the task that called Listen is an await (it parks the task
// and serves the loop meanwhile); from any other goroutine it blocks that
// goroutine, never the loop. Close stops the server, ends the Accepts in
// progress with an error matching net.ErrClosed, and closes the
// connections accepted and not handed out; connections handed out stay
// open. Close and Addr are safe from any goroutine.
//
// Cancellation: as StartServer: nothing is left listening. Accept on the
// owner task's path returns eventloop.ErrCancelled when that task's ctx is
// cancelled and takes no connection.
func Listen(ctx context.Context, network, address string, opts ...Option) (net.Listener, error) {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, fmt.Errorf("streams: Listen: %w", eventloop.ErrNotInTask)
	}
	ln := &listener{ctx: ctx, loop: l, owner: goid.ID(), q: queue.NewThreadsafe[*conn](acceptBacklog)}
	srv, err := StartServer(ctx, func(hctx context.Context, r *StreamReader, w *StreamWriter) {
		c := newConn(l.Context(), r, w, 0)
		if err := ln.q.Async().Put(hctx, c); err != nil {
			c.closeOnLoop() // the listener is closed (or the server is going away)
		}
	}, network, address, opts...)
	if err != nil {
		return nil, err
	}
	ln.srv = srv
	if addrs := srv.Addrs(); len(addrs) > 0 {
		ln.addr = addrs[0]
	}
	return ln, nil
}

type listener struct {
	ctx    context.Context
	loop   *eventloop.Loop
	owner  uintptr
	srv    *transport.Server // set before the listener is handed out; then read-only
	addr   net.Addr
	q      *queue.Threadsafe[*conn]
	closed atomic.Bool
}

func (ln *listener) direct() bool {
	if goid.ID() != ln.owner {
		return false
	}
	_, err := eventloop.ParkerFor(ln.ctx, ln.loop)
	return err == nil
}

func (ln *listener) Accept() (net.Conn, error) {
	var c *conn
	var err error
	if ln.direct() {
		c, err = ln.q.Async().Get(ln.ctx)
	} else if onLoop() {
		err = ErrBlocksLoop
	} else {
		c, err = ln.q.Sync().Get(context.Background())
	}
	if errors.Is(err, queue.ErrQueueShutdown) {
		err = net.ErrClosed
	}
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: "aio", Addr: ln.addr, Err: err}
	}
	return c, nil
}

func (ln *listener) Close() error {
	if ln.closed.Swap(true) {
		return nil
	}
	ln.q.Shutdown(false)
	shut := func() {
		ln.srv.Close()
		for {
			c, err := ln.q.Async().GetNowait()
			if err != nil {
				return
			}
			c.closed.Store(true)
			c.closeOnLoop()
		}
	}
	if ln.direct() {
		shut()
		return nil
	}
	return ln.loop.CallSoonThreadsafe(shut)
}

func (ln *listener) Addr() net.Addr { return ln.addr }

// Dialer dials loop-driven connections and returns net.Conn views of
// them, for Go clients that take a dial function: http.Transport's
// DialContext, grpc.WithContextDialer, a database driver's dialer. It is
// for goroutines that are not tasks of Loop (net/http dials on goroutines
// of its own; from a task, call the client through task.ToThread). The
// connections it returns take the loop path of NewConn. Called from a
// task or a callback of a loop (an http.Client used directly in a task),
// DialContext fails with ErrBlocksLoop instead of blocking the loop.
type Dialer struct {
	Loop    *eventloop.Loop
	Options []Option // passed to OpenConnection (WithTLS, WithConnOptions, ...)
}

// DialContext connects to address on network through d.Loop
// (OpenConnection run as a task of the loop) and blocks the calling
// goroutine until it is connected. Safe from any goroutine except the
// loop's own and its tasks'.
//
// Cancellation: when ctx is done first, the dial is cancelled on the
// loop, DialContext waits for it to end (a connection made meanwhile is
// closed) and returns ctx's error.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if d == nil || d.Loop == nil {
		return nil, fmt.Errorf("streams: Dialer.DialContext: %w: no loop", eventloop.ErrNilCallback)
	}
	if onLoop() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrBlocksLoop}
	}
	l := d.Loop
	cf := task.RunCoroutineThreadsafe(l, func(tctx context.Context) (*conn, error) {
		r, w, err := OpenConnection(tctx, network, address, d.Options...)
		if err != nil {
			return nil, err
		}
		return newConn(l.Context(), r, w, 0), nil
	}, eventloop.WithName("streams.Dialer.DialContext"))
	c, err := cf.Result(ctx)
	if err != nil && ctx.Err() != nil {
		cf.Cancel()
		if c, err2 := cf.Result(context.Background()); err2 == nil {
			c.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}
