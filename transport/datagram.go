//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"

	"golang.org/x/sys/unix"
)

// CreateDatagramEndpoint opens a datagram endpoint on network ("udp",
// "udp4", "udp6", "unixgram"), bound to local and/or connected to remote
// (either may be "", not both), with a protocol from factory, and returns
// once ConnectionMade has run (asyncio's create_datagram_endpoint). A
// connected endpoint sends with SendTo(data, nil) and receives only from
// remote; its ICMP errors (a closed port: ECONNREFUSED) reach the
// protocol's ErrorReceived. Datagram endpoints always use the OS network.
// It is an await: call it from a task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the socket is
// closed, or, once made, the transport aborted.
func CreateDatagramEndpoint[P DatagramProtocol](ctx context.Context, factory func() P, network, local, remote string, opts ...DatagramOption) (DatagramTransport, P, error) {
	var p P
	l, err := loopFor(ctx, "CreateDatagramEndpoint")
	if err != nil {
		return nil, p, err
	}
	cfg := &DatagramConfig{}
	for _, o := range opts {
		o(cfg)
	}
	addr := local
	if remote != "" {
		addr = remote
	}
	fail := func(err error) error {
		if isAwaitErr(err) {
			return err
		}
		return &NetError{Op: "listen", Net: network, Addr: addr, Err: err}
	}
	if factory == nil {
		return nil, p, errs.Op("transport", "CreateDatagramEndpoint", eventloop.ErrNilCallback)
	}
	nk, err := parseNetwork(network)
	if err != nil {
		return nil, p, fail(err)
	}
	if nk.typ != unix.SOCK_DGRAM {
		return nil, p, fail(fmt.Errorf("%w: CreateDatagramEndpoint needs a datagram network", errBadNetwork))
	}
	if local == "" && remote == "" {
		return nil, p, fail(errors.New("transport: neither a local nor a remote address"))
	}
	var lsa, rsa unix.Sockaddr
	if remote != "" {
		sas, err := resolveAddr(ctx, l, nk, remote, false)
		if err != nil {
			return nil, p, fail(err)
		}
		rsa = sas[0]
	}
	if local != "" {
		sas, err := resolveAddr(ctx, l, nk, local, true)
		if err != nil {
			return nil, p, fail(err)
		}
		lsa = sas[0]
		if rsa != nil {
			for _, sa := range sas { // the local address of the remote's family
				if sockaddrFamily(sa) == sockaddrFamily(rsa) {
					lsa = sa
					break
				}
			}
		}
	}
	family := 0
	if rsa != nil {
		family = sockaddrFamily(rsa)
	} else {
		family = sockaddrFamily(lsa)
	}
	fd, err := newSocket(family, unix.SOCK_DGRAM, 0)
	if err != nil {
		return nil, p, fail(err)
	}
	if err := setupDatagram(fd, cfg, lsa, rsa); err != nil {
		unix.Close(fd)
		return nil, p, fail(err)
	}
	netw := "udp"
	if family == unix.AF_UNIX {
		netw = "unixgram"
	}
	p = factory()
	t := &dgramTransport{loop: l, fd: fd, netw: netw, proto: p, connected: rsa != nil,
		flow: newWriteFlow(), rbuf: netStateOf(l).readBuf()}
	t.readFn, t.writeFn, t.flowFn = t.readReady, t.writeReady, t.syncFlow
	if t.claim, err = l.ClaimFD(fd, t); err != nil {
		unix.Close(fd)
		return nil, p, err
	}
	if _, err := l.CallSoon(t.start); err != nil {
		t.claim.Release()
		unix.Close(fd)
		return nil, p, err
	}
	if err := l.Track(t); err != nil {
		t.claim.Release()
		unix.Close(fd)
		return nil, p, err
	}
	if err := eventloop.Sleep(ctx, 0); err != nil {
		t.Abort()
		return nil, p, err
	}
	return t, p, nil
}

