package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/web"
)

// echoMux: routes with Go 1.22 patterns; handlers await the loop.
func echoMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		// r.Context() is the connection task's: awaits work.
		if err := eventloop.Sleep(r.Context(), 0); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "hello %s", r.PathValue("name"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("X-Len", fmt.Sprint(len(b)))
		w.Write(b)
	})
	return mux
}

func TestNetHTTPClientConcurrent(t *testing.T) {
	ls := serve(t, echoMux())
	c := client(t)
	const workers, each = 50, 20
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				name := fmt.Sprintf("w%d-%d", i, j)
				resp, err := c.Get(ls.url() + "/hello/" + name)
				if err != nil {
					t.Errorf("GET: %v", err)
					return
				}
				if got := bodyOf(resp); got != "hello "+name || resp.StatusCode != 200 {
					t.Errorf("GET %s: %d %q", name, resp.StatusCode, got)
				}
				resp.Body.Close()
				// Bodies of every size: small ones get a Content-Length,
				// large ones go chunked.
				payload := strings.Repeat(name, (i*each+j)%700+1)
				resp, err = c.Post(ls.url()+"/echo", "text/plain", strings.NewReader(payload))
				if err != nil {
					t.Errorf("POST: %v", err)
					return
				}
				if got := bodyOf(resp); got != payload || resp.Header.Get("X-Len") != fmt.Sprint(len(payload)) {
					t.Errorf("POST %d bytes: got %d bytes, X-Len %s", len(payload), len(got), resp.Header.Get("X-Len"))
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if ex := ls.exceptionsSeen(); len(ex) > 0 {
		t.Errorf("exceptions: %v", ex)
	}
}

func TestKeepAliveAndPipelining(t *testing.T) {
	n := 0
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++ // one loop: no lock
		// The first request waits longest: responses must still come in
		// request order.
		eventloop.Sleep(r.Context(), time.Duration(3-n)*time.Millisecond)
		fmt.Fprintf(w, "%s %s #%d", r.Method, r.URL.Path, n)
	}))
	req := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	out := ls.raw(t, req)
	rs := responses(t, out, "GET", "POST", "HEAD", "GET")
	want := []string{"GET /a #1", "POST /b #2", "", "GET /d #4"}
	for i, r := range rs {
		if got := bodyOf(r); got != want[i] {
			t.Errorf("response %d: %q, want %q", i, got, want[i])
		}
	}
	if rs[2].Header.Get("Content-Length") != "10" {
		t.Errorf("HEAD: Content-Length %q, want 10 (the GET's)", rs[2].Header.Get("Content-Length"))
	}
	if !rs[3].Close {
		t.Errorf("last response has no Connection: close")
	}
}

func TestChunkedRequestAndResponse(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		for range 3 {
			w.Write([]byte(strings.Repeat("z", 3000))) // beyond the pre-header buffer: chunked
		}
		w.Header().Set("X-Sum", fmt.Sprintf("%d/%s", len(b), r.Trailer.Get("X-Req")))
	}))
	out := ls.raw(t, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Req\r\nConnection: close\r\n\r\n"+
		"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Req: tv\r\n\r\n")
	rs := responses(t, out, "POST")
	r := rs[0]
	if len(r.TransferEncoding) == 0 || r.TransferEncoding[0] != "chunked" {
		t.Errorf("response not chunked: %v\n%s", r.TransferEncoding, out[:200])
	}
	if r.ContentLength != 9000 {
		t.Errorf("body %d bytes, want 9000", r.ContentLength)
	}
	if got := r.Trailer.Get("X-Sum"); got != "11/tv" {
		t.Errorf("trailer X-Sum = %q, want 11/tv", got)
	}
}

func TestExpectContinue(t *testing.T) {
	ls := serve(t, echoMux())
	c, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim: %q %v", line, err)
	}
	br.ReadString('\n')
	io.WriteString(c, "abc")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := bodyOf(resp); got != "abc" {
		t.Errorf("body %q", got)
	}
	// A handler that does not read the body: no 100, then the
	// connection closes after the answer (the client may not send it).
	out := ls.raw(t, "POST /hello/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	if strings.Contains(out, "100 Continue") || !strings.HasPrefix(out, "HTTP/1.1 405") || !strings.Contains(out, "Connection: close") {
		t.Errorf("unread expect body: %q", out)
	}
	out = ls.raw(t, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: something-else\r\n\r\nabc")
	if !strings.HasPrefix(out, "HTTP/1.1 417") {
		t.Errorf("unknown expectation: %q", out)
	}
}

