//go:build linux

package transport

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/timer"
	"golang.org/x/sys/unix"
)

func TestAcceptPausesOnEMFILE(t *testing.T) {
	checkFDLeak(t)
	const queued, firstFree = 8, 3
	var errs []string
	l := newVirtualLoop(t, eventloop.WithExceptionHandler(func(l *eventloop.Loop, c eventloop.ExceptionContext) {
		errs = append(errs, c.Err.Error())
	}))
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		accepted := 0
		batches := map[uint64]int{} // loop iteration -> connections accepted in it
		srv, err := CreateServer(ctx, func() *recProto {
			accepted++
			batches[l.Stats().Iterations]++
			return &recProto{}
		}, "tcp", "127.0.0.1:0", WithStartServing(false), WithAcceptRetryDelay(time.Second))
		if err != nil {
			return 0, err
		}
		defer func() {
			srv.Close()
			srv.AbortClients()
		}()
		addr := srv.Addrs()[0].(*net.TCPAddr)
		var clients []int
		connect := func() {
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
		// Several clients complete their handshakes into the backlog.
		for range queued {
			connect()
		}
		// Fill the descriptor table up to a lowered soft limit.
		var old unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_NOFILE, &old)
		lim := old
		lim.Cur = uint64(countFDs(t) + 64)
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("setrlimit: %v", err)
		}
		defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
		var fillers []int
		for {
			fd, err := unix.Dup(0)
			if err != nil {
				break
			}
			fillers = append(fillers, fd)
		}
		defer func() {
			for _, fd := range fillers {
				unix.Close(fd)
			}
		}()
		srv.StartServing()
		for range 5 {
			eventloop.Sleep(ctx, 10*time.Millisecond) // less than the retry delay
		}
		st := srv.Stats()
		if st.Accept.Pauses != 1 || st.Accept.AcceptCalls != 1 || accepted != 0 {
			t.Errorf("with no descriptors left: %+v, %d accepted", st.Accept, accepted)
		}
		if len(errs) != 1 || !strings.Contains(errs[0], "too many open files") {
			t.Errorf("exception handler got %v", errs)
		}

		// freeAndWait frees n descriptors and waits until want connections
		// are accepted: within one retry interval of loop time, and those
		// the pause held back all in one batch (one loop iteration), not
		// one accept per interval.
		freeAndWait := func(n, want int, what string, then func()) {
			t.Helper()
			for _, fd := range fillers[:n] {
				unix.Close(fd)
			}
			fillers = fillers[n:]
			freed, before := l.Time(), accepted
			then()
			clear(batches)
			waitUntil(ctx, t, func() bool { return accepted == want })
			if took := l.Time() - freed; took > time.Second {
				t.Errorf("%s: accepted %v after descriptors were freed, want within the 1s retry interval", what, took)
			}
			if len(batches) != 1 {
				t.Errorf("%s: %d connections accepted over %d loop iterations, want one batch: %v", what, accepted-before, len(batches), batches)
			}
		}
		// A few descriptors free up: as many connections are accepted,
		// then accepting pauses again.
		freeAndWait(firstFree, firstFree, "a few descriptors free", func() {})
		eventloop.Sleep(ctx, 10*time.Millisecond)
		if st := srv.Stats(); st.Accept.Pauses != 2 || accepted != firstFree {
			t.Errorf("after the first retry: %+v, %d accepted", st.Accept, accepted)
		}
		// Every descriptor is free: the rest of the backlog, and a client
		// that connects now, are accepted at the next retry.
		freeAndWait(len(fillers), queued+1, "all descriptors free", connect)
		if st := srv.Stats(); st.Accept.Pauses != 2 || st.Accept.Accepted != queued+1 {
			t.Errorf("after the last retry: %+v", st.Accept)
		}
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUnixServerLivePath: a path where a live server listens is not taken
// over (bind fails with "address already in use" and the first server stays
// reachable); a stale socket file (nobody accepts: ECONNREFUSED) is
// replaced; the server removes its own socket file on close unless told
// not to.
func TestUnixServerLivePath(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	dir := t.TempDir()
	runTask(t, l, func(ctx context.Context) (int, error) {
		path := dir + "/live.sock"
		a, err := CreateServer(ctx, func() *recProto { return &recProto{} }, "unix", path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := CreateServer(ctx, func() *recProto { return &recProto{} }, "unix", path)
		if err == nil {
			b.Close()
			t.Error("second server on a live path: no error")
		} else if !errors.Is(err, unix.EADDRINUSE) || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("second server on a live path: %v", err)
		}
		// The first server is still reachable at its path.
		fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
			t.Errorf("first server unreachable after the second tried its path: %v", err)
		}
		unix.Close(fd)
		a.Close()
		a.AbortClients()
		if err := a.WaitClosed(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket file left after Close: %v", err)
		}

		// A stale socket: bound, never listening, closed without unlinking.
		stale := dir + "/stale.sock"
		sfd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err := unix.Bind(sfd, &unix.SockaddrUnix{Name: stale}); err != nil {
			t.Fatal(err)
		}
		unix.Close(sfd)
		c, err := CreateServer(ctx, func() *recProto { return &recProto{} }, "unix", stale, WithCleanupSocket(false))
		if err != nil {
			t.Fatalf("server on a stale socket path: %v", err)
		}
		c.Close()
		if _, err := os.Stat(stale); err != nil {
			t.Errorf("WithCleanupSocket(false): socket file gone after Close: %v", err)
		}
		os.Remove(stale)

		// A regular file is never removed.
		reg := dir + "/file"
		os.WriteFile(reg, []byte("x"), 0o600)
		if d, err := CreateServer(ctx, func() *recProto { return &recProto{} }, "unix", reg); err == nil {
			d.Close()
			t.Error("server on a regular file's path: no error")
		}
		if _, err := os.Stat(reg); err != nil {
			t.Errorf("regular file removed: %v", err)
		}
		return 0, nil
	})
}

