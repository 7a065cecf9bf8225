package streams

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// NewConn returns a net.Conn view of a stream, for Go libraries that want
// one (bufio, encoding/json, crypto/tls, net/http's client pieces, …),
// used from inside the task ctx belongs to (docs/design.md D14: no function
// colouring). Read parks the task until data arrives, as
// StreamReader.Read; Write queues the bytes and waits in Drain, so a
// library writing in a loop keeps the buffer bounded. Read returns io.EOF
// at the end of the stream.
//
// Deadlines (SetDeadline, SetReadDeadline, SetWriteDeadline) become timers
// on the loop's clock: the wall-clock deadline is turned into a delay from
// now when the Read or Write starts (or when the deadline is moved during
// one). After a deadline, Read and Write fail with an error matching
// os.ErrDeadlineExceeded (a *net.OpError whose Timeout() is true); the
// stream is not affected and no byte is lost. The Set*Deadline methods and
// Close are safe from any goroutine (a library's watchdog goroutine may
// call them); Read and Write called from a goroutine that is not the task
// fail with an error wrapping eventloop.ErrNotInTask (the one case the
// loop cannot see outside debug mode is a goroutine calling while the
// task itself runs; see docs/architecture.md).
//
// Cancellation: Read and Write return eventloop.ErrCancelled (or
// ErrTimeout) when ctx is cancelled; no byte is lost.
func NewConn(ctx context.Context, r *StreamReader, w *StreamWriter) net.Conn {
	c := &conn{ctx: ctx, r: r, w: w, loop: r.loop}
	if a, ok := w.Extra(transport.ExtraSockName); ok {
		c.local, _ = a.(net.Addr)
	}
	if a, ok := w.Extra(transport.ExtraPeerName); ok {
		c.remote, _ = a.(net.Addr)
	}
	return c
}

type conn struct {
	ctx           context.Context
	r             *StreamReader
	w             *StreamWriter
	loop          *eventloop.Loop
	local, remote net.Addr

	// Deadlines in Unix nanoseconds (0: none): any goroutine.
	rdl, wdl atomic.Int64
	closed   atomic.Bool
	// Scopes of the Read and Write in progress: loop goroutine only.
	rscope, wscope *eventloop.TimeoutScope
}

func (c *conn) check(op string) error {
	if _, err := eventloop.ParkerFor(c.ctx, c.loop); err != nil {
		return fmt.Errorf("streams: Conn.%s: %w", op, err)
	}
	return nil
}

func (c *conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "aio", Source: c.local, Addr: c.remote, Err: err}
}

// withDeadline runs fn under the deadline dl (Unix nanoseconds, 0: none);
// *slot holds the scope meanwhile so that a moved deadline reaches it.
func (c *conn) withDeadline(op string, dl int64, slot **eventloop.TimeoutScope, fn func(ctx context.Context) error) error {
	if err := c.check(op); err != nil {
		return err
	}
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
	dctx, ds, err := eventloop.WithTimeoutAt(c.ctx, when)
	if err != nil {
		return err
	}
	*slot = ds
	err = fn(dctx)
	*slot = nil
	expired := ds.Expired()
	ds.Close()
	if err != nil && expired {
		return c.opError(op, os.ErrDeadlineExceeded)
	}
	return err
}

func (c *conn) Read(p []byte) (n int, err error) {
	err = c.withDeadline("read", c.rdl.Load(), &c.rscope, func(ctx context.Context) error {
		var err error
		n, err = c.r.readInto(ctx, p, "Read")
		return err
	})
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	err := c.withDeadline("write", c.wdl.Load(), &c.wscope, func(ctx context.Context) error {
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

// Close closes the stream (StreamWriter.Close); from another goroutine it
// is posted to the loop. Pending Reads and Writes of the task end.
func (c *conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.check("Close") == nil {
		return c.w.Close()
	}
	return c.loop.CallSoonThreadsafe(func() { c.w.Close() })
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
	if c.check("SetDeadline") == nil {
		return nil // the task itself: no Read or Write is in progress
	}
	// Another goroutine: move the deadline of an operation in progress.
	// (A loop that is closed has none.)
	c.loop.CallSoonThreadsafe(func() {
		ds := *slot()
		if ds == nil {
			return
		}
		when := eventloop.Never
		if v != 0 {
			when = c.loop.Deadline(time.Until(time.Unix(0, v)))
		}
		ds.Reschedule(when)
	})
	return nil
}

var _ net.Conn = (*conn)(nil)
