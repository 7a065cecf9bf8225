package transport

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// fileRec records a file transport's callbacks; lost resolves with
// ConnectionLost's error.
type fileRec struct {
	ProtocolBase
	got  []byte
	eof  int
	lost *eventloop.Future[error]
}

func (p *fileRec) DataReceived(d []byte) { p.got = append(p.got, d...) }
func (p *fileRec) EOFReceived() bool     { p.eof++; return true }
func (p *fileRec) ConnectionLost(err error) {
	if p.lost.Done() {
		panic("ConnectionLost twice")
	}
	p.lost.SetResult(err)
}

// runFileTask runs fn as a task on a new real-clock loop.
func runFileTask(t *testing.T, fn func(ctx context.Context, l *eventloop.Loop) error) {
	t.Helper()
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx, l)
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Errorf("task: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestFileTransportPipe(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		rp := &fileRec{lost: eventloop.NewFuture[error](l)}
		wp := &fileRec{lost: eventloop.NewFuture[error](l)}
		rt, _, err := ConnectReadFile(ctx, func() *fileRec { return rp }, r)
		if err != nil {
			w.Close()
			return err
		}
		wt, _, err := ConnectWriteFile(ctx, func() *fileRec { return wp }, w)
		if err != nil {
			rt.Close()
			return err
		}
		if err := rt.Write([]byte("x")); !errors.Is(err, errReadOnlyConn) {
			t.Errorf("Write on the read end = %v", err)
		}
		if err := rt.WriteEOF(); !errors.Is(err, ErrWriteEOFUnsupported) {
			t.Errorf("WriteEOF on the read end = %v", err)
		}
		if rt.(WriteTransport).CanWriteEOF() || !wt.(WriteTransport).CanWriteEOF() {
			t.Errorf("CanWriteEOF: read %v, write %v", rt.CanWriteEOF(), wt.CanWriteEOF())
		}
		var want []byte
		for i := range 200 {
			chunk := bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i)
			want = append(want, chunk...)
			if err := wt.Write(chunk); err != nil {
				return err
			}
		}
		if err := wt.WriteEOF(); err != nil {
			return err
		}
		if err := wt.Write([]byte("late")); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("Write after WriteEOF = %v", err)
		}
		if werr, err := eventloop.Await(ctx, wp.lost); err != nil || werr != nil {
			t.Errorf("write end lost: %v, %v", werr, err)
		}
		if rerr, err := eventloop.Await(ctx, rp.lost); err != nil || rerr != nil {
			t.Errorf("read end lost: %v, %v", rerr, err)
		}
		if !bytes.Equal(rp.got, want) {
			t.Errorf("read %d bytes, want %d in order", len(rp.got), len(want))
		}
		if rp.eof != 1 {
			t.Errorf("EOFReceived %d times, want 1 (and the read end closed though it returned true)", rp.eof)
		}
		return nil
	})
}

// A read transport closed while its goroutine waits in Read ends at once.
func TestFileTransportCloseWhileReading(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		defer w.Close()
		rp := &fileRec{lost: eventloop.NewFuture[error](l)}
		rt, _, err := ConnectReadFile(ctx, func() *fileRec { return rp }, r)
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte("one")); err != nil {
			return err
		}
		for len(rp.got) < 3 {
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		rt.Close()
		if rerr, err := eventloop.Await(ctx, rp.lost); err != nil || rerr != nil {
			t.Errorf("lost: %v, %v", rerr, err)
		}
		if string(rp.got) != "one" {
			t.Errorf("got %q", rp.got)
		}
		return nil
	})
}

// A write to a pipe whose reader is gone breaks the transport with an
// error, reported once.
func TestFileTransportBrokenPipe(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		r.Close()
		wp := &fileRec{lost: eventloop.NewFuture[error](l)}
		wt, _, err := ConnectWriteFile(ctx, func() *fileRec { return wp }, w)
		if err != nil {
			return err
		}
		if err := wt.Write([]byte("nobody reads this")); err != nil {
			return err
		}
		werr, err := eventloop.Await(ctx, wp.lost)
		var be *BrokenError
		if err != nil || !errors.As(werr, &be) {
			t.Errorf("lost: %v, %v; want a *BrokenError", werr, err)
		}
		if err := wt.Write([]byte("again")); err == nil {
			t.Error("Write after the break succeeded")
		}
		return nil
	})
}

func TestFileTransportBadInput(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		_, _, err := ConnectReadFile(ctx, func() *fileRec { return nil }, nil)
		if !errors.Is(err, ErrBadFile) || !strings.HasPrefix(err.Error(), "transport: ConnectReadFile: ") {
			t.Errorf("nil file: %v", err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		defer w.Close()
		_, _, err = ConnectWriteFile[*fileRec](ctx, nil, r)
		if !errors.Is(err, eventloop.ErrNilCallback) {
			t.Errorf("nil factory: %v", err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
			t.Errorf("the file was not closed: %v", err)
		}
		return nil
	})
}

// Abort while the writer goroutine is blocked in a write nobody reads
// (the pipe is full) ends the transport without waiting for a reader.
// The same for a read transport blocked in a read: Abort on the loop
// goroutine must not hang there.
func TestFileTransportAbortBlocked(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		defer r.Close()
		wp := &fileRec{lost: eventloop.NewFuture[error](l)}
		wt, _, err := ConnectWriteFile(ctx, func() *fileRec { return wp }, w)
		if err != nil {
			return err
		}
		if err := wt.Write(make([]byte, 4<<20)); err != nil { // far more than a pipe holds
			return err
		}
		for range 5 {
			if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		if wt.(FlowControl).WriteBufferSize() == 0 {
			t.Error("the 4 MiB write completed with nobody reading")
		}
		wt.Abort()
		if werr, err := eventloop.Await(ctx, wp.lost); err != nil || werr != nil {
			t.Errorf("write end lost: %v, %v", werr, err)
		}

		r2, w2, err := os.Pipe()
		if err != nil {
			return err
		}
		defer w2.Close()
		rp := &fileRec{lost: eventloop.NewFuture[error](l)}
		rt, _, err := ConnectReadFile(ctx, func() *fileRec { return rp }, r2)
		if err != nil {
			return err
		}
		if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		rt.Abort()
		if rerr, err := eventloop.Await(ctx, rp.lost); err != nil || rerr != nil {
			t.Errorf("read end lost: %v, %v", rerr, err)
		}
		return nil
	})
}
