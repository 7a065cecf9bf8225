//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"

	"golang.org/x/sys/unix"
)

// osNetwork is the operating system's network: sockets watched by the
// loop's poller.
type osNetwork struct{}

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
			return nil, fail(fmt.Errorf("transport: local address: %w", err))
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
			err = fmt.Errorf("transport: %v: %w", sockaddrToAddr("tcp", sa), err)
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
					return -1, fmt.Errorf("transport: bind: %w", err)
				}
				bound = true
				break
			}
		}
		if !bound {
			unix.Close(fd)
			return -1, errors.New("transport: no local address of the same family")
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
		return nil, p, &NetError{Op: "adopt", Err: errors.New("transport: nil connection")}
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
		return nil, p, errs.Op("transport", "ConnectFD", eventloop.ErrNilCallback)
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
