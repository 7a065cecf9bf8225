package streams_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// runReal runs main on a loop with the real clock: what goroutines that
// take real time (net/http's) need, since a virtual clock would jump its
// timers while they work.
func runReal(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	testkit.Run(t, main, eventloop.WithClock(nil))
}

// The view of the owner task used from another goroutine: Read and Write
// go through the loop, a deadline ends a Read with nothing consumed, and
// Close from a third goroutine ends a Read in progress.
func TestConnFromAnotherGoroutine(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		conn := streams.NewConn(ctx, c.Reader, c.Writer)
		peer := task.Go(ctx, func(ctx context.Context) error {
			buf := make([]byte, 4)
			if _, err := s.Reader.ReadInto(ctx, buf); err != nil {
				return err
			}
			if string(buf) != "ping" {
				return fmt.Errorf("peer got %q", buf)
			}
			return s.Writer.Write([]byte("pong"))
		})
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			if _, err := conn.Write([]byte("ping")); err != nil {
				return struct{}{}, err
			}
			buf := make([]byte, 4)
			if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "pong" {
				return struct{}{}, fmt.Errorf("read %q, %v", buf, err)
			}
			conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
				return struct{}{}, fmt.Errorf("Read past its deadline: %v", err)
			}
			conn.SetReadDeadline(time.Time{})
			// A Read in progress on this goroutine, Close from another.
			go func() { time.Sleep(10 * time.Millisecond); conn.Close() }()
			if _, err := conn.Read(buf); !errors.Is(err, net.ErrClosed) {
				return struct{}{}, fmt.Errorf("Read ended by Close: %v", err)
			}
			return struct{}{}, nil
		})
		if err != nil {
			t.Error(err)
		}
		noErr(t, c.Writer.WaitClosed(ctx))
		return awaitTask(ctx, peer)
	})
}

// The same view used by the owner task and by another goroutine at once,
// the goroutine reading while the task writes: the task's calls take the
// direct path, the goroutine's the loop path, and no byte is lost or
// reordered, whatever the task is doing when the goroutine calls.
func TestConnBothPathsAtOnce(t *testing.T) {
	const n = 2000
	runReal(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		conn := streams.NewConn(ctx, c.Reader, c.Writer)
		echo := task.Go(ctx, func(ctx context.Context) error {
			sc := streams.NewConn(ctx, s.Reader, s.Writer)
			_, err := io.Copy(sc, sc)
			sc.Close()
			return err
		})
		var want bytes.Buffer
		for i := range n {
			fmt.Fprintf(&want, "%d,", i)
		}
		got := make(chan []byte, 1)
		go func() {
			buf := make([]byte, want.Len())
			k, err := io.ReadFull(conn, buf)
			if err != nil {
				t.Errorf("goroutine read %d bytes: %v", k, err)
			}
			got <- buf[:k]
		}()
		for i := range n { // the owner writes meanwhile, yielding often
			if _, err := fmt.Fprintf(conn, "%d,", i); err != nil {
				return err
			}
		}
		b, _, err := task.Recv(ctx, got)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, want.Bytes()) {
			t.Errorf("echoed bytes differ: got %d bytes, want %d", len(b), want.Len())
		}
		conn.Close()
		return awaitTask(ctx, echo)
	})
}

// httpRoundTrips runs workers goroutines of each requests through c and
// checks every echoed body.
func httpRoundTrips(c *http.Client, url string, workers, each int) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf("worker %d request %d %s", w, i, strings.Repeat("x", i*37))
				resp, err := c.Post(url, "text/plain", strings.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(got) != "echo: "+body {
					errs <- fmt.Errorf("response %q, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return errors.Join(func() (all []error) {
		for err := range errs {
			all = append(all, err)
		}
		return all
	}()...)
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Write(append([]byte("echo: "), b...))
}

// net/http both ways over loop-driven sockets: an http.Server serving
// the Listener view, and an http.Client whose DialContext is the loop's
// Dialer, called from plain goroutines and from a task through ToThread,
// with many requests at once. Run under -race.
func TestNetHTTPOverLoop(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		ln, err := streams.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(echoHandler)}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		tr := &http.Transport{DialContext: (&streams.Dialer{Loop: eventloop.LoopOf(ctx)}).DialContext, MaxIdleConnsPerHost: 4}
		client := &http.Client{Transport: tr}
		url := "http://" + ln.Addr().String() + "/"
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			return struct{}{}, httpRoundTrips(client, url, 8, 25)
		})
		if err != nil {
			t.Errorf("from goroutines: %v", err)
		}
		// One request from the task, through ToThread.
		resp, err := task.ToThread(ctx, func(ctx context.Context) (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader("from a task"))
			return client.Do(req)
		})
		if err != nil {
			t.Errorf("from a task: %v", err)
		} else {
			b, _ := task.ToThread(ctx, func(context.Context) ([]byte, error) { defer resp.Body.Close(); return io.ReadAll(resp.Body) })
			want(t, "response to the task", string(b), "echo: from a task")
		}
		// Closing connections writes to them (a TLS close_notify): a
		// blocking call, so not on the loop.
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			tr.CloseIdleConnections()
			return struct{}{}, srv.Close()
		})
		noErr(t, err)
		if err, _, _ := task.Recv(ctx, served); !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve = %v", err)
		}
		return settle(ctx)
	})
}

