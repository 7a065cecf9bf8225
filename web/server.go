package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// DefaultMaxHeaderBytes is the header limit of a Server whose
// MaxHeaderBytes is zero (net/http's: 1 MiB).
const DefaultMaxHeaderBytes = http.DefaultMaxHeaderBytes

// maxDiscard is how much of a request body the handler left unread the
// server reads and drops to keep the connection (net/http's 256 KiB).
const maxDiscard = 256 << 10

// Server serves HTTP/1.1 on one loop: every connection is a loop task
// that reads requests with http.ReadRequest and calls Handler for each,
// in order (pipelined requests are answered in request order). The zero
// value plus a Handler is ready to use; set the fields before Listen and
// do not change them afterwards.
//
// A Server belongs to the loop of the first Listen; its methods are for
// that loop's goroutine (its tasks), except where noted.
type Server struct {
	// Handler serves every request. Its ServeHTTP runs in the
	// connection's task; r.Context() is that task's context (cancelled
	// when ServeHTTP returns, at Close, and when Shutdown's deadline
	// passes), so it may await anything of the loop.
	Handler http.Handler

	// TLSConfig, if set, makes every listener serve HTTPS; NextProtos
	// gets "http/1.1" when it has none.
	TLSConfig *tls.Config

	// ReadHeaderTimeout bounds reading a request's header, from its first
	// byte (zero: no bound). IdleTimeout bounds the wait for the next
	// request on a keep-alive connection (zero: ReadHeaderTimeout's
	// value; both zero: no bound). Both are on the loop's clock.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration

	// MaxHeaderBytes bounds the request line plus header, with 4096
	// bytes of slack as net/http (zero: DefaultMaxHeaderBytes). A larger
	// header gets 431 and the connection is closed.
	MaxHeaderBytes int

	// Now gives the Date header's time (nil: time.Now). Deterministic
	// tests set it.
	Now func() time.Time

	// DisableKeepAlives closes every connection after one response.
	DisableKeepAlives bool

	loop      *eventloop.Loop
	listeners []*transport.Server
	conns     []*conn // in the order accepted (a map's order would make runs differ)
	shutting  bool
	closed    bool
	waiters   []eventloop.Parker // Serve and Shutdown
	dateSec   int64
	date      []byte
	hbr       *bufio.Reader // ReadRequest's reader over a header block
	hsrc      bytes.Reader
	freeBR    []*bufio.Reader // buffers of idle connections, for the next busy one
	freeBW    []*bufio.Writer
}

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes > 0 {
		return s.MaxHeaderBytes + 4096
	}
	return DefaultMaxHeaderBytes + 4096
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return s.ReadHeaderTimeout
}

// Listen starts serving on network ("tcp", "tcp4", "tcp6", "unix") and
// address and returns the address listened on (port 0 picks one). It
// may be called more than once, for more addresses. Connection tasks are
// children of the loop (not of ctx): end them with Shutdown or Close.
// opts go to streams.StartServer (streams.WithServerOptions for backlog
// or SO_REUSEPORT).
//
// Cancellation: Listen is an await (resolving a host name parks); when
// ctx is cancelled nothing is left listening.
func (s *Server) Listen(ctx context.Context, network, address string, opts ...streams.Option) (net.Addr, error) {
	if s.Handler == nil {
		return nil, errs.Op("web", "Listen", ErrNilHandler)
	}
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, fmt.Errorf("web: Listen: %w", eventloop.ErrNotInTask)
	}
	if s.loop == nil {
		s.loop = l
		s.hbr = bufio.NewReaderSize(&s.hsrc, 4096)
	} else if s.loop != l {
		return nil, fmt.Errorf("web: Listen: %w", eventloop.ErrWrongLoop)
	}
	if s.shutting || s.closed {
		return nil, ErrServerClosed
	}
	o := opts[:len(opts):len(opts)]
	if s.TLSConfig != nil {
		cfg := s.TLSConfig
		if len(cfg.NextProtos) == 0 {
			cfg = cfg.Clone()
			cfg.NextProtos = []string{"http/1.1"}
		}
		o = append(o, streams.WithTLS(cfg))
	}
	// Connection tasks hang off the loop's root, not the caller's task.
	srv, err := streams.StartServer(l.Context(), s.serveConn, network, address, o...)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		srv.Close()
		return nil, eventloop.AwaitError(ctx)
	}
	if err := srv.StartServing(); err != nil {
		srv.Close()
		return nil, err
	}
	s.listeners = append(s.listeners, srv)
	addrs := srv.Addrs()
	if len(addrs) == 0 {
		return nil, nil
	}
	return addrs[0], nil
}

// Serve is Listen followed by a wait until Shutdown or Close; it returns
// ErrServerClosed then (net/http's ListenAndServe).
//
// Cancellation: a cancelled Serve closes the server (Close: connections
// too) and returns eventloop.ErrCancelled (or ErrTimeout).
func (s *Server) Serve(ctx context.Context, network, address string, opts ...streams.Option) error {
	if _, err := s.Listen(ctx, network, address, opts...); err != nil {
		return err
	}
	for !s.shutting && !s.closed {
		if err := s.park(ctx); err != nil {
			s.Close()
			return err
		}
	}
	return ErrServerClosed
}

func (s *Server) park(ctx context.Context) error {
	p, err := eventloop.ParkerFor(ctx, s.loop)
	if err != nil {
		return err
	}
	s.waiters = append(s.waiters, p)
	if err := p.Park(ctx); err != nil {
		if i := slices.Index(s.waiters, p); i >= 0 {
			s.waiters = slices.Delete(s.waiters, i, i+1)
		}
		return err
	}
	return nil
}

func (s *Server) wake() {
	for _, p := range s.waiters {
		p.Unpark()
	}
	s.waiters = s.waiters[:0]
}

// Addrs returns the addresses the server listens on.
func (s *Server) Addrs() []net.Addr {
	var a []net.Addr
	for _, l := range s.listeners {
		a = append(a, l.Addrs()...)
	}
	return a
}

// Shutdown stops the server gracefully: it stops listening, closes the
// connections that wait for a request, and waits until the requests in
// progress are answered (their connections close after the response).
// It returns nil once no connection is left, or ctx's error when ctx ends
// first: the connections still open are left alone (call Close).
//
// Cancellation: Shutdown returns eventloop.ErrCancelled (or ErrTimeout);
// the server stays shut to new connections, requests in progress go on.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.loop == nil {
		s.shutting = true
		return nil
	}
	s.shutting = true
	s.stopListening()
	for _, c := range slices.Clone(s.conns) {
		if c.idle {
			c.abort()
		}
	}
	s.wake()
	for len(s.conns) > 0 {
		if err := s.park(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close stops listening and closes every connection at once: handlers in
// progress see their context cancelled and their writes fail. It does
// not wait.
func (s *Server) Close() error {
	s.closed = true
	if s.loop == nil {
		return nil
	}
	s.stopListening()
	for _, c := range slices.Clone(s.conns) {
		c.abort()
	}
	s.wake()
	return nil
}

func (s *Server) stopListening() {
	for _, l := range s.listeners {
		l.Close()
	}
}

// dateHeader returns the Date header's value, formatted once a second.
func (s *Server) dateHeader() []byte {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	if sec := t.Unix(); sec != s.dateSec || s.date == nil {
		s.dateSec = sec
		s.date = t.UTC().AppendFormat(s.date[:0], http.TimeFormat)
	}
	return s.date
}
