//go:build unix

package transport

import (
	"errors"
	"fmt"
	"net"
	"runtime/debug"

	"github.com/aio-go/aio/eventloop"

	"golang.org/x/sys/unix"
)

// fdTransport is the stream transport over a non-blocking file descriptor
// the loop's poller watches: a TCP or Unix socket, or one end of a pipe
// (asyncio's _SelectorSocketTransport and _UnixRead/WritePipeTransport).
//
// Reading is level-triggered: one read(2) per readiness event into the
// loop's shared 256 KiB buffer (or the BufferedProtocol's own buffer), so
// the loop stays fair between connections. Writing tries the system call
// at once and keeps what the kernel did not take in one contiguous buffer;
// a writer is registered only while that buffer is not empty. An echo
// round trip is thus one read and one send, and no allocation.
//
// Every protocol callback runs from the ready queue: ConnectionMade from a
// scheduled start, ConnectionLost from a scheduled (or readiness-driven)
// finish, PauseWriting from a scheduled flow check. None runs inline inside
// a method the user called.
type fdTransport struct {
	loop     *eventloop.Loop
	fd       int
	claim    eventloop.FDClaim // the loop's record that fd is this transport's
	kind     fdKind
	netw     string // "tcp", "unix", "pipe": for Extra and descriptions
	proto    StreamProtocol
	plain    Protocol         // proto as a Protocol, or nil
	buffered BufferedProtocol // proto as a BufferedProtocol, or nil
	rbuf     []byte           // the loop's shared read buffer

	// Method values bound once, so registering a reader or queueing a
	// flow check allocates nothing for them.
	readFn, writeFn, flowFn, startFn func()

	started    bool // ConnectionMade has run
	readPaused bool // PauseReading
	reading    bool // a reader is registered
	writing    bool // a writer is registered
	rdEOF      bool // the peer's EOF was read
	closing    bool // Close, Abort or a failure: no more writes
	eof        bool // WriteEOF was called
	lost       bool // ConnectionLost is scheduled or ran
	broken     error

	wbuf []byte // wbuf[woff:] is waiting to be sent
	woff int
	flow writeFlow

	onLost func(Transport) // a Server's Detached hook

	// Sendfile (sendfile_unix.go): while sendfiling, writes are buffered
	// behind the file and a Close waits for it; sfWake, when set, is
	// called when the buffer empties or the transport is lost.
	sendfiling bool
	sfWake     func()
}

type fdKind uint8

const (
	kindSocket fdKind = iota
	kindReadPipe
	kindWritePipe
)

var errReadOnly = errors.New("transport: write on a read-only pipe transport")

// newFDTransport wraps fd (non-blocking, owned from now on) and schedules
// ConnectionMade. On error fd is closed.
func newFDTransport(l *eventloop.Loop, fd int, kind fdKind, netw string, proto StreamProtocol) (*fdTransport, error) {
	t := &fdTransport{loop: l, fd: fd, kind: kind, netw: netw,
		flow: newWriteFlow()}
	if err := t.setProto(proto); err != nil {
		unix.Close(fd)
		return nil, err
	}
	t.readFn, t.writeFn, t.flowFn, t.startFn = t.readReady, t.writeReady, t.syncFlow, t.start
	if kind != kindWritePipe {
		t.rbuf = netStateOf(l).readBuf()
	}
	claim, err := l.ClaimFD(fd, t)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	t.claim = claim
	if _, err := l.CallSoon(t.startFn); err != nil {
		t.claim.Release()
		unix.Close(fd)
		return nil, err
	}
	if err := l.Track(t); err != nil {
		t.claim.Release()
		unix.Close(fd)
		return nil, err
	}
	return t, nil
}

func (t *fdTransport) setProto(p StreamProtocol) error {
	switch pp := p.(type) {
	case BufferedProtocol:
		t.proto, t.plain, t.buffered = p, nil, pp
	case Protocol:
		t.proto, t.plain, t.buffered = p, pp, nil
	default:
		return ErrNotStreamProtocol
	}
	return nil
}

// start runs ConnectionMade, then starts reading (asyncio orders them the
// same way, so a protocol may pause reading inside ConnectionMade).
func (t *fdTransport) start() {
	if t.closing && t.lost {
		return // aborted before it started: no callbacks at all
	}
	t.started = true
	defer t.containPanic("ConnectionMade")
	t.proto.ConnectionMade(t)
	if t.lost {
		return
	}
	switch t.kind {
	case kindWritePipe:
		// The write end never becomes readable; the poller reports the
		// reader closing as an error condition, i.e. as readable.
		t.startReading()
	default:
		if !t.readPaused && !t.closing {
			t.startReading()
		}
	}
}

