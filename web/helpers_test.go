package web_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/web"
)

// liveServer is a web.Server on a real-clock loop running on its own
// goroutine, for clients on plain goroutines (net/http's client, raw
// sockets).
type liveServer struct {
	t    *testing.T
	addr string
	loop *eventloop.Loop
	srv  *web.Server
	stop func()
	done chan struct{}

	mu         sync.Mutex
	exceptions []eventloop.ExceptionContext
}

// serve starts h on 127.0.0.1 (or on network/address given by opts'
// Listen fields); configure adjusts the server before it listens. The
// server is shut down at the end of the test, which fails if a
// connection outlives a 5 s Shutdown.
func serve(t *testing.T, h http.Handler, configure ...func(*web.Server)) *liveServer {
	return serveOn(t, "tcp", "127.0.0.1:0", h, configure...)
}

func serveOn(t *testing.T, network, address string, h http.Handler, configure ...func(*web.Server)) *liveServer {
	t.Helper()
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	ls := &liveServer{t: t, loop: l, srv: &web.Server{Handler: h}, done: make(chan struct{})}
	for _, f := range configure {
		f(ls.srv)
	}
	l.SetExceptionHandler(func(_ *eventloop.Loop, c eventloop.ExceptionContext) {
		ls.mu.Lock()
		ls.exceptions = append(ls.exceptions, c)
		ls.mu.Unlock()
	})
	ready := make(chan error, 1)
	stopped := eventloop.NewFuture[struct{}](l)
	go func() {
		defer close(ls.done)
		tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
			a, err := ls.srv.Listen(ctx, network, address)
			if err != nil {
				ready <- err
				return struct{}{}, err
			}
			ls.addr = a.String()
			ready <- nil
			eventloop.Await(ctx, stopped)
			sctx, ts, _ := eventloop.WithTimeoutAt(ctx, l.Deadline(5*time.Second))
			err = ls.srv.Shutdown(sctx)
			ts.Close()
			if err != nil {
				t.Errorf("Shutdown: %v", err)
				ls.srv.Close()
				sctx, ts, _ := eventloop.WithTimeoutAt(ctx, l.Deadline(5*time.Second))
				ls.srv.Shutdown(sctx)
				ts.Close()
			}
			return struct{}{}, nil
		})
		l.RunUntilComplete(tk)
		l.Close()
	}()
	if err := <-ready; err != nil {
		<-ls.done
		t.Fatalf("Listen: %v", err)
	}
	var once sync.Once
	ls.stop = func() {
		once.Do(func() {
			l.CallSoonThreadsafe(func() { stopped.SetResult(struct{}{}) })
			<-ls.done
		})
	}
	t.Cleanup(ls.stop)
	return ls
}

func (ls *liveServer) url() string { return "http://" + ls.addr }

// do runs fn on the loop (with the server) and waits for it.
func (ls *liveServer) do(fn func()) {
	ch := make(chan struct{})
	ls.loop.CallSoonThreadsafe(func() { fn(); close(ch) })
	<-ch
}

func (ls *liveServer) exceptionsSeen() []eventloop.ExceptionContext {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return append([]eventloop.ExceptionContext(nil), ls.exceptions...)
}

// client is a net/http client for a test, its idle connections closed
// at the end of the test.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 100, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// raw sends request bytes on a new connection and returns everything the
// server sent until it closed the connection (or 5 s passed).
func (ls *liveServer) raw(t *testing.T, request string) string {
	t.Helper()
	c, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Errorf("reading the answer to %q: %v (got %q)", request, err, b)
	}
	return string(b)
}

// responses parses the responses in s, for requests of the given methods.
func responses(t *testing.T, s string, methods ...string) []*http.Response {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(s))
	var out []*http.Response
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d: %v in %q", len(out), err, s)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("response %d body: %v", len(out), err)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		resp.ContentLength = int64(len(b))
		out = append(out, resp)
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		t.Errorf("bytes after %d responses: %q", len(out), rest)
	}
	return out
}

func bodyOf(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}
