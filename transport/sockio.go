//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"

	"golang.org/x/sys/unix"
)

// The low-level socket awaits (asyncio's loop.sock_recv, sock_sendall,
// sock_connect, sock_accept): the calling task parks until the loop's
// poller reports the non-blocking fd ready, then the system call is
// retried. The fd must be non-blocking and must not be watched by
// anything else meanwhile (a transport, another Sock* call): the await
// installs its own reader or writer and removes it before returning.

// errBlockingSocket is why a Sock* await refuses a blocking descriptor: a
// read or write on it would block the whole loop.
var errBlockingSocket = errors.New("transport: the socket is in blocking mode (set it non-blocking first: unix.SetNonblock)")

// sockLoop is the check every Sock* await makes first: ctx is a task's,
// no transport owns fd (asyncio's _ensure_fd_no_transport), and fd is
// non-blocking (asyncio checks this in debug mode; a blocking
// read here would freeze the loop, so the check is always on: one fcntl).
func sockLoop(ctx context.Context, op string, fd int) (*eventloop.Loop, error) {
	l, err := loopFor(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := l.CheckFDFree(fd); err != nil {
		return nil, errs.Op("transport", op, err) // a transport's: its data is not ours to read
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, &NetError{Op: op, Err: err}
	}
	if fl&unix.O_NONBLOCK == 0 {
		return nil, errs.Op("transport", op, errBlockingSocket)
	}
	return l, nil
}

// waitFD parks the task of ctx until fd is readable (or writable).
func waitFD(ctx context.Context, l *eventloop.Loop, fd int, write bool) error {
	p, err := eventloop.ParkerFor(ctx, l)
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if write {
		err = l.AddWriter(fd, p.Unpark)
	} else {
		err = l.AddReader(fd, p.Unpark)
	}
	if err != nil {
		return err
	}
	err = p.Park(ctx)
	if write {
		l.RemoveWriter(fd)
	} else {
		l.RemoveReader(fd)
	}
	return err
}

// SockRecv reads at most n bytes from the socket fd, waiting until some
// arrive; an empty result with a nil error is the peer's EOF (asyncio's
// sock_recv). It must be called from a task of the loop, with its ctx.
//
// Cancellation: returns ErrCancelled (ErrTimeout in a timed-out scope);
// nothing was read, the data stays in the kernel for the next read.
func SockRecv(ctx context.Context, fd int, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("transport: SockRecv: negative size %d", n)
	}
	buf := make([]byte, n)
	m, err := SockRecvInto(ctx, fd, buf)
	return buf[:m], err
}

// SockRecvInto reads into buf, waiting until some bytes arrive, and
// returns how many; 0 with a nil error is the peer's EOF (asyncio's
// sock_recv_into).
//
// Cancellation: as SockRecv: nothing was read.
func SockRecvInto(ctx context.Context, fd int, buf []byte) (int, error) {
	l, err := sockLoop(ctx, "SockRecvInto", fd)
	if err != nil {
		return 0, err
	}
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == nil:
			return n, nil
		case isAgain(err) || err == unix.EINTR:
			if err := waitFD(ctx, l, fd, false); err != nil {
				return 0, err
			}
		default:
			return 0, &NetError{Op: "recv", Err: err}
		}
	}
}

// SockSendall sends all of data, waiting for the socket to take it
// (asyncio's sock_sendall). It returns nil once every byte went to the
// kernel, or a *SendallError saying how many did before the failure.
//
// Cancellation: returns a *SendallError wrapping ErrCancelled (or
// ErrTimeout) whose Sent field counts the bytes already handed to the
// kernel; data[Sent:] was not sent, so the caller can resume or account
// for it. No partial byte is lost or duplicated.
func SockSendall(ctx context.Context, fd int, data []byte) error {
	l, err := sockLoop(ctx, "SockSendall", fd)
	if err != nil {
		return err
	}
	sent := 0
	for sent < len(data) {
		n, err := sendNoSignal(fd, data[sent:])
		switch {
		case err == nil:
			sent += n
		case isAgain(err) || err == unix.EINTR:
			if err := waitFD(ctx, l, fd, true); err != nil {
				return &SendallError{Sent: sent, Err: err}
			}
		default:
			return &SendallError{Sent: sent, Err: &NetError{Op: "send", Err: err}}
		}
	}
	return nil
}

// SockConnect connects the non-blocking socket fd to sa, waiting for the
// handshake (asyncio's sock_connect). Errors are *NetError values wrapping
// the errno (ECONNREFUSED, ETIMEDOUT, ...).
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the connection
// attempt is abandoned half-way and the socket is in no defined state:
// close it.
func SockConnect(ctx context.Context, fd int, sa unix.Sockaddr) error {
	l, err := sockLoop(ctx, "SockConnect", fd)
	if err != nil {
		return err
	}
	if sa == nil {
		return &NetError{Op: "connect", Err: fmt.Errorf("transport: nil address")}
	}
	err = unix.Connect(fd, sa)
	if err == nil {
		return nil
	}
	if err != unix.EINPROGRESS && err != unix.EINTR && err != unix.EAGAIN {
		return &NetError{Op: "connect", Err: err}
	}
	if err := waitFD(ctx, l, fd, true); err != nil {
		return err
	}
	if err := socketError(fd); err != nil {
		return &NetError{Op: "connect", Err: err}
	}
	return nil
}

// SockAccept accepts one connection on the listening socket fd, waiting
// for one to arrive (asyncio's sock_accept). The new descriptor is
// non-blocking and close-on-exec; the caller owns it.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); no connection was
// taken, pending ones stay in the backlog.
func SockAccept(ctx context.Context, fd int) (int, unix.Sockaddr, error) {
	l, err := sockLoop(ctx, "SockAccept", fd)
	if err != nil {
		return -1, nil, err
	}
	for {
		nfd, sa, err := acceptConn(fd)
		switch {
		case err == nil:
			return nfd, sa, nil
		case isAgain(err) || err == unix.EINTR || err == unix.ECONNABORTED:
			if err := waitFD(ctx, l, fd, false); err != nil {
				return -1, nil, err
			}
		default:
			return -1, nil, &NetError{Op: "accept", Err: err}
		}
	}
}
