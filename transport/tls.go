package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
)

// TLS over any stream transport (asyncio's loop.start_tls and
// SSLProtocol).
//
// crypto/tls has no memory BIO: a *tls.Conn reads and writes a net.Conn
// and blocks. Our tasks are coroutines, so each TLS connection gets an
// engine task that owns the *tls.Conn. Under it sits tlsAdapter, a
// net.Conn over the raw transport: its Read parks the engine task until
// the raw transport's protocol (the engine's raw side) is fed bytes, and
// its Write is the raw transport's non-blocking Write. The engine does the
// handshake (under a deadline scope: the handshake timeout), then loops
// tls.Conn.Read and hands the plaintext to the application's protocol.
//
// The loop goroutine must never block on one of tls.Conn's mutexes. While
// the engine is parked in the handshake it holds the handshake mutex and
// the input mutex; it never parks holding the output mutex (the adapter's
// Write does not park). So application writes before the handshake is
// done are buffered here, not given to tls.Conn.Write (which would wait
// for the handshake mutex); afterwards Write, CloseWrite and the engine's
// Read never wait for each other. ConnectionState (which takes the
// handshake mutex) is read once, by the engine, when the handshake is
// done.
//
// Truncation: Go's tls.Conn reports a transport EOF at a record boundary
// as io.EOF, the same as a close_notify. The adapter remembers whether it
// returned EOF to tls.Conn: a tls.Conn EOF that did not come from the
// adapter is a close_notify (a clean EOF, EOFReceived); one that did is a
// truncation, reported as ErrTLSTruncated.

// Defaults of StartTLS, asyncio's.
const (
	DefaultTLSHandshakeTimeout = 60 * time.Second
	DefaultTLSShutdownTimeout  = 30 * time.Second
)

var (
	// ErrTLSTruncated is the error a TLS connection ends with when the
	// peer closed the transport without sending close_notify (an attacker
	// could have cut the data short). It wraps io.ErrUnexpectedEOF.
	ErrTLSTruncated = fmt.Errorf("transport: TLS connection truncated (EOF without close_notify): %w", io.ErrUnexpectedEOF)
	// ErrTLSHandshakeTimeout is the error of a handshake that took longer
	// than its timeout. It matches ErrTimeout and context.DeadlineExceeded.
	ErrTLSHandshakeTimeout = fmt.Errorf("transport: TLS handshake timed out: %w", eventloop.ErrTimeout)
)

// TLSOption configures StartTLS.
type TLSOption func(*tlsOpts)

type tlsOpts struct {
	handshakeTimeout time.Duration
	shutdownTimeout  time.Duration
	initial          []byte
}

// WithTLSHandshakeTimeout bounds the handshake (default 60 s).
func WithTLSHandshakeTimeout(d time.Duration) TLSOption {
	return func(o *tlsOpts) { o.handshakeTimeout = d }
}

// WithTLSShutdownTimeout bounds the shutdown after Close: the time for
// the close_notify and the buffered data to reach the peer before the raw
// transport is aborted (default 30 s).
func WithTLSShutdownTimeout(d time.Duration) TLSOption {
	return func(o *tlsOpts) { o.shutdownTimeout = d }
}

// WithTLSInitialData hands TLS bytes that the raw transport already
// delivered to its previous protocol (a server that read the client's
// first bytes before deciding to start TLS).
func WithTLSInitialData(b []byte) TLSOption {
	return func(o *tlsOpts) { o.initial = append([]byte(nil), b...) }
}

