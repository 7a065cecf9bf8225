package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// The goroutine datagram endpoint: a UDP endpoint over Go's net package
// (a *net.UDPConn) for systems without a readiness poller (Windows, where
// CreateDatagramEndpoint is built on it). A reader goroutine receives one
// datagram into the endpoint's buffer, posts it to the loop and waits
// until the loop has delivered it before it reads again, so a datagram is
// never overwritten before the protocol saw it and a slow loop leaves
// datagrams in the kernel's buffer, where UDP drops them as it would on
// any host. A writer goroutine sends what SendTo queued, in order; each
// completion is posted back, which shrinks the write buffer for flow
// control, and a failed send reaches the protocol's ErrorReceived: an
// accepted datagram is either sent or reported.

// dgramReadSize is the goroutine endpoint's receive buffer: the largest
// UDP payload.
const dgramReadSize = 64 * 1024

var errBadDatagram = errors.New("transport: bad datagram endpoint")

// createGoDatagram is CreateDatagramEndpoint over Go's net package.
func createGoDatagram[P DatagramProtocol](ctx context.Context, factory func() P, network, local, remote string, opts ...DatagramOption) (DatagramTransport, P, error) {
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
	switch network {
	case "udp", "udp4", "udp6":
	case "unixgram":
		return nil, p, fail(fmt.Errorf("transport: unixgram over Go's net package: %w", errors.ErrUnsupported))
	default:
		return nil, p, fail(fmt.Errorf("%w: CreateDatagramEndpoint needs a datagram network", errBadDatagram))
	}
	if local == "" && remote == "" {
		return nil, p, fail(errors.New("transport: neither a local nor a remote address"))
	}
	if cfg.ReusePort {
		return nil, p, fail(fmt.Errorf("transport: SO_REUSEPORT over Go's net package: %w", errors.ErrUnsupported))
	}
	ctl := dgramControl(cfg)

	// Resolving and binding may block (a name lookup): a goroutine does
	// them and posts the result.
	fut := eventloop.NewFuture[*net.UDPConn](l)
	dctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer l.AddCompletionSource()()
	go func() {
		c, err := openUDP(dctx, network, local, remote, ctl)
		if l.CallSoonThreadsafe(func() {
			switch {
			case fut.Done():
				if c != nil {
					c.Close()
				}
			case err != nil:
				fut.SetError(err)
			default:
				fut.SetResult(c)
			}
		}) != nil && c != nil {
			c.Close()
		}
	}()
	c, err := eventloop.Await(ctx, fut)
	if err != nil {
		return nil, p, fail(err)
	}
	p = factory()
	t := &goDgramTransport{loop: l, conn: c, proto: p, connected: remote != "", flow: newWriteFlow(),
		rbuf: make([]byte, dgramReadSize), rnext: make(chan struct{}, 1)}
	t.cond = sync.NewCond(&t.mu)
	t.flowFn = t.syncFlow
	if err := l.Track(t); err != nil {
		c.Close()
		return nil, p, err
	}
	if _, err := l.CallSoon(t.start); err != nil {
		l.Untrack(t)
		c.Close()
		return nil, p, err
	}
	if err := eventloop.Sleep(ctx, 0); err != nil {
		t.Abort()
		return nil, p, err
	}
	return t, p, nil
}

// openUDP binds local and/or connects to remote.
func openUDP(ctx context.Context, network, local, remote string, ctl dialControl) (*net.UDPConn, error) {
	if remote == "" {
		lc := net.ListenConfig{Control: ctl}
		pc, err := lc.ListenPacket(ctx, network, local)
		if err != nil {
			return nil, err
		}
		return pc.(*net.UDPConn), nil
	}
	d := net.Dialer{Control: ctl}
	if local != "" {
		la, err := net.ResolveUDPAddr(network, local)
		if err != nil {
			return nil, err
		}
		d.LocalAddr = la
	}
	c, err := d.DialContext(ctx, network, remote)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}