// The malformed-request table: every request gets a 4xx/5xx answer and
// the connection closes (raw reads to EOF). Cases learnt from net/http's
// server tests and RFC 9112's smuggling section.
func TestMalformedRequests(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("handled"))
	}), func(s *web.Server) { s.MaxHeaderBytes = 1024 })
	big := strings.Repeat("a", 8000)
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"CL and TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE and CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\ncontent-length: 3\r\n\r\n0\r\n\r\n", 400},
		{"duplicate differing CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
		{"CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400},
		{"negative CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
		{"CL with sign", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400},
		{"TE not chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"TE twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
		{"bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk size overflow", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nx\r\n", 400},
		{"chunk without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400},
		{"obs-fold tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n", 400},
		{"bad request line", "GET /\r\nHost: x\r\n\r\n", 400},
		{"request line garbage", "\x16\x03\x01\x00\xa5\x01\x00\x00\r\n\r\n", 400},
		{"bad version", "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400},
		{"HTTP/2 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n", 400},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
		{"bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"control in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400},
		{"header too large", "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + big + "\r\n\r\n", 431},
		{"header too large, many fields", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: "+strings.Repeat("b", 90)+"\r\n", 80) + "\r\n", 431},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := ls.raw(t, tc.req)
			want := fmt.Sprintf("HTTP/1.1 %d ", tc.status)
			if !strings.HasPrefix(out, want) {
				t.Errorf("got %.80q, want %q", out, want)
			}
			if strings.Count(out, "HTTP/1.1 ") != 1 {
				t.Errorf("more than one response: %q", out)
			}
			if strings.Contains(out, "handled") {
				t.Errorf("the body after a malformed request was served: %q", out)
			}
		})
	}
	// The server goes on.
	out := ls.raw(t, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.HasSuffix(out, "handled") {
		t.Errorf("after the table: %q", out)
	}
}

// A pipelined request behind a smuggling-shaped one is never served.
func TestSmugglingDoesNotReachHandler(t *testing.T) {
	var paths []string
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		io.Copy(io.Discard, r.Body)
	}))
	ls.raw(t, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
	var got []string
	ls.do(func() { got = append(got, paths...) })
	if len(got) != 0 {
		t.Errorf("handler saw %v", got)
	}
}

func TestLargeHeaderWithinLimit(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, len(r.Header.Get("X-Big")))
	}))
	// Larger than the connection's 4 KiB reader: the header is gathered.
	v := strings.Repeat("v", 20000)
	out := ls.raw(t, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+v+"\r\nConnection: close\r\n\r\n")
	if rs := responses(t, out, "GET"); bodyOf(rs[0]) != "20000" {
		t.Errorf("got %q", out)
	}
}

func TestHandlerPanic(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("kaboom")
		}
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		w.Write([]byte("fine"))
	}))
	c := client(t)
	resp, err := c.Get(ls.url() + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 {
		t.Errorf("status %d", resp.StatusCode)
	}
	resp.Body.Close()
	if _, err := c.Get(ls.url() + "/abort"); err == nil {
		t.Errorf("ErrAbortHandler: the client got a response")
	}
	resp, err = c.Get(ls.url() + "/ok")
	if err != nil || bodyOf(resp) != "fine" {
		t.Fatalf("after the panic: %v", err)
	}
	resp.Body.Close()
	ex := ls.exceptionsSeen()
	if len(ex) != 1 {
		t.Fatalf("exceptions: %v", ex)
	}
	if !strings.Contains(ex[0].Message, "GET /boom HTTP/1.1") {
		t.Errorf("message %q lacks the request line", ex[0].Message)
	}
	if pe, ok := ex[0].Err.(*eventloop.PanicError); !ok || pe.Value != "kaboom" {
		t.Errorf("error %v", ex[0].Err)
	}
}

func TestFlusherAndHead(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "event %d\n", i)
			w.(http.Flusher).Flush()
			eventloop.Sleep(r.Context(), time.Millisecond)
		}
	}))
	c, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first event arrives before the handler is done.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if line != "event 0\n" || err != nil {
		t.Errorf("first event %q %v", line, err)
	}
	out := ls.raw(t, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if strings.Contains(out, "event 0") || !strings.HasPrefix(out, "HTTP/1.1 200") {
		t.Errorf("HEAD answered with a body: %q", out)
	}
}

func TestNoBodyStatuses(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		if _, err := w.Write([]byte("x")); err != http.ErrBodyNotAllowed {
			t.Errorf("Write after 204: %v", err)
		}
	}))
	out := ls.raw(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	rs := responses(t, out, "GET", "GET")
	for _, r := range rs {
		if r.StatusCode != 204 || r.Header.Get("Content-Length") != "" || len(r.TransferEncoding) > 0 {
			t.Errorf("204: %v %v", r.Header, r.TransferEncoding)
		}
	}
}

func TestHTTP10(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("b", 10000)))
			return
		}
		w.Write([]byte("ten"))
	}))
	out := ls.raw(t, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n")
	rs := responses(t, out, "GET", "GET")
	if rs[0].Header.Get("Connection") != "keep-alive" || bodyOf(rs[0]) != "ten" {
		t.Errorf("1.0 keep-alive: %v", rs[0].Header)
	}
	// Unknown length on 1.0: the body ends with the connection, and the
	// third request is never read.
	if rs[1].ContentLength != 10000 || len(rs[1].TransferEncoding) > 0 {
		t.Errorf("1.0 big: %d %v", rs[1].ContentLength, rs[1].TransferEncoding)
	}
}

