package transport

import (
	"fmt"
	"net"
	"syscall"

	"github.com/aio-go/aio/eventloop"
)

// The in-memory transport pair: two Transports on one loop joined by a
// simulated link, with no file descriptor. It keeps the whole contract of
// protocol.go (callbacks through the ready queue, write buffers with
// water marks, half-close, Close, Abort, PauseReading, Extra), so code
// written against Transport can be tested on it deterministically.
//
// Each direction of the link is a write buffer on the sending end and a
// delivery step. A Write appends to the buffer and schedules a step; a
// step moves up to ReadRate bytes to the receiving protocol, if it is
// reading, and schedules the next step while bytes are left. A receiver
// that paused reading takes nothing, so the sender's buffer grows past its
// high-water mark and its protocol is paused: flow control behaves as with
// a socket whose peer does not read (the kernel buffers are of size zero).
//
// The seam for simulated networks is WithPairSchedule: every delivery step
// goes through it, so a test harness can delay steps on the loop's clock
// (latency), run them in its own order, or abort the link (faults).

// MemAddr is the net.Addr of an end of an in-memory pair.
type MemAddr string

// Network returns "mem".
func (MemAddr) Network() string { return "mem" }

func (a MemAddr) String() string { return string(a) }

// PairOption configures NewTransportPair.
type PairOption func(*pairConfig)

type pairConfig struct {
	rate     int
	schedule func(l *eventloop.Loop, step func())
	addrs    [2]net.Addr
	lost     func(t Transport, err error)
}

// WithPairReadRate bounds how many bytes one delivery step moves from a
// sender's buffer to its peer (n <= 0: all of it, the default). A small
// rate makes write buffers fill even while the peer reads.
func WithPairReadRate(n int) PairOption { return func(c *pairConfig) { c.rate = n } }

// WithPairSchedule replaces how delivery steps are scheduled (by default
// Loop.CallSoon: the peer sees written bytes one loop iteration later).
// schedule must run step exactly once, on the loop goroutine, later than
// the call; steps of one direction must keep their order. A simulated
// network uses it to add latency (Loop.CallLater) or to reorder work
// between connections.
func WithPairSchedule(schedule func(l *eventloop.Loop, step func())) PairOption {
	return func(c *pairConfig) { c.schedule = schedule }
}

// WithPairAddrs sets the addresses the two ends report through Extra
// (ExtraSockName of the first end is a, its ExtraPeerName is b).
func WithPairAddrs(a, b net.Addr) PairOption {
	return func(c *pairConfig) { c.addrs = [2]net.Addr{a, b} }
}

// WithPairLost makes the pair call fn on the loop right after an end's
// protocol returned from ConnectionLost(err), with that end: what a
// Listener needs to report ConnHandler.Detached.
func WithPairLost(fn func(t Transport, err error)) PairOption {
	return func(c *pairConfig) { c.lost = fn }
}

// errPeerReset is the cause an end sees when its peer aborted, or when
// it sends to a peer that has closed: ECONNRESET, as with a socket.
var errPeerReset = fmt.Errorf("transport: in-memory peer reset the connection: %w", syscall.ECONNRESET)

// NewTransportPair makes two connected in-memory transports on l, with pa
// and pb as their protocols (each a Protocol or a BufferedProtocol). The
// protocols' ConnectionMade run on the loop's next iteration, a's first.
// Loop goroutine (or running task) only.
func NewTransportPair(l *eventloop.Loop, pa, pb StreamProtocol, opts ...PairOption) (a, b Transport, err error) {
	if err := l.Check("NewTransportPair"); err != nil {
		return nil, nil, err
	}
	for _, p := range []StreamProtocol{pa, pb} {
		if err := checkStreamProtocol("NewTransportPair", p); err != nil {
			return nil, nil, err
		}
	}
	cf := pairConfig{addrs: [2]net.Addr{MemAddr("mem-a"), MemAddr("mem-b")}}
	for _, o := range opts {
		o(&cf)
	}
	if cf.schedule == nil {
		cf.schedule = func(l *eventloop.Loop, step func()) { l.CallSoon(step) }
	}
	ea := &memEnd{loop: l, cf: &cf, proto: pa, local: cf.addrs[0], remote: cf.addrs[1], reading: true}
	eb := &memEnd{loop: l, cf: &cf, proto: pb, local: cf.addrs[1], remote: cf.addrs[0], reading: true}
	ea.peer, eb.peer = eb, ea
	for _, e := range []*memEnd{ea, eb} {
		e.flow = newWriteFlow()
		e.step, e.flowFn = e.deliver, e.flowCheck
		l.CallSoon(e.connectionMade)
	}
	return ea, eb, nil
}