// crypto/tls over the views, through net/http: the server behind
// tls.NewListener on the Listener view, the client's TLS over the
// Dialer's connections.
func TestNetHTTPTLSOverLoop(t *testing.T) {
	f := testTLS()
	runReal(t, func(ctx context.Context) error {
		ln, err := streams.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(echoHandler)}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(tls.NewListener(ln, f.server)) }()
		tr := &http.Transport{
			DialContext:     (&streams.Dialer{Loop: eventloop.LoopOf(ctx)}).DialContext,
			TLSClientConfig: f.client,
		}
		client := &http.Client{Transport: tr}
		url := "https://localhost:" + ln.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):] + "/"
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			return struct{}{}, httpRoundTrips(client, url, 4, 10)
		})
		if err != nil {
			t.Errorf("https: %v", err)
		}
		// Closing connections writes to them (a TLS close_notify): a
		// blocking call, so not on the loop.
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			tr.CloseIdleConnections()
			return struct{}{}, srv.Close()
		})
		noErr(t, err)
		if err, _, _ := task.Recv(ctx, served); !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve = %v", err)
		}
		return settle(ctx)
	})
}

// Accept from the owner task is an await; Close ends an Accept waiting on
// another goroutine.
func TestListenerAccept(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		ln, err := streams.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		d := &streams.Dialer{Loop: eventloop.LoopOf(ctx)}
		dialed := make(chan net.Conn, 1)
		go func() {
			c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				t.Error(err)
			}
			dialed <- c
		}()
		sc, err := ln.Accept() // the owner task: parks, the loop dials meanwhile
		if err != nil {
			return err
		}
		cc, _, _ := task.Recv(ctx, dialed)
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			if _, err := cc.Write([]byte("hi")); err != nil {
				return struct{}{}, err
			}
			buf := make([]byte, 2)
			_, err := io.ReadFull(sc, buf)
			if string(buf) != "hi" {
				err = errors.Join(err, fmt.Errorf("accepted side read %q", buf))
			}
			return struct{}{}, err
		})
		noErr(t, err)
		cc.Close()
		sc.Close()
		accepted := make(chan error, 1)
		go func() { _, err := ln.Accept(); accepted <- err }()
		if err := eventloop.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		ln.Close()
		if err, _, _ := task.Recv(ctx, accepted); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept ended by Close = %v", err)
		}
		return nil
	})
}

// A dial whose ctx ends first returns ctx's error and leaves nothing open.
func TestDialerCancelled(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		d := &streams.Dialer{Loop: eventloop.LoopOf(ctx)}
		_, err := task.ToThread(ctx, func(context.Context) (net.Conn, error) {
			dctx, cancel := context.WithCancel(context.Background())
			cancel()
			return d.DialContext(dctx, "tcp", "127.0.0.1:1")
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled dial = %v", err)
		}
		return nil
	})
}

// A view read from a task that is not its owner fails with
// ErrBlocksLoop instead of waiting for the loop it blocks.
func TestConnFromAnotherTaskFails(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		c, _, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		conn := streams.NewConn(ctx, c.Reader, c.Writer)
		other := task.Go(ctx, func(ctx context.Context) error {
			_, err := conn.Read(make([]byte, 1))
			if !errors.Is(err, streams.ErrBlocksLoop) {
				t.Errorf("Read from another task = %v, want ErrBlocksLoop", err)
			}
			return nil
		})
		err = awaitTask(ctx, other)
		conn.Close()
		return err
	})
}

// syncBuffer is a log sink goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The mistake the bridge cannot refuse: http.Client.Do called directly in
// a task. net/http dials on a goroutine of its own and the task blocks in
// net/http's select, so the loop that should make the connection is
// blocked. Debug mode's watchdog reports it while it blocks, naming
// net/http's call; the test then cancels the request to unblock it.
func TestBlockingLibraryInTaskIsReported(t *testing.T) {
	if testing.Short() {
		t.Skip("wall clock: a real block of the loop")
	}
	var logs syncBuffer
	rctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if strings.Contains(logs.String(), "loop blocked") {
				break
			}
		}
		cancel()
	}()
	testkit.Run(t, func(ctx context.Context) error {
		tr := &http.Transport{DialContext: (&streams.Dialer{Loop: eventloop.LoopOf(ctx)}).DialContext}
		req, _ := http.NewRequestWithContext(rctx, "GET", "http://127.0.0.1:1/", nil)
		_, err := (&http.Client{Transport: tr}).Do(req) // wrong: blocks the loop
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Do = %v, want the cancellation", err)
		}
		// Let the dial posted meanwhile run and end.
		if err := eventloop.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
		tr.CloseIdleConnections()
		return nil
	}, eventloop.WithClock(nil), eventloop.WithDebug(true), eventloop.WithSlowCallbackDuration(20*time.Millisecond),
		eventloop.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	out := logs.String()
	if !strings.Contains(out, "loop blocked") || !strings.Contains(out, "in net/http.") {
		t.Errorf("no report naming net/http's blocking call:\n%s", out)
	}
}

// settle lets the closes that net/http's goroutines posted finish on the
// loop (a transport closes over a few iterations) before the test's loop
// is closed and checked for live resources.
func settle(ctx context.Context) error { return eventloop.Sleep(ctx, 100*time.Millisecond) }
