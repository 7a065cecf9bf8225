package streams_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/streams"
)

// pingPong writes msg and reads the echo back, n times, checking it.
func pingPong(b *testing.B, c net.Conn, n int) {
	msg := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	buf := make([]byte, len(msg))
	for i := range n {
		msg[0] = byte(i)
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
		if buf[0] != byte(i) {
			b.Fatalf("echo %d, want %d", buf[0], byte(i))
		}
	}
}

// echoTask echoes everything s receives, until EOF.
func echoTask(ctx context.Context, s streams.Endpoint) *eventloop.Task[struct{}] {
	return eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		buf := make([]byte, 4096)
		for {
			n, err := s.Reader.ReadInto(ctx, buf)
			if n > 0 {
				s.Writer.Write(buf[:n])
			}
			if err != nil {
				s.Writer.Close()
				return struct{}{}, nil
			}
		}
	})
}

// BenchmarkConnSameTask is the view's direct path: its owner task pings
// an echo task over an in-memory pipe, 64 bytes each way per op.
func BenchmarkConnSameTask(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			b.Fatal(err)
		}
		echo := echoTask(ctx, s)
		conn := streams.NewConn(ctx, c.Reader, c.Writer)
		b.ResetTimer()
		pingPong(b, conn, b.N)
		b.StopTimer()
		conn.Close()
		eventloop.WaitDone(ctx, echo)
	})
}