func checkStreamProtocol(op string, p StreamProtocol) error {
	switch p.(type) {
	case nil:
		return fmt.Errorf("transport: %s: nil protocol", op)
	case Protocol, BufferedProtocol:
		return nil
	}
	return fmt.Errorf("transport: %s: protocol %T is neither a Protocol nor a BufferedProtocol", op, p)
}

// memEnd is one end of a pair. Loop goroutine only.
type memEnd struct {
	loop          *eventloop.Loop
	cf            *pairConfig
	peer          *memEnd
	proto         StreamProtocol
	local, remote net.Addr

	buf        []byte // buf[off:] is written, not yet delivered to the peer
	off        int
	delivering bool   // buf[..off] is being handed to the peer: do not reuse it
	scheduled  bool   // a delivery step is scheduled
	step       func() // deliver, made once

	flow   writeFlow
	flowFn func() // flowCheck, made once

	reading   bool
	eofWanted bool // WriteEOF or Close: send EOF once out is delivered
	eofSent   bool
	closing   bool // Close or Abort called, or the connection lost
	made      bool
	lost      bool // ConnectionLost queued
	gone      bool // this end no longer accepts data (closed or aborted)
}

// connectionMade runs first of e's callbacks, even when e was aborted
// before it: ConnectionLost is queued behind it.
func (e *memEnd) connectionMade() {
	e.made = true
	e.proto.ConnectionMade(e)
}

// schedule queues a delivery step of this end's buffer to the peer.
func (e *memEnd) schedule() {
	if e.scheduled || e.lost {
		return
	}
	e.scheduled = true
	e.cf.schedule(e.loop, e.step)
}

// deliver is one delivery step from e to its peer.
func (e *memEnd) deliver() {
	e.scheduled = false
	p := e.peer
	if e.lost {
		return
	}
	if p.gone {
		switch {
		case e.pending() > 0 && !e.closing:
			e.connectionLost(errPeerReset) // writing to a closed end: reset
		case e.eofWanted:
			// Closing too: as with a socket, the last bytes are handed
			// to the kernel and the close succeeds.
			e.buf, e.off = e.buf[:0], 0
			e.eofSent = true
			e.maybeFinish()
		}
		return
	}
	if !p.made {
		e.schedule() // the peer's ConnectionMade comes first
		return
	}
	if e.pending() > 0 && p.reading {
		n := e.pending()
		if e.cf.rate > 0 && n > e.cf.rate {
			n = e.cf.rate
		}
		chunk := e.buf[e.off : e.off+n : e.off+n]
		e.off += n
		e.delivering = true
		p.receive(chunk)
		e.delivering = false
		if e.flow.paused {
			e.flowCheck()
		}
	}
	switch {
	case e.pending() > 0:
		if p.reading && !p.gone {
			e.schedule()
		}
	case e.eofWanted && !e.eofSent:
		e.eofSent = true
		if !p.gone {
			p.eofReceived()
		}
		e.maybeFinish()
	}
}

func (e *memEnd) receive(data []byte) {
	switch p := e.proto.(type) {
	case BufferedProtocol:
		for len(data) > 0 && !e.gone {
			buf := p.GetBuffer(len(data))
			n := copy(buf, data)
			if n == 0 {
				e.fail(fmt.Errorf("transport: %T.GetBuffer returned an empty buffer", p))
				return
			}
			data = data[n:]
			p.BufferUpdated(n)
		}
	case Protocol:
		p.DataReceived(data)
	}
}

func (e *memEnd) eofReceived() {
	if e.gone {
		return
	}
	if !e.proto.EOFReceived() {
		e.Close()
	} else if e.eofSent {
		e.maybeFinish()
	}
}

// maybeFinish ends a closing end whose buffer is delivered.
func (e *memEnd) maybeFinish() {
	if e.closing && e.eofSent && e.pending() == 0 {
		e.connectionLost(nil)
	}
}

// connectionLost ends e once: ConnectionLost(err) is queued.
func (e *memEnd) connectionLost(err error) {
	if e.lost {
		return
	}
	e.lost, e.closing, e.gone, e.reading = true, true, true, false
	e.buf, e.off = nil, 0
	p := e.peer
	e.loop.CallSoon(func() {
		e.proto.ConnectionLost(err)
		if e.cf.lost != nil {
			e.cf.lost(e, err)
		}
	})
	// The peer now sees the end of the stream: EOF if e left cleanly, a
	// reset if it aborted. A peer that still has bytes for e is reset by
	// its next delivery step.
	if !p.lost {
		p.schedule()
	}
}

func (e *memEnd) fail(err error) {
	e.connectionLost(err)
	e.peer.reset()
}

// reset: the peer aborted.
func (e *memEnd) reset() {
	if e.lost {
		return
	}
	e.connectionLost(errPeerReset)
}

// pending is the size of the write buffer.
func (e *memEnd) pending() int { return len(e.buf) - e.off }

