package streams_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
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

// The server side of W5 alone: conns in-memory connections, each driven
// by a callback protocol (no task) that sends 64 bytes, waits for the echo
// and sends again, until b.N requests are done. The server is either a
// plain echo protocol (the floor) or a streams task per connection, so the
// difference between the rows is what the streams path costs per request.

const serverBenchConns = 100

type pinger struct {
	transport.ProtocolBase
	t    transport.Transport
	msg  []byte
	got  int
	load *pingLoad
}

type pingLoad struct {
	sent, done, n int
	finished      *eventloop.Future[struct{}]
}

func (p *pinger) ConnectionMade(t transport.Transport) {
	p.t = t
	p.send()
}

func (p *pinger) send() {
	if p.load.sent < p.load.n {
		p.load.sent++
		p.t.Write(p.msg)
	}
}

func (p *pinger) DataReceived(b []byte) {
	p.got += len(b)
	for p.got >= len(p.msg) {
		p.got -= len(p.msg)
		p.load.done++
		if p.load.done == p.load.n {
			p.load.finished.SetResult(struct{}{})
		}
		p.send()
	}
}

type echoProto struct {
	transport.ProtocolBase
	t transport.Transport
}

func (e *echoProto) ConnectionMade(t transport.Transport) { e.t = t }
func (e *echoProto) DataReceived(b []byte)                { e.t.Write(b) }

func benchServer(b *testing.B, server func(ctx context.Context) (transport.StreamProtocol, func(ctx context.Context))) {
	l, err := eventloop.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		load := &pingLoad{n: b.N, finished: eventloop.NewFuture[struct{}](l)}
		var ts []transport.Transport
		var serve []func(ctx context.Context)
		msg := make([]byte, 64)
		for range serverBenchConns {
			sp, fn := server(ctx)
			ta, tb, err := transport.NewTransportPair(l, &pinger{msg: msg, load: load}, sp)
			if err != nil {
				return struct{}{}, err
			}
			ts = append(ts, ta, tb)
			serve = append(serve, fn)
		}
		b.ReportAllocs()
		b.ResetTimer()
		if err := eventloop.Sleep(ctx, 0); err != nil { // ConnectionMade
			return struct{}{}, err
		}
		var tasks []*eventloop.Task[struct{}]
		for _, fn := range serve {
			if fn != nil {
				tasks = append(tasks, eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
					fn(ctx)
					return struct{}{}, nil
				}))
			}
		}
		_, err := eventloop.Await(ctx, load.finished)
		b.StopTimer()
		for _, t := range ts {
			t.Close()
		}
		for _, t := range tasks {
			eventloop.WaitDone(ctx, t)
		}
		return struct{}{}, err
	})
	if err := l.RunUntilComplete(main); err != nil {
		b.Fatal(err)
	}
	if err := main.Err(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkServerEchoMem(b *testing.B) {
	b.Run("protocol", func(b *testing.B) {
		benchServer(b, func(ctx context.Context) (transport.StreamProtocol, func(context.Context)) {
			return &echoProto{}, nil
		})
	})
	b.Run("streams-read", func(b *testing.B) {
		benchServer(b, func(ctx context.Context) (transport.StreamProtocol, func(context.Context)) {
			p := streams.NewProtocol(ctx)
			return p, func(ctx context.Context) {
				r, w := p.Reader(), p.Writer()
				defer w.Close()
				for {
					data, err := r.Read(ctx, 65536)
					if err != nil {
						return
					}
					w.Write(data)
					if err := w.Drain(ctx); err != nil {
						return
					}
				}
			}
		})
	})
	b.Run("streams-readinto", func(b *testing.B) {
		benchServer(b, func(ctx context.Context) (transport.StreamProtocol, func(context.Context)) {
			p := streams.NewProtocol(ctx)
			return p, func(ctx context.Context) {
				r, w := p.Reader(), p.Writer()
				defer w.Close()
				buf := make([]byte, 65536)
				for {
					n, err := r.ReadInto(ctx, buf)
					if err != nil {
						return
					}
					w.Write(buf[:n])
					if err := w.Drain(ctx); err != nil {
						return
					}
				}
			}
		})
	})
}
