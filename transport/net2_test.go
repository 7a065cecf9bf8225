//go:build linux

package transport

import (
	"context"
	"errors"
	"fmt"
	"github.com/aio-go/aio/eventloop"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// udpRec records a datagram endpoint's callbacks.
type udpRec struct {
	DatagramProtocolBase
	tr     DatagramTransport
	got    []string
	from   []net.Addr
	errs   []error
	lost   int
	echo   bool
	events []string
}

func (u *udpRec) ConnectionMade(t DatagramTransport) { u.tr = t; u.events = append(u.events, "made") }
func (u *udpRec) DatagramReceived(b []byte, a net.Addr) {
	u.got = append(u.got, string(b))
	u.from = append(u.from, a)
	if u.echo {
		u.tr.SendTo(b, a)
	}
}
func (u *udpRec) ErrorReceived(err error)  { u.errs = append(u.errs, err) }
func (u *udpRec) ConnectionLost(err error) { u.lost++; u.events = append(u.events, "lost") }

func TestDatagramEchoAndICMPError(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		srvT, srv, err := CreateDatagramEndpoint(ctx, func() *udpRec { return &udpRec{echo: true} }, "udp", "127.0.0.1:0", "")
		if err != nil {
			return 0, err
		}
		saddr, _ := srvT.Extra(ExtraSockName)
		cliT, cli, err := CreateDatagramEndpoint(ctx, func() *udpRec { return &udpRec{} }, "udp", "", saddr.(net.Addr).String())
		if err != nil {
			return 0, err
		}
		cliT.SendTo([]byte("ping"), nil)
		cliT.SendTo([]byte("pong"), nil)
		waitUntil(ctx, t, func() bool { return len(cli.got) == 2 })
		if strings.Join(cli.got, ",") != "ping,pong" || strings.Join(srv.got, ",") != "ping,pong" {
			t.Errorf("client got %v, server got %v", cli.got, srv.got)
		}
		if _, ok := srv.from[0].(*net.UDPAddr); !ok {
			t.Errorf("sender address %T", srv.from[0])
		}
		if err := cliT.SendTo([]byte("x"), nil); err != nil {
			t.Errorf("SendTo: %v", err)
		}
		// Nobody listens any more: the connected client hears ECONNREFUSED.
		srvT.Close()
		waitUntil(ctx, t, func() bool { return srv.lost == 1 })
		for i := 0; i < 100 && len(cli.errs) == 0; i++ {
			cliT.SendTo([]byte("anyone?"), nil)
			eventloop.Sleep(ctx, time.Millisecond)
		}
		if len(cli.errs) == 0 || !errors.Is(cli.errs[0], unix.ECONNREFUSED) {
			t.Errorf("ErrorReceived: %v", cli.errs)
		}
		if cliT.IsClosing() {
			t.Error("an ICMP error closed the endpoint")
		}
		cliT.Close()
		if err := cliT.SendTo([]byte("x"), nil); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("SendTo after Close: %v", err)
		}
		waitUntil(ctx, t, func() bool { return cli.lost == 1 })
		if strings.Join(cli.events, ",") != "made,lost" {
			t.Errorf("events %v", cli.events)
		}
		_, _, err = CreateDatagramEndpoint(ctx, func() *udpRec { return &udpRec{} }, "tcp", "127.0.0.1:0", "")
		var ne *NetError
		if !errors.As(err, &ne) || !errors.Is(err, errBadNetwork) {
			t.Errorf("tcp datagram endpoint: %v", err)
		}
		return 0, nil
	})
}

func TestPipeTransports(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
			return 0, err
		}
		rt, rp, err := ConnectReadPipe(ctx, func() *recProto { return &recProto{} }, fds[0])
		if err != nil {
			return 0, err
		}
		wt, wp, err := ConnectWritePipe(ctx, func() *recProto { return &recProto{} }, fds[1])
		if err != nil {
			return 0, err
		}
		if err := rt.Write([]byte("x")); err == nil {
			t.Error("Write on a read pipe succeeded")
		}
		if _, ok := rt.Extra(ExtraPipe); !ok {
			t.Error("no pipe extra")
		}
		wt.Write([]byte("through "))
		wt.Writelines([][]byte{[]byte("the "), []byte("pipe")})
		wt.WriteEOF() // closes the write end after the flush
		waitUntil(ctx, t, func() bool { return rp.lostCount == 1 && wp.lostCount == 1 })
		if string(rp.data) != "through the pipe" {
			t.Errorf("read %q", rp.data)
		}
		if strings.Join(rp.events, ",") != "made,data,eof,lost" || strings.Join(wp.events, ",") != "made,lost" {
			t.Errorf("reader %v, writer %v", rp.events, wp.events)
		}
		return 0, nil
	})
}

