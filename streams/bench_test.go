package streams_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
)

// Echo round trips through streams: the server task does what W5's
// streams mode does (Read 64 KiB, Write, Drain); the client writes 64
// bytes and reads them back with ReadExactly.

func benchEcho(b *testing.B, connect func(ctx context.Context) (c, s streams.Endpoint, err error)) {
	l, err := eventloop.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		c, s, err := connect(ctx)
		if err != nil {
			return struct{}{}, err
		}
		srv := eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			for {
				data, err := s.Reader.Read(ctx, 65536)
				if err != nil {
					return struct{}{}, nil
				}
				s.Writer.Write(data)
				if err := s.Writer.Drain(ctx); err != nil {
					return struct{}{}, nil
				}
			}
		})
		msg := make([]byte, 64)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			c.Writer.Write(msg)
			if _, err := c.Reader.ReadExactly(ctx, len(msg)); err != nil {
				return struct{}{}, err
			}
		}
		b.StopTimer()
		c.Writer.Close()
		eventloop.WaitDone(ctx, srv)
		s.Writer.Close()
		return struct{}{}, c.Writer.WaitClosed(ctx)
	})
	if err := l.RunUntilComplete(main); err != nil {
		b.Fatal(err)
	}
	if err := main.Err(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkStreamsEchoMem(b *testing.B) {
	benchEcho(b, func(ctx context.Context) (streams.Endpoint, streams.Endpoint, error) {
		return streams.Pipe(ctx)
	})
}

func BenchmarkStreamsEchoSocketpair(b *testing.B) {
	benchEcho(b, func(ctx context.Context) (c, s streams.Endpoint, err error) {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			return c, s, err
		}
		var ep [2]streams.Endpoint
		for i, fd := range fds {
			_, p, err := eventloop.ConnectFD(ctx, func() *streams.Protocol { return streams.NewProtocol(ctx) }, fd)
			if err != nil {
				return c, s, err
			}
			ep[i] = streams.Endpoint{Reader: p.Reader(), Writer: p.Writer()}
		}
		return ep[0], ep[1], nil
	})
}
