package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// conn is one server connection: its task runs serve.
type conn struct {
	s           *Server
	sr          *streams.StreamReader
	sw          *streams.StreamWriter
	ctx         context.Context    // the connection task's scope
	cancel      context.CancelFunc // cancels ctx (Close, idle Shutdown)
	rctx        context.Context    // what reads and writes await under now
	br          *bufio.Reader
	bw          *bufio.Writer
	one         [1]byte // the idle wait's read, before br is taken
	pending     bool    // one[0] is yet to be read through br
	hdr         []byte  // header block that did not fit br's buffer
	res         response
	body        body
	remote      string
	tls         *tls.ConnectionState
	idle        bool // waiting for a request's first byte
	idx         int  // in s.conns
	hijack      bool
	hijackOwned bool      // HijackStreams: the caller closes
	hijackConn  net.Conn  // Hijack: closed when the handler returns
	broken      error     // first write error
	tail        []byte    // bodyWire: sent after what bw flushes
	vec         [2][]byte // bodyWire's Writelines, kept to spare an allocation

	// The disconnect watch (conn_watch.go).
	reqCancel    context.CancelFunc // cancels the request's ctx
	startWatchFn func()             // c.startWatch, made once
	watchH       eventloop.Handle
	watchArmed   bool
	watch        *eventloop.Task[struct{}]
	peerGone     bool // the watch saw EOF or an error
}

// connIO is the conn's io.Reader and io.Writer for bufio: reads and
// writes await under c.rctx.
type connIO struct{ c *conn }

func (x connIO) Read(p []byte) (int, error) {
	c := x.c
	if c.pending && len(p) > 0 {
		c.pending = false
		p[0] = c.one[0]
		return 1, nil
	}
	return c.sr.ReadInto(c.rctx, p)
}

func (x connIO) Write(p []byte) (int, error) {
	c := x.c
	if c.broken != nil {
		c.tail = nil
		return 0, c.broken
	}
	var err error
	if c.tail != nil {
		c.vec[0], c.vec[1], c.tail = p, c.tail, nil
		err = c.sw.Writelines(c.vec[:])
		c.vec = [2][]byte{}
	} else {
		err = c.sw.Write(p)
	}
	if err != nil {
		c.broken = err
		return 0, err
	}
	if err := c.sw.Drain(c.rctx); err != nil {
		c.broken = err
		return 0, err
	}
	return len(p), nil
}

// bodyWire is where a response body goes: c.bw, except that a write
// larger than what bw has room for goes out together with what bw holds,
// in one vectored write (one system call for a header and a large body),
// where bw.Write would fill its buffer, send it, and send the rest apart.
type bodyWire struct{ c *conn }

