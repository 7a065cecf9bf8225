package streams

import (
	"context"
	"crypto/tls"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
	"github.com/aio-go/aio/internal/parking"
	"github.com/aio-go/aio/transport"
)

// Option configures a stream (OpenConnection, StartServer, Pipe,
// NewProtocol).
type Option func(*config)

type config struct {
	limit            int
	tls              *tls.Config
	nilTLS           bool // WithTLS(nil) was given
	handshakeTimeout time.Duration
	shutdownTimeout  time.Duration
	server           bool
	pair             []transport.PairOption
	conn             []transport.ConnOption
	serverOpts       []transport.ServerOption
}

func newConfig(opts []Option) config {
	c := config{limit: DefaultLimit}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithLimit sets the reader's limit (default DefaultLimit, 64 KiB).
func WithLimit(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.limit = n
		}
	}
}

// WithTLS makes the stream speak TLS with cfg. For a client, crypto/tls
// defaults apply: the server's certificate and host name are verified;
// OpenConnection fills cfg.ServerName from the address when it is empty.
//
// WithTLS(nil) is misuse: OpenConnection, StartServer, Listen and Pipe
// return ErrNilTLSConfig (never a plaintext stream).
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.nilTLS = cfg, cfg == nil }
}

// check returns the misuse the options hold, said as op's error.
func (c *config) check(op string) error {
	if c.nilTLS {
		return errs.Op("streams", op, ErrNilTLSConfig)
	}
	return nil
}

// WithHandshakeTimeout bounds the TLS handshake (default 60 s).
func WithHandshakeTimeout(d time.Duration) Option {
	return func(c *config) { c.handshakeTimeout = d }
}

// WithShutdownTimeout bounds the TLS shutdown after Close (default 30 s).
func WithShutdownTimeout(d time.Duration) Option {
	return func(c *config) { c.shutdownTimeout = d }
}

// AsServer marks the stream as the server side of its connection: StartTLS
// then acts as the TLS server. StartServer sets it.
func AsServer() Option { return func(c *config) { c.server = true } }

func (c *config) tlsOptions() []transport.TLSOption {
	var out []transport.TLSOption
	if c.handshakeTimeout > 0 {
		out = append(out, transport.WithTLSHandshakeTimeout(c.handshakeTimeout))
	}
	if c.shutdownTimeout > 0 {
		out = append(out, transport.WithTLSShutdownTimeout(c.shutdownTimeout))
	}
	return out
}

// Protocol is the stream protocol (asyncio.StreamReaderProtocol): it
// implements transport.Protocol, feeds a StreamReader, and makes the
// StreamWriter when its transport connects. Use it as the protocol of
// transport.CreateConnection, CreateServer or NewTransportPair to get
// streams over any transport.
type Protocol struct {
	ctx    context.Context
	cf     config
	reader *StreamReader
	writer *StreamWriter
	onMade func(p *Protocol)

	pausedW bool
	lost    bool
	lostErr error
	closing bool // the writer's Close was called

	// The buffer of the transport's last GetBuffer: a waiting ReadInto's
	// own (direct) or the loop's scratch buffer.
	direct  bool
	scratch []byte

	b       parking.Binder
	drain   parking.Lot // tasks in Drain
	closed  parking.Lot // tasks in WaitClosed
	handler func(ctx context.Context, r *StreamReader, w *StreamWriter)
	server  *serverRef // the server a handler's connection came from
}

// serverRef lets a StartServer connection name its server in reports; it
// is filled in once CreateServer returned (before any connection is
// served: accepting starts when the task that called StartServer parks).
type serverRef struct{ srv *transport.Server }

func (r *serverRef) String() string {
	if r == nil || r.srv == nil {
		return "?"
	}
	addrs := r.srv.Addrs()
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.Network() + " " + a.String()
	}
	return strings.Join(s, ", ")
}

// Wake-up reasons of drain and closed waiters.
const (
	wokeResumed parking.Reason = iota + 1
	wokeLost
)

// NewProtocol returns a stream protocol for the loop of ctx (a task's
// context or Loop.Context). Its Reader exists at once; its Writer once the
// transport called ConnectionMade.
func NewProtocol(ctx context.Context, opts ...Option) *Protocol {
	cf := newConfig(opts)
	return &Protocol{ctx: ctx, cf: cf, reader: NewStreamReader(eventloop.LoopOf(ctx), cf.limit)}
}

// Reader returns the protocol's reader.
func (p *Protocol) Reader() *StreamReader { return p.reader }

// Writer returns the protocol's writer, nil before ConnectionMade.
func (p *Protocol) Writer() *StreamWriter { return p.writer }

// ConnectionMade implements transport.Protocol. Called again with a new
// transport (StartTLS), it moves the reader and writer over to it.
func (p *Protocol) ConnectionMade(t transport.Transport) {
	p.reader.SetTransport(t)
	if p.writer != nil {
		p.writer.t = t
		return
	}
	p.writer = &StreamWriter{t: t, p: p, r: p.reader}
	if p.onMade != nil {
		p.onMade(p)
	}
	if p.handler != nil {
		h := p.handler
		eventloop.Spawn(p.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, p.serve(ctx, h)
		}, eventloop.WithName("streams-client"))
	}
}

