//go:build linux

package transport

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
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

// The datagram Sock* awaits, SockSendfile, and the refusal of a blocking
// socket (which would freeze the loop).
func TestSockDatagramsSendfileAndBlocking(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		a, _ := newSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		defer unix.Close(a)
		b, _ := newSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		defer unix.Close(b)
		unix.Bind(a, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		unix.Bind(b, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		bsa, _ := unix.Getsockname(b)
		baddr := sockaddrToAddr("udp", bsa)
		recv := eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
			data, from, err := SockRecvfrom(ctx, b, 64)
			if err != nil {
				return "", err
			}
			return string(data) + " from " + from.Network(), nil
		})
		eventloop.Sleep(ctx, 0) // the receiver waits first
		if n, err := SockSendto(ctx, a, []byte("ping"), baddr); err != nil || n != 4 {
			t.Fatalf("SockSendto = %d, %v", n, err)
		}
		got, err := eventloop.Await(ctx, recv)
		if err != nil || got != "ping from udp" {
			t.Errorf("SockRecvfrom = %q, %v", got, err)
		}
		buf := make([]byte, 2)
		SockSendto(ctx, a, []byte("truncated"), baddr)
		if n, _, err := SockRecvfromInto(ctx, b, buf); err != nil || n != 2 || string(buf) != "tr" {
			t.Errorf("SockRecvfromInto = %d %q %v", n, buf, err)
		}

		// SockSendfile: a file's middle over a stream socket pair.
		fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		defer unix.Close(fds[0])
		defer unix.Close(fds[1])
		f, err := os.CreateTemp(t.TempDir(), "sendfile")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		content := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB: more than the socket buffer
		f.Write(content)
		reader := eventloop.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
			var out []byte
			chunk := make([]byte, 64<<10)
			for len(out) < len(content)-10 {
				n, err := SockRecvInto(ctx, fds[1], chunk)
				if err != nil || n == 0 {
					return out, err
				}
				out = append(out, chunk[:n]...)
			}
			return out, nil
		})
		sent, err := SockSendfile(ctx, fds[0], f, 10, 0)
		if err != nil || sent != int64(len(content)-10) {
			t.Errorf("SockSendfile = %d, %v; want %d", sent, err, len(content)-10)
		}
		out, err := eventloop.Await(ctx, reader)
		if err != nil || !bytes.Equal(out, content[10:]) {
			t.Errorf("received %d bytes (%v), want the file from offset 10", len(out), err)
		}

		// A blocking socket is refused at once, whatever the await.
		blk, _ := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		defer unix.Close(blk)
		if _, _, err := SockRecvfrom(ctx, blk, 8); !errors.Is(err, errBlockingSocket) {
			t.Errorf("SockRecvfrom on a blocking socket = %v", err)
		}
		if _, err := SockRecv(ctx, blk, 8); !errors.Is(err, errBlockingSocket) {
			t.Errorf("SockRecv on a blocking socket = %v", err)
		}
		return 0, nil
	})
}