// flowCheck brings the protocol's paused state in line with the buffer
// (writeFlow.sync).
func (e *memEnd) flowCheck() {
	if e.lost {
		e.flow.queued = false
		return
	}
	e.flow.sync(e.pending(), e.proto)
}

// Write implements WriteTransport.
func (e *memEnd) Write(data []byte) error {
	switch {
	case e.eofWanted && !e.closing:
		return ErrEOFWritten
	case e.closing:
		return ErrTransportClosed
	case len(data) == 0:
		return nil
	}
	if e.off == len(e.buf) && !e.delivering {
		// Empty: start again at the front, and let a big buffer go.
		if cap(e.buf) > 1<<20 {
			e.buf = nil
		}
		e.buf, e.off = e.buf[:0], 0
	} else if e.off > 4096 && e.off > e.pending() && !e.delivering {
		// Mostly delivered: move the rest to the front rather than grow.
		n := copy(e.buf, e.buf[e.off:])
		e.buf, e.off = e.buf[:n], 0
	}
	e.buf = append(e.buf, data...)
	e.schedule()
	e.flow.grew(e.loop, e.pending(), e.flowFn)
	return nil
}

// Writelines implements WriteTransport.
func (e *memEnd) Writelines(bufs [][]byte) error {
	for _, b := range bufs {
		if err := e.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// WriteEOF implements WriteTransport.
func (e *memEnd) WriteEOF() error {
	if e.closing {
		return ErrTransportClosed
	}
	if e.eofWanted {
		return nil
	}
	e.eofWanted = true
	e.schedule()
	return nil
}

// CanWriteEOF implements WriteTransport: true.
func (e *memEnd) CanWriteEOF() bool { return true }

// Close implements BaseTransport: the buffer is delivered, then the peer
// sees EOF and this end's ConnectionLost(nil) follows.
func (e *memEnd) Close() error {
	if e.closing {
		return nil
	}
	e.closing, e.reading, e.eofWanted = true, false, true
	e.gone = true
	if e.eofSent {
		e.maybeFinish()
		return nil
	}
	e.schedule()
	return nil
}

// Abort implements WriteTransport: buffered bytes are dropped, the peer is
// reset (its ConnectionLost gets an error matching syscall.ECONNRESET) and
// this end's ConnectionLost(nil) follows.
func (e *memEnd) Abort() {
	if e.lost {
		return
	}
	e.connectionLost(nil)
	e.peer.reset()
}

// IsClosing implements BaseTransport.
func (e *memEnd) IsClosing() bool { return e.closing }

// Extra implements BaseTransport: ExtraPeerName and ExtraSockName.
func (e *memEnd) Extra(key string) (any, bool) {
	switch key {
	case ExtraPeerName:
		return e.remote, true
	case ExtraSockName:
		return e.local, true
	}
	return nil, false
}

// Loop implements BaseTransport.
func (e *memEnd) Loop() *eventloop.Loop { return e.loop }

// PauseReading implements ReadTransport.
func (e *memEnd) PauseReading() {
	if !e.closing {
		e.reading = false
	}
}

// ResumeReading implements ReadTransport.
func (e *memEnd) ResumeReading() {
	if e.closing || e.reading {
		return
	}
	e.reading = true
	if e.peer.pending() > 0 {
		e.peer.schedule()
	}
}

// IsReading implements ReadTransport.
func (e *memEnd) IsReading() bool { return e.reading }

// SetWriteBufferLimits implements WriteTransport.
func (e *memEnd) SetWriteBufferLimits(high, low int) error {
	return e.flow.setLimits(e.loop, high, low, e.closing, e.flowFn)
}

// WriteBufferLimits implements WriteTransport.
func (e *memEnd) WriteBufferLimits() (low, high int) { return e.flow.limits() }

// WriteBufferSize implements WriteTransport.
func (e *memEnd) WriteBufferSize() int { return e.pending() }

// SetProtocol implements Transport.
func (e *memEnd) SetProtocol(p StreamProtocol) { e.proto = p }

// Protocol implements Transport.
func (e *memEnd) Protocol() StreamProtocol { return e.proto }

func (e *memEnd) String() string { return fmt.Sprintf("memTransport(%v->%v)", e.local, e.remote) }

// BreakTransport ends t, an end of an in-memory pair, the way a network
// failure would: its buffered bytes are dropped, its protocol's
// ConnectionLost receives an error wrapping cause (a simulated network
// passes syscall.ETIMEDOUT when a partition outlasted the retransmission
// timeout), and its peer is reset. It reports false, doing nothing, when
// t is not an in-memory end or was already lost. Loop goroutine only.
func BreakTransport(t Transport, cause error) bool {
	e, ok := t.(*memEnd)
	if !ok || e.lost {
		return false
	}
	e.fail(fmt.Errorf("transport: in-memory connection broken: %w", cause))
	return true
}