func setupDatagram(fd int, cfg *DatagramConfig, lsa, rsa unix.Sockaddr) error {
	opt := func(name string, o int, on bool) error {
		if !on {
			return nil
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o, 1); err != nil {
			return errs.Op("transport", name, err)
		}
		return nil
	}
	if err := errors.Join(opt("SO_REUSEADDR", unix.SO_REUSEADDR, cfg.ReuseAddr),
		opt("SO_REUSEPORT", unix.SO_REUSEPORT, cfg.ReusePort),
		opt("SO_BROADCAST", unix.SO_BROADCAST, cfg.Broadcast)); err != nil {
		return err
	}
	if lsa != nil {
		if err := unix.Bind(fd, lsa); err != nil {
			return fmt.Errorf("transport: bind: %w", err)
		}
	}
	if rsa != nil {
		if err := unix.Connect(fd, rsa); err != nil {
			return fmt.Errorf("transport: connect: %w", err)
		}
	}
	return nil
}

// dgramTransport is a datagram endpoint over a non-blocking socket
// (asyncio's _SelectorDatagramTransport): one recvfrom per readiness
// event; SendTo sends at once and queues datagrams the kernel refuses
// with EAGAIN, flushing them when the socket is writable again.
type dgramTransport struct {
	loop      *eventloop.Loop
	fd        int
	claim     eventloop.FDClaim // the loop's record that fd is this endpoint's
	netw      string
	proto     DatagramProtocol
	connected bool
	rbuf      []byte

	readFn, writeFn, flowFn func()

	started, reading, writing bool
	closing, lost             bool
	queue                     []datagram
	queued                    int // bytes in queue
	flow                      writeFlow
}

type datagram struct {
	data []byte
	to   unix.Sockaddr
}

func (t *dgramTransport) start() {
	if t.lost {
		return
	}
	t.started = true
	t.proto.ConnectionMade(t)
	if !t.closing && !t.reading {
		if err := t.claim.AddReader(t.readFn); err != nil {
			t.forceClose(err)
			return
		}
		t.reading = true
	}
}

func (t *dgramTransport) readReady() {
	if t.lost {
		return
	}
	n, from, err := unix.Recvfrom(t.fd, t.rbuf, 0)
	switch {
	case err == nil:
		var addr net.Addr
		if from != nil {
			addr = sockaddrToAddr(t.netw, from)
		}
		t.proto.DatagramReceived(t.rbuf[:n], addr)
	case isAgain(err) || err == unix.EINTR:
	default:
		t.proto.ErrorReceived(&NetError{Op: "recvfrom", Net: t.netw, Err: err})
	}
}

// SendTo implements DatagramTransport.
func (t *dgramTransport) SendTo(data []byte, addr net.Addr) error {
	if t.closing {
		return ErrTransportClosed
	}
	var to unix.Sockaddr
	if addr != nil {
		sa, err := addrToSockaddr(addr)
		if err != nil {
			return err
		}
		to = sa
	} else if !t.connected {
		return errors.New("transport: SendTo without an address on an unconnected endpoint")
	}
	if len(t.queue) == 0 {
		err := unix.Sendto(t.fd, data, 0, to)
		switch {
		case err == nil:
			return nil
		case isAgain(err) || err == unix.EINTR:
		default:
			// Not fatal for a datagram endpoint: the protocol hears it
			// through the loop, as asyncio's error_received.
			e := &NetError{Op: "sendto", Net: t.netw, Addr: addrString(addr), Err: err}
			t.loop.CallSoon(func() {
				if !t.lost {
					t.proto.ErrorReceived(e)
				}
			})
			return nil
		}
		if err := t.claim.AddWriter(t.writeFn); err != nil {
			return err
		}
		t.writing = true
	}
	t.queue = append(t.queue, datagram{append([]byte(nil), data...), to})
	t.queued += len(data)
	t.flow.grew(t.loop, t.queued, t.flowFn)
	return nil
}

