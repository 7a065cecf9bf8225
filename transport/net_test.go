//go:build linux

package transport

import (
	"bytes"
	"context"
	"errors"
	"github.com/aio-go/aio/eventloop"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// countFDs counts this process's open descriptors.
func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// checkFDLeak fails the test if it leaves descriptors open. Call it before
// newVirtualLoop, so its check runs after the loop closed.
func checkFDLeak(t *testing.T) {
	t.Helper()
	before := countFDs(t)
	t.Cleanup(func() {
		if after := countFDs(t); after != before {
			t.Errorf("descriptors: %d before, %d after", before, after)
		}
	})
}

// recProto records what a stream transport tells it.
type recProto struct {
	tr        Transport
	events    []string
	data      []byte
	lostErr   error
	lostCount int
	keepOpen  bool
	pauses    int
	resumes   int
	onMade    func(p *recProto)
	onData    func(p *recProto, b []byte)
	onLost    func(p *recProto)
}

func (p *recProto) ConnectionMade(t Transport) {
	p.tr = t
	p.events = append(p.events, "made")
	if p.onMade != nil {
		p.onMade(p)
	}
}

func (p *recProto) DataReceived(b []byte) {
	if len(p.events) == 0 || p.events[len(p.events)-1] != "data" {
		p.events = append(p.events, "data")
	}
	p.data = append(p.data, b...)
	if p.onData != nil {
		p.onData(p, b)
	}
}

func (p *recProto) EOFReceived() bool {
	p.events = append(p.events, "eof")
	return p.keepOpen
}

func (p *recProto) ConnectionLost(err error) {
	p.events = append(p.events, "lost")
	p.lostErr = err
	p.lostCount++
	if p.onLost != nil {
		p.onLost(p)
	}
}

func (p *recProto) PauseWriting()  { p.pauses++; p.events = append(p.events, "pause") }
func (p *recProto) ResumeWriting() { p.resumes++; p.events = append(p.events, "resume") }

// echoProto writes back what it receives.
type echoProto struct {
	ProtocolBase
	t Transport
}

func (e *echoProto) ConnectionMade(t Transport) { e.t = t }
func (e *echoProto) DataReceived(b []byte)      { e.t.Write(b) }

// waitUntil lets the loop run until cond holds (bounded by loop time).
func waitUntil(ctx context.Context, t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 100000 {
			t.Fatal("condition never held")
		}
		if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
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

func must(v any, ok bool) any {
	if !ok {
		panic("missing extra")
	}
	return v
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConnectErrors(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	refused := freePort(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		newP := func() *recProto { t.Error("factory called for a failed connection"); return &recProto{} }
		for _, tc := range []struct {
			name, network, addr string
			want                error
		}{
			{"refused", "tcp", refused, unix.ECONNREFUSED},
			{"no port", "tcp", "127.0.0.1", nil},
			{"port out of range", "tcp", "127.0.0.1:99999", nil},
			{"bad network", "sctp", "127.0.0.1:80", errBadNetwork},
			{"datagram network", "udp", "127.0.0.1:80", errBadNetwork},
			{"unix missing", "unix", filepath.Join(t.TempDir(), "nope"), unix.ENOENT},
		} {
			_, _, err := CreateConnection(ctx, newP, tc.network, tc.addr)
			var ne *NetError
			if !errors.As(err, &ne) || ne.Op != "dial" || ne.Addr != tc.addr {
				t.Errorf("%s: error %v (%T), want a *NetError for dial %s", tc.name, err, err, tc.addr)
				continue
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: %v does not match %v", tc.name, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "eventloop: dial ") {
				t.Errorf("%s: message %q", tc.name, err)
			}
		}
		return 0, nil
	})
}

func TestConnectUnresolvable(t *testing.T) {
	if testing.Short() {
		t.Skip("asks the system resolver")
	}
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		_, _, err := CreateConnection(ctx, func() *recProto { return &recProto{} }, "tcp", "no-such-host.invalid:80")
		var dns *net.DNSError
		var ne *NetError
		if !errors.As(err, &ne) || !errors.As(err, &dns) {
			t.Errorf("error %v (%T), want a *NetError wrapping a *net.DNSError", err, err)
		}
		return 0, nil
	})
}

func TestConnectOutsideTask(t *testing.T) {
	l := newVirtualLoop(t)
	_, _, err := CreateConnection(l.Context(), func() *recProto { return &recProto{} }, "tcp", "127.0.0.1:1")
	if !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("from the root context: %v", err)
	}
	_, _, err = CreateConnection(context.Background(), func() *recProto { return &recProto{} }, "tcp", "127.0.0.1:1")
	if !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("from a plain context: %v", err)
	}
}

// tcpPair returns a client transport connected to a raw server-side fd.
func tcpPair(ctx context.Context, t *testing.T, p *recProto) (Transport, int) {
	t.Helper()
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(lfd, 1)
	sa, _ := unix.Getsockname(lfd)
	tr, _, err := CreateConnection(ctx, func() *recProto { return p }, "tcp", sockaddrToAddr("tcp", sa).String())
	if err != nil {
		t.Fatal(err)
	}
	peer, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	return tr, peer
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
