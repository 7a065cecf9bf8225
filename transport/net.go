package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// This file holds what the networking layer needs on every platform: the
// Network seam that lets a simulated network stand in for the OS, the
// options of CreateConnection and CreateServer, the structured errors, and
// the loop's bookkeeping of its live transports and servers (so Close can
// name them). The OS implementation lives in the unix-only files
// (transport_fd.go, dial.go, server.go, ...).

// Network is where CreateConnection and CreateServer get their connections:
// the operating system by default, or a simulated network chosen per loop
// with WithNetwork. It is deliberately small: an implementation dials and
// listens; the loop-level calls do the rest (protocol factories, Server
// bookkeeping, flow control is the transport's business).
//
// Both methods run on the loop goroutine, from the task that called
// CreateConnection or CreateServer. Dial may park that task (ctx is the
// task's context): it returns once the connection is up, with a transport
// whose protocol newProto made (called once, after the connection is up)
// and whose ConnectionMade is already scheduled through the loop, or with
// an error (a *NetError, or the await's own cancellation error). Listen opens
// every listening endpoint address resolves to and returns them not yet
// accepting. A transport an implementation returns must keep this package's
// contract (protocol.go): callbacks through the loop, ConnectionLost once.
//
// A Network that also implements Resolver gets happy eyeballs
// (WithHappyEyeballsDelay, WithInterleave): CreateConnection resolves
// through it and races Dial over the addresses, several Dials in flight at
// once, each in a task of its own; a Dial cancelled through its ctx must
// release what it holds before it returns.
type Network interface {
	Dial(ctx context.Context, network, address string, newProto func() StreamProtocol, cfg *ConnConfig) (Transport, error)
	Listen(ctx context.Context, network, address string, cfg *ServerConfig) ([]Listener, error)
}

// Listener is one listening endpoint of a Network, driven by a Server.
type Listener interface {
	// Addr returns the address the endpoint listens on.
	Addr() net.Addr
	// FD returns the listening socket's descriptor, or -1 when the
	// endpoint is not an OS socket.
	FD() int
	// Accept starts delivering connections to h, until Stop or Close. For
	// each one the listener calls h.NewProtocol, builds a transport with
	// that protocol (ConnectionMade scheduled through the loop), reports it
	// with h.Attached, and reports h.Detached once its ConnectionLost has
	// run. Errors that do not end the listener go to h.AcceptError.
	Accept(h ConnHandler) error
	// Stop stops accepting; the endpoint stays bound.
	Stop()
	// Close stops accepting and releases the endpoint. Idempotent.
	Close() error
	// Stats returns the listener's counters.
	Stats() ListenerStats
}

// ConnHandler is what a Listener reports accepted connections to (a
// Server).
type ConnHandler interface {
	NewProtocol() StreamProtocol
	Attached(t Transport)
	Detached(t Transport)
	AcceptError(err error)
}

// ListenerStats counts what a listener did.
type ListenerStats struct {
	AcceptCalls uint64 // accept system calls (or their simulated equivalent)
	Accepted    uint64 // connections accepted
	Pauses      uint64 // times accepting paused for lack of descriptors (EMFILE, ENFILE, ...)
}

// WithNetwork makes the loop's CreateConnection and CreateServer go
// through n instead of the operating system (a simulated network in
// tests). The default is the OS network. Datagram endpoints, pipes and
// the Sock* calls always use the OS.
func WithNetwork(n Network) eventloop.Option { return eventloop.WithLocal(networkKey{}, n) }

// networkKey is the loop-local key of the Network given with WithNetwork.
type networkKey struct{}

// NetworkOf returns the network l dials and listens on: the one given
// with WithNetwork, or the operating system's.
func NetworkOf(l *eventloop.Loop) Network {
	if n, ok := l.Local(networkKey{}).(Network); ok && n != nil {
		return n
	}
	return osNetwork{}
}

