package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// ErrServerClosed is returned by StartServing and ServeForever on a server
// that was closed.
var ErrServerClosed = errors.New("transport: server is closed")

// Server is a listening server made by CreateServer (asyncio.Server): one
// or more listening endpoints, the protocol factory, and the connections it
// accepted. It works over any Network. Methods are loop-only (the loop
// goroutine or a running task of the loop).
type Server struct {
	loop      *eventloop.Loop
	netw      string
	listeners []Listener
	newProto  func() StreamProtocol
	clients   map[Transport]struct{}
	serving   bool
	closed    bool
	waiters   []eventloop.Parker // WaitClosed
	forever   []eventloop.Parker // ServeForever
	h         serverHandler
	res       serverResource // how the loop tracks s
}

// ServerStats is a snapshot of a server's counters.
type ServerStats struct {
	Clients   int           // connections open now
	Listeners int           // listening endpoints
	Accept    ListenerStats // summed over the endpoints
}

// CreateServer listens on address (and the WithAddrs extra ones) on
// network ("tcp", "tcp4", "tcp6", "unix") and serves every accepted
// connection with a protocol from factory (asyncio's loop.create_server).
// An address may stand for several endpoints: ":8080" listens on every
// IPv4 and IPv6 interface, "localhost:8080" on each address of localhost
// (with port 0, the later endpoints reuse the port the first one got).
// Defaults as asyncio on Unix: backlog 100, SO_REUSEADDR on, accepting at
// once; TCP_NODELAY on accepted TCP connections. A Unix socket path that
// holds a stale socket is removed first, and the path is removed when the
// server closes.
//
// It is an await (resolving a host name parks): call it from a task of the
// loop, with the task's ctx.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); endpoints already
// opened are closed, nothing is left listening.
func CreateServer[P StreamProtocol](ctx context.Context, factory func() P, network, address string, opts ...ServerOption) (*Server, error) {
	l, err := loopFor(ctx, "CreateServer")
	if err != nil {
		return nil, err
	}
	if factory == nil {
		return nil, errs.Op("transport", "CreateServer", eventloop.ErrNilCallback)
	}
	cfg := serverConfig(opts)
	s := &Server{loop: l, netw: network, clients: map[Transport]struct{}{},
		newProto: func() StreamProtocol { return factory() }}
	s.h.s = s
	s.res.s = s
	for _, addr := range append([]string{address}, cfg.ExtraAddrs...) {
		lns, err := NetworkOf(l).Listen(ctx, network, addr, cfg)
		if err != nil {
			for _, ln := range s.listeners {
				ln.Close()
			}
			return nil, err
		}
		s.listeners = append(s.listeners, lns...)
	}
	if err := l.Track(&s.res); err != nil {
		for _, ln := range s.listeners {
			ln.Close()
		}
		return nil, err
	}
	if cfg.StartServing {
		if err := s.StartServing(); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// serverHandler is the Server's ConnHandler, kept off Server's method set.
type serverHandler struct{ s *Server }

func (h serverHandler) NewProtocol() StreamProtocol { return h.s.newProto() }
func (h serverHandler) Attached(t Transport)        { h.s.clients[t] = struct{}{} }
func (h serverHandler) Detached(t Transport) {
	delete(h.s.clients, t)
	h.s.wakeIfDone()
}
func (h serverHandler) AcceptError(err error) {
	h.s.loop.CallExceptionHandler(eventloop.ExceptionContext{Message: "server: accept failed", Err: err})
}

// Loop returns the server's loop.
func (s *Server) Loop() *eventloop.Loop { return s.loop }

// StartServing starts accepting connections (a no-op when it already
// does). It fails with ErrServerClosed after Close.
func (s *Server) StartServing() error {
	if s.closed {
		return ErrServerClosed
	}
	if s.serving {
		return nil
	}
	for _, ln := range s.listeners {
		if err := ln.Accept(s.h); err != nil {
			return err
		}
	}
	s.serving = true
	return nil
}

// IsServing reports whether the server accepts connections.
func (s *Server) IsServing() bool { return s.serving }

// Close stops listening and closes the listening endpoints; connections
// already accepted stay open (close them with CloseClients). Idempotent.
func (s *Server) Close() {
	if s.closed {
		return
	}
	s.closed, s.serving = true, false
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.loop.Untrack(&s.res)
	for _, p := range s.forever {
		p.Unpark()
	}
	s.forever = nil
	s.wakeIfDone()
}

// CloseClients closes every accepted connection that is still open
// (buffered data is flushed first).
func (s *Server) CloseClients() {
	for t := range s.clients {
		t.Close()
	}
}

// AbortClients aborts every accepted connection that is still open.
func (s *Server) AbortClients() {
	for t := range s.clients {
		t.Abort()
	}
}

func (s *Server) wakeIfDone() {
	if s.closed && len(s.clients) == 0 {
		for _, p := range s.waiters {
			p.Unpark()
		}
		s.waiters = nil
	}
}

// WaitClosed waits until the server is closed and every connection it
// accepted has been lost (asyncio 3.12's wait_closed). It is an await.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the server is not
// affected.
func (s *Server) WaitClosed(ctx context.Context) error {
	for !(s.closed && len(s.clients) == 0) {
		p, err := eventloop.ParkerFor(ctx, s.loop)
		if err != nil {
			return err
		}
		s.waiters = append(s.waiters, p)
		if err := p.Park(ctx); err != nil {
			s.waiters = removeParker(s.waiters, p)
			return err
		}
	}
	return nil
}

// ServeForever starts serving and waits until the server is closed; it
// returns nil then. It is an await.
//
// Cancellation: closes the server (not its connections) and returns
// ErrCancelled (or ErrTimeout), as asyncio's serve_forever does.
func (s *Server) ServeForever(ctx context.Context) error {
	if err := s.StartServing(); err != nil {
		return err
	}
	p, err := eventloop.ParkerFor(ctx, s.loop)
	if err != nil {
		return err
	}
	s.forever = append(s.forever, p)
	if err := p.Park(ctx); err != nil {
		s.forever = removeParker(s.forever, p)
		s.Close()
		return err
	}
	return nil
}

func removeParker(ps []eventloop.Parker, p eventloop.Parker) []eventloop.Parker {
	for i, q := range ps {
		if q == p {
			return append(ps[:i], ps[i+1:]...)
		}
	}
	return ps
}

// Addrs returns the addresses the server listens on.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, 0, len(s.listeners))
	for _, ln := range s.listeners {
		out = append(out, ln.Addr())
	}
	return out
}

// Sockets returns the listening descriptors (asyncio's Server.sockets);
// endpoints of a simulated network have none and are left out.
func (s *Server) Sockets() []int {
	var out []int
	for _, ln := range s.listeners {
		if fd := ln.FD(); fd >= 0 {
			out = append(out, fd)
		}
	}
	return out
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() ServerStats {
	st := ServerStats{Clients: len(s.clients), Listeners: len(s.listeners)}
	for _, ln := range s.listeners {
		ls := ln.Stats()
		st.Accept.AcceptCalls += ls.AcceptCalls
		st.Accept.Accepted += ls.Accepted
		st.Accept.Pauses += ls.Pauses
	}
	return st
}

// serverResource is how the loop tracks a Server (eventloop.Resource),
// kept apart so that Server's own method set stays what users call.
type serverResource struct{ s *Server }

func (r *serverResource) String() string { return r.s.describe() }
func (r *serverResource) CloseNow()      { r.s.closeNow() }

func (s *Server) describe() string {
	addrs := make([]string, 0, len(s.listeners))
	for _, a := range s.Addrs() {
		addrs = append(addrs, addrString(a))
	}
	return fmt.Sprintf("%s server %s", s.netw, strings.Join(addrs, " "))
}

func (s *Server) closeNow() {
	s.closed, s.serving = true, false
	for _, ln := range s.listeners {
		if c, ok := ln.(interface{ closeNow() }); ok {
			c.closeNow()
		} else {
			ln.Close()
		}
	}
}
