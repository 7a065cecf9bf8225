//go:build linux

package transport

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func TestAcceptPausesOnEMFILE(t *testing.T) {
	checkFDLeak(t)
	var errs []string
	l := newVirtualLoop(t, eventloop.WithExceptionHandler(func(l *eventloop.Loop, c eventloop.ExceptionContext) {
		errs = append(errs, c.Err.Error())
	}))
	runTask(t, l, func(ctx context.Context) (int, error) {
		accepted := 0
		srv, err := CreateServer(ctx, func() *recProto {
			accepted++
			return &recProto{}
		}, "tcp", "127.0.0.1:0", WithStartServing(false), WithAcceptRetryDelay(time.Second))
		if err != nil {
			return 0, err
		}
		addr := srv.Addrs()[0].(*net.TCPAddr)
		// Three clients complete their handshakes into the backlog.
		var clients []int
		for range 3 {
			fd, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err := unix.Connect(fd, &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, fd)
		}
		defer func() {
			for _, fd := range clients {
				unix.Close(fd)
			}
		}()
		// Fill the descriptor table up to a lowered soft limit.
		var old unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_NOFILE, &old)
		var fillers []int
		func() {
			lim := old
			lim.Cur = uint64(countFDs(t) + 64)
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
				t.Skipf("setrlimit: %v", err)
			}
			defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
			for {
				fd, err := unix.Dup(0)
				if err != nil {
					break
				}
				fillers = append(fillers, fd)
			}
			srv.StartServing()
			for range 5 {
				eventloop.Sleep(ctx, 10*time.Millisecond) // less than the retry delay
			}
		}()
		st := srv.Stats()
		if st.Accept.Pauses != 1 || st.Accept.AcceptCalls != 1 || accepted != 0 {
			t.Errorf("with no descriptors left: %+v, %d accepted", st.Accept, accepted)
		}
		if len(errs) != 1 || !strings.Contains(errs[0], "too many open files") {
			t.Errorf("exception handler got %v", errs)
		}
		for _, fd := range fillers {
			unix.Close(fd)
		}
		waitUntil(ctx, t, func() bool { return accepted == 3 })
		if st := srv.Stats(); st.Accept.Pauses != 1 || st.Accept.Accepted != 3 {
			t.Errorf("after the retry: %+v", st.Accept)
		}
		srv.Close()
		srv.AbortClients()
		return 0, srv.WaitClosed(ctx)
	})
}