func TestWritePipeReaderGone(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		for _, idle := range []bool{true, false} {
			var fds [2]int
			if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
				return 0, err
			}
			wt, wp, err := ConnectWritePipe(ctx, func() *recProto { return &recProto{} }, fds[1])
			if err != nil {
				return 0, err
			}
			unix.Close(fds[0])
			if !idle {
				wt.Write([]byte("into the void")) // EPIPE, not SIGPIPE
			}
			waitUntil(ctx, t, func() bool { return wp.lostCount > 0 })
			eventloop.Sleep(ctx, time.Millisecond)
			if wp.lostCount != 1 || !errors.Is(wp.lostErr, syscall.EPIPE) {
				t.Errorf("idle=%v: lost %d times with %v", idle, wp.lostCount, wp.lostErr)
			}
			if err := wt.Write([]byte("more")); !errors.Is(err, syscall.EPIPE) {
				t.Errorf("idle=%v: Write after EPIPE: %v", idle, err)
			}
		}
		return 0, nil
	})
}

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

// TestFDReuseNoStaleEvent: B and C have data ready in the same poll; A's
// DataReceived, which runs first, aborts B. B's queued read must not run,
// and the descriptor number B's close frees, taken by a new transport D,
// must only ever deliver D's bytes.
func TestFDReuseNoStaleEvent(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		type side struct {
			tr   Transport
			p    *recProto
			peer int
		}
		mk := func() side {
			fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			p := &recProto{}
			tr, _, err := ConnectFD(ctx, func() *recProto { return p }, fds[0])
			if err != nil {
				t.Fatal(err)
			}
			return side{tr, p, fds[1]}
		}
		a, b := mk(), mk()
		defer unix.Close(a.peer)
		defer unix.Close(b.peer)
		bfd := must(b.tr.Extra(ExtraSocket)).(int)
		var dfds []int
		a.p.onData = func(*recProto, []byte) {
			b.tr.Abort()
		}
		b.p.onLost = func(*recProto) {
			// Takes the number B's close freed, in the same iteration.
			fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			dfds = fds[:]
		}
		unix.Write(a.peer, []byte("a"))
		unix.Write(b.peer, []byte("stale"))
		waitUntil(ctx, t, func() bool { return dfds != nil })
		dp := &recProto{}
		dtr, _, err := ConnectFD(ctx, func() *recProto { return dp }, dfds[0])
		if err != nil {
			t.Fatal(err)
		}
		d := side{dtr, dp, dfds[1]}
		defer unix.Close(d.peer)
		if got := must(d.tr.Extra(ExtraSocket)).(int); got != bfd {
			t.Logf("fd not reused (%d vs %d); the test is weaker", got, bfd)
		}
		unix.Write(d.peer, []byte("fresh"))
		waitUntil(ctx, t, func() bool { return len(d.p.data) == 5 })
		if len(b.p.data) != 0 || string(d.p.data) != "fresh" {
			t.Errorf("B got %q after its abort, D got %q", b.p.data, d.p.data)
		}
		a.tr.Close()
		d.tr.Close()
		waitUntil(ctx, t, func() bool { return a.p.lostCount == 1 && d.p.lostCount == 1 })
		return 0, nil
	})
}

func TestCloseReportsOpenTransports(t *testing.T) {
	checkFDLeak(t)
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (string, error) {
		srv, err := CreateServer(ctx, func() *echoProto { return &echoProto{} }, "tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		_, _, err = CreateConnection(ctx, func() *recProto { return &recProto{} }, "tcp", srv.Addrs()[0].String())
		return srv.Addrs()[0].String(), err
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	addr, _ := tk.Result()
	err = l.Close()
	var ae *eventloop.AliveError
	if !errors.As(err, &ae) || len(ae.Resources) != 3 {
		t.Fatalf("Close: %v", err)
	}
	if !strings.Contains(err.Error(), "tcp server "+addr) || !strings.Contains(err.Error(), "->"+addr) {
		t.Errorf("message %q does not name the server and the connection", err)
	}
}

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

func TestServePerCore(t *testing.T) {
	checkFDLeak(t)
	made := make(chan int, 64)
	s, err := ServePerCore(2, "tcp4", "127.0.0.1:0", func(i int) *echoProto {
		made <- i
		return &echoProto{}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for i := 0; i < 32 && (len(seen) < 2 || i < 4); i++ {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Sprintf("conn %d", i)
		c.Write([]byte(msg))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if string(buf[:n]) != msg || err != nil {
			t.Errorf("echo %q, %v", buf[:n], err)
		}
		c.Close()
		seen[<-made]++
	}
	if err := s.Shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if len(seen) != 2 {
		t.Errorf("connections per loop: %v (the kernel put all on one)", seen)
	}
	total := uint64(0)
	for _, st := range s.Stats() {
		total += st.Accept.Accepted
	}
	if total != uint64(seen[0]+seen[1]) {
		t.Errorf("stats %+v, seen %v", s.Stats(), seen)
	}
}
