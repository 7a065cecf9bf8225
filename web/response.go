package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
)

// bufferBeforeChunking is how much body the server holds before the
// header is sent, to give a small response a Content-Length.
const bufferBeforeChunking = 4096

// response is the http.ResponseWriter of a request: one per connection,
// reset for every request. It also implements http.Flusher and
// http.Hijacker.
type response struct {
	c             *conn
	req           *http.Request
	header        http.Header
	status        int
	wroteHeader   bool // status fixed
	committed     bool // header written to bw
	chunked       bool
	head          bool
	contentLength int64 // -1: unknown
	written       int64
	pre           []byte // body before the header was sent
	closeAfter    bool
	trailers      []string // declared with the Trailer header
	cw            io.WriteCloser
}

func (w *response) reset(req *http.Request) {
	h := w.header
	if h == nil {
		h = make(http.Header)
	} else {
		clear(h)
	}
	*w = response{c: w.c, req: req, header: h, contentLength: -1, pre: w.pre[:0], head: req.Method == "HEAD"}
}

// Header implements http.ResponseWriter.
func (w *response) Header() http.Header { return w.header }

func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == 204 || status == 304)
}

// WriteHeader implements http.ResponseWriter. 1xx statuses (but 101) are
// sent at once and may be followed by another status, as net/http.
func (w *response) WriteHeader(code int) {
	if w.c.hijack || w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("web: invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		writeStatusLine(w.c.bw, w.req.ProtoAtLeast(1, 1), code)
		w.header.Write(w.c.bw)
		w.c.bw.WriteString("\r\n")
		w.c.bw.Flush()
		return
	}
	w.status, w.wroteHeader = code, true
	if cl := w.header.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && n >= 0 {
			w.contentLength = n
		} else {
			w.header.Del("Content-Length")
		}
	}
	if v := w.header["Trailer"]; len(v) > 0 {
		for _, s := range v {
			for f := range strings.SplitSeq(s, ",") {
				if f = textprotoTrim(f); f != "" {
					w.trailers = append(w.trailers, http.CanonicalHeaderKey(f))
				}
			}
		}
	}
}

func textprotoTrim(s string) string { return strings.Trim(s, " \t") }

