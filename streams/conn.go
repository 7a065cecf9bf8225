package streams

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
	"github.com/aio-go/aio/internal/goid"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
)

// NewConn returns a net.Conn view of a stream, for Go libraries that want
// one (bufio, encoding/json, crypto/tls, net/http, gRPC, database
// drivers, …), from the task ctx belongs to (the view's owner). Any
// goroutine may use it, by one of two paths (docs/design.md D14,
// docs/go-interop.md):
//
//   - From the owner task, on its goroutine, each call is an await on the
//     stream (the direct path): Read parks the task until data arrives,
//     as StreamReader.Read; Write queues the bytes and waits in Drain, so
//     a library writing in a loop keeps the buffer bounded.
//   - From any other goroutine (net/http's connection goroutines, a
//     goroutine of ToThread, a watchdog), each Read, Write and Close is
//     posted to the loop, which runs it as a short task of its own, and
//     the calling goroutine blocks until it is done; the loop never
//     waits for that goroutine. Concurrent Reads (or Writes) from other
//     goroutines run one at a time, in turn. This path costs a task and a
//     loop wake-up per call (a few microseconds; docs/go-interop.md has
//     the figures), so a library that reads in small pieces should read
//     through a bufio.Reader.
//
// Which path a call takes depends on the calling goroutine alone, never
// on what the owner task is doing at that moment, so no call runs loop
// code on a goroutine that is not the loop's. A Read or Write from a
// callback or a task of a loop that is not the owner fails with
// ErrBlocksLoop (it would have to wait for the loop it runs on): another
// task uses a view of its own (NewConn with its ctx), and a blocking
// library goes into task.ToThread.
// Read returns io.EOF at the end of the stream, and an error matching
// net.ErrClosed once Close was called.
//
// Deadlines (SetDeadline, SetReadDeadline, SetWriteDeadline) become timers
// on the loop's clock: the wall-clock deadline is turned into a delay from
// now when the Read or Write starts (or when the deadline is moved during
// one). After a deadline, Read and Write fail with an error matching
// os.ErrDeadlineExceeded (a *net.OpError whose Timeout() is true); the
// stream is not affected and no byte is lost. The Set*Deadline methods and
// Close are safe from any goroutine and never wait.
//
// Cancellation: on the direct path Read and Write return
// eventloop.ErrCancelled (or ErrTimeout) when ctx is cancelled; no byte
// is lost. The other path does not look at ctx: a goroutine ends its call
// with a deadline or with Close, as with any net.Conn; a Read that ends
// so has consumed nothing, and a Write that fails reports 0 bytes (those
// queued before the failure may still be sent).
//
// A nil r or w gives a view whose every method fails with an error
// matching ErrNilStream (Close too; the addresses are nil): misuse comes
// back as an error from the first call, not as a nil-pointer panic.
func NewConn(ctx context.Context, r *StreamReader, w *StreamWriter) net.Conn {
	if r == nil || w == nil {
		what := "reader"
		if r != nil {
			what = "writer"
		}
		return badConn{err: errs.Op("streams", "NewConn", fmt.Errorf("%w: the %s is nil", ErrNilStream, what))}
	}
	return newConn(ctx, r, w, goid.ID())
}

// badConn is NewConn's view of a nil reader or writer: every call fails.
type badConn struct{ err error }

func (c badConn) Read([]byte) (int, error)         { return 0, c.err }
func (c badConn) Write([]byte) (int, error)        { return 0, c.err }
func (c badConn) Close() error                     { return c.err }
func (c badConn) LocalAddr() net.Addr              { return nil }
func (c badConn) RemoteAddr() net.Addr             { return nil }
func (c badConn) SetDeadline(time.Time) error      { return c.err }
func (c badConn) SetReadDeadline(time.Time) error  { return c.err }
func (c badConn) SetWriteDeadline(time.Time) error { return c.err }

// newConn makes a view owned by the goroutine owner (0: none, every call
// goes through the loop).
func newConn(ctx context.Context, r *StreamReader, w *StreamWriter, owner uintptr) *conn {
	c := &conn{ctx: ctx, r: r, w: w, loop: r.loop, owner: owner}
	if a, ok := w.Extra(transport.ExtraSockName); ok {
		c.local, _ = a.(net.Addr)
	}
	if a, ok := w.Extra(transport.ExtraPeerName); ok {
		c.remote, _ = a.(net.Addr)
	}
	c.local, c.remote = unnamedUnix(c.local), unnamedUnix(c.remote)
	return c
}

// unnamedUnix returns a with an unnamed Unix socket's name, which Linux
// reports as "@" (an empty abstract name), made empty as net.Dial's
// connections show it.
func unnamedUnix(a net.Addr) net.Addr {
	if u, ok := a.(*net.UnixAddr); ok && u.Name == "@" {
		return &net.UnixAddr{Net: u.Net}
	}
	return a
}

type conn struct {
	ctx           context.Context
	r             *StreamReader
	w             *StreamWriter
	loop          *eventloop.Loop
	local, remote net.Addr
	owner         uintptr // goid.ID of the owner task's goroutine

	// Deadlines in Unix nanoseconds (0: none): any goroutine.
	rdl, wdl atomic.Int64
	closed   atomic.Bool
	// Scopes of the Read and Write in progress: loop goroutine only.
	rscope, wscope *eventloop.TimeoutScope
	// Held by a goroutine whose Read (Write) is on the loop: one at a time.
	rmu, wmu sync.Mutex
}