// goDgramTransport is the goroutine datagram endpoint. What the
// goroutines touch is guarded by mu; the rest is the loop goroutine's.
type goDgramTransport struct {
	loop      *eventloop.Loop
	conn      *net.UDPConn
	proto     DatagramProtocol
	connected bool

	// Loop goroutine only.
	started, closing, lost bool
	finished               bool // finish ran
	queued                 int  // bytes handed to the writer, not yet sent
	flow                   writeFlow
	flowFn                 func()
	unsource               func()

	rbuf  []byte        // the reader's, or a datagram the loop has not delivered yet
	rnext chan struct{} // the loop delivered the last datagram: read again

	mu     sync.Mutex // protects out, wclose; cond waits on it
	cond   *sync.Cond
	out    []datagramOut
	wclose int // 0 open; 1 close once out is sent; 2 abort
	wg     sync.WaitGroup
}

type datagramOut struct {
	data []byte
	to   *net.UDPAddr
}

func (t *goDgramTransport) start() {
	if t.lost {
		return
	}
	t.started = true
	t.proto.ConnectionMade(t)
	if t.lost {
		return
	}
	t.unsource = t.loop.AddCompletionSource()
	t.wg.Add(1)
	go t.writeLoop()
	if !t.closing {
		t.wg.Add(1)
		go t.readLoop()
	}
}

// readLoop is the reader goroutine. It ends when conn is closed.
func (t *goDgramTransport) readLoop() {
	defer t.wg.Done()
	for {
		n, from, err := t.conn.ReadFromUDP(t.rbuf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Not fatal for a datagram endpoint (a connected endpoint's
			// ICMP port unreachable shows here): asyncio's error_received.
			e := &NetError{Op: "recvfrom", Net: "udp", Err: err}
			if t.loop.CallSoonThreadsafe(func() {
				if !t.lost && !t.closing {
					t.proto.ErrorReceived(e)
				}
			}) != nil {
				return
			}
			continue
		}
		if t.loop.CallSoonThreadsafe(func() { t.deliver(n, from) }) != nil {
			return
		}
		<-t.rnext
	}
}

// deliver hands one datagram to the protocol (loop goroutine) and lets
// the reader go on.
func (t *goDgramTransport) deliver(n int, from *net.UDPAddr) {
	defer t.releaseReader()
	if t.lost || t.closing {
		return
	}
	var addr net.Addr
	if from != nil {
		addr = from
	}
	t.proto.DatagramReceived(t.rbuf[:n], addr)
}

// writeLoop is the writer goroutine.
func (t *goDgramTransport) writeLoop() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		for len(t.out) == 0 && t.wclose == 0 {
			t.cond.Wait()
		}
		if t.wclose == 2 || (len(t.out) == 0 && t.wclose == 1) {
			how := t.wclose
			t.mu.Unlock()
			t.conn.Close()
			if how == 1 {
				t.loop.CallSoonThreadsafe(func() { t.finish(nil) })
			}
			return
		}
		d := t.out[0]
		t.out[0] = datagramOut{}
		t.out = t.out[1:]
		t.mu.Unlock()
		var err error
		if d.to == nil {
			_, err = t.conn.Write(d.data)
		} else {
			_, err = t.conn.WriteToUDP(d.data, d.to)
		}
		n := len(d.data)
		if t.loop.CallSoonThreadsafe(func() { t.sent(n, d.to, err) }) != nil {
			return
		}
	}
}

// sent runs on the loop when the writer finished one datagram.
func (t *goDgramTransport) sent(n int, to *net.UDPAddr, err error) {
	t.queued -= n
	if t.lost {
		return
	}
	if err != nil {
		addr := "?"
		if to != nil {
			addr = to.String()
		}
		t.proto.ErrorReceived(&NetError{Op: "sendto", Net: "udp", Addr: addr, Err: err})
	}
	if t.flow.paused {
		t.syncFlow()
	}
}

func (t *goDgramTransport) syncFlow() {
	if t.lost {
		t.flow.queued = false
		return
	}
	t.flow.sync(t.queued, t.proto)
}