// ConnConfig is the resolved form of the ConnOptions of CreateConnection,
// as a Network receives it.
type ConnConfig struct {
	LocalAddr string // "host:port" (or a path for unix) to bind before connecting; "" for any
	// NoDelay sets TCP_NODELAY on TCP connections (default true, as asyncio).
	NoDelay bool
	// HappyEyeballs is set by WithHappyEyeballsDelay: CreateConnection
	// races the addresses, starting the next attempt HappyEyeballsDelay
	// after the previous one started or as soon as it failed. The race
	// happens above the Network (see Resolver); a Network may ignore both.
	HappyEyeballs      bool
	HappyEyeballsDelay time.Duration
	// Interleave, when > 0, reorders the resolved addresses by family:
	// Interleave of the first family first, then one of each family in
	// turn (WithInterleave; 1 by default with WithHappyEyeballsDelay).
	Interleave int

	interleaveSet bool  // WithInterleave was given
	err           error // a bad option, reported by CreateConnection
}

// ConnOption configures CreateConnection.
type ConnOption func(*ConnConfig)

// WithLocalAddr binds the socket to addr before connecting.
func WithLocalAddr(addr string) ConnOption { return func(c *ConnConfig) { c.LocalAddr = addr } }

// WithNoDelay sets (the default) or clears TCP_NODELAY.
func WithNoDelay(on bool) ConnOption { return func(c *ConnConfig) { c.NoDelay = on } }

// WithHappyEyeballsDelay makes CreateConnection race the addresses a name
// resolves to (asyncio's happy_eyeballs_delay, RFC 8305): the first
// attempt starts at once, each next one d after the previous one started
// or as soon as it failed, whichever comes first; the first connection up
// wins and every other attempt is cancelled and its socket closed. d = 0
// starts the attempts one loop iteration apart; a negative d makes
// CreateConnection fail. Unless WithInterleave says otherwise the
// addresses are interleaved by family, one at a time (interleave 1).
// It applies when the loop's Network implements Resolver (the OS network
// does); otherwise the Network dials as it always does.
func WithHappyEyeballsDelay(d time.Duration) ConnOption {
	return func(c *ConnConfig) {
		if d < 0 {
			c.err = fmt.Errorf("transport: happy eyeballs delay %v is negative", d)
			return
		}
		c.HappyEyeballs, c.HappyEyeballsDelay = true, d
	}
}

// WithInterleave reorders the resolved addresses by address family before
// they are tried (asyncio's interleave): n addresses of the first family
// come first, then the families take turns, one address each. 0 keeps the
// resolver's order (also with WithHappyEyeballsDelay); a negative n makes
// CreateConnection fail. Like WithHappyEyeballsDelay it applies when the
// loop's Network implements Resolver; without a delay the addresses are
// still tried one after another.
func WithInterleave(n int) ConnOption {
	return func(c *ConnConfig) {
		if n < 0 {
			c.err = fmt.Errorf("transport: interleave %d is negative", n)
			return
		}
		c.Interleave, c.interleaveSet = n, true
	}
}

// ServerConfig is the resolved form of the ServerOptions of CreateServer.
type ServerConfig struct {
	ExtraAddrs   []string      // more addresses to listen on, besides the first
	Backlog      int           // listen backlog (default 100, as asyncio)
	ReuseAddr    bool          // SO_REUSEADDR (default true on Unix, as asyncio)
	ReusePort    bool          // SO_REUSEPORT (default false)
	StartServing bool          // accept at once (default true)
	NoDelay      bool          // TCP_NODELAY on accepted TCP sockets (default true)
	KeepAlive    bool          // SO_KEEPALIVE on accepted TCP sockets (default false, as asyncio's keep_alive)
	AcceptRetry  time.Duration // pause after EMFILE/ENFILE before accepting again (default 1 s)
	// CleanupSocket removes a Unix server's socket file when the server
	// closes, provided the file is still the server's own (default true,
	// as asyncio 3.13's cleanup_socket).
	CleanupSocket bool
}

// ServerOption configures CreateServer.
type ServerOption func(*ServerConfig)

// WithAddrs adds more addresses for the server to listen on.
func WithAddrs(addrs ...string) ServerOption {
	return func(c *ServerConfig) { c.ExtraAddrs = append(c.ExtraAddrs, addrs...) }
}

// WithBacklog sets the listen backlog (values < 1 keep the default, 100).
func WithBacklog(n int) ServerOption {
	return func(c *ServerConfig) {
		if n > 0 {
			c.Backlog = n
		}
	}
}

// WithReuseAddr sets SO_REUSEADDR (on by default).
func WithReuseAddr(on bool) ServerOption { return func(c *ServerConfig) { c.ReuseAddr = on } }