// direct reports whether the caller is the owner task, running: the
// goroutine is the owner's (which the runtime cannot have given to
// another goroutine while the task is alive) and the task is the loop's
// running task.
func (c *conn) direct() bool {
	if goid.ID() != c.owner {
		return false
	}
	_, err := eventloop.ParkerFor(c.ctx, c.loop)
	return err == nil
}

// viaLoop runs op as a task of the loop and blocks the calling goroutine
// until it returns. mu keeps calls of one direction in turn.
func (c *conn) viaLoop(mu *sync.Mutex, name string, op func(ctx context.Context) (int, error)) (int, error) {
	if onLoop() {
		return 0, c.opError(name[len("streams.Conn."):], ErrBlocksLoop)
	}
	mu.Lock()
	defer mu.Unlock()
	n, err := task.RunCoroutineThreadsafe(c.loop, op, eventloop.WithName(name)).Result(context.Background())
	if errors.Is(err, eventloop.ErrClosed) && !isOpError(err) {
		err = c.opError(name[len("streams.Conn."):], err)
	}
	return n, err
}

func isOpError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

func (c *conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "aio", Source: c.local, Addr: c.remote, Err: err}
}

// withDeadline runs fn under the deadline dl (Unix nanoseconds, 0: none)
// in a scope of ctx; *slot holds the scope meanwhile so that a moved
// deadline reaches it. Loop goroutine (a task's step) only.
func (c *conn) withDeadline(ctx context.Context, op string, dl int64, slot **eventloop.TimeoutScope, fn func(ctx context.Context) error) error {
	if c.closed.Load() {
		return c.opError(op, net.ErrClosed)
	}
	// Always a scope, even without a deadline: another goroutine may set
	// one while the operation waits (a watchdog ending a Read).
	when := eventloop.Never
	if dl != 0 {
		d := time.Until(time.Unix(0, dl))
		if d <= 0 {
			return c.opError(op, os.ErrDeadlineExceeded)
		}
		when = c.loop.Deadline(d)
	}
	dctx, ds, err := eventloop.WithTimeoutAt(ctx, when)
	if err != nil {
		return err
	}
	*slot = ds
	err = fn(dctx)
	*slot = nil
	expired := ds.Expired()
	ds.Close()
	switch {
	case err == nil:
		return nil
	case c.closed.Load():
		return c.opError(op, net.ErrClosed) // Close ended it (through the scope)
	case expired:
		return c.opError(op, os.ErrDeadlineExceeded)
	}
	return err
}

func (c *conn) read(ctx context.Context, p []byte) (n int, err error) {
	err = c.withDeadline(ctx, "read", c.rdl.Load(), &c.rscope, func(ctx context.Context) error {
		var err error
		n, err = c.r.readInto(ctx, p, "Read")
		return err
	})
	return n, err
}

func (c *conn) write(ctx context.Context, p []byte) (int, error) {
	err := c.withDeadline(ctx, "write", c.wdl.Load(), &c.wscope, func(ctx context.Context) error {
		if err := c.w.Write(p); err != nil {
			return err
		}
		return c.w.Drain(ctx)
	})
	if err != nil {
		// Bytes queued before Drain failed are still sent; the caller
		// cannot know how many, so report none, as a failed write does.
		return 0, err
	}
	return len(p), nil
}

func (c *conn) Read(p []byte) (int, error) {
	if c.direct() {
		return c.read(c.ctx, p)
	}
	if c.closed.Load() {
		return 0, c.opError("read", net.ErrClosed)
	}
	return c.viaLoop(&c.rmu, "streams.Conn.read", func(ctx context.Context) (int, error) { return c.read(ctx, p) })
}

func (c *conn) Write(p []byte) (int, error) {
	if c.direct() {
		return c.write(c.ctx, p)
	}
	if c.closed.Load() {
		return 0, c.opError("write", net.ErrClosed)
	}
	return c.viaLoop(&c.wmu, "streams.Conn.write", func(ctx context.Context) (int, error) { return c.write(ctx, p) })
}

// Close closes the stream (StreamWriter.Close) after the bytes already
// written; from another goroutine it is posted to the loop and does not
// wait. Reads and Writes in progress end with an error matching
// net.ErrClosed.
func (c *conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.direct() {
		c.closeOnLoop()
		return nil
	}
	return c.loop.CallSoonThreadsafe(c.closeOnLoop)
}

// closeOnLoop closes the writer and ends a Read waiting for data (a
// stream closed on our side gets no more), through its scope.
func (c *conn) closeOnLoop() {
	c.w.Close()
	if ds := c.rscope; ds != nil {
		ds.Reschedule(c.loop.Time())
	}
	if ds := c.wscope; ds != nil {
		ds.Reschedule(c.loop.Time())
	}
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(&c.rdl, t, func() **eventloop.TimeoutScope { return &c.rscope })
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(&c.wdl, t, func() **eventloop.TimeoutScope { return &c.wscope })
}

func (c *conn) setDeadline(dl *atomic.Int64, t time.Time, slot func() **eventloop.TimeoutScope) error {
	var v int64
	if !t.IsZero() {
		v = t.UnixNano()
		if v == 0 {
			v = 1
		}
	}
	dl.Store(v)
	// Move the deadline of an operation in progress: one from another
	// goroutine may be, even when the owner task calls. (A loop that is
	// closed has none.)
	move := func() {
		ds := *slot()
		if ds == nil {
			return
		}
		when := eventloop.Never
		if v != 0 {
			when = c.loop.Deadline(time.Until(time.Unix(0, v)))
		}
		ds.Reschedule(when)
	}
	if c.direct() {
		move()
		return nil
	}
	c.loop.CallSoonThreadsafe(move)
	return nil
}

var _ net.Conn = (*conn)(nil)
