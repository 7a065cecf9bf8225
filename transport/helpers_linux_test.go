//go:build linux

package transport

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
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

func (u *udpRec) ErrorReceived(err error) { u.errs = append(u.errs, err) }

func (u *udpRec) ConnectionLost(err error) { u.lost++; u.events = append(u.events, "lost") }

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

func (p *recProto) PauseWriting() { p.pauses++; p.events = append(p.events, "pause") }

func (p *recProto) ResumeWriting() { p.resumes++; p.events = append(p.events, "resume") }

// echoProto writes back what it receives.
type echoProto struct {
	ProtocolBase
	t Transport
}

func (e *echoProto) ConnectionMade(t Transport) { e.t = t }

func (e *echoProto) DataReceived(b []byte) { e.t.Write(b) }

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