func TestMaxBytesReader(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 10)
		_, err := io.ReadAll(r.Body)
		if _, ok := err.(*http.MaxBytesError); ok {
			http.Error(w, "too big", http.StatusRequestEntityTooLarge)
			return
		}
		w.Write([]byte("ok"))
	}))
	out := ls.raw(t, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n01234567890123456789POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab")
	rs := responses(t, out, "POST", "POST")
	if rs[0].StatusCode != 413 || rs[1].StatusCode != 200 {
		t.Errorf("statuses %d %d", rs[0].StatusCode, rs[1].StatusCode)
	}
}

func TestHijack(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		if _, err := w.Write([]byte("x")); err != web.ErrHijacked {
			t.Errorf("Write after Hijack: %v", err)
		}
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			io.WriteString(conn, strings.ToUpper(line))
		}
	}))
	c, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// "early" is pipelined with the request: it must come through the
	// hijacked reader.
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	io.WriteString(c, "late\n")
	for _, want := range []string{"EARLY\n", "LATE\n"} {
		if got, err := br.ReadString('\n'); got != want {
			t.Errorf("got %q %v, want %q", got, err, want)
		}
	}
}

func TestShutdownGraceful(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(1)
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started.Done()
			// Wait on the loop for the test's go-ahead, polled.
			for {
				select {
				case <-release:
					w.Write([]byte("slow done"))
					return
				default:
				}
				if err := eventloop.Sleep(r.Context(), time.Millisecond); err != nil {
					return
				}
			}
		}
		w.Write([]byte("fast"))
	}))
	c := client(t)
	// An idle keep-alive connection.
	resp, err := c.Get(ls.url() + "/fast")
	if err != nil {
		t.Fatal(err)
	}
	bodyOf(resp)
	resp.Body.Close()
	idle, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := c.Get(ls.url() + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		slow <- result{body: bodyOf(resp) + "|" + fmt.Sprint(resp.Close)}
	}()
	started.Wait()
	shut := make(chan error, 1)
	ls.loop.CallSoonThreadsafe(func() {
		eventloop.Spawn(ls.loop.Context(), func(ctx context.Context) (struct{}, error) {
			err := ls.srv.Shutdown(ctx)
			shut <- err
			return struct{}{}, nil
		})
	})
	// The idle connection is closed, new ones are refused.
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: %d %v, want EOF", n, err)
	}
	for i := 0; ; i++ {
		cc, err := net.Dial("tcp", ls.addr)
		if err != nil {
			break
		}
		cc.Close()
		if i > 100 {
			t.Fatal("still accepting after Shutdown")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	r := <-slow
	if r.err != nil || r.body != "slow done|true" {
		t.Errorf("in-flight request: %q %v", r.body, r.err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestUnixSocket(t *testing.T) {
	testkit.NeedUnixSockets(t)
	path := t.TempDir() + "/web.sock"
	ls := serveOn(t, "unix", path, echoMux())
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", path)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	resp, err := c.Get("http://unix/hello/sock")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := bodyOf(resp); got != "hello sock" {
		t.Errorf("got %q", got)
	}
	_ = ls
}

func TestListenErrors(t *testing.T) {
	onLoop(t, func(ctx context.Context) error {
		_, err := (&web.Server{}).Listen(ctx, "tcp", "127.0.0.1:0")
		if !errors.Is(err, web.ErrNilHandler) || err.Error() != "web: Listen: server has no Handler" {
			t.Errorf("no handler: %v", err)
		}
		s := &web.Server{Handler: http.NotFoundHandler()}
		s.Close()
		if _, err := s.Listen(ctx, "tcp", "127.0.0.1:0"); !errors.Is(err, web.ErrServerClosed) {
			t.Errorf("after Close: %v", err)
		}
		return nil
	})
}

// Two hundred requests in one write, mixed bodies: every answer comes
// back, in order, none lost or merged.
func TestPipelinedMany(t *testing.T) {
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if r.URL.Query().Get("big") != "" {
			w.Write([]byte(strings.Repeat("B", 5000))) // chunked
		}
		fmt.Fprintf(w, "%s:%s", r.URL.Path, b)
	}))
	var req strings.Builder
	var methods []string
	for i := range 200 {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&req, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
		case 1:
			fmt.Fprintf(&req, "POST /%d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", i)
		case 2:
			fmt.Fprintf(&req, "POST /%d?big=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n1\r\nz\r\n0\r\n\r\n", i)
		case 3:
			fmt.Fprintf(&req, "HEAD /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
		}
		methods = append(methods, []string{"GET", "POST", "POST", "HEAD"}[i%4])
	}
	req.WriteString("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	methods = append(methods, "GET")
	rs := responses(t, ls.raw(t, req.String()), methods...)
	for i, r := range rs[:200] {
		var want string
		switch i % 4 {
		case 0:
			want = fmt.Sprintf("/%d:", i)
		case 1:
			want = fmt.Sprintf("/%d:abc", i)
		case 2:
			want = strings.Repeat("B", 5000) + fmt.Sprintf("/%d:xyz", i)
		}
		if got := bodyOf(r); got != want {
			t.Fatalf("answer %d: %.60q, want %.60q", i, got, want)
		}
	}
}