// WithReusePort sets SO_REUSEPORT, so several sockets (one per loop, see
// ServePerCore) can share a port.
func WithReusePort(on bool) ServerOption { return func(c *ServerConfig) { c.ReusePort = on } }

// WithStartServing says whether CreateServer starts accepting at once (the
// default) or waits for StartServing or ServeForever.
func WithStartServing(on bool) ServerOption { return func(c *ServerConfig) { c.StartServing = on } }

// WithAcceptRetryDelay sets how long a listener stops accepting after the
// process ran out of descriptors (default 1 s, as asyncio).
func WithAcceptRetryDelay(d time.Duration) ServerOption {
	return func(c *ServerConfig) {
		if d > 0 {
			c.AcceptRetry = d
		}
	}
}

// WithCleanupSocket says whether a Unix server removes its socket file
// when it closes (the default, as asyncio 3.13's cleanup_socket). The
// file is removed only if it is still the one the server bound: a file
// another server put at the path meanwhile is left alone.
func WithCleanupSocket(on bool) ServerOption { return func(c *ServerConfig) { c.CleanupSocket = on } }

// WithServerNoDelay sets (the default) or clears TCP_NODELAY on accepted
// TCP connections.
func WithServerNoDelay(on bool) ServerOption { return func(c *ServerConfig) { c.NoDelay = on } }

// WithKeepAlive sets or clears (the default) SO_KEEPALIVE on accepted TCP
// connections (asyncio's start_server(keep_alive=True)): the kernel probes
// an idle peer and a dead one ends the connection with an error instead
// of leaving it open for ever. The probe timing is the system's. With
// GoNetwork the option is applied the same way, replacing Go's default
// of keep-alive on.
func WithKeepAlive(on bool) ServerOption { return func(c *ServerConfig) { c.KeepAlive = on } }

func connConfig(opts []ConnOption) *ConnConfig {
	c := &ConnConfig{NoDelay: true}
	for _, o := range opts {
		o(c)
	}
	if c.HappyEyeballs && !c.interleaveSet {
		c.Interleave = 1 // as asyncio: a delay without interleave interleaves
	}
	return c
}

func serverConfig(opts []ServerOption) *ServerConfig {
	c := &ServerConfig{Backlog: 100, ReuseAddr: true, StartServing: true, NoDelay: true, AcceptRetry: time.Second, CleanupSocket: true}
	for _, o := range opts {
		o(c)
	}
	return c
}

// NetError is the error of a failed dial, listen or socket operation: what
// was attempted, on which network and address, and why (a syscall.Errno, a
// *net.DNSError, several causes joined when several addresses failed).
// errors.Is(err, unix.ECONNREFUSED) and the like see through it.
type NetError struct {
	Op   string // "dial", "listen", "resolve", "accept", "connect", ...
	Net  string // "tcp", "unix", "udp", ...
	Addr string // the address as given
	Err  error
}

// Error returns "transport: <op> <net> <addr>: <cause>".
func (e *NetError) Error() string {
	s := "transport: " + e.Op
	if e.Net != "" {
		s += " " + e.Net
	}
	if e.Addr != "" {
		s += " " + e.Addr
	}
	return s + ": " + strings.ReplaceAll(e.Err.Error(), "\n", "; ")
}

// Unwrap returns the cause.
func (e *NetError) Unwrap() error { return e.Err }

// BrokenError is the error of a transport whose connection the peer or the
// OS broke (a reset, a broken pipe): Write and the other calls return it
// after the loss, and ConnectionLost receives it. It matches
// ErrTransportClosed too, so code that only asks "can I still write?"
// needs one test.
type BrokenError struct {
	Op  string // the operation that met the failure: "read", "write", ...
	Err error  // the cause, usually a syscall.Errno
}

// Error returns "transport: broken: <op>: <cause>".
func (e *BrokenError) Error() string {
	return "transport: broken: " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *BrokenError) Unwrap() error { return e.Err }

// Is reports whether target is ErrTransportClosed.
func (e *BrokenError) Is(target error) bool { return target == ErrTransportClosed }

// ErrNotStreamProtocol is returned when a stream transport is given a
// protocol that implements neither Protocol nor BufferedProtocol.
var ErrNotStreamProtocol = errors.New("transport: protocol implements neither Protocol nor BufferedProtocol")

func addrString(a net.Addr) string {
	if a == nil {
		return "?"
	}
	return fmt.Sprint(a)
}
