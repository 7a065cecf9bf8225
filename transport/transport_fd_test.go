//go:build linux

package transport

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

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

func TestEchoTCPAndUnix(t *testing.T) {
	for _, tc := range []struct{ name, network, addr string }{
		{"tcp", "tcp", "127.0.0.1:0"},
		{"unix", "unix", filepath.Join(t.TempDir(), "s.sock")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDLeak(t)
			l := newVirtualLoop(t)
			_, err := runTask(t, l, func(ctx context.Context) (int, error) {
				srv, err := CreateServer(ctx, func() *echoProto { return &echoProto{} }, tc.network, tc.addr)
				if err != nil {
					return 0, err
				}
				if !srv.IsServing() || len(srv.Addrs()) != 1 || len(srv.Sockets()) != 1 {
					t.Errorf("serving %v, addrs %v, sockets %v", srv.IsServing(), srv.Addrs(), srv.Sockets())
				}
				tr, p, err := CreateConnection(ctx, func() *recProto { return &recProto{} }, tc.network, srv.Addrs()[0].String())
				if err != nil {
					return 0, err
				}
				if p.tr != tr || len(p.events) != 1 {
					t.Errorf("after CreateConnection: events %v", p.events)
				}
				if tc.network == "tcp" {
					v, _ := unix.GetsockoptInt(must(tr.Extra(ExtraSocket)).(int), unix.IPPROTO_TCP, unix.TCP_NODELAY)
					if v == 0 {
						t.Error("TCP_NODELAY not set on the client")
					}
					if pa, ok := tr.Extra(ExtraPeerName); !ok || pa.(net.Addr).String() != srv.Addrs()[0].String() {
						t.Errorf("peername %v, want %v", pa, srv.Addrs()[0])
					}
				}
				tr.Write([]byte("hello, "))
				tr.Writelines([][]byte{[]byte("wor"), []byte("ld")})
				waitUntil(ctx, t, func() bool { return len(p.data) == 12 })
				if string(p.data) != "hello, world" {
					t.Errorf("echo %q", p.data)
				}
				if srv.Stats().Clients != 1 {
					t.Errorf("stats %+v", srv.Stats())
				}
				tr.Close()
				if err := tr.Write([]byte("x")); !errors.Is(err, ErrTransportClosed) {
					t.Errorf("Write after Close: %v", err)
				}
				srv.Close()
				if err := srv.WaitClosed(ctx); err != nil {
					return 0, err
				}
				if got := strings.Join(p.events, ","); got != "made,data,lost" || p.lostErr != nil {
					t.Errorf("client events %s, lost %v", got, p.lostErr)
				}
				return 0, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.network == "unix" {
				if _, err := os.Stat(tc.addr); !os.IsNotExist(err) {
					t.Errorf("socket file left behind: %v", err)
				}
			}
		})
	}
}

func TestPeerResetDuringWrite(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		// Linger 0: close sends a RST instead of a FIN.
		unix.SetsockoptLinger(peer, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		unix.Close(peer)
		chunk := make([]byte, 4096)
		var werr error
		for i := 0; i < 1000 && werr == nil; i++ {
			werr = tr.Write(chunk)
			if werr == nil {
				eventloop.Sleep(ctx, 0)
			}
		}
		if !errors.Is(werr, ErrTransportClosed) {
			t.Fatalf("writes never failed: %v", werr)
		}
		waitUntil(ctx, t, func() bool { return p.lostCount > 0 })
		eventloop.Sleep(ctx, time.Millisecond)
		var be *BrokenError
		if p.lostCount != 1 || !errors.As(p.lostErr, &be) {
			t.Errorf("ConnectionLost %d times, err %v", p.lostCount, p.lostErr)
		}
		if !errors.Is(p.lostErr, unix.ECONNRESET) && !errors.Is(p.lostErr, unix.EPIPE) {
			t.Errorf("lost with %v, want ECONNRESET or EPIPE", p.lostErr)
		}
		if err := tr.Write(chunk); !errors.As(err, &be) {
			t.Errorf("Write after the reset: %v", err)
		}
		return 0, nil
	})
}

func TestPauseWritingWhenPeerNeverReads(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		defer unix.Close(peer)
		chunk := make([]byte, 16*1024)
		// A well-behaved producer: write until paused.
		writes := 0
		for p.pauses == 0 && writes < 100000 {
			if err := tr.Write(chunk); err != nil {
				t.Fatal(err)
			}
			writes++
			eventloop.Sleep(ctx, 0)
		}
		if p.pauses != 1 {
			t.Fatalf("PauseWriting %d times", p.pauses)
		}
		if size := tr.WriteBufferSize(); size > DefaultWriteHighWater+2*len(chunk) {
			t.Errorf("buffer grew to %d", size)
		}
		for range 10 {
			eventloop.Sleep(ctx, time.Millisecond)
		}
		if p.pauses != 1 || p.resumes != 0 {
			t.Errorf("pauses %d resumes %d while the peer sleeps", p.pauses, p.resumes)
		}
		// The peer drains everything: ResumeWriting once.
		unix.SetNonblock(peer, true)
		buf := make([]byte, 1<<20)
		total := 0
		waitUntil(ctx, t, func() bool {
			for {
				n, err := unix.Read(peer, buf)
				if n <= 0 || err != nil {
					break
				}
				total += n
			}
			return tr.WriteBufferSize() == 0 && p.resumes == 1
		})
		if p.pauses != 1 || p.resumes != 1 {
			t.Errorf("pauses %d resumes %d", p.pauses, p.resumes)
		}
		tr.Close()
		waitUntil(ctx, t, func() bool { return p.lostCount == 1 })
		for {
			n, _ := unix.Read(peer, buf)
			if n <= 0 {
				break
			}
			total += n
		}
		if total != writes*len(chunk) {
			t.Errorf("peer read %d bytes, %d written", total, writes*len(chunk))
		}
		return 0, nil
	})
}

