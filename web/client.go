package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
)

// RoundTripper runs one HTTP transaction: net/http's RoundTripper with
// the task's ctx. Transport is the package's; tests may swap in their
// own. RoundTrip must not follow redirects; the response body is read
// from the task that called it.
type RoundTripper interface {
	RoundTrip(ctx context.Context, req *http.Request) (*http.Response, error)
}

// DefaultMaxIdleConnsPerHost is the pool size per host of a Transport
// whose MaxIdleConnsPerHost is zero (net/http's).
const DefaultMaxIdleConnsPerHost = http.DefaultMaxIdleConnsPerHost

// DefaultIdleConnTimeout is the idle timeout of a Transport whose
// IdleConnTimeout is zero (net/http's DefaultTransport's).
const DefaultIdleConnTimeout = 90 * time.Second

// Transport is an HTTP/1.1 RoundTripper with a pool of keep-alive
// connections per host (scheme, host and port). A connection goes back to
// the pool when its response body was read to the end or closed after
// the end; one whose body was closed early, or whose request was
// cancelled, is closed. The zero value is ready to use. A Transport
// belongs to the loop of its first request; its methods are for that
// loop's tasks.
type Transport struct {
	// TLSClientConfig is the TLS configuration for https (nil: crypto/tls
	// defaults, certificates and host names verified). NextProtos is
	// set to http/1.1 when empty.
	TLSClientConfig *tls.Config
	// MaxIdleConnsPerHost bounds the idle connections kept per host
	// (zero: DefaultMaxIdleConnsPerHost; negative: none kept).
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes a connection idle that long (zero:
	// DefaultIdleConnTimeout), on the loop's clock.
	IdleConnTimeout time.Duration
	// DisableKeepAlives sends Connection: close and pools nothing.
	DisableKeepAlives bool
	// DisableCompression stops the Transport from asking for gzip.
	// Otherwise, as net/http, it adds Accept-Encoding: gzip to a request
	// that has no Accept-Encoding (and no Range), and transparently
	// decompresses a gzip response (Response.Uncompressed is then true).
	DisableCompression bool
	// ResponseHeaderTimeout bounds the wait for the response header
	// after the request was written (zero: no bound).
	ResponseHeaderTimeout time.Duration
	// Dial opens a connection (nil: streams.OpenConnection, with TLS for
	// https). Set it for Unix sockets or a simulated network.
	Dial func(ctx context.Context, network, address string, opts ...streams.Option) (*streams.StreamReader, *streams.StreamWriter, error)

	loop  *eventloop.Loop
	idle  map[string][]*clientConn
	timer eventloop.TimerHandle
	armed bool
}

// clientConn is one pooled connection.
type clientConn struct {
	t      *Transport
	key    string
	sr     *streams.StreamReader
	sw     *streams.StreamWriter
	br     *bufio.Reader
	bw     *bufio.Writer
	ctx    context.Context // what I/O awaits under now
	idleAt time.Duration
	closed bool
}

type clientIO struct{ c *clientConn }

func (x clientIO) Read(p []byte) (int, error) { return x.c.sr.ReadInto(x.c.ctx, p) }

func (x clientIO) Write(p []byte) (int, error) {
	if err := x.c.sw.Write(p); err != nil {
		return 0, err
	}
	if err := x.c.sw.Drain(x.c.ctx); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *clientConn) close(abort bool) {
	if c.closed {
		return
	}
	c.closed = true
	if abort {
		c.sw.Transport().Abort()
	} else {
		c.sw.Close()
	}
}

// usable reports whether an idle connection can carry a request: the
// server has not closed it and sent nothing unasked.
func (c *clientConn) usable() bool {
	return !c.closed && !c.sw.IsClosing() && c.sr.Buffered() == 0 && !c.sr.AtEOF() && c.sr.Err() == nil
}

func connKey(u *url.URL) (key, network, address string, https bool, err error) {
	host := u.Host
	switch u.Scheme {
	case "http":
	case "https":
		https = true
	default:
		return "", "", "", false, fmt.Errorf("web: RoundTrip: unsupported protocol scheme %q", u.Scheme)
	}
	if host == "" {
		return "", "", "", false, fmt.Errorf("web: RoundTrip: no Host in request URL %q", u.String())
	}
	if u.Port() == "" {
		if https {
			host = net.JoinHostPort(u.Hostname(), "443")
		} else {
			host = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	return u.Scheme + "://" + host, "tcp", host, https, nil
}

func (t *Transport) bind(ctx context.Context) error {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return fmt.Errorf("web: RoundTrip: %w", eventloop.ErrNotInTask)
	}
	if t.loop == nil {
		t.loop, t.idle = l, make(map[string][]*clientConn)
	} else if t.loop != l {
		return fmt.Errorf("web: RoundTrip: %w", eventloop.ErrWrongLoop)
	}
	return nil
}

func (t *Transport) idleTimeout() time.Duration {
	if t.IdleConnTimeout > 0 {
		return t.IdleConnTimeout
	}
	return DefaultIdleConnTimeout
}

func (t *Transport) maxIdle() int {
	if t.MaxIdleConnsPerHost != 0 {
		return t.MaxIdleConnsPerHost
	}
	return DefaultMaxIdleConnsPerHost
}

// getConn takes an idle connection for key, or dials one.
func (t *Transport) getConn(ctx context.Context, key, network, address string, https bool, host string) (*clientConn, bool, error) {
	now := t.loop.Time()
	for pool := t.idle[key]; len(pool) > 0; pool = t.idle[key] {
		c := pool[len(pool)-1]
		t.idle[key] = pool[:len(pool)-1]
		if c.usable() && now-c.idleAt < t.idleTimeout() {
			return c, true, nil
		}
		c.close(false)
	}
	var opts []streams.Option
	if https {
		cfg := t.TLSClientConfig
		if cfg == nil {
			cfg = &tls.Config{}
		} else {
			cfg = cfg.Clone()
		}
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"http/1.1"}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		opts = append(opts, streams.WithTLS(cfg))
	}
	dial := t.Dial
	if dial == nil {
		dial = streams.OpenConnection
	}
	sr, sw, err := dial(ctx, network, address, opts...)
	if err != nil {
		return nil, false, err
	}
	c := &clientConn{t: t, key: key, sr: sr, sw: sw, ctx: ctx}
	c.br = bufio.NewReaderSize(clientIO{c}, 4096)
	c.bw = bufio.NewWriterSize(clientIO{c}, 4096)
	return c, false, nil
}

// putConn returns c to its pool, or closes it.
func (t *Transport) putConn(c *clientConn) {
	if c.closed {
		return
	}
	if t.DisableKeepAlives || !c.usable() || len(t.idle[c.key]) >= t.maxIdle() {
		c.close(false)
		return
	}
	c.ctx = nil
	c.idleAt = t.loop.Time()
	t.idle[c.key] = append(t.idle[c.key], c)
	if !t.armed {
		t.arm(c.idleAt + t.idleTimeout())
	}
}

func (t *Transport) arm(when time.Duration) {
	h, err := t.loop.CallAt(when, t.sweep)
	if err == nil {
		t.timer, t.armed = h, true
	}
}

// sweep closes the connections idle for IdleConnTimeout and re-arms for
// the next one.
func (t *Transport) sweep() {
	t.armed = false
	now, d := t.loop.Time(), t.idleTimeout()
	next := eventloop.Never
	for _, k := range slices.Sorted(maps.Keys(t.idle)) { // a fixed order: runs replay
		pool := t.idle[k]
		kept := pool[:0]
		for _, c := range pool {
			if now-c.idleAt >= d || !c.usable() {
				c.close(false)
				continue
			}
			kept = append(kept, c)
			next = min(next, c.idleAt+d)
		}
		if len(kept) == 0 {
			delete(t.idle, k)
		} else {
			t.idle[k] = kept
		}
	}
	if next != eventloop.Never {
		t.arm(next)
	}
}

// CloseIdleConnections closes every pooled connection (and the idle
// timer). Loop goroutine only.
func (t *Transport) CloseIdleConnections() {
	for _, k := range slices.Sorted(maps.Keys(t.idle)) {
		for _, c := range t.idle[k] {
			c.close(false)
		}
		delete(t.idle, k)
	}
	if t.armed {
		t.timer.Cancel()
		t.armed = false
	}
}

// IdleConns returns how many connections are pooled.
func (t *Transport) IdleConns() int {
	n := 0
	for _, p := range t.idle {
		n += len(p)
	}
	return n
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// RoundTrip implements RoundTripper: it sends req on a pooled or new
// connection and returns the response once its header arrived. The
// body is read from the calling task, under ctx. A request that fails
// on a reused connection before any response byte arrived (the server
// closed it meanwhile) is sent again on a new one when its body can be
// replayed.
//
// Cancellation: a cancelled RoundTrip (or a body read under a cancelled
// ctx) closes the connection and returns eventloop.ErrCancelled (or
// ErrTimeout); other pooled connections are not affected.
func (t *Transport) RoundTrip(ctx context.Context, req *http.Request) (*http.Response, error) {
	if err := t.bind(ctx); err != nil {
		return nil, err
	}
	if req.URL == nil {
		return nil, errors.New("web: RoundTrip: nil Request.URL")
	}
	key, network, address, https, err := connKey(req.URL)
	if err != nil {
		return nil, err
	}
	r2 := *req
	r2.Header = req.Header.Clone()
	if r2.Header == nil {
		r2.Header = make(http.Header)
	}
	gzipAsked := false
	if !t.DisableCompression && r2.Header.Get("Accept-Encoding") == "" && r2.Header.Get("Range") == "" && req.Method != "HEAD" {
		r2.Header.Set("Accept-Encoding", "gzip")
		gzipAsked = true
	}
	if t.DisableKeepAlives {
		r2.Close = true
	}
	for attempt := 0; ; attempt++ {
		c, reused, err := t.getConn(ctx, key, network, address, https, req.URL.Hostname())
		if err != nil {
			return nil, err
		}
		resp, sent, err := t.exchange(ctx, c, &r2, req, gzipAsked)
		if err == nil {
			return resp, nil
		}
		c.close(true)
		if !reused || sent || attempt > 0 || ctx.Err() != nil || !replayable(req) {
			return nil, err
		}
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			b, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			r2.Body = b
		}
	}
}

// exchange writes the request on c and reads the response header. sent
// reports whether a response byte arrived (no retry then).
func (t *Transport) exchange(ctx context.Context, c *clientConn, wire, orig *http.Request, gzipAsked bool) (*http.Response, bool, error) {
	c.ctx = ctx
	if err := wire.Write(c.bw); err != nil {
		return nil, false, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, false, err
	}
	rctx := ctx
	var ts *eventloop.TimeoutScope
	if t.ResponseHeaderTimeout > 0 {
		var err error
		rctx, ts, err = eventloop.WithTimeoutAt(ctx, t.loop.Deadline(t.ResponseHeaderTimeout))
		if err != nil {
			return nil, false, err
		}
		c.ctx = rctx
	}
	if _, err := c.br.Peek(1); err != nil {
		if ts != nil {
			ts.Close()
		}
		return nil, false, err
	}
	var resp *http.Response
	var err error
	for {
		resp, err = http.ReadResponse(c.br, orig)
		if err != nil || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		// 1xx interim responses (100 Continue, 103 Early Hints): skip.
	}
	if ts != nil {
		ts.Close()
	}
	c.ctx = ctx
	if err != nil {
		return nil, true, err
	}
	b := &clientBody{c: c, rc: resp.Body, reuse: !resp.Close && !wire.Close}
	resp.Body = b
	if gzipAsked && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") && resp.ContentLength != 0 {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		resp.Body = &gzipBody{b: b}
	}
	if orig.Method == "HEAD" || resp.ContentLength == 0 {
		b.finish(true)
	}
	return resp, true, nil
}

// clientBody is a response body over a pooled connection: at EOF the
// connection goes back to the pool, closed early it is closed.
type clientBody struct {
	c     *clientConn
	rc    io.ReadCloser
	reuse bool
	done  bool
	err   error
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.done {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finish(true)
	case err != nil:
		b.err = err
		b.finish(false)
	}
	return n, err
}

func (b *clientBody) finish(ok bool) {
	if b.done {
		return
	}
	b.done = true
	if ok && b.reuse {
		b.c.t.putConn(b.c)
	} else {
		b.c.close(!ok)
	}
}

// Close implements io.Closer: before EOF it closes the connection.
func (b *clientBody) Close() error {
	if !b.done {
		b.err = http.ErrBodyReadAfterClose
		b.finish(false)
	}
	return nil
}

// gzipBody decompresses a gzip response on the fly.
type gzipBody struct {
	b  *clientBody
	zr *gzip.Reader
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil {
		zr, err := gzip.NewReader(g.b)
		if err != nil {
			return 0, err
		}
		g.zr = zr
	}
	return g.zr.Read(p)
}

func (g *gzipBody) Close() error { return g.b.Close() }
