//go:build linux

package transport

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func TestSockAwaits(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		lfd, _ := newSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
		defer unix.Close(lfd)
		unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		unix.Listen(lfd, 4)
		sa, _ := unix.Getsockname(lfd)
		acc := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			fd, _, err := SockAccept(ctx, lfd)
			return fd, err
		})
		cfd, _ := newSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
		defer unix.Close(cfd)
		if err := SockConnect(ctx, cfd, sa); err != nil {
			return 0, err
		}
		sfd, err := eventloop.Await(ctx, acc)
		if err != nil {
			return 0, err
		}
		defer unix.Close(sfd)
		// SockRecv cancelled: nothing read, the data is still there later.
		rctx, cancel := eventloop.WithCancel(ctx)
		l.CallLater(time.Millisecond, cancel)
		if _, err := SockRecv(rctx, sfd, 10); !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("cancelled SockRecv: %v", err)
		}
		if err := SockSendall(ctx, cfd, []byte("hello")); err != nil {
			return 0, err
		}
		got, err := SockRecv(ctx, sfd, 10)
		if string(got) != "hello" || err != nil {
			t.Errorf("SockRecv = %q, %v", got, err)
		}
		// SockSendall into a peer that does not read, cancelled: Sent
		// says exactly how much the peer can read.
		big := make([]byte, 64<<20)
		sctx, cancel2 := eventloop.WithCancel(ctx)
		l.CallLater(time.Millisecond, cancel2)
		err = SockSendall(sctx, cfd, big)
		var se *SendallError
		if !errors.As(err, &se) || !errors.Is(err, eventloop.ErrCancelled) || se.Sent == 0 || se.Sent >= len(big) {
			t.Fatalf("cancelled SockSendall: %v", err)
		}
		unix.Shutdown(cfd, unix.SHUT_WR)
		total := 0
		buf := make([]byte, 1<<20)
		for {
			n, err := SockRecvInto(ctx, sfd, buf)
			if err != nil || n == 0 {
				break
			}
			total += n
		}
		if total != se.Sent {
			t.Errorf("peer read %d bytes, Sent says %d", total, se.Sent)
		}
		// Connect to a closed port.
		fd2, _ := newSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
		defer unix.Close(fd2)
		port := freePort(t)
		ap, _ := net.ResolveTCPAddr("tcp", port)
		if err := SockConnect(ctx, fd2, &unix.SockaddrInet4{Port: ap.Port, Addr: [4]byte{127, 0, 0, 1}}); !errors.Is(err, unix.ECONNREFUSED) {
			t.Errorf("SockConnect to a closed port: %v", err)
		}
		return 0, nil
	})
}
