package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"

	"github.com/aio-go/aio/eventloop"
)

// The net.Conn transport: a stream transport over any net.Conn, for
// connections the loop's poller cannot watch. A reader goroutine reads
// into the transport's buffer and posts each chunk to the loop (with
// CallSoonThreadsafe), then waits until the loop has delivered it before
// it reads again: the protocol sees DataReceived on the loop goroutine as
// with any transport, reading pauses while the protocol says so, and no
// chunk is ever in flight twice. A writer goroutine takes what Write
// queued and writes it; each completion is posted back, which is what
// shrinks the write buffer for flow control. This is how the OS network
// works on systems without a readiness poller (Windows: Go's runtime does
// the overlapped I/O underneath), and how a net.Conn made elsewhere (a
// library's dialer, an in-process pipe) joins a loop: ConnectNetConn.
//
// What the goroutines touch is guarded by mu; everything else is the
// loop goroutine's.

// connReadSize is the size of a net.Conn transport's read buffer.
const connReadSize = 64 * 1024

type connTransport struct {
	loop  *eventloop.Loop
	conn  net.Conn
	proto StreamProtocol
	netw  string
	dir   connDir // a pipe's direction; connBoth for a connection

	// Loop goroutine only.
	started, closing, lost bool
	aborted                bool // abort ran: its then comes once conn is closed
	eof                    bool // WriteEOF was called
	readPaused             bool
	queued                 int // bytes handed to the writer, not yet written
	flow                   writeFlow
	flowFn                 func()
	broken                 error
	onLost                 func(Transport) // a Server's Detached hook
	unsource               func()          // AddCompletionSource's remove

	mu      sync.Mutex // protects out, wclose, eofOnly, rgo, rstop; cond waits on it
	cond    *sync.Cond
	out     [][]byte // queued for the writer goroutine
	wclose  int      // 0 open; 1 close (or CloseWrite, with eofOnly) after out; 2 abort
	eofOnly bool     // wclose 1 means CloseWrite, not Close
	rgo     bool     // the reader may read again (the loop delivered its last chunk and reading is on)
	rstop   bool     // the reader must stop: Close, Abort, a failure or the loop closing
	inRead  bool     // a file's reader is in conn.Read (cancelBlocked)
	inWrite bool     // a file's writer is in conn.Write (cancelBlocked)
	// inflight: rbuf is the reader's (it is reading into it) or holds a
	// chunk the loop has not delivered yet. rgo is never set while it is,
	// so the reader cannot overwrite a chunk before the protocol saw it (a
	// PauseReading and ResumeReading in between must not release it early).
	inflight bool
	rbuf     []byte
	wg       sync.WaitGroup
}

// ConnectNetConn makes conn a transport of ctx's loop with a protocol from
// factory and returns both once ConnectionMade has run, as ConnectAccepted
// does for a socket the poller can watch. Two goroutines do conn's I/O and
// post what they did to the loop: use it for a net.Conn that is not an OS
// socket (an in-process pipe, a connection a library made), or where the
// loop has no readiness poller. The transport owns conn from then on.
//
// Cancellation: returns ErrCancelled (or ErrTimeout) and closes conn if
// ctx is cancelled before ConnectionMade ran.
func ConnectNetConn[P StreamProtocol](ctx context.Context, factory func() P, conn net.Conn) (Transport, P, error) {
	var p P
	l, err := loopFor(ctx, "ConnectNetConn")
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, p, err
	}
	if conn == nil {
		return nil, p, errors.New("transport: ConnectNetConn: nil connection")
	}
	if factory == nil {
		conn.Close()
		return nil, p, fmt.Errorf("transport: ConnectNetConn: %w", eventloop.ErrNilCallback)
	}
	p = factory()
	t, err := newConnTransport(l, conn, p, nil)
	if err != nil {
		return nil, p, err
	}
	if err := awaitStarted(ctx, t); err != nil {
		return nil, p, err
	}
	return t, p, nil
}

// newConnTransport starts a transport over conn: ConnectionMade is
// scheduled through the loop, then the goroutines start.
func newConnTransport(l *eventloop.Loop, conn net.Conn, p StreamProtocol, onLost func(Transport)) (*connTransport, error) {
	return newConnTransportDir(l, conn, p, onLost, connBoth)
}