func (t *fdTransport) startReading() {
	if t.reading || t.lost {
		return
	}
	if err := t.claim.AddReader(t.readFn); err != nil {
		t.fatal("read", err)
		return
	}
	t.reading = true
}

func (t *fdTransport) stopReading() {
	if t.reading {
		t.reading = false
		t.claim.RemoveReader()
	}
}

func (t *fdTransport) stopWriting() {
	if t.writing {
		t.writing = false
		t.claim.RemoveWriter()
	}
}

// readReady reads once: data goes to the protocol, 0 is EOF, EAGAIN means
// another event will come, anything else breaks the connection.
func (t *fdTransport) readReady() {
	if t.lost {
		return
	}
	defer t.containPanic("a read callback")
	if t.kind == kindWritePipe {
		// The reading end was closed (EPOLLERR/EPOLLHUP, kqueue EOF).
		t.fatal("write", unix.EPIPE)
		return
	}
	var n int
	var err error
	if t.buffered != nil {
		buf := t.buffered.GetBuffer(-1)
		if len(buf) == 0 {
			t.fatal("read", errors.New("transport: BufferedProtocol.GetBuffer returned an empty buffer"))
			return
		}
		n, err = readNonblock(t.fd, buf)
		if n > 0 {
			t.buffered.BufferUpdated(n)
		}
	} else {
		n, err = readNonblock(t.fd, t.rbuf)
		if n > 0 {
			t.plain.DataReceived(t.rbuf[:n])
		}
	}
	switch {
	case err != nil:
		if !isAgain(err) && err != unix.EINTR {
			t.fatal("read", err)
		}
	case n == 0:
		t.eofReceived()
	}
}

// containPanic, deferred around the protocol's callbacks, reports a panic
// at once naming the connection's two ends and aborts the connection
// (asyncio's _fatal_error: "protocol.data_received() call failed"), so
// one broken connection neither stays open nor stops the loop's other
// work. A deferred call costs about a nanosecond when nothing panics.
func (t *fdTransport) containPanic(what string) {
	r := recover()
	if r == nil {
		return
	}
	desc := t.describe()
	pe := &eventloop.PanicError{Value: r, Stack: debug.Stack()}
	t.loop.CallExceptionHandler(eventloop.ExceptionContext{
		Message: fmt.Sprintf("transport: protocol panicked in %s (%s)", what, desc),
		Err:     pe,
	})
	t.forceClose(pe)
}

func (t *fdTransport) eofReceived() {
	t.rdEOF = true
	t.stopReading()
	if t.lost {
		return
	}
	keepOpen := t.proto.EOFReceived()
	if t.kind == kindReadPipe || !keepOpen {
		t.Close()
	}
}

// fatal breaks the connection: buffered data is dropped and the protocol
// hears the cause in ConnectionLost.
func (t *fdTransport) fatal(op string, err error) {
	if t.broken == nil {
		t.broken = &BrokenError{Op: op, Err: err}
	}
	t.forceClose(t.broken)
}

func (t *fdTransport) forceClose(err error) {
	if t.lost {
		return
	}
	t.closing, t.lost = true, true
	t.wbuf, t.woff = nil, 0
	if t.sfWake != nil {
		t.sfWake()
	}
	t.stopReading()
	t.stopWriting()
	t.loop.CallSoon(func() { t.finish(err) })
}

// finish releases the descriptor and tells the protocol. It runs from the
// ready queue, once.
func (t *fdTransport) finish(err error) {
	t.stopReading()
	t.stopWriting()
	if t.fd >= 0 {
		t.claim.Release()
		unix.Close(t.fd)
		t.fd = -1
	}
	t.loop.Untrack(t)
	if t.started {
		defer t.detach()
		t.proto.ConnectionLost(err)
		return
	}
	t.detach()
}

func (t *fdTransport) detach() {
	if t.onLost != nil {
		t.onLost(t)
		t.onLost = nil
	}
}

// Close implements BaseTransport.
func (t *fdTransport) Close() error {
	if t.closing {
		return nil
	}
	t.closing = true
	t.stopReading()
	if t.woff == len(t.wbuf) && !t.sendfiling {
		t.lost = true
		t.loop.CallSoon(func() { t.finish(nil) })
	}
	return nil
}

