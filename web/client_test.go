package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/web"
)

// onLoop runs main as a task of a fresh real-clock loop (the peers are
// real sockets served by goroutines) and fails the test on its error or
// on any loop exception.
func onLoop(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	l.SetExceptionHandler(func(_ *eventloop.Loop, c eventloop.ExceptionContext) {
		t.Errorf("loop exception: %s: %v", c.Message, c.Err)
	})
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) { return struct{}{}, main(ctx) })
	if err := l.RunUntilComplete(tk); err != nil {
		t.Error(err)
	}
	if _, err := tk.Result(); err != nil {
		t.Error(err)
	}
	l.Close()
}

// countingServer is an httptest server that counts the connections it
// accepted and closed.
type countingServer struct {
	*httptest.Server
	mu             sync.Mutex
	opened, closed int
}

func newCounting(t *testing.T, h http.Handler, tlsOn bool) *countingServer {
	cs := &countingServer{}
	cs.Server = httptest.NewUnstartedServer(h)
	cs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		switch st {
		case http.StateNew:
			cs.opened++
		case http.StateClosed, http.StateHijacked:
			cs.closed++
		}
	}
	if tlsOn {
		cs.StartTLS()
	} else {
		cs.Start()
	}
	t.Cleanup(cs.Close)
	return cs
}

func (cs *countingServer) counts() (int, int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.opened, cs.closed
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

func TestClientPoolsConnections(t *testing.T) {
	cs := newCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	}), false)
	onLoop(t, func(ctx context.Context) error {
		tr := &web.Transport{}
		defer tr.CloseIdleConnections()
		c := &web.Client{Transport: tr}
		for i := range 20 {
			resp, err := c.Get(ctx, fmt.Sprintf("%s/%d", cs.URL, i))
			if err != nil {
				return err
			}
			if got := readAll(resp); got != fmt.Sprintf("GET /%d", i) {
				t.Errorf("got %q", got)
			}
		}
		if o, _ := cs.counts(); o != 1 {
			t.Errorf("20 sequential requests opened %d connections, want 1", o)
		}
		// A body closed before its end: that connection is not reused.
		resp, err := c.Get(ctx, cs.URL+"/early")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if tr.IdleConns() != 0 {
			t.Errorf("a connection with an unread body went back to the pool")
		}
		resp, err = c.Head(ctx, cs.URL+"/head")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if o, _ := cs.counts(); o != 2 || tr.IdleConns() != 1 {
			t.Errorf("after an early close: %d connections opened, %d idle; want 2, 1", o, tr.IdleConns())
		}
		return nil
	})
}

func TestClientRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s body=%q auth=%q", r.Method, b, r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/r/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		to := "/to"
		if r.URL.Query().Get("to") != "" {
			to = r.URL.Query().Get("to")
		}
		http.Redirect(w, r, to, code)
	})
	var n atomic.Int32
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	cs := newCounting(t, mux, false)
	other := strings.Replace(cs.URL, "127.0.0.1", "localhost", 1)
	onLoop(t, func(ctx context.Context) error {
		tr := &web.Transport{}
		defer tr.CloseIdleConnections()
		c := &web.Client{Transport: tr}
		for _, tc := range []struct {
			code int
			want string
		}{
			{301, `GET body="" auth="a"`},
			{302, `GET body="" auth="a"`},
			{303, `GET body="" auth="a"`},
			{307, `POST body="payload" auth="a"`},
			{308, `POST body="payload" auth="a"`},
		} {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/r/%d", cs.URL, tc.code), strings.NewReader("payload"))
			req.Header.Set("Authorization", "a")
			resp, err := c.Do(ctx, req)
			if err != nil {
				return err
			}
			if got := readAll(resp); got != tc.want {
				t.Errorf("%d: got %s, want %s", tc.code, got, tc.want)
			}
		}
		// To another host: no Authorization.
		req, _ := http.NewRequest("GET", cs.URL+"/r/302?to="+other+"/to", nil)
		req.Header.Set("Authorization", "secret")
		resp, err := c.Do(ctx, req)
		if err != nil {
			return err
		}
		if got := readAll(resp); got != `GET body="" auth=""` {
			t.Errorf("cross-host redirect: %s", got)
		}
		// Ten at most.
		_, err = c.Get(ctx, cs.URL+"/loop")
		if !errors.Is(err, web.ErrTooManyRedirects) {
			t.Errorf("redirect loop: %v", err)
		}
		// CheckRedirect and ErrUseLastResponse.
		var vias []int
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			vias = append(vias, len(via))
			return http.ErrUseLastResponse
		}
		resp, err = c.Get(ctx, cs.URL+"/r/302")
		if err != nil {
			return err
		}
		readAll(resp)
		if resp.StatusCode != 302 || len(vias) != 1 || vias[0] != 1 {
			t.Errorf("ErrUseLastResponse: status %d, via %v", resp.StatusCode, vias)
		}
		return nil
	})
	if n := n.Load(); n != 10 { // net/http: the 11th is not sent
		t.Errorf("redirect loop served %d requests, want 10", n)
	}
}

