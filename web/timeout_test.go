package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/looptest"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/web"
)

// The timeouts on the loop's clock: in virtual time, the server closes
// an idle keep-alive connection exactly IdleTimeout after its last
// response, and a connection whose header does not complete exactly
// ReadHeaderTimeout after its first byte.
func TestTimeoutsVirtual(t *testing.T) {
	looptest.Run(t, func(ctx context.Context) error {
		l := looptest.Loop(ctx)
		srv := &web.Server{
			Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }),
			IdleTimeout:       5 * time.Second,
			ReadHeaderTimeout: 2 * time.Second,
		}
		if _, err := srv.Listen(ctx, "tcp", "api:80"); err != nil {
			return err
		}
		defer srv.Close()
		c := looptest.OnHost(ctx, "c")
		r, w, err := streams.OpenConnection(c, "tcp", "api:80")
		if err != nil {
			return err
		}
		defer w.Close()
		w.Write([]byte("GET / HTTP/1.1\r\nHost: api\r\n\r\n"))
		if _, err := r.ReadUntil(c, []byte("ok")); err != nil {
			return err
		}
		answered := l.Time()
		if _, err := r.Read(c, 1); err != io.EOF {
			return fmt.Errorf("idle connection: %v, want EOF", err)
		}
		if d := l.Time() - answered; d != 5*time.Second {
			return fmt.Errorf("idle connection closed after %v, want 5s", d)
		}

		r, w2, err := streams.OpenConnection(c, "tcp", "api:80")
		if err != nil {
			return err
		}
		defer w2.Close()
		w2.Write([]byte("GET / HTTP/1.1\r\nHo"))
		sent := l.Time()
		rest, err := r.Read(c, -1)
		if err != nil || len(rest) != 0 {
			return fmt.Errorf("slow header: %q %v, want EOF and no answer", rest, err)
		}
		if d := l.Time() - sent; d != 2*time.Second {
			return fmt.Errorf("slow header closed after %v, want 2s", d)
		}
		return srv.Shutdown(ctx)
	}, looptest.WithNetwork())
}

// A client's Timeout and ResponseHeaderTimeout, in virtual time.
func TestClientTimeoutVirtual(t *testing.T) {
	looptest.Run(t, func(ctx context.Context) error {
		l := looptest.Loop(ctx)
		srv := &web.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				if err := sleepCtx(r.Context(), time.Hour); err != nil {
					return
				}
			}
			w.Write([]byte(strings.Repeat("x", 10)))
		})}
		if _, err := srv.Listen(ctx, "tcp", "api:80"); err != nil {
			return err
		}
		tr := &web.Transport{}
		defer tr.CloseIdleConnections()
		c := &web.Client{Transport: tr, Timeout: 3 * time.Second}
		start := l.Time()
		if _, err := c.Get(ctx, "http://api/slow"); !errors.Is(err, eventloop.ErrTimeout) {
			return fmt.Errorf("slow request: %v, want a timeout", err)
		}
		if d := l.Time() - start; d != 3*time.Second {
			return fmt.Errorf("timed out after %v, want 3s", d)
		}
		resp, err := c.Get(ctx, "http://api/fast")
		if err != nil {
			return err
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		return srv.Shutdown(ctx)
	}, looptest.WithNetwork())
}

var sleepCtx = eventloop.Sleep