// Abort implements WriteTransport.
func (t *fdTransport) Abort() { t.forceClose(nil) }

// IsClosing implements BaseTransport.
func (t *fdTransport) IsClosing() bool { return t.closing }

// Loop implements BaseTransport.
func (t *fdTransport) Loop() *eventloop.Loop { return t.loop }

// Extra implements BaseTransport.
func (t *fdTransport) Extra(key string) (any, bool) {
	switch {
	case key == ExtraSocket && t.kind == kindSocket:
		return t.fd, true
	case key == ExtraPipe && t.kind != kindSocket:
		return t.fd, true
	case key == ExtraPeerName && t.kind == kindSocket:
		sa, err := unix.Getpeername(t.fd)
		if err != nil {
			return nil, false
		}
		return sockaddrToAddr(t.netw, sa), true
	case key == ExtraSockName && t.kind == kindSocket:
		sa, err := unix.Getsockname(t.fd)
		if err != nil {
			return nil, false
		}
		return sockaddrToAddr(t.netw, sa), true
	}
	return nil, false
}

// PauseReading implements ReadTransport.
func (t *fdTransport) PauseReading() {
	if t.closing || t.readPaused || t.kind == kindWritePipe {
		return
	}
	t.readPaused = true
	t.stopReading()
}

// ResumeReading implements ReadTransport.
func (t *fdTransport) ResumeReading() {
	if t.closing || !t.readPaused {
		return
	}
	t.readPaused = false
	if t.started && !t.rdEOF {
		t.startReading()
	}
}

// IsReading implements ReadTransport.
func (t *fdTransport) IsReading() bool {
	return !t.readPaused && !t.closing && t.kind != kindWritePipe
}

func (t *fdTransport) writeCheck() error {
	switch {
	case t.broken != nil:
		return t.broken
	case t.closing:
		return ErrTransportClosed
	case t.eof:
		return ErrEOFWritten
	case t.kind == kindReadPipe:
		return errReadOnly
	}
	return nil
}

func (t *fdTransport) send(p []byte) (int, error) {
	if t.kind == kindSocket {
		return sendNoSignal(t.fd, p)
	}
	return unix.Write(t.fd, p)
}

// Write implements WriteTransport: one send at once when nothing is
// buffered, the rest kept for the writer.
func (t *fdTransport) Write(p []byte) error {
	if err := t.writeCheck(); err != nil {
		return err
	}
	if len(p) == 0 {
		return nil
	}
	if t.woff == len(t.wbuf) && !t.sendfiling {
		n, err := t.send(p)
		if err != nil {
			if !isAgain(err) && err != unix.EINTR {
				t.fatal("write", err)
				return t.broken
			}
			n = 0
		}
		if n == len(p) {
			return nil
		}
		p = p[n:]
		if !t.startWriting() {
			return t.broken
		}
	}
	t.buffer(p)
	return nil
}