func (x bodyWire) Write(p []byte) (int, error) {
	c := x.c
	if c.bw.Buffered() == 0 || len(p) <= c.bw.Available() {
		return c.bw.Write(p)
	}
	c.tail = p
	err := c.bw.Flush() // connIO.Write sends c.tail after bw's bytes
	c.tail = nil
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (x bodyWire) WriteString(s string) (int, error) { return x.c.bw.WriteString(s) }

// takeBuffers gives c a reader and a writer from the server's free lists.
func (c *conn) takeBuffers() {
	s := c.s
	if n := len(s.freeBR); n > 0 {
		c.br, s.freeBR = s.freeBR[n-1], s.freeBR[:n-1]
		c.br.Reset(connIO{c})
	} else {
		c.br = bufio.NewReaderSize(connIO{c}, 4096)
	}
	if n := len(s.freeBW); n > 0 {
		c.bw, s.freeBW = s.freeBW[n-1], s.freeBW[:n-1]
		c.bw.Reset(connIO{c})
	} else {
		c.bw = bufio.NewWriterSize(connIO{c}, 4096)
	}
}

// maxFree bounds the buffers a server keeps for connections to come.
const maxFree = 1024

// releaseBuffers returns c's reader and writer when they hold nothing.
func (c *conn) releaseBuffers() {
	s := c.s
	if c.br != nil && c.br.Buffered() == 0 && !c.pending {
		c.br.Reset(nil)
		if len(s.freeBR) < maxFree {
			s.freeBR = append(s.freeBR, c.br)
		}
		c.br = nil
	}
	if c.bw != nil && c.br == nil {
		c.bw.Reset(nil)
		if len(s.freeBW) < maxFree {
			s.freeBW = append(s.freeBW, c.bw)
		}
		c.bw = nil
	}
	if cap(c.res.pre) > bufferBeforeChunking {
		c.res.pre = nil
	}
}

func (c *conn) abort() {
	c.cancel()
	c.sw.Transport().Abort()
}

// serveConn is the streams handler: the connection's task.
func (s *Server) serveConn(ctx context.Context, sr *streams.StreamReader, sw *streams.StreamWriter) {
	if s.shutting || s.closed {
		sw.Transport().Abort()
		return
	}
	cctx, cancel := eventloop.WithCancel(ctx)
	c := &conn{s: s, sr: sr, sw: sw, ctx: cctx, cancel: cancel, rctx: cctx}
	c.res.c = c
	c.body.c = c
	if a, ok := sw.Extra(transport.ExtraPeerName); ok {
		if na, ok := a.(net.Addr); ok {
			c.remote = na.String()
		}
	}
	if st, ok := sw.Extra(transport.ExtraTLSState); ok {
		if cs, ok := st.(tls.ConnectionState); ok {
			c.tls = &cs
		}
	}
	c.idx = len(s.conns)
	s.conns = append(s.conns, c)
	defer func() {
		if !c.hijack {
			c.releaseBuffers()
		}
		last := s.conns[len(s.conns)-1]
		s.conns[c.idx], last.idx = last, c.idx
		s.conns[len(s.conns)-1] = nil
		s.conns = s.conns[:len(s.conns)-1]
		cancel()
		if !c.hijackOwned {
			sw.Close()
		}
		if s.shutting && len(s.conns) == 0 {
			s.wake()
		}
	}()
	c.serve()
}

func (c *conn) serve() {
	s := c.s
	for {
		req, err := c.readRequest()
		if err != nil {
			var re *RequestError
			if errors.As(err, &re) {
				c.reject(re)
			}
			return
		}
		keep := c.serveRequest(req)
		if c.hijack {
			return
		}
		if !keep || s.shutting || s.closed {
			c.bw.Flush()
			return
		}
		if c.br.Buffered() == 0 {
			// Nothing pipelined behind: send what the responses left,
			// and give the buffers back while the connection idles.
			if err := c.bw.Flush(); err != nil {
				return
			}
			c.releaseBuffers()
		}
	}
}

// reject answers a request the server refused and leaves the
// connection to be closed.
func (c *conn) reject(re *RequestError) {
	c.rctx = c.ctx
	msg := http.StatusText(re.Status)
	fmt.Fprintf(c.bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s: %s",
		re.Status, msg, len(msg)+2+len(re.Reason), msg, re.Reason)
	c.bw.Flush()
}

// readRequest waits for the next request and parses its header; the
// body is set up over br. A *RequestError means: answer it and close.
// Any other error means: close quietly.
func (c *conn) readRequest() (*http.Request, error) {
	s := c.s
	c.idle = true
	var ts *eventloop.TimeoutScope
	if d := s.idleTimeout(); d > 0 {
		dctx, sc, err := eventloop.WithTimeoutAt(c.ctx, s.loop.Deadline(d))
		if err != nil {
			return nil, err
		}
		c.rctx, ts = dctx, sc
		defer func() { ts.Close(); c.rctx = c.ctx }()
	}
	// The first byte, as the idle wait: without buffers when none are
	// held (an idle connection costs its task and its stream only).
	if c.br == nil {
		n, err := c.sr.ReadInto(c.rctx, c.one[:])
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		c.pending = true
		c.takeBuffers()
	}
	for {
		b, err := c.br.Peek(1)
		if err != nil {
			return nil, err
		}
		// Blank lines before a request line are skipped (RFC 9112 2.2).
		if b[0] != '\r' && b[0] != '\n' {
			break
		}
		c.br.Discard(1)
	}
	c.idle = false
	if s.shutting {
		return nil, ErrServerClosed
	}
	if ts != nil {
		if s.ReadHeaderTimeout > 0 {
			ts.Reschedule(s.loop.Deadline(s.ReadHeaderTimeout))
		} else {
			ts.Reschedule(eventloop.Never)
		}
	} else if s.ReadHeaderTimeout > 0 {
		dctx, sc, err := eventloop.WithTimeoutAt(c.ctx, s.loop.Deadline(s.ReadHeaderTimeout))
		if err != nil {
			return nil, err
		}
		c.rctx, ts = dctx, sc
		defer func() { ts.Close(); c.rctx = c.ctx }()
	}
	block, n, err := c.headerBlock()
	if err != nil {
		return nil, err
	}
	if err := checkHeaderBlock(block); err != nil {
		return nil, err
	}
	// ReadRequest reads the block from memory and never parks: one
	// reader per server serves every connection.
	s.hsrc.Reset(block)
	s.hbr.Reset(&s.hsrc)
	req, err := http.ReadRequest(s.hbr)
	if n > 0 {
		c.br.Discard(n)
	}
	c.hdr = c.hdr[:0]
	if err != nil {
		status := http.StatusBadRequest
		// net/http's unsupportedTEError is not exported: its text is
		// all there is. Like net/http's server, answer 501.
		if strings.Contains(err.Error(), "transfer encoding") {
			status = http.StatusNotImplemented
		}
		return nil, &RequestError{Status: status, Reason: err.Error()}
	}
	if req.ProtoMajor != 1 {
		return nil, &RequestError{Status: http.StatusHTTPVersionNotSupported, Reason: "unsupported protocol version " + req.Proto}
	}
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	req.RemoteAddr = c.remote
	req.TLS = c.tls
	return req, nil
}

// headerBlock returns the request line and header through the blank
// line, and how many bytes of br it occupies (0 when it was copied to
// c.hdr and already discarded from br). Over the limit: 431.
func (c *conn) headerBlock() ([]byte, int, error) {
	limit := c.s.maxHeaderBytes()
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		if len(c.hdr) == 0 {
			if i := headerEnd(buf, 0); i >= 0 {
				if i > limit {
					return nil, 0, tooLarge()
				}
				return buf[:i], i, nil
			}
			if len(buf) < c.br.Size() {
				if len(buf) > limit {
					return nil, 0, tooLarge()
				}
				if _, err := c.br.Peek(len(buf) + 1); err != nil {
					return nil, 0, noHeader(err)
				}
				continue
			}
		}
		// The block is larger than br's buffer: gather it in c.hdr.
		from := max(len(c.hdr)-3, 0)
		c.hdr = append(c.hdr, buf...)
		if i := headerEnd(c.hdr, from); i >= 0 {
			if i > limit {
				return nil, 0, tooLarge()
			}
			c.br.Discard(len(buf) - (len(c.hdr) - i))
			c.hdr = c.hdr[:i]
			return c.hdr, 0, nil
		}
		c.br.Discard(len(buf))
		if len(c.hdr) > limit {
			return nil, 0, tooLarge()
		}
		if _, err := c.br.Peek(1); err != nil {
			return nil, 0, noHeader(err)
		}
	}
}