// StartTLS upgrades the connection of raw to TLS, as the client or (server
// true) the server, and waits for the handshake; it returns the TLS
// transport, through which p then receives the plaintext (asyncio's
// loop.start_tls). raw must not be used directly afterwards.
//
// If p is raw's current protocol (an upgrade of a live connection, as
// StreamWriter.StartTLS does), p is not told ConnectionMade again and gets
// ConnectionLost if the handshake fails; otherwise p.ConnectionMade(tls
// transport) is called once the handshake is done, and a failed handshake
// tells p nothing. Either way a failed handshake aborts raw and StartTLS
// returns the error (ErrTLSHandshakeTimeout after the timeout).
//
// The TLS transport keeps the Transport contract: Extra(ExtraTLSState)
// gives the tls.ConnectionState and Extra(ExtraPeerCert) the peer's
// certificate; writes before the handshake is done are buffered; write
// buffer limits are the raw transport's; Close sends close_notify, then
// closes raw (aborting it after the shutdown timeout); WriteEOF sends
// close_notify (TLS 1.3 only: CanWriteEOF); a peer that closes without
// close_notify ends the connection with ErrTLSTruncated.
//
// Cancellation: if ctx is cancelled during the handshake, raw is aborted
// and StartTLS returns ErrCancelled (or ErrTimeout).
func StartTLS(ctx context.Context, raw Transport, p StreamProtocol, cfg *tls.Config, server bool, opts ...TLSOption) (Transport, error) {
	if raw == nil {
		return nil, errors.New("transport: StartTLS: nil transport")
	}
	l := raw.Loop()
	if _, err := eventloop.ParkerFor(ctx, l); err != nil {
		return nil, errs.Op("transport", "StartTLS", err)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return nil, err
	}
	if err := checkStreamProtocol("StartTLS", p); err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, errors.New("transport: StartTLS: nil tls.Config")
	}
	if raw.IsClosing() {
		return nil, errs.Op("transport", "StartTLS", ErrTransportClosed)
	}
	o := tlsOpts{handshakeTimeout: DefaultTLSHandshakeTimeout, shutdownTimeout: DefaultTLSShutdownTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	tt := &tlsTransport{loop: l, raw: raw, app: p, opts: o, reading: true}
	tt.appMade = raw.Protocol() == p
	tt.ad = &tlsAdapter{tt: tt, in: o.initial}
	if server {
		tt.conn = tls.Server(tt.ad, cfg)
	} else {
		tt.conn = tls.Client(tt.ad, cfg)
	}
	tt.handshake = eventloop.NewFuture[struct{}](l)
	raw.SetProtocol((*tlsRawSide)(tt))
	raw.ResumeReading()
	eventloop.Spawn(l.Context(), tt.run, eventloop.WithName("tls-engine"))
	if _, err := eventloop.Await(ctx, tt.handshake); err != nil {
		tt.Abort()
		return nil, err
	}
	return tt, nil
}

// tlsTransport is the TLS transport the application sees. Loop goroutine
// only (its engine task runs on the loop too).
type tlsTransport struct {
	loop *eventloop.Loop
	raw  Transport
	app  StreamProtocol
	opts tlsOpts
	conn *tls.Conn
	ad   *tlsAdapter

	engine    eventloop.Parker
	handshake *eventloop.Future[struct{}]
	ready     bool // handshake done
	state     tls.ConnectionState
	pending   [][]byte // writes before the handshake was done
	pendingN  int
	eofWanted bool

	reading    bool
	closing    bool
	aborted    bool
	appMade    bool // the application protocol has been made
	engineDone bool
	lostSent   bool
	lostErr    error // why the engine stopped, if not cleanly
	shutdown   eventloop.TimerHandle
	pausedW    bool
}

func (tt *tlsTransport) wakeEngine() {
	if tt.engine != (eventloop.Parker{}) {
		tt.engine.Unpark()
	}
}

// run is the engine task.
func (tt *tlsTransport) run(ctx context.Context) (struct{}, error) {
	defer func() {
		tt.engineDone = true
		tt.maybeLost()
	}()
	pk, err := eventloop.ParkerFor(ctx, tt.loop)
	if err != nil {
		tt.handshake.SetError(err)
		return struct{}{}, nil
	}
	tt.engine = pk
	if err := tt.doHandshake(ctx); err != nil {
		tt.lostErr = err
		tt.handshake.SetError(err)
		tt.raw.Abort()
		return struct{}{}, nil
	}
	tt.readLoop(ctx)
	return struct{}{}, nil
}