func newConnTransportDir(l *eventloop.Loop, conn net.Conn, p StreamProtocol, onLost func(Transport), dir connDir) (*connTransport, error) {
	if err := checkStreamProtocol("ConnectNetConn", p); err != nil {
		conn.Close()
		return nil, err
	}
	t := &connTransport{loop: l, conn: conn, proto: p, flow: newWriteFlow(), rgo: true, dir: dir}
	if dir != connWriteOnly {
		t.rbuf = make([]byte, connReadSize)
	}
	t.netw = "conn"
	if a := conn.LocalAddr(); a != nil {
		t.netw = a.Network()
	}
	t.cond = sync.NewCond(&t.mu)
	t.flowFn = t.syncFlow
	if _, err := l.CallSoon(func() { t.start(onLost) }); err != nil {
		conn.Close()
		return nil, err
	}
	if err := l.Track(t); err != nil {
		conn.Close()
		return nil, err
	}
	return t, nil
}

func (t *connTransport) start(onLost func(Transport)) {
	if t.lost {
		return
	}
	t.started = true
	t.onLost = onLost
	defer t.containPanic("ConnectionMade")
	t.proto.ConnectionMade(t)
	if t.lost {
		return
	}
	t.unsource = t.loop.AddCompletionSource()
	if t.dir == connWriteOnly {
		// A write pipe has nothing to read: no reader goroutine. That the
		// reading end closed shows as the next write's error.
		t.wg.Add(1)
		go t.writeLoop()
		return
	}
	t.wg.Add(2)
	go t.readLoop()
	go t.writeLoop()
}

// readLoop is the reader goroutine.
func (t *connTransport) readLoop() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		for !t.rgo && !t.rstop {
			t.cond.Wait()
		}
		if t.rstop {
			t.mu.Unlock()
			return
		}
		t.rgo, t.inflight, t.inRead = false, true, t.dir != connBoth
		t.mu.Unlock()
		n, err := t.conn.Read(t.rbuf)
		if t.dir != connBoth { // a socket's reads pay no extra lock
			t.mu.Lock()
			t.inRead = false
			t.mu.Unlock()
		}
		if n > 0 {
			if perr := t.loop.CallSoonThreadsafe(func() { t.deliver(n) }); perr != nil {
				return // the loop is closed
			}
		}
		if err != nil {
			t.loop.CallSoonThreadsafe(func() { t.readEnded(err) })
			return
		}
		if n == 0 {
			t.mu.Lock()
			t.rgo, t.inflight = true, false
			t.mu.Unlock()
		}
	}
}

// deliver hands n bytes of the read buffer to the protocol (loop
// goroutine), then lets the reader go on unless reading is paused.
func (t *connTransport) deliver(n int) {
	if t.lost || t.closing {
		return
	}
	defer t.containPanic("a read callback")
	switch p := t.proto.(type) {
	case BufferedProtocol:
		data := t.rbuf[:n]
		for len(data) > 0 && !t.lost {
			buf := p.GetBuffer(len(data))
			if len(buf) == 0 {
				t.fatal(errors.New("transport: BufferedProtocol.GetBuffer returned an empty buffer"))
				return
			}
			c := copy(buf, data)
			data = data[c:]
			p.BufferUpdated(c)
		}
	case Protocol:
		p.DataReceived(t.rbuf[:n])
	}
	t.mu.Lock()
	t.inflight = false
	t.mu.Unlock()
	t.releaseReader()
}

// releaseReader lets the reader goroutine read again, if reading is on
// and no chunk is waiting for delivery.
func (t *connTransport) releaseReader() {
	if t.readPaused || t.lost || t.closing {
		return
	}
	t.mu.Lock()
	release := !t.inflight && !t.rgo
	if release {
		t.rgo = true
	}
	t.mu.Unlock()
	if release {
		t.cond.Broadcast()
	}
}

// readEnded runs on the loop when the reader met EOF or an error.
func (t *connTransport) readEnded(err error) {
	if t.lost {
		return
	}
	defer t.containPanic("EOFReceived")
	if errors.Is(err, io.EOF) {
		if t.closing {
			return
		}
		if !t.proto.EOFReceived() || t.dir == connReadOnly {
			t.Close() // a read pipe has no write side to keep open
		}
		return
	}
	if t.closing {
		return // our own Close or Abort ended the read
	}
	t.fatal(err)
}

