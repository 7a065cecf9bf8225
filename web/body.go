package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
)

// body is a request's Body: the bytes of one request on the
// connection's reader, framed by Content-Length or chunked encoding. One
// per connection, reset for every request.
type body struct {
	c         *conn
	req       *http.Request
	chunked   io.Reader // httputil's chunked reader, for chunked bodies
	remaining int64     // Content-Length bodies: bytes left
	eof       bool
	closed    bool
	err       error // a framing error or a lost connection: the connection ends
	expect    bool  // 100 Continue to send before the first read
}

func (b *body) reset(req *http.Request) {
	*b = body{c: b.c, req: req}
	switch {
	case len(req.TransferEncoding) > 0 && req.TransferEncoding[0] == "chunked":
		b.chunked = httputil.NewChunkedReader(b.c.br)
	case req.ContentLength > 0:
		b.remaining = req.ContentLength
	default:
		b.eof = true
	}
	if !b.eof && req.ProtoAtLeast(1, 1) && req.Header.Get("Expect") != "" {
		b.expect = true
	}
	req.Header.Del("Expect")
	if b.eof {
		req.Body = http.NoBody
	} else {
		req.Body = b
	}
}

// errBodyFraming wraps a malformed chunked body.
var errBodyFraming = errors.New("web: malformed request body")

func (b *body) Read(p []byte) (int, error) {
	switch {
	case b.closed:
		return 0, http.ErrBodyReadAfterClose
	case b.eof:
		return 0, io.EOF
	case b.err != nil:
		return 0, b.err
	case len(p) == 0:
		return 0, nil
	}
	if b.expect {
		b.expect = false
		if !b.c.res.committed {
			// The client waits for this before it sends the body.
			b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if err := b.c.bw.Flush(); err != nil {
				b.err = err
				return 0, err
			}
		}
	}
	if b.chunked != nil {
		n, err := b.chunked.Read(p)
		if err == io.EOF {
			if err := b.readTrailer(); err != nil {
				b.err = err
				return n, err
			}
			b.eof = true
			return n, io.EOF
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF || b.c.broken != nil {
				b.err = err
			} else {
				b.err = &framingError{err}
			}
			return n, b.err
		}
		return n, nil
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		b.eof = true
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// framingError is a chunked body that is not chunked encoding.
type framingError struct{ err error }

func (e *framingError) Error() string   { return "web: malformed chunked body: " + e.err.Error() }
func (e *framingError) Unwrap() []error { return []error{errBodyFraming, e.err} }

// readTrailer reads the trailer fields after the last chunk into
// req.Trailer (textproto's header reader), as net/http.
func (b *body) readTrailer() error {
	tp := textproto.NewReader(b.c.br)
	// Fast path: no trailer, just the final CRLF.
	if buf, err := b.c.br.Peek(2); err == nil && buf[0] == '\r' && buf[1] == '\n' {
		b.c.br.Discard(2)
		return nil
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return &framingError{err}
	}
	if len(h) == 0 {
		return nil
	}
	if b.req.Trailer == nil {
		b.req.Trailer = make(http.Header, len(h))
	}
	for k, v := range h {
		b.req.Trailer[k] = v
	}
	return nil
}

// Close implements io.Closer: later reads fail; what is left unread is
// read and dropped by the server (up to 256 KiB) before the next request.
func (b *body) Close() error {
	b.closed = true
	return nil
}

// drain reads what the handler left of the body so the connection can
// carry the next request. It reports whether it can, and the framing
// error if the body was malformed.
func (b *body) drain() (reuse bool, framing error) {
	if b.eof {
		return true, nil
	}
	if b.err != nil {
		var fe *framingError
		if errors.As(b.err, &fe) {
			return false, b.err
		}
		return false, nil
	}
	if b.expect {
		// We never said 100 Continue: the client may or may not send
		// the body; the connection cannot be reused.
		return false, nil
	}
	if b.chunked == nil && b.remaining > maxDiscard {
		return false, nil
	}
	closed := b.closed
	b.closed = false
	n, err := io.CopyN(io.Discard, b, maxDiscard+1)
	b.closed = closed
	if err == io.EOF {
		return true, nil
	}
	if err != nil {
		var fe *framingError
		if errors.As(err, &fe) {
			return false, err
		}
		return false, nil
	}
	_ = n
	return false, nil // more than maxDiscard left
}