func (tt *tlsTransport) doHandshake(ctx context.Context) error {
	hctx, ds, err := eventloop.WithTimeoutAt(ctx, tt.loop.Deadline(tt.opts.handshakeTimeout))
	if err != nil {
		return err
	}
	tt.ad.ctx = hctx
	err = tt.conn.Handshake()
	expired := ds.Expired()
	ds.Close()
	tt.ad.ctx = ctx
	if err != nil {
		if expired {
			return ErrTLSHandshakeTimeout
		}
		return fmt.Errorf("transport: TLS handshake: %w", err)
	}
	if tt.aborted {
		return fmt.Errorf("transport: TLS handshake: %w", ErrTransportClosed)
	}
	tt.ready = true
	tt.state = tt.conn.ConnectionState()
	for _, b := range tt.pending {
		if _, err := tt.conn.Write(b); err != nil {
			return err
		}
	}
	tt.pending, tt.pendingN = nil, 0
	if !tt.appMade {
		tt.appMade = true
		tt.app.ConnectionMade(tt)
	}
	if tt.pausedW {
		tt.app.PauseWriting()
	}
	switch {
	case tt.closing:
		tt.closing = false
		tt.Close()
	case tt.eofWanted:
		tt.eofWanted = false
		tt.WriteEOF()
	}
	tt.handshake.SetResult(struct{}{})
	return nil
}

func (tt *tlsTransport) readLoop(ctx context.Context) {
	buf := make([]byte, 32*1024)
	for {
		for !tt.reading && !tt.closing && !tt.ad.rawLost {
			if err := tt.engine.Park(ctx); err != nil {
				tt.fail(err)
				return
			}
		}
		n, err := tt.conn.Read(buf)
		if n > 0 && !tt.closing {
			tt.deliver(buf[:n])
		}
		if err == nil {
			continue
		}
		switch {
		case tt.closing:
			// We closed: whatever ends the read is expected.
		case errors.Is(err, io.EOF) && !tt.ad.eofDelivered:
			// close_notify: a clean EOF.
			if !tt.app.EOFReceived() {
				tt.Close()
			}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			tt.fail(ErrTLSTruncated)
		default:
			tt.fail(err)
		}
		return
	}
}

func (tt *tlsTransport) deliver(data []byte) {
	switch p := tt.app.(type) {
	case BufferedProtocol:
		for len(data) > 0 {
			b := p.GetBuffer(len(data))
			n := copy(b, data)
			if n == 0 {
				tt.fail(fmt.Errorf("transport: %T.GetBuffer returned an empty buffer", p))
				return
			}
			data = data[n:]
			p.BufferUpdated(n)
		}
	case Protocol:
		p.DataReceived(data)
	}
}

// fail ends the connection with err: the raw transport is aborted and
// the application's ConnectionLost gets err.
func (tt *tlsTransport) fail(err error) {
	if tt.lostErr == nil && !tt.closing {
		tt.lostErr = err
	}
	tt.closing = true
	tt.raw.Abort()
}

// maybeLost calls the application's ConnectionLost once both the engine
// and the raw transport are done.
func (tt *tlsTransport) maybeLost() {
	if tt.lostSent || !tt.engineDone || !tt.ad.rawLost {
		return
	}
	tt.lostSent = true
	tt.shutdown.Cancel()
	if !tt.appMade {
		return
	}
	err := tt.lostErr
	if err == nil {
		err = tt.ad.rawErr
	}
	tt.app.ConnectionLost(err)
}

// Write implements WriteTransport.
func (tt *tlsTransport) Write(data []byte) error {
	switch {
	case tt.closing || tt.ad.rawLost:
		return ErrTransportClosed
	case tt.eofWanted || (tt.ready && tt.ad.eofWritten):
		return ErrEOFWritten
	case len(data) == 0:
		return nil
	case !tt.ready:
		tt.pending = append(tt.pending, append([]byte(nil), data...))
		tt.pendingN += len(data)
		return nil
	}
	_, err := tt.conn.Write(data)
	return err
}