// writeLoop is the writer goroutine.
func (t *connTransport) writeLoop() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		for len(t.out) == 0 && t.wclose == 0 {
			t.cond.Wait()
		}
		if t.wclose == 2 || (len(t.out) == 0 && t.wclose == 1) {
			how, eofOnly := t.wclose, t.eofOnly
			t.mu.Unlock()
			t.finishWrites(how, eofOnly)
			if how == 2 || !eofOnly {
				return
			}
			// Half-closed: nothing more will be written; wait for the end.
			t.mu.Lock()
			for t.wclose == 1 && t.eofOnly {
				t.cond.Wait()
			}
			t.mu.Unlock()
			continue
		}
		b := t.out[0]
		t.out[0] = nil
		t.out = t.out[1:]
		t.inWrite = t.dir != connBoth
		t.mu.Unlock()
		n, err := t.conn.Write(b)
		if t.dir != connBoth {
			t.mu.Lock()
			t.inWrite = false
			t.mu.Unlock()
		}
		if perr := t.loop.CallSoonThreadsafe(func() { t.wrote(n, err) }); perr != nil {
			return
		}
		if err != nil {
			return
		}
	}
}

// finishWrites closes or half-closes conn once the queue is written.
func (t *connTransport) finishWrites(how int, eofOnly bool) {
	if how == 1 && eofOnly {
		if cw, ok := t.conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		return
	}
	if t.dir != connBoth {
		if how == 2 {
			return // abort's goroutine closes a file (after cancelling its I/O)
		}
		t.cancelBlocked() // a read pipe's reader
	}
	t.conn.Close()
	if how == 1 {
		t.loop.CallSoonThreadsafe(func() { t.connectionLost(nil) })
	}
}

// wrote runs on the loop when the writer finished one buffer.
func (t *connTransport) wrote(n int, err error) {
	t.queued -= n
	if err != nil {
		if !t.lost && !t.closing {
			t.fatal(err)
		}
		return
	}
	if t.flow.paused && !t.lost {
		t.syncFlow()
	}
}

func (t *connTransport) syncFlow() {
	if t.lost {
		t.flow.queued = false
		return
	}
	t.flow.sync(t.queued, t.proto)
}

// containPanic is fdTransport.containPanic for this transport: a panic in
// the protocol's callback is reported at once naming both ends, and the
// connection is aborted.
func (t *connTransport) containPanic(what string) {
	r := recover()
	if r == nil {
		return
	}
	pe := &eventloop.PanicError{Value: r, Stack: debug.Stack()}
	t.loop.CallExceptionHandler(eventloop.ExceptionContext{
		Message: fmt.Sprintf("transport: protocol panicked in %s (%s)", what, t),
		Err:     pe,
	})
	if !t.lost {
		t.fatal(pe)
	}
}

// fatal ends the transport with err: the connection is aborted and
// ConnectionLost(err) follows.
func (t *connTransport) fatal(err error) {
	t.broken = &BrokenError{Op: "conn", Err: err}
	t.abort(func() { t.connectionLost(t.broken) })
}

// abort closes conn, dropping queued writes, and calls then on the loop
// goroutine once conn is closed: at once, or, for a file, after the close
// a goroutine makes (so ConnectionLost never comes while the descriptor
// is still open, and the transport stays tracked until then).
func (t *connTransport) abort(then func()) {
	if t.aborted {
		return // the first abort's then reports the loss
	}
	t.aborted, t.closing = true, true
	t.mu.Lock()
	t.wclose, t.rstop = 2, true
	t.out = nil
	t.mu.Unlock()
	t.cond.Broadcast()
	if t.dir != connBoth && t.started {
		// A file's Close waits for a read or write in progress to end,
		// which relies on the system cancelling it; never wait for that
		// on the loop goroutine. CloseNow waits for it.
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.cancelBlocked()
			t.conn.Close()
			// Refused only when the loop is closing: CloseNow ends it.
			t.loop.CallSoonThreadsafe(then)
		}()
		return
	}
	t.conn.Close()
	then()
}

func (t *connTransport) connectionLost(err error) {
	if t.lost {
		return
	}
	t.lost, t.closing = true, true
	t.loop.Untrack(t)
	if t.unsource != nil {
		t.unsource()
	}
	if !t.started {
		return
	}
	defer func() {
		if t.onLost != nil {
			t.onLost(t)
		}
	}()
	t.proto.ConnectionLost(err)
}

// Write implements WriteTransport.
func (t *connTransport) Write(data []byte) error {
	switch {
	case t.broken != nil:
		return t.broken
	case t.eof && !t.closing:
		return ErrEOFWritten
	case t.closing:
		return ErrTransportClosed
	case t.dir == connReadOnly:
		return errReadOnlyConn
	case len(data) == 0:
		return nil
	}
	b := append([]byte(nil), data...)
	t.mu.Lock()
	t.out = append(t.out, b)
	t.mu.Unlock()
	t.cond.Broadcast()
	t.queued += len(b)
	t.flow.grew(t.loop, t.queued, t.flowFn)
	return nil
}