func TestClientGzip(t *testing.T) {
	cs := newCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			fmt.Fprintf(w, "plain, asked %q", r.Header.Get("Accept-Encoding"))
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, strings.Repeat("compressed ", 100))
		zw.Close()
	}), false)
	onLoop(t, func(ctx context.Context) error {
		tr := &web.Transport{}
		defer tr.CloseIdleConnections()
		c := &web.Client{Transport: tr}
		resp, err := c.Get(ctx, cs.URL)
		if err != nil {
			return err
		}
		if got := readAll(resp); got != strings.Repeat("compressed ", 100) || !resp.Uncompressed {
			t.Errorf("gzip: %q uncompressed=%v", got[:20], resp.Uncompressed)
		}
		// The user's own Accept-Encoding: no transparent decompression.
		req, _ := http.NewRequest("GET", cs.URL, nil)
		req.Header.Set("Accept-Encoding", "identity")
		resp, err = c.Do(ctx, req)
		if err != nil {
			return err
		}
		if got := readAll(resp); got != `plain, asked "identity"` {
			t.Errorf("identity: %q", got)
		}
		if o, _ := cs.counts(); o != 1 {
			t.Errorf("%d connections, want 1 (the gzip body was read to the end)", o)
		}
		return nil
	})
}

func TestClientCancel(t *testing.T) {
	var mu sync.Mutex // l and cancel: set on the loop, used by the handler
	var l *eventloop.Loop
	var cancel context.CancelFunc
	cs := newCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			// Cancel the client from here: the request is surely sent.
			mu.Lock()
			l.CallSoonThreadsafe(cancel)
			mu.Unlock()
			<-r.Context().Done() // ends when the client closes
			return
		}
		w.Write([]byte("ok"))
	}), false)
	onLoop(t, func(ctx context.Context) error {
		mu.Lock()
		l = eventloop.LoopOf(ctx)
		mu.Unlock()
		tr := &web.Transport{}
		defer tr.CloseIdleConnections()
		c := &web.Client{Transport: tr}
		resp, err := c.Get(ctx, cs.URL+"/ok")
		if err != nil {
			return err
		}
		readAll(resp)
		// The pooled connection is taken by the hanging request; the
		// next request dials a new one.
		cctx, cf := eventloop.WithCancel(ctx)
		mu.Lock()
		cancel = cf
		mu.Unlock()
		_, err = c.Get(cctx, cs.URL+"/hang")
		if !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("cancelled Get: %v", err)
		}
		resp, err = c.Get(ctx, cs.URL+"/ok")
		if err != nil {
			return err
		}
		if got := readAll(resp); got != "ok" {
			t.Errorf("after the cancel: %q", got)
		}
		return nil
	})
	if o, _ := cs.counts(); o != 2 {
		t.Errorf("%d connections opened, want 2", o)
	}
}

func TestClientTLS(t *testing.T) {
	cs := newCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls=%v", r.TLS != nil)
	}), true)
	pool := cs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	onLoop(t, func(ctx context.Context) error {
		// Verified by default: the test certificate is unknown.
		c := &web.Client{}
		if _, err := c.Get(ctx, cs.URL); err == nil {
			t.Errorf("an unknown certificate was accepted")
		}
		tr := &web.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		defer tr.CloseIdleConnections()
		c = &web.Client{Transport: tr}
		for range 3 {
			resp, err := c.Get(ctx, cs.URL)
			if err != nil {
				return err
			}
			if got := readAll(resp); got != "tls=true" {
				t.Errorf("got %q", got)
			}
		}
		return nil
	})
	if o, _ := cs.counts(); o != 2 {
		t.Errorf("%d connections opened, want 2 (one refused, one pooled)", o)
	}
}

// Our client against our server, on one loop.
func TestClientAgainstServer(t *testing.T) {
	onLoop(t, func(ctx context.Context) error {
		srv := &web.Server{Handler: echoMux()}
		a, err := srv.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		tr := &web.Transport{}
		defer tr.CloseIdleConnections()
		c := &web.Client{Transport: tr}
		for i := range 10 {
			payload := bytes.Repeat([]byte{'p'}, i*1000)
			resp, err := c.Post(ctx, "http://"+a.String()+"/echo", "text/plain", bytes.NewReader(payload))
			if err != nil {
				return err
			}
			if got := readAll(resp); got != string(payload) {
				t.Errorf("echo %d: %d bytes back", len(payload), len(got))
			}
		}
		if tr.IdleConns() != 1 {
			t.Errorf("%d idle connections, want 1", tr.IdleConns())
		}
		return nil
	})
}
