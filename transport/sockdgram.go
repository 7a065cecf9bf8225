//go:build unix

package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"

	"github.com/aio-go/aio/internal/errs"
	"golang.org/x/sys/unix"
)

// SockSendto sends one datagram to addr on the non-blocking socket fd,
// waiting until the kernel takes it (asyncio's sock_sendto), and returns
// its length.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the datagram was
// not sent.
func SockSendto(ctx context.Context, fd int, data []byte, addr net.Addr) (int, error) {
	l, err := sockLoop(ctx, "SockSendto", fd)
	if err != nil {
		return 0, err
	}
	var to unix.Sockaddr
	if addr != nil {
		if to, err = addrToSockaddr(addr); err != nil {
			return 0, errs.Op("transport", "SockSendto", err)
		}
	}
	for {
		err := unix.Sendto(fd, data, 0, to)
		switch {
		case err == nil:
			return len(data), nil
		case isAgain(err) || err == unix.EINTR:
			if err := waitFD(ctx, l, fd, true); err != nil {
				return 0, err
			}
		default:
			return 0, &NetError{Op: "sendto", Addr: addrString(addr), Err: err}
		}
	}
}

// SockRecvfrom receives one datagram of at most n bytes and its sender
// (asyncio's sock_recvfrom).
//
// Cancellation: returns ErrCancelled (or ErrTimeout); nothing was
// received, the datagram stays queued in the kernel.
func SockRecvfrom(ctx context.Context, fd int, n int) ([]byte, net.Addr, error) {
	if n < 0 {
		return nil, nil, errors.New("transport: SockRecvfrom: negative size")
	}
	buf := make([]byte, n)
	m, addr, err := SockRecvfromInto(ctx, fd, buf)
	return buf[:m], addr, err
}

// SockRecvfromInto receives one datagram into buf and returns its length
// (truncated to len(buf), as the kernel does) and its sender (asyncio's
// sock_recvfrom_into).
//
// Cancellation: as SockRecvfrom: nothing was received.
func SockRecvfromInto(ctx context.Context, fd int, buf []byte) (int, net.Addr, error) {
	l, err := sockLoop(ctx, "SockRecvfromInto", fd)
	if err != nil {
		return 0, nil, err
	}
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		switch {
		case err == nil:
			return n, sockaddrToAddr(datagramNet(from), from), nil
		case isAgain(err) || err == unix.EINTR:
			if err := waitFD(ctx, l, fd, false); err != nil {
				return 0, nil, err
			}
		default:
			return 0, nil, &NetError{Op: "recvfrom", Err: err}
		}
	}
}

func datagramNet(sa unix.Sockaddr) string {
	if _, ok := sa.(*unix.SockaddrUnix); ok {
		return "unixgram"
	}
	return "udp"
}

// SockSendfile sends count bytes of f from offset on the non-blocking
// stream socket fd (count 0: to the end of the file), with sendfile(2)
// where the system has it (Linux), so the bytes never pass through user
// space, and with reads and writes otherwise (asyncio's sock_sendfile).
// It returns the bytes sent. f's own offset is not used nor moved.
//
// Cancellation: returns the bytes sent so far with ErrCancelled (or
// ErrTimeout); they reached the kernel, the rest did not. Resume at
// offset+sent.
func SockSendfile(ctx context.Context, fd int, f *os.File, offset, count int64) (int64, error) {
	l, err := sockLoop(ctx, "SockSendfile", fd)
	if err != nil {
		return 0, err
	}
	if f == nil || offset < 0 || count < 0 {
		return 0, errors.New("transport: SockSendfile: nil file, or a negative offset or count")
	}
	if count == 0 {
		fi, err := f.Stat()
		if err != nil {
			return 0, errs.Op("transport", "SockSendfile", err)
		}
		if count = fi.Size() - offset; count <= 0 {
			return 0, nil
		}
	}
	var sent int64
	useSendfile := haveSendfile
	buf := []byte(nil)
	for sent < count {
		var n int
		var err error
		if useSendfile {
			off := offset + sent
			n, err = unix.Sendfile(fd, int(f.Fd()), &off, int(min(count-sent, 1<<30)))
			if err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP {
				useSendfile = false // not for this pair of files: fall back
				continue
			}
		} else {
			if buf == nil {
				buf = make([]byte, 64<<10)
			}
			var m int
			m, err = f.ReadAt(buf[:min(int64(len(buf)), count-sent)], offset+sent)
			if m > 0 {
				werr := SockSendall(ctx, fd, buf[:m])
				var se *SendallError
				if errors.As(werr, &se) {
					return sent + int64(se.Sent), se.Err
				}
				sent += int64(m)
			}
			if err == io.EOF {
				return sent, nil
			}
			if err != nil {
				return sent, errs.Op("transport", "SockSendfile", err)
			}
			continue
		}
		switch {
		case err == nil && n == 0:
			return sent, nil // the file ended early
		case err == nil:
			sent += int64(n)
		case isAgain(err) || err == unix.EINTR:
			sent += int64(max(n, 0))
			if err := waitFD(ctx, l, fd, true); err != nil {
				return sent, err
			}
		default:
			return sent, &NetError{Op: "sendfile", Err: err}
		}
	}
	return sent, nil
}
