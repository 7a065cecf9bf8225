package web_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// A client that goes away while the handler awaits cancels the handler's
// r.Context(), as net/http's server does; the connection is closed and
// the server shuts down with nothing left (serve's Shutdown check).
func TestClientDisconnectCancelsHandler(t *testing.T) {
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		ended <- eventloop.Sleep(r.Context(), time.Minute)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ls.url()+"/", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := client(t).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-started
	cancel() // net/http's client closes the connection
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("client Do = %v, want context.Canceled", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("handler's Sleep = %v, want ErrCancelled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's ctx was not cancelled after the client went away")
	}
}

// A request sent while the previous handler awaits (the watch takes its
// first byte) is answered whole and in order; a handler that parks and
// then hijacks gets the connection's bytes, the watch's byte among them.
func TestDisconnectWatchLosesNoByte(t *testing.T) {
	if testing.Short() {
		t.Skip("wall-clock sleeps")
	}
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := eventloop.Sleep(r.Context(), 50*time.Millisecond); err != nil {
			t.Errorf("Sleep: %v", err)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/hijack") {
			conn, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			line, err := brw.ReadString('\n')
			if err != nil {
				t.Errorf("hijacked read: %v", err)
			}
			brw.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + itoa(len(line)) + "\r\n\r\n" + line)
			brw.Flush()
			conn.Close()
			return
		}
		io.WriteString(w, "path "+r.URL.Path)
	}))
	c, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	for _, p := range []string{"/a", "/b", "/c"} {
		io.WriteString(c, "GET "+p+" HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	// The last request comes while /c's handler sleeps.
	time.Sleep(120 * time.Millisecond)
	io.WriteString(c, "GET /d HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, p := range []string{"/a", "/b", "/c", "/d"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response to %s: %v", p, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "path "+p {
			t.Errorf("response to %s = %q", p, b)
		}
	}
	hijacked(t, c, br, 20*time.Millisecond) // while the handler sleeps: the watch reads 'r'
	c2, err := net.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	hijacked(t, c2, bufio.NewReader(c2), 150*time.Millisecond) // after Hijack: the watch is stopped
}

// hijacked sends a request to a hijacking handler, then a raw line after
// delay, and checks that the handler read the line whole.
func hijacked(t *testing.T, c net.Conn, br *bufio.Reader, delay time.Duration) {
	t.Helper()
	io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(delay)
	io.WriteString(c, "raw line\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("hijacked response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "raw line\n" {
		t.Errorf("hijacked handler read %q, want %q", b, "raw line\n")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