func (t *dgramTransport) writeReady() {
	for len(t.queue) > 0 {
		d := t.queue[0]
		err := unix.Sendto(t.fd, d.data, 0, d.to)
		if isAgain(err) || err == unix.EINTR {
			return
		}
		t.queue[0] = datagram{}
		t.queue = t.queue[1:]
		t.queued -= len(d.data)
		if err != nil {
			t.proto.ErrorReceived(&NetError{Op: "sendto", Net: t.netw, Err: err})
		}
	}
	t.queue = nil
	t.writing = false
	t.claim.RemoveWriter()
	t.syncFlow()
	if t.closing && !t.lost {
		t.lost = true
		t.finish(nil)
	}
}

func (t *dgramTransport) syncFlow() {
	if t.lost {
		t.flow.queued = false
		return
	}
	t.flow.sync(t.queued, t.proto)
}

// Close implements BaseTransport: queued datagrams are still sent.
func (t *dgramTransport) Close() error {
	if t.closing {
		return nil
	}
	t.closing = true
	t.stopReading()
	if len(t.queue) == 0 {
		t.lost = true
		t.loop.CallSoon(func() { t.finish(nil) })
	}
	return nil
}

func (t *dgramTransport) stopReading() {
	if t.reading {
		t.reading = false
		t.claim.RemoveReader()
	}
}

// Abort implements DatagramTransport.
func (t *dgramTransport) Abort() { t.forceClose(nil) }

func (t *dgramTransport) forceClose(err error) {
	if t.lost {
		return
	}
	t.closing, t.lost = true, true
	t.queue, t.queued = nil, 0
	t.stopReading()
	if t.writing {
		t.writing = false
		t.claim.RemoveWriter()
	}
	t.loop.CallSoon(func() { t.finish(err) })
}

func (t *dgramTransport) finish(err error) {
	t.stopReading()
	if t.fd >= 0 {
		t.claim.Release()
		unix.Close(t.fd)
		t.fd = -1
	}
	t.loop.Untrack(t)
	if t.started {
		t.proto.ConnectionLost(err)
	}
}

// IsClosing implements BaseTransport.
func (t *dgramTransport) IsClosing() bool { return t.closing }

// Loop implements BaseTransport.
func (t *dgramTransport) Loop() *eventloop.Loop { return t.loop }

// WriteBufferSize implements FlowControl: bytes of queued datagrams.
func (t *dgramTransport) WriteBufferSize() int { return t.queued }

// SetWriteBufferLimits implements FlowControl.
func (t *dgramTransport) SetWriteBufferLimits(high, low int) error {
	return t.flow.setLimits(t.loop, high, low, t.lost, t.flowFn)
}

// WriteBufferLimits implements FlowControl.
func (t *dgramTransport) WriteBufferLimits() (low, high int) { return t.flow.limits() }

// Extra implements BaseTransport.
func (t *dgramTransport) Extra(key string) (any, bool) {
	if t.fd < 0 {
		return nil, false
	}
	switch key {
	case ExtraSocket:
		return t.fd, true
	case ExtraSockName:
		if sa, err := unix.Getsockname(t.fd); err == nil {
			return sockaddrToAddr(t.netw, sa), true
		}
	case ExtraPeerName:
		if sa, err := unix.Getpeername(t.fd); err == nil {
			return sockaddrToAddr(t.netw, sa), true
		}
	}
	return nil, false
}

// String describes the transport, for logs and AliveError.
func (t *dgramTransport) String() string { return t.describe() }

func (t *dgramTransport) describe() string {
	s := fmt.Sprintf("%s endpoint fd %d", t.netw, t.fd)
	if a, ok := t.Extra(ExtraSockName); ok {
		s += " " + addrString(a.(net.Addr))
	}
	return s
}

// CloseNow releases the descriptor at once (eventloop.Resource: the loop
// is closing).
func (t *dgramTransport) CloseNow() {
	t.claim.Release()
	unix.Close(t.fd)
	t.fd = -1
	t.closing, t.lost = true, true
}

var _ DatagramTransport = (*dgramTransport)(nil)
