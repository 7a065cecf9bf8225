//go:build linux

package transport

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"golang.org/x/sys/unix"
)

// pairNet is a toy simulated network: Listen registers a name, Dial makes
// a socketpair and hands one end to the listener's handler. It shows that
// CreateConnection, CreateServer and *Server work over any Network.
type pairNet struct {
	listeners map[string]*pairListener
	dials     int
}

type pairListener struct {
	addr string
	h    ConnHandler
	l    *eventloop.Loop
	st   ListenerStats
}

func (n *pairNet) Dial(ctx context.Context, network, address string, newProto func() StreamProtocol, cfg *ConnConfig) (Transport, error) {
	n.dials++
	ln := n.listeners[address]
	if ln == nil || ln.h == nil {
		return nil, &NetError{Op: "dial", Net: network, Addr: address, Err: unix.ECONNREFUSED}
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ln.st.AcceptCalls++
	ln.st.Accepted++
	st, err := newFDTransport(ln.l, fds[1], kindSocket, "pair", ln.h.NewProtocol())
	if err != nil {
		unix.Close(fds[0])
		return nil, err
	}
	st.onLost = ln.h.Detached
	ln.h.Attached(st)
	return newFDTransport(eventloop.LoopOf(ctx), fds[0], kindSocket, "pair", newProto())
}

func (n *pairNet) Listen(ctx context.Context, network, address string, cfg *ServerConfig) ([]Listener, error) {
	ln := &pairListener{addr: address, l: eventloop.LoopOf(ctx)}
	n.listeners[address] = ln
	return []Listener{ln}, nil
}

func (p *pairListener) Addr() net.Addr             { return &net.UnixAddr{Name: p.addr, Net: "pair"} }
func (p *pairListener) FD() int                    { return -1 }
func (p *pairListener) Accept(h ConnHandler) error { p.h = h; return nil }
func (p *pairListener) Stop()                      { p.h = nil }
func (p *pairListener) Close() error               { p.h = nil; return nil }
func (p *pairListener) Stats() ListenerStats       { return p.st }

func TestServerOverSimulatedNetwork(t *testing.T) {
	checkFDLeak(t)
	pn := &pairNet{listeners: map[string]*pairListener{}}
	l := newVirtualLoop(t, WithNetwork(pn))
	if NetworkOf(l) != Network(pn) {
		t.Fatal("Network() is not the one given")
	}
	runTask(t, l, func(ctx context.Context) (int, error) {
		srv, err := CreateServer(ctx, func() *echoProto { return &echoProto{} }, "pair", "echo")
		if err != nil {
			return 0, err
		}
		if len(srv.Sockets()) != 0 || srv.Addrs()[0].String() != "echo" {
			t.Errorf("sockets %v addrs %v", srv.Sockets(), srv.Addrs())
		}
		tr, p, err := CreateConnection(ctx, func() *recProto { return &recProto{} }, "pair", "echo")
		if err != nil {
			return 0, err
		}
		tr.Write([]byte("simulated"))
		waitUntil(ctx, t, func() bool { return len(p.data) == 9 })
		if st := srv.Stats(); st.Clients != 1 || st.Accept.Accepted != 1 {
			t.Errorf("stats %+v", st)
		}
		srv.Close()
		if _, _, err := CreateConnection(ctx, func() *recProto { return &recProto{} }, "pair", "echo"); !errors.Is(err, unix.ECONNREFUSED) {
			t.Errorf("dial after Close: %v", err)
		}
		srv.CloseClients()
		if err := srv.WaitClosed(ctx); err != nil {
			return 0, err
		}
		waitUntil(ctx, t, func() bool { return p.lostCount == 1 })
		if pn.dials != 2 {
			t.Errorf("%d dials went through the simulated network", pn.dials)
		}
		return 0, nil
	})
}

// bufProto is a BufferedProtocol reading into a small buffer of its own.
type bufProto struct {
	ProtocolBase
	buf   [3]byte
	got   []byte
	hints []int
	lost  int
}

func (b *bufProto) GetBuffer(hint int) []byte { b.hints = append(b.hints, hint); return b.buf[:] }
func (b *bufProto) BufferUpdated(n int)       { b.got = append(b.got, b.buf[:n]...) }
func (b *bufProto) ConnectionLost(error)      { b.lost++ }

type neither struct{}

func (neither) ConnectionMade(Transport) {}
func (neither) ConnectionLost(error)     {}
func (neither) PauseWriting()            {}
func (neither) ResumeWriting()           {}
func (neither) EOFReceived() bool        { return false }
