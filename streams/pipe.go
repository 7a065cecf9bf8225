package streams

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// Endpoint is one end of a stream connection: its reader and its writer.
type Endpoint struct {
	Reader *StreamReader
	Writer *StreamWriter
}

// WithPairOptions passes options to the in-memory transport pair of Pipe
// (read rate, schedule, addresses).
func WithPairOptions(opts ...transport.PairOption) Option {
	return func(c *config) { c.pair = append(c.pair, opts...) }
}

// Pipe connects two streams in memory (transport.NewTransportPair) and
// waits one loop iteration for both to be made. The server end is made
// with AsServer, so StartTLS works on both. opts apply to both ends;
// WithTLS makes both ends start TLS (the client verifies the server
// against the same config). Streams of a Pipe behave as those of a TCP
// connection: flow control, half-close, reset by Abort.
//
// Cancellation: if ctx is cancelled, the pair is aborted and Pipe returns
// eventloop.ErrCancelled (or ErrTimeout).
func Pipe(ctx context.Context, opts ...Option) (client, server Endpoint, err error) {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return client, server, fmt.Errorf("streams: Pipe: %w: the context carries no loop", eventloop.ErrNotInTask)
	}
	cf := newConfig(opts)
	if err := cf.check("Pipe"); err != nil {
		return client, server, err
	}
	pc := NewProtocol(ctx, opts...)
	ps := NewProtocol(ctx, append(opts, AsServer())...)
	ta, tb, err := transport.NewTransportPair(l, pc, ps, cf.pair...)
	if err != nil {
		return client, server, err
	}
	if err := eventloop.Sleep(ctx, 0); err != nil {
		ta.Abort()
		tb.Abort()
		return client, server, err
	}
	client = Endpoint{pc.Reader(), pc.Writer()}
	server = Endpoint{ps.Reader(), ps.Writer()}
	if cf.tls == nil {
		return client, server, nil
	}
	hs := eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, server.Writer.StartTLS(ctx, cf.tls)
	}, eventloop.WithName("streams-pipe-tls"))
	cerr := client.Writer.StartTLS(ctx, cf.tls)
	if werr := eventloop.WaitDone(context.WithoutCancel(ctx), hs); werr != nil && cerr == nil {
		cerr = werr
	}
	if cerr == nil {
		cerr = hs.Err()
	}
	if cerr != nil {
		ta.Abort()
		tb.Abort()
		return client, server, cerr
	}
	return client, server, nil
}
