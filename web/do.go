package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// Client sends requests from a task: net/http's Client with the task's
// ctx. It follows redirects with net/http's policy and pools connections
// through its Transport. The zero value is ready to use (with a
// Transport of its own). A Client belongs to the loop of its first
// request.
type Client struct {
	// Transport runs the requests (nil: a *Transport made at first use).
	Transport RoundTripper
	// CheckRedirect is net/http's hook: called before following a
	// redirect with the next request and the ones made so far (oldest
	// first). Its error is returned (with the last response's body
	// closed) except http.ErrUseLastResponse, which returns the last
	// response unread. Nil: stop after 10 redirects.
	CheckRedirect func(req *http.Request, via []*http.Request) error
	// Timeout bounds the whole exchange, redirects and reading the body
	// included, on the loop's clock (zero: none).
	Timeout time.Duration
}

func (c *Client) transport() RoundTripper {
	if c.Transport == nil {
		c.Transport = &Transport{}
	}
	return c.Transport
}

// Get is Do of a GET.
//
// Cancellation: as Do.
func (c *Client) Get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, fmt.Errorf("web: Get: %w", err)
	}
	return c.Do(ctx, req)
}

// Head is Do of a HEAD.
//
// Cancellation: as Do.
func (c *Client) Head(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequest("HEAD", url, nil)
	if err != nil {
		return nil, fmt.Errorf("web: Head: %w", err)
	}
	return c.Do(ctx, req)
}

// Post is Do of a POST of body with the given Content-Type. A body that
// is a *bytes.Buffer, *bytes.Reader or *strings.Reader can be sent again
// on a 307/308 redirect (http.NewRequest sets GetBody).
//
// Cancellation: as Do.
func (c *Client) Post(ctx context.Context, url, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest("POST", url, body)
	if err != nil {
		return nil, fmt.Errorf("web: Post: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	return c.Do(ctx, req)
}

// ErrTooManyRedirects is returned (wrapped in a *url.Error) after 10
// redirects when CheckRedirect is nil.
var ErrTooManyRedirects = errors.New("web: stopped after 10 redirects")

// Do sends req and returns the response once its header arrived; the
// caller reads and closes the body, from the same task. Redirects (301,
// 302, 303, 307, 308) are followed as net/http does: 301 and 302 turn a
// POST into a GET and 303 anything but HEAD, without body; 307 and 308
// keep method and body (the body is replayed with GetBody; without it
// the redirect is returned). Authorization, Cookie and WWW-Authenticate
// headers are not sent to another host. Errors are *url.Error, as
// net/http's.
//
// Cancellation: when ctx is cancelled (or Timeout passes) the request's
// connection is closed and Do, or a read of the body, returns an error
// wrapping eventloop.ErrCancelled (or ErrTimeout); pooled connections
// and other requests are not affected.
func (c *Client) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("web: Do: nil request or URL")
	}
	var ts *eventloop.TimeoutScope
	if c.Timeout > 0 {
		l := eventloop.LoopOf(ctx)
		if l == nil {
			return nil, fmt.Errorf("web: Do: %w", eventloop.ErrNotInTask)
		}
		dctx, s, err := eventloop.WithTimeoutAt(ctx, l.Deadline(c.Timeout))
		if err != nil {
			return nil, err
		}
		ctx, ts = dctx, s
	}
	resp, err := c.do(ctx, req)
	if ts != nil {
		if err != nil || resp.Body == nil {
			ts.Close()
		} else {
			resp.Body = &scopedBody{ReadCloser: resp.Body, ts: ts}
		}
	}
	return resp, err
}

// scopedBody closes the Timeout's scope with the body.
type scopedBody struct {
	io.ReadCloser
	ts *eventloop.TimeoutScope
}

func (b *scopedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.ts.Close()
	}
	return n, err
}

func (b *scopedBody) Close() error {
	err := b.ReadCloser.Close()
	b.ts.Close()
	return err
}

func urlErr(req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return err
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	return &url.Error{Op: method[:1] + strings.ToLower(method[1:]), URL: req.URL.String(), Err: err}
}

func (c *Client) do(ctx context.Context, req *http.Request) (*http.Response, error) {
	rt := c.transport()
	var via []*http.Request
	for {
		resp, err := rt.RoundTrip(ctx, req)
		if err != nil {
			return nil, urlErr(req, err)
		}
		next, ok := redirectRequest(req, resp)
		if !ok {
			return resp, nil
		}
		via = append(via, req)
		check := c.CheckRedirect
		if check == nil {
			check = defaultCheckRedirect
		}
		if err := check(next, via); err != nil {
			if errors.Is(err, http.ErrUseLastResponse) {
				return resp, nil
			}
			drainAndClose(resp)
			return nil, urlErr(next, err)
		}
		drainAndClose(resp)
		req = next
	}
}

func defaultCheckRedirect(_ *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return ErrTooManyRedirects
	}
	return nil
}

// drainAndClose reads a little of a redirect's body, so its connection
// can be reused, and closes it.
func drainAndClose(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 2<<10)
	resp.Body.Close()
}

// redirectRequest builds the request that follows resp, if resp is a
// redirect to follow.
func redirectRequest(req *http.Request, resp *http.Response) (*http.Request, bool) {
	method, body := req.Method, true
	switch resp.StatusCode {
	case 301, 302:
		if method == "POST" {
			method, body = "GET", false
		}
	case 303:
		if method != "HEAD" {
			method, body = "GET", false
		}
	case 307, 308:
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return nil, false // cannot send the body again
		}
	default:
		return nil, false
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, false
	}
	u, err := req.URL.Parse(loc)
	if err != nil {
		return nil, false
	}
	next := &http.Request{
		Method: method, URL: u, Header: make(http.Header), Host: "",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
	next = next.WithContext(req.Context())
	for k, vv := range req.Header {
		next.Header[k] = vv
	}
	if !body {
		next.Header.Del("Content-Type")
		next.Header.Del("Content-Length")
	} else if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, false
		}
		next.Body, next.GetBody, next.ContentLength = b, req.GetBody, req.ContentLength
	}
	if u.Host != req.URL.Host {
		for _, h := range []string{"Authorization", "Www-Authenticate", "Cookie", "Cookie2"} {
			next.Header.Del(h)
		}
	}
	if ref := req.URL; !(ref.Scheme == "https" && u.Scheme == "http") && next.Header.Get("Referer") == "" {
		r := *ref
		r.User, r.Fragment = nil, ""
		next.Header.Set("Referer", r.String())
	}
	return next, true
}