// Writelines implements WriteTransport with one vectored send when nothing
// is buffered.
func (t *fdTransport) Writelines(bufs [][]byte) error {
	if err := t.writeCheck(); err != nil {
		return err
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total == 0 {
		return nil
	}
	if t.woff == len(t.wbuf) && !t.sendfiling {
		var n int
		var err error
		if t.kind == kindSocket {
			n, err = sendVec(t.fd, bufs)
		} else {
			n, err = writeVec(t.fd, bufs)
		}
		if err != nil {
			if !isAgain(err) && err != unix.EINTR {
				t.fatal("write", err)
				return t.broken
			}
			n = 0
		}
		if n == total {
			return nil
		}
		if !t.startWriting() {
			return t.broken
		}
		for _, b := range bufs {
			if n >= len(b) {
				n -= len(b)
				continue
			}
			t.buffer(b[n:])
			n = 0
		}
		return nil
	}
	for _, b := range bufs {
		t.buffer(b)
	}
	return nil
}

func (t *fdTransport) startWriting() bool {
	if t.writing {
		return true
	}
	if err := t.claim.AddWriter(t.writeFn); err != nil {
		t.fatal("write", err)
		return false
	}
	t.writing = true
	return true
}

// buffer appends p to the write buffer, first moving the unsent bytes to
// the front when more than half of it was sent, so a connection that
// never drains completely does not grow the buffer without bound.
func (t *fdTransport) buffer(p []byte) {
	if t.woff > 0 && t.woff >= len(t.wbuf)/2 {
		n := copy(t.wbuf, t.wbuf[t.woff:])
		t.wbuf, t.woff = t.wbuf[:n], 0
	}
	t.wbuf = append(t.wbuf, p...)
	t.flow.grew(t.loop, len(t.wbuf)-t.woff, t.flowFn)
}

// syncFlow brings the protocol's paused state in line with the buffer
// (writeFlow.sync).
func (t *fdTransport) syncFlow() {
	if t.lost {
		t.flow.queued = false
		return
	}
	t.flow.sync(len(t.wbuf)-t.woff, t.proto)
}

// writeReady sends buffered bytes; once the buffer is empty it stops
// watching for writability and finishes a pending Close or WriteEOF.
func (t *fdTransport) writeReady() {
	if t.lost {
		return
	}
	n, err := t.send(t.wbuf[t.woff:])
	if err != nil {
		if !isAgain(err) && err != unix.EINTR {
			t.fatal("write", err)
		}
		return
	}
	t.woff += n
	if t.woff < len(t.wbuf) {
		if t.flow.paused {
			t.syncFlow()
		}
		return
	}
	t.woff = 0
	if cap(t.wbuf) > 4*readBufferSize {
		t.wbuf = nil // do not keep a burst's memory for the connection's life
	} else {
		t.wbuf = t.wbuf[:0]
	}
	t.stopWriting()
	if t.flow.paused {
		t.syncFlow()
	}
	if t.sfWake != nil {
		t.sfWake()
		return
	}
	switch {
	case t.closing && !t.lost:
		t.lost = true
		t.finish(nil)
	case t.eof:
		t.shutdownWrite()
	}
}

// WriteEOF implements WriteTransport.
func (t *fdTransport) WriteEOF() error {
	if t.kind == kindReadPipe {
		return ErrWriteEOFUnsupported
	}
	if t.eof && !t.closing {
		return nil
	}
	if t.broken != nil {
		return t.broken
	}
	if t.closing {
		return ErrTransportClosed
	}
	t.eof = true
	if t.woff == len(t.wbuf) && !t.sendfiling {
		t.shutdownWrite()
	}
	return nil
}

func (t *fdTransport) shutdownWrite() {
	if t.kind == kindWritePipe {
		t.Close() // a pipe's EOF is its close (asyncio does the same)
		return
	}
	// ENOTCONN: the peer is already gone; the read side will say so.
	unix.Shutdown(t.fd, unix.SHUT_WR)
}

// CanWriteEOF implements WriteTransport.
func (t *fdTransport) CanWriteEOF() bool { return t.kind != kindReadPipe }

// SetWriteBufferLimits implements WriteTransport.
func (t *fdTransport) SetWriteBufferLimits(high, low int) error {
	return t.flow.setLimits(t.loop, high, low, t.lost, t.flowFn)
}

// WriteBufferLimits implements WriteTransport.
func (t *fdTransport) WriteBufferLimits() (low, high int) { return t.flow.limits() }

// WriteBufferSize implements WriteTransport.
func (t *fdTransport) WriteBufferSize() int { return len(t.wbuf) - t.woff }

// SetProtocol implements Transport.
func (t *fdTransport) SetProtocol(p StreamProtocol) {
	if err := t.setProto(p); err != nil {
		t.loop.CallExceptionHandler(eventloop.ExceptionContext{Message: "SetProtocol", Err: err})
	}
}

// Protocol implements Transport.
func (t *fdTransport) Protocol() StreamProtocol { return t.proto }

func (t *fdTransport) describe() string {
	s := fmt.Sprintf("%s transport fd %d", t.netw, t.fd)
	if t.kind == kindSocket {
		if a, ok := t.Extra(ExtraSockName); ok {
			s += " " + addrString(a.(net.Addr))
		}
		if a, ok := t.Extra(ExtraPeerName); ok {
			s += "->" + addrString(a.(net.Addr))
		}
	}
	return s
}

// CloseNow releases the descriptor at once (eventloop.Resource: the loop
// is closing).
func (t *fdTransport) CloseNow() {
	t.claim.Release()
	unix.Close(t.fd)
	t.fd = -1
	t.closing, t.lost = true, true
}

// String describes the transport, for logs.
func (t *fdTransport) String() string { return t.describe() }

var _ Transport = (*fdTransport)(nil)
