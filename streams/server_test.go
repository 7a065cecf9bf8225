package streams_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/aio-go/aio/transport"
)

// TestStartServerHandlerPanic: a handler that panics is reported to the
// exception handler when it happens (asyncio: "Unhandled exception in
// client_connected_cb"), naming the server and the peer; its connection is
// closed and the server goes on serving other clients. Nothing is left to
// report at loop close.
func TestStartServerHandlerPanic(t *testing.T) {
	skipWithoutPoller(t)
	var reports []eventloop.ExceptionContext
	var srvAddr, peer1 string
	reportedBeforeSecond := false
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			line, err := r.ReadLine(ctx)
			if err != nil {
				return
			}
			if string(line) == "boom\n" {
				panic("handler boom")
			}
			w.Write(line)
			w.Drain(ctx)
			w.Close()
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return struct{}{}, err
		}
		defer srv.Close()
		srvAddr = srv.Addrs()[0].String()

		r1, w1, err := streams.OpenConnection(ctx, "tcp", srvAddr)
		if err != nil {
			return struct{}{}, err
		}
		sn, _ := w1.Extra(transport.ExtraSockName)
		peer1 = sn.(net.Addr).String()
		w1.Write([]byte("boom\n"))
		if _, err := r1.Read(ctx, 1); !errors.Is(err, io.EOF) {
			t.Errorf("client of the panicking handler: read %v, want EOF", err)
		}
		w1.Close()
		reportedBeforeSecond = len(reports) == 1

		r2, w2, err := streams.OpenConnection(ctx, "tcp", srvAddr)
		if err != nil {
			return struct{}{}, err
		}
		w2.Write([]byte("hello\n"))
		got, err := r2.ReadLine(ctx)
		if err != nil || string(got) != "hello\n" {
			t.Errorf("second client: %q, %v", got, err)
		}
		w2.Close()
		return struct{}{}, nil
	}, eventloop.WithClock(timer.NewVirtual()), eventloop.WithExceptionHandler(func(l *eventloop.Loop, c eventloop.ExceptionContext) {
		reports = append(reports, c)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 {
		t.Fatalf("exception handler got %d reports, want 1: %+v", len(reports), reports)
	}
	if !reportedBeforeSecond {
		t.Error("the panic was not reported while the server ran")
	}
	c := reports[0]
	var pe *eventloop.PanicError
	if !errors.As(c.Err, &pe) || pe.Value != "handler boom" {
		t.Errorf("report's error = %v, want the handler's panic", c.Err)
	}
	if !strings.Contains(c.Message, srvAddr) || !strings.Contains(c.Message, peer1) {
		t.Errorf("report %q names neither server %s nor peer %s", c.Message, srvAddr, peer1)
	}
}