// serve runs a server's handler for one connection, after the TLS
// handshake when the server has a TLS config. A failed handshake closes
// the connection without calling the handler.
func (p *Protocol) serve(ctx context.Context, h func(ctx context.Context, r *StreamReader, w *StreamWriter)) error {
	if p.cf.tls != nil {
		if err := p.writer.StartTLS(ctx, p.cf.tls); err != nil {
			p.writer.t.Abort()
			return nil // the client sees the failure; asyncio logs it at debug level
		}
	}
	defer func() {
		if ctx.Err() != nil {
			p.writer.t.Close()
		}
		if r := recover(); r != nil {
			// Reported now, as asyncio's "Unhandled exception in
			// client_connected_cb", not left in the task for the loop to
			// find at Close; the server goes on serving.
			peer := "?"
			if a, ok := p.writer.t.Extra(transport.ExtraPeerName); ok && a != nil {
				peer = fmt.Sprint(a)
			}
			p.writer.t.Close()
			eventloop.LoopOf(ctx).CallExceptionHandler(eventloop.ExceptionContext{
				Message: fmt.Sprintf("streams: StartServer: handler panicked (server %s, peer %s)", p.server, peer),
				Err:     &eventloop.PanicError{Value: r, Stack: debug.Stack()},
				Task:    eventloop.CurrentTask(ctx).Name(),
			})
		}
	}()
	h(ctx, p.reader, p.writer)
	return nil
}

// DataReceived implements transport.Protocol.
func (p *Protocol) DataReceived(data []byte) { p.reader.FeedData(data) }

// minDirectRead is the smallest ReadInto buffer the transport reads into
// directly when it states no size: a smaller one would cut its reads
// short (more system calls for the same bytes).
const minDirectRead = 4096

// GetBuffer implements transport.BufferedProtocol: while a ReadInto waits
// on an empty buffer, the transport reads straight into the caller's
// buffer (no copy at all); otherwise into a scratch buffer shared by the
// loop's streams, whose bytes BufferUpdated feeds to the reader.
func (p *Protocol) GetBuffer(sizeHint int) []byte {
	r := p.reader
	if into := r.into; into != nil && r.direct == 0 && !r.eof &&
		(len(into) >= minDirectRead || (sizeHint > 0 && len(into) >= sizeHint)) {
		p.direct = true
		return into
	}
	p.direct = false
	if p.scratch == nil {
		p.scratch = scratchFor(r.loop)
	}
	return p.scratch
}

// BufferUpdated implements transport.BufferedProtocol.
func (p *Protocol) BufferUpdated(n int) {
	if p.direct {
		p.direct = false
		p.reader.handedOff(n)
		return
	}
	p.reader.FeedData(p.scratch[:n])
}

// EOFReceived implements transport.Protocol: the reader gets EOF and the
// transport stays open for writing (half-close), as asyncio's.
func (p *Protocol) EOFReceived() bool {
	p.reader.FeedEOF()
	return true
}

// ConnectionLost implements transport.Protocol: the reader gets EOF (or
// the error), and tasks in Drain and WaitClosed wake up.
func (p *Protocol) ConnectionLost(err error) {
	if p.lost {
		return
	}
	p.lost, p.lostErr = true, err
	if err == nil {
		p.reader.FeedEOF()
	} else {
		p.reader.SetError(err)
	}
	p.drain.WakeAll(wokeLost)
	p.closed.WakeAll(wokeLost)
}

// PauseWriting implements transport.Protocol.
func (p *Protocol) PauseWriting() { p.pausedW = true }

// ResumeWriting implements transport.Protocol: tasks in Drain wake up.
func (p *Protocol) ResumeWriting() {
	p.pausedW = false
	p.drain.WakeAll(wokeResumed)
}

var (
	_ transport.Protocol         = (*Protocol)(nil)
	_ transport.BufferedProtocol = (*Protocol)(nil)
)

// scratchSize is the size of a loop's scratch read buffer: asyncio's
// largest read, as the loop's own read buffer.
const scratchSize = 256 << 10

// scratch holds one read buffer per loop for the stream protocols of that
// loop: the transport reads into it, the reader copies the bytes out
// before the callback returns, so one buffer serves every connection of
// the loop. A loop's buffer goes when the loop closes.
var scratch struct {
	mu   sync.Mutex // protects bufs
	bufs map[*eventloop.Loop][]byte
}

func scratchFor(l *eventloop.Loop) []byte {
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	if b, ok := scratch.bufs[l]; ok {
		return b
	}
	b := make([]byte, scratchSize)
	if l == nil {
		return b
	}
	if _, err := l.OnClose(func() {
		scratch.mu.Lock()
		delete(scratch.bufs, l)
		scratch.mu.Unlock()
	}); err != nil {
		return b // a closed loop: keep nothing for it
	}
	if scratch.bufs == nil {
		scratch.bufs = make(map[*eventloop.Loop][]byte)
	}
	scratch.bufs[l] = b
	return b
}
