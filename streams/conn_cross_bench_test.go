package streams_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// BenchmarkConnCrossGoroutine is the view's loop path: a plain goroutine
// pings, over loop TCP (Dialer), an echo served by a loop task; each op
// is one Write and one Read through the loop.
func BenchmarkConnCrossGoroutine(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			echoTask(ctx, streams.Endpoint{Reader: r, Writer: w})
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		d := &streams.Dialer{Loop: eventloop.LoopOf(ctx)}
		addr := srv.Addrs()[0].String()
		b.ResetTimer()
		task.ToThread(ctx, func(context.Context) (struct{}, error) {
			c, err := d.DialContext(context.Background(), "tcp", addr)
			if err != nil {
				b.Error(err)
				return struct{}{}, nil
			}
			pingPong(b, c, b.N)
			b.StopTimer()
			c.Close()
			return struct{}{}, nil
		})
		srv.Close()
		srv.CloseClients()
		srv.WaitClosed(ctx)
	})
}

// BenchmarkNetConnPlain is the same ping-pong over Go's own TCP, the
// echo on a goroutine: what the loop path is compared with.
func BenchmarkNetConnPlain(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(s, s)
		s.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	pingPong(b, c, b.N)
	b.StopTimer()
	c.Close()
	<-done
}
