//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"github.com/aio-go/aio/eventloop"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// osNetwork is the operating system's network: sockets watched by the
// loop's poller.
type osNetwork struct{}

// CreateConnection connects to address on network ("tcp", "tcp4", "tcp6",
// "unix") and returns the transport and the protocol factory made for it,
// once the protocol's ConnectionMade has run (asyncio's
// loop.create_connection). Host names are resolved on the loop's executor;
// the addresses are tried in turn and, if all fail, the *NetError joins
// their errors (errors.Is(err, unix.ECONNREFUSED) sees through it). TCP
// connections get TCP_NODELAY unless WithNoDelay(false). The connection
// goes through the loop's Network (WithNetwork), the OS by default.
//
// WithHappyEyeballsDelay races the addresses instead (RFC 8305, asyncio's
// happy_eyeballs_delay): each attempt runs in a task of its own, the next
// one starts after the delay or as soon as the previous one failed, the
// first connection up wins and factory is called for it alone; every other
// attempt is cancelled, its socket closed, and CreateConnection returns
// only once they all finished. WithInterleave reorders the addresses by
// family first. Both need a Network that implements Resolver (the OS
// network does); without them the addresses are tried in turn as above.
//
// It is an await: call it from a task of the loop, with the task's ctx.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); a connection attempt
// in flight is abandoned and its socket closed (with happy eyeballs: every
// attempt, and CreateConnection waits for them before it returns), a
// resolution in flight is left to finish on its goroutine and its answer
// dropped; factory is not called, or, if the connection was already up,
// its transport is aborted (the protocol sees ConnectionMade and
// ConnectionLost(nil)).
func CreateConnection[P StreamProtocol](ctx context.Context, factory func() P, network, address string, opts ...ConnOption) (Transport, P, error) {
	var p P
	l, err := loopFor(ctx, "CreateConnection")
	if err != nil {
		return nil, p, err
	}
	if factory == nil {
		return nil, p, fmt.Errorf("CreateConnection: %w", eventloop.ErrNilCallback)
	}
	cfg := connConfig(opts)
	t, err := dialNetwork(ctx, NetworkOf(l), network, address, func() StreamProtocol { p = factory(); return p }, cfg)
	if err != nil {
		return nil, p, err
	}
	if err := awaitStarted(ctx, t); err != nil {
		return nil, p, err
	}
	return t, p, nil
}

// awaitStarted lets the loop run the transport's scheduled ConnectionMade
// before the await returns (it was queued first, so one iteration is
// enough); on cancellation the transport is aborted.
func awaitStarted(ctx context.Context, t Transport) error {
	if err := eventloop.Sleep(ctx, 0); err != nil {
		t.Abort()
		return err
	}
	return nil
}

// Dial implements Network over OS sockets.
func (osNetwork) Dial(ctx context.Context, network, address string, newProto func() StreamProtocol, cfg *ConnConfig) (Transport, error) {
	l, nk, fail, err := dialStart(ctx, "Dial", network, address)
	if err != nil {
		return nil, err
	}
	sas, err := resolveAddr(ctx, l, nk, address, false)
	if err != nil {
		return nil, fail(err)
	}
	var locals []unix.Sockaddr
	if cfg.LocalAddr != "" {
		if locals, err = resolveAddr(ctx, l, nk, cfg.LocalAddr, true); err != nil {
			return nil, fail(fmt.Errorf("local address: %w", err))
		}
	}
	var errs []error
	for _, sa := range sas {
		fd, err := dialOne(ctx, l, nk, sa, locals, cfg)
		if err == nil {
			netw := "tcp"
			if nk.family == unix.AF_UNIX {
				netw = "unix"
			}
			return newFDTransport(l, fd, kindSocket, netw, newProto())
		}
		if isAwaitErr(err) {
			return nil, err
		}
		if len(sas) > 1 {
			err = fmt.Errorf("%v: %w", sockaddrToAddr("tcp", sa), err)
		}
		errs = append(errs, err)
	}
	return nil, fail(errors.Join(errs...))
}

// Resolve implements Resolver over the system's resolver: IP literals
// and the empty host (127.0.0.1 and ::1) need no look-up, names are
// resolved on the loop's executor. A unix socket path is returned as is.
func (osNetwork) Resolve(ctx context.Context, network, address string) ([]string, error) {
	l, nk, fail, err := dialStart(ctx, "Resolve", network, address)
	if err != nil {
		return nil, err
	}
	if nk.family == unix.AF_UNIX {
		return []string{address}, nil
	}
	sas, err := resolveAddr(ctx, l, nk, address, false)
	if err != nil {
		return nil, fail(err)
	}
	out := make([]string, len(sas))
	for i, sa := range sas {
		out[i] = sockaddrToAddr("tcp", sa).String()
	}
	return out, nil
}

