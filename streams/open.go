package streams

import (
	"context"
	"fmt"
	"net"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// WithConnOptions passes options to transport.CreateConnection
// (OpenConnection): local address, TCP_NODELAY, happy eyeballs
// (transport.WithHappyEyeballsDelay, transport.WithInterleave: asyncio's
// happy_eyeballs_delay and interleave).
func WithConnOptions(opts ...transport.ConnOption) Option {
	return func(c *config) { c.conn = append(c.conn, opts...) }
}

// WithServerOptions passes options to transport.CreateServer
// (StartServer): backlog, SO_REUSEPORT, more addresses, …
func WithServerOptions(opts ...transport.ServerOption) Option {
	return func(c *config) { c.serverOpts = append(c.serverOpts, opts...) }
}

// OpenConnection connects to address on network ("tcp", "tcp4", "tcp6",
// "unix") and returns the connection's reader and writer
// (asyncio.open_connection). With WithTLS it also does the TLS handshake:
// the server's certificate and host name are verified (crypto/tls
// defaults), with ServerName taken from address's host when the config
// has none.
//
// Cancellation: if ctx is cancelled while connecting or during the
// handshake, the connection is aborted and OpenConnection returns
// eventloop.ErrCancelled (or ErrTimeout).
func OpenConnection(ctx context.Context, network, address string, opts ...Option) (*StreamReader, *StreamWriter, error) {
	cf := newConfig(opts)
	if err := cf.check("OpenConnection"); err != nil {
		return nil, nil, err
	}
	_, p, err := transport.CreateConnection(ctx, func() *Protocol { return NewProtocol(ctx, opts...) }, network, address, cf.conn...)
	if err != nil {
		return nil, nil, err
	}
	if cf.tls != nil {
		tcfg := cf.tls
		if tcfg.ServerName == "" && !tcfg.InsecureSkipVerify {
			tcfg = tcfg.Clone()
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				host = address
			}
			tcfg.ServerName = host
		}
		if err := p.writer.StartTLS(ctx, tcfg); err != nil {
			p.writer.t.Abort()
			return nil, nil, err
		}
	}
	return p.reader, p.writer, nil
}

// OpenUnixConnection is OpenConnection to the Unix socket at path.
func OpenUnixConnection(ctx context.Context, path string, opts ...Option) (*StreamReader, *StreamWriter, error) {
	return OpenConnection(ctx, "unix", path, opts...)
}

// StartServer listens on address ("tcp", "tcp4", "tcp6", "unix") and runs
// handler as a new task for every connection, with the connection's reader
// and writer (asyncio.start_server). The handler tasks are children of
// ctx: cancelling ctx cancels them. With WithTLS each connection does the
// TLS handshake first (a failed handshake closes it, and handler is not
// called). The handler owns its writer: close it when done. If the handler
// is cancelled, the connection is closed. If it panics, the connection is
// closed (what it wrote is still sent) and the panic goes at once to the loop's exception handler (a
// *eventloop.PanicError, with a message naming the server's and the
// peer's addresses); the server goes on serving.
//
// Serve with the returned server's ServeForever, or keep it open and Close
// it; StartServer itself is an await (resolving a host name parks).
//
// Cancellation: as transport.CreateServer: nothing is left listening.
func StartServer(ctx context.Context, handler func(ctx context.Context, r *StreamReader, w *StreamWriter), network, address string, opts ...Option) (*transport.Server, error) {
	if handler == nil {
		return nil, fmt.Errorf("streams: StartServer: %w", eventloop.ErrNilCallback)
	}
	cf := newConfig(opts)
	if err := cf.check("StartServer"); err != nil {
		return nil, err
	}
	sopts := append(opts[:len(opts):len(opts)], AsServer())
	ref := &serverRef{}
	srv, err := transport.CreateServer(ctx, func() *Protocol {
		p := NewProtocol(ctx, sopts...)
		p.handler, p.server = handler, ref
		return p
	}, network, address, cf.serverOpts...)
	ref.srv = srv
	return srv, err
}

// StartUnixServer is StartServer on the Unix socket at path.
func StartUnixServer(ctx context.Context, handler func(ctx context.Context, r *StreamReader, w *StreamWriter), path string, opts ...Option) (*transport.Server, error) {
	return StartServer(ctx, handler, "unix", path, opts...)
}