// Write implements http.ResponseWriter.
func (w *response) Write(p []byte) (int, error) {
	if w.c.hijack {
		return 0, ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.committed {
		if w.head {
			return len(p), nil
		}
		if len(w.pre)+len(p) <= bufferBeforeChunking {
			w.pre = append(w.pre, p...)
			return len(p), nil
		}
		if err := w.commit(false); err != nil {
			return 0, err
		}
	}
	if w.head {
		return len(p), nil
	}
	return w.writeBody(p)
}

// WriteString lets io.WriteString skip a conversion.
func (w *response) WriteString(s string) (int, error) {
	if !w.committed && w.wroteHeader && !w.head && w.contentLength < 0 && bodyAllowed(w.status) &&
		!w.c.hijack && len(w.pre)+len(s) <= bufferBeforeChunking {
		w.pre = append(w.pre, s...)
		w.written += int64(len(s))
		return len(s), nil
	}
	return w.Write([]byte(s))
}

func (w *response) writeBody(p []byte) (int, error) {
	if w.chunked {
		return w.cw.Write(p)
	}
	return bodyWire{w.c}.Write(p)
}

var statusLines = func() map[int]string {
	m := make(map[int]string)
	for _, code := range []int{200, 201, 204, 301, 302, 304, 400, 404, 500} {
		m[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n"
	}
	return m
}()

func writeStatusLine(bw *bufio.Writer, is11 bool, code int) {
	if is11 {
		if s, ok := statusLines[code]; ok {
			bw.WriteString(s)
			return
		}
		bw.WriteString("HTTP/1.1 ")
	} else {
		bw.WriteString("HTTP/1.0 ")
	}
	var b [3]byte
	bw.Write(strconv.AppendInt(b[:0], int64(code), 10))
	bw.WriteByte(' ')
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	bw.WriteString(text)
	bw.WriteString("\r\n")
}

// commit writes the status line and header, then the body held so far.
// final: the handler has returned, so the whole body is in w.pre.
func (w *response) commit(final bool) error {
	c := w.c
	w.committed = true
	req := w.req
	// What the handler did not read of the body decides whether the
	// connection can carry another request.
	if reuse, framing := c.body.drain(); !reuse {
		w.closeAfter = true
		if framing != nil {
			// The request was malformed: say so instead.
			w.status, w.contentLength, w.written, w.pre = http.StatusBadRequest, -1, 0, w.pre[:0]
			clear(w.header)
			w.trailers = nil
			w.header["Content-Type"] = []string{"text/plain; charset=utf-8"}
			msg := "Bad Request: " + framing.Error()
			w.pre = append(w.pre, msg...)
			w.written = int64(len(msg))
			final = true
		}
	}
	h := w.header
	allowed := bodyAllowed(w.status)
	is11 := req.ProtoAtLeast(1, 1)
	if c.s.DisableKeepAlives || c.s.shutting || c.s.closed || req.Close ||
		headerHasToken(h["Connection"], "close") {
		w.closeAfter = true
	}
	keepAlive10 := !is11 && headerHasToken(req.Header["Connection"], "keep-alive")
	if !is11 && !keepAlive10 {
		w.closeAfter = true
	}
	delete(h, "Transfer-Encoding")
	setCL := false
	if allowed && w.contentLength < 0 {
		switch {
		case final && len(w.trailers) == 0 && (!w.head || w.written > 0):
			w.contentLength, setCL = w.written, true
		case w.head:
		case is11:
			w.chunked = true
		default:
			w.closeAfter = true // HTTP/1.0: the body ends with the connection
		}
	}
	if !allowed {
		delete(h, "Content-Length")
	}
	bw := c.bw
	writeStatusLine(bw, is11, w.status)
	if _, ok := h["Date"]; !ok {
		bw.WriteString("Date: ")
		bw.Write(c.s.dateHeader())
		bw.WriteString("\r\n")
	}
	if setCL {
		var b [20]byte
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(b[:0], w.contentLength, 10))
		bw.WriteString("\r\n")
	}
	if _, ok := h["Content-Type"]; !ok && allowed && len(w.pre) > 0 {
		bw.WriteString("Content-Type: ")
		bw.WriteString(http.DetectContentType(w.pre))
		bw.WriteString("\r\n")
	}
	if w.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		w.cw = httputil.NewChunkedWriter(bodyWire{c}) // the connection's writer, for this request only
	}
	switch {
	case w.closeAfter && is11 && !headerHasToken(h["Connection"], "close"):
		bw.WriteString("Connection: close\r\n")
	case keepAlive10 && !w.closeAfter:
		bw.WriteString("Connection: keep-alive\r\n")
	}
	if len(h) > 0 {
		var err error
		if hasTrailerPrefix(h) {
			err = h.WriteSubset(bw, trailerPrefixed(h))
		} else {
			err = h.Write(bw)
		}
		if err != nil {
			return err
		}
	}
	bw.WriteString("\r\n")
	if len(w.pre) > 0 && !w.head && allowed {
		if _, err := w.writeBody(w.pre); err != nil {
			return err
		}
	}
	w.pre = w.pre[:0]
	return c.broken
}

func hasTrailerPrefix(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

func trailerPrefixed(h http.Header) map[string]bool {
	m := map[string]bool{}
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			m[k] = true
		}
	}
	return m
}

func headerHasToken(vv []string, token string) bool {
	for _, v := range vv {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textprotoTrim(f), token) {
				return true
			}
		}
	}
	return false
}

// finish completes the response after the handler returned and reports
// whether the connection can carry another request.
func (w *response) finish() bool {
	c := w.c
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if err := w.commit(true); err != nil {
			return false
		}
	}
	if w.chunked {
		w.cw.Close() // the last chunk: "0\r\n"
		if tr := w.trailerHeader(); len(tr) > 0 {
			tr.Write(c.bw)
		}
		c.bw.WriteString("\r\n")
	}
	if w.contentLength >= 0 && w.written < w.contentLength && !w.head && bodyAllowed(w.status) {
		w.closeAfter = true // a short body: the client cannot find the next response
	}
	return !w.closeAfter && c.broken == nil
}

func (w *response) trailerHeader() http.Header {
	var tr http.Header
	for _, k := range w.trailers {
		if vv, ok := w.header[k]; ok {
			if tr == nil {
				tr = make(http.Header)
			}
			tr[k] = vv
		}
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if tr == nil {
				tr = make(http.Header)
			}
			tr[http.CanonicalHeaderKey(name)] = vv
		}
	}
	return tr
}