// dialStart is what Dial and Resolve check first: the loop of ctx and a
// stream network. fail wraps an error in the *NetError of a dial of
// address, passing await errors on as they are; err is already wrapped.
func dialStart(ctx context.Context, op, network, address string) (l *eventloop.Loop, nk netKind, fail func(error) error, err error) {
	if l, err = loopFor(ctx, op); err != nil {
		return nil, nk, nil, err
	}
	fail = func(err error) error {
		if isAwaitErr(err) {
			return err
		}
		return &NetError{Op: "dial", Net: network, Addr: address, Err: err}
	}
	if nk, err = parseNetwork(network); err != nil {
		return nil, nk, nil, fail(err)
	}
	if nk.typ != unix.SOCK_STREAM {
		return nil, nk, nil, fail(fmt.Errorf("%w: CreateConnection needs a stream network, use CreateDatagramEndpoint", errBadNetwork))
	}
	return l, nk, fail, nil
}

// isAwaitErr reports the errors an await returns for its own reasons
// (cancellation, a closed loop, misuse), which are passed on unwrapped.
func isAwaitErr(err error) bool {
	return errors.Is(err, eventloop.ErrCancelled) || errors.Is(err, eventloop.ErrTimeout) ||
		errors.Is(err, eventloop.ErrClosed) || errors.Is(err, eventloop.ErrNotInTask)
}

func dialOne(ctx context.Context, l *eventloop.Loop, nk netKind, sa unix.Sockaddr, locals []unix.Sockaddr, cfg *ConnConfig) (int, error) {
	family := sockaddrFamily(sa)
	fd, err := newSocket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	if family != unix.AF_UNIX && cfg.NoDelay {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if len(locals) > 0 {
		bound := false
		for _, la := range locals {
			if sockaddrFamily(la) == family {
				if err := unix.Bind(fd, la); err != nil {
					unix.Close(fd)
					return -1, fmt.Errorf("bind: %w", err)
				}
				bound = true
				break
			}
		}
		if !bound {
			unix.Close(fd)
			return -1, errors.New("no local address of the same family")
		}
	}
	if err := SockConnect(ctx, fd, sa); err != nil {
		unix.Close(fd)
		var ne *NetError
		if errors.As(err, &ne) {
			return -1, ne.Err
		}
		return -1, err
	}
	return fd, nil
}

// ConnectAccepted wraps an already connected socket in a transport with a
// protocol from factory (asyncio's connect_accepted_socket), and returns
// once ConnectionMade has run. conn is anything with a file descriptor
// (*net.TCPConn, *net.UnixConn, *os.File): the transport works on a
// duplicate of its descriptor, made non-blocking, and ConnectAccepted
// closes conn when it is an io.Closer, so the transport owns the
// connection from then on. It is an await: call it from a task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the transport is
// aborted (the connection is closed).
func ConnectAccepted[P StreamProtocol](ctx context.Context, factory func() P, conn syscall.Conn) (Transport, P, error) {
	var p P
	if conn == nil {
		return nil, p, &NetError{Op: "adopt", Err: errors.New("nil connection")}
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, p, &NetError{Op: "adopt", Err: err}
	}
	nfd := -1
	cerr := rc.Control(func(fd uintptr) { nfd, err = dupCloexec(int(fd)) })
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, p, &NetError{Op: "adopt", Err: err}
	}
	if c, ok := conn.(io.Closer); ok {
		c.Close()
	}
	return ConnectFD(ctx, factory, nfd)
}

// ConnectFD is ConnectAccepted for a raw connected socket descriptor, which
// the transport owns from now on (it is made non-blocking and closed with
// the transport, or at once on error).
//
// Cancellation: as ConnectAccepted.
func ConnectFD[P StreamProtocol](ctx context.Context, factory func() P, fd int) (Transport, P, error) {
	var p P
	l, err := loopFor(ctx, "ConnectFD")
	if err != nil {
		unix.Close(fd)
		return nil, p, err
	}
	if factory == nil {
		unix.Close(fd)
		return nil, p, fmt.Errorf("ConnectFD: %w", eventloop.ErrNilCallback)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, p, &NetError{Op: "adopt", Err: err}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, p, &NetError{Op: "adopt", Err: err}
	}
	netw := "tcp"
	if sockaddrFamily(sa) == unix.AF_UNIX {
		netw = "unix"
	}
	p = factory()
	t, err := newFDTransport(l, fd, kindSocket, netw, p)
	if err != nil {
		return nil, p, err
	}
	if err := awaitStarted(ctx, t); err != nil {
		return nil, p, err
	}
	return t, p, nil
}