// Writelines implements WriteTransport.
func (tt *tlsTransport) Writelines(bufs [][]byte) error {
	for _, b := range bufs {
		if err := tt.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// WriteEOF implements WriteTransport: close_notify, on TLS 1.3.
func (tt *tlsTransport) WriteEOF() error {
	switch {
	case tt.closing || tt.ad.rawLost:
		return ErrTransportClosed
	case !tt.ready:
		tt.eofWanted = true
		return nil
	case !tt.CanWriteEOF():
		return ErrWriteEOFUnsupported
	case tt.ad.eofWritten:
		return nil
	}
	tt.ad.eofWritten = true
	return tt.conn.CloseWrite()
}

// CanWriteEOF implements WriteTransport: true once a TLS 1.3 handshake is
// done (close_notify then only ends our direction).
func (tt *tlsTransport) CanWriteEOF() bool {
	return tt.ready && tt.state.Version >= tls.VersionTLS13
}

// Close implements BaseTransport: close_notify, then the raw transport
// closes once its buffer is sent (aborted after the shutdown timeout).
func (tt *tlsTransport) Close() error {
	if tt.closing {
		return nil
	}
	tt.closing = true
	tt.wakeEngine()
	if !tt.ready {
		return nil // the engine closes after the handshake
	}
	if !tt.ad.eofWritten {
		tt.ad.eofWritten = true
		tt.conn.CloseWrite()
	}
	tt.raw.Close()
	if tt.shutdown == (eventloop.TimerHandle{}) && !tt.ad.rawLost {
		tt.shutdown, _ = tt.loop.CallLater(tt.opts.shutdownTimeout, func() {
			tt.shutdown = eventloop.TimerHandle{}
			tt.raw.Abort()
		})
	}
	return nil
}

// Abort implements WriteTransport.
func (tt *tlsTransport) Abort() {
	tt.closing, tt.aborted = true, true
	tt.raw.Abort()
	tt.wakeEngine()
}

// IsClosing implements BaseTransport.
func (tt *tlsTransport) IsClosing() bool { return tt.closing || tt.ad.rawLost }

// Extra implements BaseTransport: ExtraTLSState and ExtraPeerCert once the
// handshake is done, the raw transport's keys otherwise.
func (tt *tlsTransport) Extra(key string) (any, bool) {
	switch key {
	case ExtraTLSState:
		return tt.state, tt.ready
	case ExtraPeerCert:
		if !tt.ready {
			return nil, false
		}
		if len(tt.state.PeerCertificates) == 0 {
			return nil, true
		}
		return tt.state.PeerCertificates[0], true
	}
	return tt.raw.Extra(key)
}

// Loop implements BaseTransport.
func (tt *tlsTransport) Loop() *eventloop.Loop { return tt.loop }

// PauseReading implements ReadTransport.
func (tt *tlsTransport) PauseReading() {
	if tt.closing || !tt.reading {
		return
	}
	tt.reading = false
	tt.raw.PauseReading()
}

// ResumeReading implements ReadTransport.
func (tt *tlsTransport) ResumeReading() {
	if tt.closing || tt.reading {
		return
	}
	tt.reading = true
	if !tt.ad.full() {
		tt.raw.ResumeReading()
	}
	tt.wakeEngine()
}

// IsReading implements ReadTransport.
func (tt *tlsTransport) IsReading() bool { return tt.reading && !tt.closing }

// SetWriteBufferLimits implements WriteTransport (the raw transport's).
func (tt *tlsTransport) SetWriteBufferLimits(high, low int) error {
	return tt.raw.SetWriteBufferLimits(high, low)
}

// WriteBufferLimits implements WriteTransport.
func (tt *tlsTransport) WriteBufferLimits() (low, high int) { return tt.raw.WriteBufferLimits() }

// WriteBufferSize implements WriteTransport: encrypted bytes buffered by
// the raw transport, plus writes waiting for the handshake.
func (tt *tlsTransport) WriteBufferSize() int { return tt.raw.WriteBufferSize() + tt.pendingN }

// SetProtocol implements Transport.
func (tt *tlsTransport) SetProtocol(p StreamProtocol) { tt.app = p }

// Protocol implements Transport.
func (tt *tlsTransport) Protocol() StreamProtocol { return tt.app }

func (tt *tlsTransport) String() string { return fmt.Sprintf("tlsTransport(%v)", tt.raw) }

// tlsRawSide is the protocol of the raw transport under a TLS transport.
type tlsRawSide tlsTransport

func (r *tlsRawSide) tt() *tlsTransport { return (*tlsTransport)(r) }

func (r *tlsRawSide) ConnectionMade(Transport) {}

func (r *tlsRawSide) DataReceived(data []byte) {
	a := r.ad
	if len(a.in) == 0 {
		a.in = a.in[:0]
	}
	a.in = append(a.in, data...)
	if a.full() {
		r.raw.PauseReading()
	}
	r.tt().wakeEngine()
}

// EOFReceived keeps the raw transport open: the engine decides whether the
// EOF was clean.
func (r *tlsRawSide) EOFReceived() bool {
	r.ad.eof = true
	r.tt().wakeEngine()
	return true
}

func (r *tlsRawSide) ConnectionLost(err error) {
	r.ad.rawLost, r.ad.rawErr = true, err
	r.tt().wakeEngine()
	r.tt().maybeLost()
}

func (r *tlsRawSide) PauseWriting() {
	r.pausedW = true
	if r.ready {
		r.app.PauseWriting()
	}
}

func (r *tlsRawSide) ResumeWriting() {
	wasPaused := r.pausedW
	r.pausedW = false
	if r.ready && wasPaused {
		r.app.ResumeWriting()
	}
}

// tlsAdapter is the net.Conn tls.Conn reads and writes: the raw transport
// seen from the engine task.
type tlsAdapter struct {
	tt           *tlsTransport
	ctx          context.Context // the engine's ctx for parking
	in           []byte          // received, not yet read by tls.Conn
	eof          bool            // the raw transport got EOF
	eofDelivered bool            // ... and Read returned it to tls.Conn
	eofWritten   bool            // close_notify sent
	rawLost      bool
	rawErr       error
}

// adapterHigh is how many received bytes may wait for the engine before
// the raw transport stops reading.
const adapterHigh = 256 * 1024

func (a *tlsAdapter) full() bool { return len(a.in) >= adapterHigh }

func (a *tlsAdapter) Read(p []byte) (int, error) {
	for {
		if len(a.in) > 0 {
			wasFull := a.full()
			n := copy(p, a.in)
			a.in = a.in[n:]
			if wasFull && !a.full() && a.tt.reading && !a.tt.closing {
				a.tt.raw.ResumeReading()
			}
			return n, nil
		}
		if a.rawLost && a.rawErr != nil {
			return 0, a.rawErr
		}
		if a.eof || a.rawLost {
			a.eofDelivered = true
			return 0, io.EOF
		}
		if err := a.tt.engine.Park(a.ctx); err != nil {
			return 0, err
		}
	}
}

func (a *tlsAdapter) Write(p []byte) (int, error) {
	if err := a.tt.raw.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (a *tlsAdapter) Close() error { return nil }

func (a *tlsAdapter) addr(key string) net.Addr {
	if v, ok := a.tt.raw.Extra(key); ok {
		if ad, ok := v.(net.Addr); ok {
			return ad
		}
	}
	return MemAddr("unknown")
}

func (a *tlsAdapter) LocalAddr() net.Addr                { return a.addr(ExtraSockName) }
func (a *tlsAdapter) RemoteAddr() net.Addr               { return a.addr(ExtraPeerName) }
func (a *tlsAdapter) SetDeadline(t time.Time) error      { return nil }
func (a *tlsAdapter) SetReadDeadline(t time.Time) error  { return nil }
func (a *tlsAdapter) SetWriteDeadline(t time.Time) error { return nil }

var (
	_ Transport = (*tlsTransport)(nil)
	_ Protocol  = (*tlsRawSide)(nil)
	_ net.Conn  = (*tlsAdapter)(nil)
)