// SendTo implements DatagramTransport: the datagram is copied and queued
// for the writer goroutine; a send that fails reaches ErrorReceived.
func (t *goDgramTransport) SendTo(data []byte, addr net.Addr) error {
	if t.closing {
		return ErrTransportClosed
	}
	var to *net.UDPAddr
	switch a := addr.(type) {
	case nil:
		if !t.connected {
			return errors.New("transport: SendTo without an address on an unconnected endpoint")
		}
	case *net.UDPAddr:
		if a == nil && !t.connected {
			return errors.New("transport: SendTo without an address on an unconnected endpoint")
		}
		if a != nil {
			to = a
		}
	default:
		return fmt.Errorf("transport: SendTo: %w: %T is not a UDP address", errBadDatagram, addr)
	}
	if to != nil && t.connected {
		return fmt.Errorf("transport: SendTo: %w: an address on a connected endpoint", errBadDatagram)
	}
	d := datagramOut{append([]byte(nil), data...), to}
	t.mu.Lock()
	t.out = append(t.out, d)
	t.mu.Unlock()
	t.cond.Broadcast()
	t.queued += len(d.data)
	t.flow.grew(t.loop, t.queued, t.flowFn)
	return nil
}

// Close implements BaseTransport: nothing more is received, queued
// datagrams are still sent, then ConnectionLost(nil).
func (t *goDgramTransport) Close() error {
	if t.closing {
		return nil
	}
	t.closing = true
	if !t.started {
		t.lost = true
		t.conn.Close()
		t.loop.CallSoon(func() { t.finish(nil) })
		return nil
	}
	t.mu.Lock()
	t.wclose = 1
	t.mu.Unlock()
	t.cond.Broadcast()
	return nil
}

// Abort implements DatagramTransport: queued datagrams are dropped.
func (t *goDgramTransport) Abort() {
	if t.lost {
		return
	}
	t.closing, t.lost = true, true
	t.mu.Lock()
	t.wclose, t.out = 2, nil
	t.mu.Unlock()
	t.cond.Broadcast()
	t.queued = 0
	t.conn.Close()
	t.loop.CallSoon(func() { t.finish(nil) })
}

// finish ends the endpoint: once conn is closed, the goroutines are
// waited for and ConnectionLost runs.
func (t *goDgramTransport) finish(err error) {
	if t.finished {
		return
	}
	t.finished, t.lost = true, true
	t.conn.Close()
	t.releaseReader()
	t.wg.Wait()
	t.loop.Untrack(t)
	if t.unsource != nil {
		t.unsource()
		t.unsource = nil
	}
	if t.started {
		t.started = false
		t.proto.ConnectionLost(err)
	}
}

// releaseReader lets the reader read again: after a delivery, or when
// the endpoint ends (a delivery that will not come). The reader waits for
// one token per datagram, so a token already waiting is enough.
func (t *goDgramTransport) releaseReader() {
	select {
	case t.rnext <- struct{}{}:
	default:
	}
}

// IsClosing implements BaseTransport.
func (t *goDgramTransport) IsClosing() bool { return t.closing }

// Loop implements BaseTransport.
func (t *goDgramTransport) Loop() *eventloop.Loop { return t.loop }

// WriteBufferSize implements FlowControl: bytes of queued datagrams.
func (t *goDgramTransport) WriteBufferSize() int { return t.queued }

// SetWriteBufferLimits implements FlowControl.
func (t *goDgramTransport) SetWriteBufferLimits(high, low int) error {
	return t.flow.setLimits(t.loop, high, low, t.lost, t.flowFn)
}

// WriteBufferLimits implements FlowControl.
func (t *goDgramTransport) WriteBufferLimits() (low, high int) { return t.flow.limits() }

// Extra implements BaseTransport: ExtraSockName and, when connected,
// ExtraPeerName.
func (t *goDgramTransport) Extra(key string) (any, bool) {
	switch key {
	case ExtraSockName:
		if a, ok := t.conn.LocalAddr().(*net.UDPAddr); ok && a != nil {
			return a, true
		}
	case ExtraPeerName:
		if a, ok := t.conn.RemoteAddr().(*net.UDPAddr); ok && a != nil {
			return a, true
		}
	}
	return nil, false
}

// String describes the transport, for logs and AliveError.
func (t *goDgramTransport) String() string {
	return fmt.Sprintf("udp endpoint %s", addrString(t.conn.LocalAddr()))
}

// CloseNow implements eventloop.Resource: the loop is closing; the socket
// is closed and the goroutines end.
func (t *goDgramTransport) CloseNow() {
	t.closing, t.lost = true, true
	t.mu.Lock()
	t.wclose, t.out = 2, nil
	t.mu.Unlock()
	t.cond.Broadcast()
	t.conn.Close()
	t.releaseReader()
	t.wg.Wait()
}

var _ DatagramTransport = (*goDgramTransport)(nil)