// Writelines implements WriteTransport.
func (t *connTransport) Writelines(bufs [][]byte) error {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	joined := make([]byte, 0, n)
	for _, b := range bufs {
		joined = append(joined, b...)
	}
	return t.Write(joined)
}

// WriteEOF implements WriteTransport: once the queue is written the
// connection is half-closed (CloseWrite) when conn can do that.
func (t *connTransport) WriteEOF() error {
	switch {
	case t.dir == connReadOnly:
		return ErrWriteEOFUnsupported
	case t.dir == connWriteOnly && t.broken == nil && !t.closing:
		t.eof = true
		return t.Close() // a pipe's EOF is its close, once the queue is written
	case t.eof && !t.closing:
		return nil
	case t.broken != nil:
		return t.broken
	case t.closing:
		return ErrTransportClosed
	}
	if !t.CanWriteEOF() {
		return ErrWriteEOFUnsupported
	}
	t.eof = true
	t.mu.Lock()
	t.wclose, t.eofOnly = 1, true
	t.mu.Unlock()
	t.cond.Broadcast()
	return nil
}

// CanWriteEOF implements WriteTransport.
func (t *connTransport) CanWriteEOF() bool {
	if t.dir != connBoth {
		return t.dir == connWriteOnly
	}
	_, ok := t.conn.(interface{ CloseWrite() error })
	return ok
}

// Close implements BaseTransport: queued writes are still written, then
// conn is closed and ConnectionLost(nil) follows.
func (t *connTransport) Close() error {
	if t.closing {
		return nil
	}
	t.closing = true
	if !t.started {
		t.conn.Close()
		t.loop.CallSoon(func() { t.connectionLost(nil) })
		return nil
	}
	t.mu.Lock()
	t.wclose, t.eofOnly, t.rstop = 1, false, true
	t.mu.Unlock()
	t.cond.Broadcast()
	return nil
}

// Abort implements WriteTransport: queued writes are dropped.
func (t *connTransport) Abort() {
	if t.lost {
		return
	}
	t.abort(func() { t.loop.CallSoon(func() { t.connectionLost(nil) }) })
}

// IsClosing implements BaseTransport.
func (t *connTransport) IsClosing() bool { return t.closing }

// Extra implements BaseTransport.
func (t *connTransport) Extra(key string) (any, bool) {
	switch key {
	case ExtraPeerName:
		if a := t.conn.RemoteAddr(); a != nil {
			return a, true
		}
	case ExtraSockName:
		if a := t.conn.LocalAddr(); a != nil {
			return a, true
		}
	}
	return nil, false
}

// Loop implements BaseTransport.
func (t *connTransport) Loop() *eventloop.Loop { return t.loop }

// PauseReading implements ReadTransport.
func (t *connTransport) PauseReading() { t.readPaused = true }

// ResumeReading implements ReadTransport.
func (t *connTransport) ResumeReading() {
	if !t.readPaused {
		return
	}
	t.readPaused = false
	t.releaseReader()
}

// IsReading implements ReadTransport.
func (t *connTransport) IsReading() bool {
	return !t.readPaused && !t.closing && t.dir != connWriteOnly
}

// SetWriteBufferLimits implements FlowControl.
func (t *connTransport) SetWriteBufferLimits(high, low int) error {
	return t.flow.setLimits(t.loop, high, low, t.lost, t.flowFn)
}

// WriteBufferLimits implements FlowControl.
func (t *connTransport) WriteBufferLimits() (low, high int) { return t.flow.limits() }

// WriteBufferSize implements FlowControl.
func (t *connTransport) WriteBufferSize() int { return t.queued }

// SetProtocol implements Transport.
func (t *connTransport) SetProtocol(p StreamProtocol) { t.proto = p }

// Protocol implements Transport.
func (t *connTransport) Protocol() StreamProtocol { return t.proto }

// String describes the transport, for logs and AliveError.
func (t *connTransport) String() string {
	return fmt.Sprintf("%s transport %s->%s", t.netw, addrString(t.conn.LocalAddr()), addrString(t.conn.RemoteAddr()))
}

// CloseNow implements eventloop.Resource: the loop is closing; the
// connection is closed and the goroutines end.
func (t *connTransport) CloseNow() {
	t.lost, t.closing = true, true
	t.mu.Lock()
	t.wclose, t.rstop = 2, true
	t.out = nil
	t.mu.Unlock()
	t.cond.Broadcast()
	t.cancelBlocked()
	t.conn.Close()
	t.wg.Wait()
}