func tooLarge() error {
	return &RequestError{Status: http.StatusRequestHeaderFieldsTooLarge, Reason: "request header too large"}
}

// noHeader is the error of a connection that ended (or timed out) inside
// a header: a partial header gets no answer, as net/http.
func noHeader(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// headerEnd returns the length of the header block at the start of b
// (through the blank line), or -1. from is where to start looking.
func headerEnd(b []byte, from int) int {
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		switch {
		case i < len(b) && b[i] == '\n':
			return i + 1
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			return i + 2
		}
	}
	return -1
}

// checkHeaderBlock refuses what http.ReadRequest accepts but a server
// must not: obs-fold (a line starting with white space, RFC 9112 5.2)
// and a message with both Content-Length and Transfer-Encoding (RFC 9112
// 6.1: a smuggling shape; net/http drops Content-Length instead).
func checkHeaderBlock(b []byte) error {
	var cl, te bool
	first := true
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b[:i]
		b = b[i+1:]
		if first {
			first = false
			continue
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return &RequestError{Status: http.StatusBadRequest, Reason: "obsolete line folding in header"}
		}
		name, _, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue // the blank line, or a line ReadRequest refuses
		}
		switch {
		case asciiEqualFold(name, "content-length"):
			cl = true
		case asciiEqualFold(name, "transfer-encoding"):
			te = true
		}
	}
	if cl && te {
		return &RequestError{Status: http.StatusBadRequest, Reason: "both Content-Length and Transfer-Encoding"}
	}
	return nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// checkRequest does the checks net/http's server makes after ReadRequest.
func checkRequest(req *http.Request) error {
	hosts, haveHost := req.Header["Host"]
	if req.ProtoAtLeast(1, 1) && !haveHost && req.Host == "" && req.Method != "CONNECT" {
		return &RequestError{Status: http.StatusBadRequest, Reason: "missing required Host header"}
	}
	if len(hosts) > 1 {
		return &RequestError{Status: http.StatusBadRequest, Reason: "too many Host headers"}
	}
	if !validHost(req.Host) {
		return &RequestError{Status: http.StatusBadRequest, Reason: "malformed Host header"}
	}
	for k, vv := range req.Header {
		if k == "" || strings.ContainsAny(k, " \t\r\n") {
			return &RequestError{Status: http.StatusBadRequest, Reason: "invalid header name"}
		}
		for _, v := range vv {
			for i := 0; i < len(v); i++ {
				if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
					return &RequestError{Status: http.StatusBadRequest, Reason: "invalid header value"}
				}
			}
		}
	}
	if e := req.Header.Get("Expect"); e != "" && !strings.EqualFold(e, "100-continue") {
		return &RequestError{Status: http.StatusExpectationFailed, Reason: "unsupported Expect " + strconv.Quote(e)}
	}
	return nil
}

// validHost accepts what may appear in a Host header: RFC 3986's
// reg-name, IP literals and a port, no white space or controls.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		b := h[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!$&'()*+,;=:.-_~%[]", b) >= 0:
		case b >= 0x80: // net/http lets UTF-8 through
		default:
			return false
		}
	}
	return true
}