func TestDataFINAndHangupTogether(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		tr.PauseReading()
		want := bytes.Repeat([]byte("0123456789"), 100000) // 1 MB: several reads
		go func() {
			// Blocking peer: write everything, then close (FIN).
			for off := 0; off < len(want); {
				n, err := unix.Write(peer, want[off:])
				if err != nil {
					break
				}
				off += n
			}
			unix.Close(peer)
		}()
		// Let the data and the FIN land before the transport reads again.
		waitUntil(ctx, t, func() bool {
			var st unix.Stat_t
			return unix.Fstat(peer, &st) != nil // closed by the goroutine
		})
		tr.ResumeReading()
		waitUntil(ctx, t, func() bool { return p.lostCount == 1 })
		if !bytes.Equal(p.data, want) {
			t.Errorf("got %d bytes, want %d", len(p.data), len(want))
		}
		if got := strings.Join(p.events, ","); got != "made,data,eof,lost" {
			t.Errorf("events %s", got)
		}
		return 0, nil
	})
}

func TestHalfCloseBothWays(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		var server *recProto
		srv, err := CreateServer(ctx, func() *recProto {
			server = &recProto{keepOpen: true}
			return server
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		client := &recProto{keepOpen: true}
		tr, _, err := CreateConnection(ctx, func() *recProto { return client }, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return 0, err
		}
		if !tr.CanWriteEOF() {
			t.Error("CanWriteEOF false")
		}
		tr.Write([]byte("request"))
		tr.WriteEOF()
		if err := tr.Write([]byte("x")); !errors.Is(err, ErrEOFWritten) {
			t.Errorf("Write after WriteEOF: %v", err)
		}
		waitUntil(ctx, t, func() bool {
			return server != nil && len(server.events) > 0 && server.events[len(server.events)-1] == "eof"
		})
		// The server still writes after the client's EOF, then half-closes too.
		server.tr.Write([]byte("response"))
		server.tr.WriteEOF()
		waitUntil(ctx, t, func() bool { return len(client.events) > 0 && client.events[len(client.events)-1] == "eof" })
		if string(server.data) != "request" || string(client.data) != "response" {
			t.Errorf("server got %q, client got %q", server.data, client.data)
		}
		tr.Close()
		server.tr.Close()
		srv.Close()
		if err := srv.WaitClosed(ctx); err != nil {
			return 0, err
		}
		for _, p := range []*recProto{server, client} {
			if got := strings.Join(p.events, ","); got != "made,data,eof,lost" || p.lostErr != nil {
				t.Errorf("events %s, lost %v", got, p.lostErr)
			}
		}
		return 0, nil
	})
}

// TestAddReaderOnTransportFD: the loop's AddReader, AddWriter,
// RemoveReader and RemoveWriter refuse a descriptor a transport owns
// (asyncio: "File descriptor ... is used by transport ..."), and leave the
// transport working; once the transport is closed the number is free.
func TestAddReaderOnTransportFD(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		defer unix.Close(peer)
		fd := must(tr.Extra(ExtraSocket)).(int)
		stolen := false
		steal := func() { stolen = true }
		for name, call := range map[string]func() error{
			"AddReader":    func() error { return l.AddReader(fd, steal) },
			"AddWriter":    func() error { return l.AddWriter(fd, steal) },
			"RemoveReader": func() error { _, err := l.RemoveReader(fd); return err },
			"RemoveWriter": func() error { _, err := l.RemoveWriter(fd); return err },
			"SockRecv":     func() error { _, err := SockRecv(ctx, fd, 16); return err },
			"SockSendall":  func() error { return SockSendall(ctx, fd, []byte("x")) },
		} {
			err := call()
			if !errors.Is(err, eventloop.ErrFDOwned) || !strings.Contains(err.Error(), "tcp transport") {
				t.Errorf("%s on a transport's fd: %v", name, err)
			}
		}
		unix.Write(peer, []byte("ping"))
		var buf [8]byte
		unix.SetNonblock(peer, true)
		if n, _ := unix.Read(peer, buf[:]); n > 0 {
			t.Errorf("peer got %q written past the transport", buf[:n])
		}
		for i := 0; i < 100 && string(p.data) != "ping" && !stolen; i++ {
			eventloop.Sleep(ctx, time.Millisecond)
		}
		if stolen || string(p.data) != "ping" {
			t.Errorf("transport's reader replaced: stolen=%v data=%q", stolen, p.data)
		}
		tr.Close()
		waitUntil(ctx, t, func() bool { return p.lostCount > 0 })
		// The number is free again: a new descriptor that gets it can be
		// watched.
		r, w, err := pipeCloexec()
		if err != nil {
			return 0, err
		}
		defer unix.Close(r)
		defer unix.Close(w)
		if err := l.AddReader(r, func() {}); err != nil {
			t.Errorf("AddReader after the transport closed: %v", err)
		}
		l.RemoveReader(r)
		// A server's listening socket is claimed the same way.
		srv, err := CreateServer(ctx, func() *recProto { return &recProto{} }, "tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		if err := l.AddReader(srv.Sockets()[0], steal); !errors.Is(err, eventloop.ErrFDOwned) {
			t.Errorf("AddReader on a listening socket: %v", err)
		}
		srv.Close()
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func pipeCloexec() (int, int, error) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC)
	return p[0], p[1], err
}
