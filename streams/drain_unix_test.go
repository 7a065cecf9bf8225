//go:build unix

package streams_test

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// brokenPipe reports whether err says the peer is gone.
func brokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// TestDrainAfterPeerClosedSocket: once a write found the peer gone, Drain
// reports the broken pipe (asyncio's drain: the transport is closing, so
// wait for connection_lost and raise its error), never nil for bytes that
// were not delivered.
func TestDrainAfterPeerClosedSocket(t *testing.T) {
	skipWithoutPoller(t)
	run(t, func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			w.Close() // the peer goes away at once, cleanly (FIN)
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		r, w, err := streams.OpenConnection(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer w.Close()
		if _, err := r.Read(ctx, 1); !errors.Is(err, io.EOF) {
			t.Fatalf("read before the writes: %v, want EOF", err)
		}
		// The peer's reset may be read first (then Drain fails from the
		// lost connection) or found by a write: either way, once a write
		// failed or the reset was read, Drain must fail.
		failed := false
		for i := 0; i < 50 && !failed; i++ {
			if err := w.Write([]byte("data that cannot arrive")); err != nil {
				failed = true
				break
			}
			if err := w.Drain(ctx); err != nil {
				if !brokenPipe(err) {
					t.Errorf("Drain: %v, want the broken pipe", err)
				}
				return nil
			}
			eventloop.Sleep(ctx, time.Millisecond)
		}
		if !failed {
			t.Fatal("writes to a reset connection never failed")
		}
		if err := w.Drain(ctx); !brokenPipe(err) {
			t.Errorf("Drain after a failed write = %v, want EPIPE or ECONNRESET", err)
		}
		return nil
	})
}

// TestDrainAfterPipeReaderClosed: the same on a pipe whose reading end is
// closed: the first write fails with EPIPE, and so does Drain.
func TestDrainAfterPipeReaderClosed(t *testing.T) {
	skipWithoutPoller(t)
	run(t, func(ctx context.Context) error {
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			return err
		}
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
		syscall.SetNonblock(p[1], true)
		syscall.Close(p[0])
		_, proto, err := transport.ConnectWritePipe(ctx, func() *streams.Protocol {
			return streams.NewProtocol(ctx)
		}, p[1])
		if err != nil {
			return err
		}
		w := proto.Writer()
		if proto.Reader().Err() == nil && !w.IsClosing() {
			w.Write([]byte("lost"))
		}
		if err := w.Drain(ctx); !errors.Is(err, syscall.EPIPE) {
			t.Errorf("Drain on a pipe with no reader = %v, want EPIPE", err)
		}
		w.Close()
		return nil
	})
}