// Flush implements http.Flusher: it sends the header (chunked when the
// length is unknown) and what was written so far.
func (w *response) Flush() {
	w.FlushError()
}

// FlushError is Flush reporting the write error (http.ResponseController
// uses it).
func (w *response) FlushError() error {
	if w.c.hijack {
		return ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if err := w.commit(false); err != nil {
			return err
		}
	}
	return w.c.bw.Flush()
}

// Hijack implements http.Hijacker: the caller takes the connection. The
// net.Conn is the streams view (streams.NewConn) of the connection's
// stream, for the handler's task: it is closed when ServeHTTP returns.
// The bufio.ReadWriter holds what the client already sent.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c := w.c
	if c.hijack {
		return nil, nil, ErrHijacked
	}
	if w.committed {
		if err := c.bw.Flush(); err != nil {
			return nil, nil, err
		}
	}
	c.stopWatch()
	c.hijack = true
	c.hijackConn = streams.NewConn(c.ctx, c.sr, c.sw)
	c.rctx = c.ctx
	return c.hijackConn, bufio.NewReadWriter(c.br, c.bw), nil
}

// HijackStreams takes the connection of a request served by a web.Server
// as its streams, for any task of the loop: the caller owns them (close
// the writer when done) and buffered holds the bytes the client sent
// beyond the request's header that the server had already read. w must be
// the ResponseWriter the server passed to the handler (or wrap it with an
// Unwrap method, as http.ResponseController expects).
func HijackStreams(w http.ResponseWriter) (r *streams.StreamReader, sw *streams.StreamWriter, buffered []byte, err error) {
	for {
		if rw, ok := w.(*response); ok {
			c := rw.c
			if c.hijack {
				return nil, nil, nil, ErrHijacked
			}
			if rw.committed {
				if err := c.bw.Flush(); err != nil {
					return nil, nil, nil, err
				}
			}
			c.stopWatch()
			c.hijack, c.hijackOwned = true, true
			if c.pending {
				c.pending = false
				buffered = append(buffered, c.one[0])
			}
			if n := c.br.Buffered(); n > 0 {
				b, _ := c.br.Peek(n)
				buffered = append([]byte(nil), b...)
				c.br.Discard(n)
			}
			return c.sr, c.sw, buffered, nil
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil, nil, nil, fmt.Errorf("web: HijackStreams: %T is not a web.Server's ResponseWriter: %w", w, http.ErrNotSupported)
		}
		w = u.Unwrap()
	}
}

// serveRequest runs the handler for req and completes the response; it
// reports whether the connection can carry another request.
func (c *conn) serveRequest(req *http.Request) bool {
	rctx, rcancel := eventloop.WithCancel(c.ctx)
	req = req.WithContext(rctx)
	c.body.reset(req)
	w := &c.res
	w.reset(req)
	c.rctx = rctx
	c.armWatch(rcancel)
	p, stack := c.callHandler(w, req)
	c.stopWatch()
	rcancel()
	if c.hijack {
		c.rctx = c.ctx
		if c.hijackConn != nil {
			c.hijackConn.Close()
		}
		return false
	}
	c.rctx = c.ctx
	if p != nil {
		if p != http.ErrAbortHandler {
			c.s.loop.CallExceptionHandler(eventloop.ExceptionContext{
				Message: fmt.Sprintf("web: panic serving %s %s %s from %s", req.Method, req.RequestURI, req.Proto, c.remote),
				Err:     &eventloop.PanicError{Value: p, Stack: stack},
				Task:    eventloop.CurrentTask(c.ctx).Name(),
			})
		}
		if p == http.ErrAbortHandler {
			c.sw.Transport().Abort()
			return false
		}
		if !w.committed {
			c.bw.WriteString("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 21\r\n\r\nInternal Server Error")
		}
		return false
	}
	return w.finish() && !c.peerGone
}

func (c *conn) callHandler(w *response, req *http.Request) (p any, stack []byte) {
	defer func() {
		if r := recover(); r != nil {
			p, stack = r, debug.Stack()
		}
	}()
	c.s.Handler.ServeHTTP(w, req)
	return nil, nil
}