// TestServerProtocolPanic: a protocol callback of a served connection that
// panics is reported at once naming the connection's two ends, that
// connection is aborted (asyncio's _fatal_error), and the server goes on
// serving others.
func TestServerProtocolPanic(t *testing.T) {
	checkFDLeak(t)
	var reports []eventloop.ExceptionContext
	l := newVirtualLoop(t, eventloop.WithExceptionHandler(func(l *eventloop.Loop, c eventloop.ExceptionContext) {
		reports = append(reports, c)
	}))
	serverProtocolPanic(t, l, &reports)
}

// TestServerProtocolPanicGoNetwork is TestServerProtocolPanic over Go's
// net package (the OS network where the loop has no poller), on a real
// clock: that network's I/O completes on goroutines.
func TestServerProtocolPanicGoNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("real clock")
	}
	checkFDLeak(t)
	var reports []eventloop.ExceptionContext
	l, err := eventloop.New(eventloop.WithClock(timer.NewReal()), WithNetwork(GoNetwork{}),
		eventloop.WithExceptionHandler(func(l *eventloop.Loop, c eventloop.ExceptionContext) {
			reports = append(reports, c)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	serverProtocolPanic(t, l, &reports)
}

func serverProtocolPanic(t *testing.T, l *eventloop.Loop, reportsp *[]eventloop.ExceptionContext) {
	t.Helper()
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		srv, err := CreateServer(ctx, func() *recProto {
			return &recProto{onData: func(p *recProto, b []byte) {
				if string(b) == "boom" {
					panic("protocol boom")
				}
				p.tr.Write(b)
			}}
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		addr := srv.Addrs()[0].String()
		c1 := &recProto{}
		t1, _, err := CreateConnection(ctx, func() *recProto { return c1 }, "tcp", addr)
		if err != nil {
			return 0, err
		}
		local, _ := t1.Extra(ExtraSockName)
		t1.Write([]byte("boom"))
		waitUntil(ctx, t, func() bool { return c1.lostCount > 0 || len(c1.events) > 1 && c1.events[len(c1.events)-1] == "eof" })
		if len(*reportsp) != 1 {
			t.Fatalf("reports after the panic: %+v", *reportsp)
		}
		if m := (*reportsp)[0].Message; !strings.Contains(m, addr) || !strings.Contains(m, local.(net.Addr).String()) {
			t.Errorf("report %q names neither %s nor %s", m, addr, local)
		}
		var pe *eventloop.PanicError
		if !errors.As((*reportsp)[0].Err, &pe) || pe.Value != "protocol boom" {
			t.Errorf("report's error: %v", (*reportsp)[0].Err)
		}
		t1.Close()
		c2 := &recProto{}
		t2, _, err := CreateConnection(ctx, func() *recProto { return c2 }, "tcp", addr)
		if err != nil {
			return 0, err
		}
		t2.Write([]byte("hi"))
		waitUntil(ctx, t, func() bool { return string(c2.data) == "hi" })
		t2.Close()
		srv.Close()
		srv.AbortClients()
		// Over GoNetwork a close completes on the connection's goroutines:
		// wait for both clients' ConnectionLost before the loop closes.
		waitUntil(ctx, t, func() bool { return c1.lostCount > 0 && c2.lostCount > 0 })
		return 0, srv.WaitClosed(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}
