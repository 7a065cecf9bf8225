package streams

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
	"github.com/aio-go/aio/transport"
)

// StreamWriter is the writing end of a stream (asyncio.StreamWriter). Its
// writes never wait: they go to the transport's buffer. Drain waits while
// that buffer is above its high-water mark; a writer that calls Drain
// after its writes keeps its memory bounded by the peer's pace.
//
// A StreamWriter belongs to one loop; its methods are for that loop's
// goroutine and tasks only.
type StreamWriter struct {
	t transport.Transport
	p *Protocol
	r *StreamReader
}

// Transport returns the transport under the writer (after StartTLS, the
// TLS transport).
func (w *StreamWriter) Transport() transport.Transport { return w.t }

// Reader returns the reader of the same connection.
func (w *StreamWriter) Reader() *StreamReader { return w.r }

// Extra returns information about the connection (transport.ExtraPeerName,
// ExtraSockName, ExtraTLSState, …): asyncio's get_extra_info.
// An unnamed Unix socket's address (ExtraSockName of a client,
// ExtraPeerName of a server's connection) has an empty name, not "@".
func (w *StreamWriter) Extra(key string) (any, bool) {
	v, ok := w.t.Extra(key)
	if a, isAddr := v.(net.Addr); isAddr && (key == transport.ExtraSockName || key == transport.ExtraPeerName) {
		v = unnamedUnix(a)
	}
	return v, ok
}

// Write queues data for sending; it never waits. The caller may reuse
// data at once. It fails with ErrClosed after Close, a *BrokenError after
// the connection was lost, and transport.ErrEOFWritten after WriteEOF.
func (w *StreamWriter) Write(data []byte) error {
	if err := w.writeErr("Write"); err != nil {
		return err
	}
	return w.t.Write(data)
}

// Writelines is Write of each buffer in turn.
func (w *StreamWriter) Writelines(bufs [][]byte) error {
	if err := w.writeErr("Writelines"); err != nil {
		return err
	}
	return w.t.Writelines(bufs)
}

func (w *StreamWriter) writeErr(op string) error {
	switch {
	case w.p.closing:
		return fmt.Errorf("streams: %s: %w", op, ErrClosed)
	case w.p.lost:
		return &BrokenError{Op: op, Err: w.p.lostErr}
	}
	return nil
}

// WriteEOF half-closes: buffered data is sent, then the peer reads EOF.
// Reading goes on.
func (w *StreamWriter) WriteEOF() error {
	if err := w.writeErr("WriteEOF"); err != nil {
		return err
	}
	return w.t.WriteEOF()
}

// CanWriteEOF reports whether the transport can half-close.
func (w *StreamWriter) CanWriteEOF() bool { return w.t.CanWriteEOF() }

// Close closes the stream: buffered data is still sent, then the
// connection closes. It does not wait; WaitClosed does. Idempotent.
func (w *StreamWriter) Close() error {
	w.p.closing = true
	return w.t.Close()
}

// IsClosing reports whether Close was called or the connection is
// closing.
func (w *StreamWriter) IsClosing() bool { return w.p.closing || w.t.IsClosing() }

// Drain waits until the transport's write buffer is at its low-water mark
// or below, if it was above the high-water mark; otherwise it returns at
// once. It fails at once with the reader's error (a connection lost with
// an error), with a *BrokenError once the connection is lost (also while
// waiting), and with ErrClosed after Close. When the transport is closing
// without Close having been called (a write found the peer gone: EPIPE,
// ECONNRESET), Drain waits for the connection to be lost and returns a
// *BrokenError with the cause: it never returns nil for bytes that can no
// longer be delivered. Bytes the kernel took before the peer's reset
// arrived cannot be told apart; Drain fails once the loop knows.
//
// Cancellation: on cancellation Drain returns eventloop.ErrCancelled (or
// ErrTimeout); the written data stays in the transport's buffer and is
// still sent.
func (w *StreamWriter) Drain(ctx context.Context) error {
	p := w.p
	pk, err := p.b.Parker(ctx, "streams: Drain")
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if err := w.r.Err(); err != nil {
		return &BrokenError{Op: "Drain", Err: err}
	}
	if p.closing {
		return errs.Op("streams", "Drain", ErrClosed)
	}
	if p.lost {
		return &BrokenError{Op: "Drain", Err: p.lostErr}
	}
	for {
		switch {
		case p.lost:
			return &BrokenError{Op: "Drain", Err: p.lostErr}
		case p.pausedW, w.t.IsClosing():
			// Paused: wait for ResumeWriting. Closing although Close was
			// not called: the transport broke (a write found the peer
			// gone) and ConnectionLost is on its way, with the cause;
			// the bytes written can no longer be delivered, so wait for
			// it rather than report success (asyncio's drain does too).
			r, err := p.drain.Park(ctx, pk)
			if r == wokeLost || p.lost {
				return &BrokenError{Op: "Drain", Err: p.lostErr}
			}
			if err != nil {
				return err
			}
		case w.aboveHigh():
			// Above the mark, but PauseWriting has not come yet: the
			// transport tells it from the ready queue, never inside
			// Write. One iteration settles it either way; without this a
			// Write+Drain loop would never yield.
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (w *StreamWriter) aboveHigh() bool {
	_, high := w.t.WriteBufferLimits()
	return w.t.WriteBufferSize() > high
}

// WaitClosed waits until the connection is closed (ConnectionLost): nil
// after a clean close, a *BrokenError with the cause otherwise.
//
// Cancellation: on cancellation it returns eventloop.ErrCancelled (or
// ErrTimeout); the connection is not affected.
func (w *StreamWriter) WaitClosed(ctx context.Context) error {
	p := w.p
	pk, err := p.b.Parker(ctx, "streams: WaitClosed")
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if !p.lost {
		if r, err := p.closed.Park(ctx, pk); r != wokeLost {
			return err
		}
	}
	if p.lostErr != nil {
		return &BrokenError{Op: "WaitClosed", Err: p.lostErr}
	}
	return nil
}

// StartTLS upgrades the connection to TLS (asyncio's
// StreamWriter.start_tls): it waits for the handshake, after which reads
// and writes of this reader and writer go through TLS. The side (client
// or server) is the stream's: a stream from StartServer, or made with
// AsServer, is the TLS server. Bytes of the peer's handshake already in
// the reader's buffer are handed to TLS. Options of the stream set the
// timeouts (WithHandshakeTimeout, WithShutdownTimeout).
//
// Cancellation: a cancelled StartTLS aborts the handshake and the
// connection.
func (w *StreamWriter) StartTLS(ctx context.Context, cfg *tls.Config, opts ...Option) error {
	if cfg == nil {
		return errs.Op("streams", "StartTLS", ErrNilTLSConfig)
	}
	cf := w.p.cf
	for _, o := range opts {
		o(&cf)
	}
	r := w.r
	tops := cf.tlsOptions()
	if r.Buffered() > 0 {
		tops = append(tops, transport.WithTLSInitialData(r.take(r.Buffered())))
	}
	if r.paused {
		r.paused = false
		w.t.ResumeReading()
	}
	nt, err := transport.StartTLS(ctx, w.t, w.p, cfg, cf.server, tops...)
	if err != nil {
		return fmt.Errorf("streams: StartTLS: %w", err)
	}
	w.t = nt
	r.SetTransport(nt)
	return nil
}

func (w *StreamWriter) String() string {
	return fmt.Sprintf("StreamWriter(%v)", w.t)
}
