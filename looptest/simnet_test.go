package looptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
)

// echoHandler answers every line with "echo: <line>" until EOF.
func echoHandler(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
	defer w.Close()
	for {
		line, err := r.ReadLine(ctx)
		if err != nil || len(line) == 0 {
			return
		}
		w.Write(append([]byte("echo: "), line...))
		if w.Drain(ctx) != nil {
			return
		}
	}
}

// roundTrip sends line on a fresh connection to addr and returns the reply.
func roundTrip(ctx context.Context, addr, line string) (string, error) {
	r, w, err := streams.OpenConnection(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer w.Close()
	w.Write([]byte(line + "\n"))
	if err := w.Drain(ctx); err != nil {
		return "", err
	}
	reply, err := r.ReadLine(ctx)
	return string(bytes.TrimSpace(reply)), err
}

func TestSimNetEchoOverStreams(t *testing.T) {
	lat := 20 * time.Millisecond
	res := Run(t, func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, echoHandler, "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer srv.Close()
		start := Loop(ctx).Time()
		got, err := roundTrip(ctx, "db:5432", "hello")
		if err != nil {
			return err
		}
		if got != "echo: hello" {
			return fmt.Errorf("reply %q", got)
		}
		// Handshake (a round trip) and the request and its reply (another).
		if el := Loop(ctx).Time() - start; el < 4*lat {
			return fmt.Errorf("round trip took %v of loop time, want at least %v", el, 4*lat)
		}
		// The ephemeral port 0 and the wildcard host.
		srv2, err := streams.StartServer(ctx, echoHandler, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv2.Close()
		addr := srv2.Addrs()[0].String()
		if got, err := roundTrip(ctx, addr, "two"); err != nil || got != "echo: two" {
			return fmt.Errorf("port 0 server at %s: %q, %v", addr, got, err)
		}
		for _, s := range []*transport.Server{srv, srv2} {
			s.Close()
			if err := s.WaitClosed(ctx); err != nil { // no clients left: Detached ran
				return err
			}
		}
		if st := srv.Stats(); st.Clients != 0 || st.Accept.Accepted != 1 {
			return fmt.Errorf("server stats %+v", st)
		}
		return nil
	}, WithNetwork(DefaultLink(Link{Latency: lat})), KeepTrace())
	logNet(t, res)
}

func logNet(t *testing.T, res Result) {
	t.Helper()
	n := 0
	for _, line := range res.Trace {
		if bytes.Contains([]byte(line), []byte(" net ")) {
			if n < 20 {
				t.Log(line)
			}
			n++
		}
	}
	if len(res.Trace) > 0 && n == 0 {
		t.Errorf("no network events in the trace")
	}
}

func TestSimNetRefused(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		_, _, err := streams.OpenConnection(ctx, "tcp", "10.0.0.1:80")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("dial with no listener: %v, want ECONNREFUSED", err)
		}
		var ne *transport.NetError
		if !errors.As(err, &ne) || ne.Op != "dial" {
			return fmt.Errorf("error %v is not a dial NetError", err)
		}
		if st := NetworkOf(ctx).Stats(); st.Refused != 1 {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	}, WithNetwork(DefaultLink(Link{Latency: time.Millisecond})))
}

var _ = eventloop.Sleep

// sink is a server handler that reads until EOF or an error and reports
// what it got.
func sink(got *eventloop.Future[error], n *int) func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
	return func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
		defer w.Close()
		for {
			b, err := r.Read(ctx, 64*1024)
			*n += len(b)
			if err != nil || len(b) == 0 {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				got.SetResult(err)
				return
			}
		}
	}
}

func TestSimNetResetMidStream(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		n := NetworkOf(ctx)
		got := eventloop.NewFuture[error](Loop(ctx))
		var received int
		srv, err := streams.StartServer(ctx, sink(got, &received), "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer srv.Close()
		cctx := OnHost(ctx, "app")
		_, w, err := streams.OpenConnection(cctx, "tcp", "db:5432")
		if err != nil {
			return err
		}
		// 1 MB over a 100 kB/s link takes 10 s: reset after 2 s.
		task.Go(ctx, func(ctx context.Context) error {
			if err := eventloop.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			if k := n.Reset("db", "app"); k != 1 {
				return fmt.Errorf("Reset reset %d connections, want 1", k)
			}
			return nil
		})
		var derr error
		for i := 0; i < 100 && derr == nil; i++ {
			w.Write(make([]byte, 10_000))
			derr = w.Drain(cctx)
		}
		if !errors.Is(derr, syscall.ECONNRESET) {
			return fmt.Errorf("Drain after the reset: %v, want ECONNRESET", derr)
		}
		if err, _ := eventloop.Await(ctx, got); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("server read after the reset: %v, want ECONNRESET", err)
		}
		if received == 0 || received >= 1_000_000 {
			return fmt.Errorf("server received %d bytes before the reset", received)
		}
		if st := n.Stats(); st.Resets != 1 {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	}, WithNetwork(DefaultLink(Link{Latency: 5 * time.Millisecond, Bandwidth: 100_000})))
}

func TestSimNetBandwidth(t *testing.T) {
	const size, bw, lat = 1_000_000, 100_000, 10 * time.Millisecond
	Run(t, func(ctx context.Context) error {
		got := eventloop.NewFuture[error](Loop(ctx))
		var received int
		srv, err := streams.StartServer(ctx, sink(got, &received), "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer srv.Close()
		_, w, err := streams.OpenConnection(ctx, "tcp", "db:5432")
		if err != nil {
			return err
		}
		l := Loop(ctx)
		start := l.Time()
		for i := 0; i < size/10_000; i++ {
			w.Write(make([]byte, 10_000))
			if err := w.Drain(ctx); err != nil {
				return err
			}
		}
		w.Close()
		if err, _ := eventloop.Await(ctx, got); err != nil {
			return fmt.Errorf("server read: %v", err)
		}
		el := l.Time() - start
		// The last byte leaves 10 s after the first and lands one latency
		// later, the EOF with it.
		want := time.Duration(size/bw)*time.Second + lat
		if el < want || el > want+3*lat {
			return fmt.Errorf("1 MB at 100 kB/s took %v of loop time, want %v to %v", el, want, want+3*lat)
		}
		if received != size {
			return fmt.Errorf("server received %d bytes", received)
		}
		return nil
	}, WithNetwork(DefaultLink(Link{Latency: lat, Bandwidth: bw})))
}

func TestSimNetPartitionHeal(t *testing.T) {
	const lat = 10 * time.Millisecond
	Run(t, func(ctx context.Context) error {
		n := NetworkOf(ctx)
		l := Loop(ctx)
		srv, err := streams.StartServer(ctx, echoHandler, "tcp", "db:5432")
		if err != nil {
			return err
		}
		cctx := OnHost(ctx, "app")
		r, w, err := streams.OpenConnection(cctx, "tcp", "db:5432")
		if err != nil {
			return err
		}
		n.Partition([]string{"app"}, []string{"db", "cache"})
		if !n.Partitioned("db", "app") || n.Partitioned("app", "other") {
			return errors.New("Partitioned disagrees with Partition")
		}
		task.Go(ctx, func(ctx context.Context) error {
			err := eventloop.Sleep(ctx, time.Minute)
			n.Heal()
			return err
		})
		// The request is held for the minute of the partition, then
		// arrives; the reply takes one more latency.
		w.Write([]byte("ping\n"))
		line, err := r.ReadLine(cctx)
		if err != nil || string(line) != "echo: ping\n" {
			return fmt.Errorf("reply after heal: %q, %v", line, err)
		}
		if now := l.Time(); now < time.Minute+2*lat || now > time.Minute+4*lat {
			return fmt.Errorf("reply at %v, want just after the heal at 1m", now)
		}
		if st := n.Stats(); st.Held == 0 {
			return fmt.Errorf("nothing was held: %+v", st)
		}

		// A dial across a partition waits for the heal...
		n.Partition([]string{"app"}, []string{"db"})
		healAt := l.Time() + 30*time.Second
		l.CallAt(healAt, n.Heal)
		_, w2, err := streams.OpenConnection(cctx, "tcp", "db:5432")
		if err != nil {
			return fmt.Errorf("dial across a partition that heals: %v", err)
		}
		w2.Close()
		if l.Time() < healAt {
			return fmt.Errorf("dial across a partition returned at %v, before the heal at %v", l.Time(), healAt)
		}
		// ...up to the connect timeout.
		n.Partition([]string{"app"}, []string{"db"})
		_, _, err = streams.OpenConnection(cctx, "tcp", "db:5432")
		if !errors.Is(err, syscall.ETIMEDOUT) {
			return fmt.Errorf("dial across a partition: %v, want ETIMEDOUT", err)
		}
		n.Heal()
		w.Close()
		srv.Close()
		return srv.WaitClosed(ctx)
	}, WithNetwork(DefaultLink(Link{Latency: lat})))
}

func TestSimNetStallTimeout(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		n := NetworkOf(ctx)
		srv, err := streams.StartServer(ctx, echoHandler, "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer srv.Close()
		r, w, err := streams.OpenConnection(OnHost(ctx, "app"), "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer w.Close()
		n.Partition([]string{"app"}, []string{"db"})
		defer n.Heal()
		w.Write([]byte("ping\n"))
		_, err = r.ReadLine(ctx)
		if !errors.Is(err, syscall.ETIMEDOUT) {
			return fmt.Errorf("read across a partition longer than StallTimeout: %v, want ETIMEDOUT", err)
		}
		if now := Loop(ctx).Time(); now < 15*time.Minute {
			return fmt.Errorf("broken at %v, before the stall timeout", now)
		}
		return WaitIdle(ctx)
	}, WithNetwork(StallTimeout(15*time.Minute), DefaultLink(Link{Latency: time.Millisecond})))
}

func TestSimNetUnixAndErrors(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, echoHandler, "unix", "/run/app.sock")
		if err != nil {
			return err
		}
		defer srv.Close()
		r, w, err := streams.OpenConnection(ctx, "unix", "/run/app.sock")
		if err != nil {
			return err
		}
		w.Write([]byte("hi\n"))
		line, err := r.ReadLine(ctx)
		w.Close()
		if string(line) != "echo: hi\n" {
			return fmt.Errorf("unix echo: %q, %v", line, err)
		}
		if _, err := streams.StartServer(ctx, echoHandler, "unix", "/run/app.sock"); !errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("second listener on one path: %v, want EADDRINUSE", err)
		}
		for _, tc := range []struct{ network, addr string }{
			{"udp", "db:53"}, {"tcp", "no-port"}, {"tcp", "db:99999"}, {"unix", ""},
		} {
			if _, _, err := streams.OpenConnection(ctx, tc.network, tc.addr); err == nil {
				return fmt.Errorf("dial %s %q succeeded", tc.network, tc.addr)
			}
		}
		return WaitIdle(ctx)
	}, WithNetwork())
}

// buggyFanOut asks two replicas the same question over two connections
// and "knows" that the first reply comes from the primary, because it
// asked the primary first: an ordering assumption that only holds while
// the network delivers in sending order across connections, which it
// does not (jitter).
func buggyFanOut(ctx context.Context) error {
	for _, addr := range []string{"primary:7", "replica:7"} {
		name := strings.Split(addr, ":")[0]
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			defer w.Close()
			if _, err := r.ReadLine(ctx); err == nil {
				w.Write([]byte(name + "\n"))
			}
		}, "tcp", addr)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	var order []string
	var readers []eventloop.Waitable
	var rs []*streams.StreamReader
	var ws []*streams.StreamWriter
	for _, addr := range []string{"primary:7", "replica:7"} {
		r, w, err := streams.OpenConnection(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer w.Close()
		rs, ws = append(rs, r), append(ws, w)
	}
	for i, w := range ws {
		r := rs[i]
		w.Write([]byte("get x\n"))
		readers = append(readers, task.Go(ctx, func(ctx context.Context) error {
			line, err := r.ReadLine(ctx)
			order = append(order, strings.TrimSpace(string(line)))
			return err
		}))
	}
	if _, _, err := task.Wait(ctx, readers, task.AllCompleted, task.NoTimeout); err != nil {
		return err
	}
	if order[0] != "primary" { // the planted bug
		return fmt.Errorf("first reply came from %s, not the primary", order[0])
	}
	return nil
}

func TestSimNetFindsOrderingBug(t *testing.T) {
	jittery := WithNetwork(DefaultLink(Link{Latency: 5 * time.Millisecond, Jitter: 10 * time.Millisecond}))
	// The ordinary test, FIFO and without jitter, passes: the bug hides...
	calm := &Recorder{TestName: t.Name()}
	calm.Do(func() { Run(calm, buggyFanOut, WithNetwork(DefaultLink(Link{Latency: 5 * time.Millisecond}))) })
	if calm.Failed() {
		t.Fatalf("the bug showed without jitter:\n%s", calm.Output())
	}
	// ...with it, some seed finds it.
	rec := &Recorder{TestName: t.Name()}
	var results []Result
	rec.Do(func() { results = Seeds(rec, 50, buggyFanOut, jittery) })
	if !rec.Failed() {
		t.Fatal("no seed of 50 found the ordering bug")
	}
	var bad *Result
	for i := range results {
		if results[i].Failed {
			bad = &results[i]
			break
		}
	}
	t.Logf("seed %d finds it (%d of 50 seeds do); report:\n%s", bad.Seed, countFailed(results), firstLines(rec.Output(), 3))
	// Rerunning that seed alone reproduces the failure, trace and all.
	again := &Recorder{TestName: t.Name()}
	var res Result
	again.Do(func() { res = Run(again, buggyFanOut, jittery, Seed(bad.Seed)) })
	if !again.Failed() || res.Digest != bad.Digest {
		t.Errorf("rerun of seed %d: failed %v, digest %s, want a failure with digest %s", bad.Seed, again.Failed(), res.Digest, bad.Digest)
	}
	if !strings.Contains(again.Output(), "not the primary") {
		t.Errorf("rerun failed differently:\n%s", again.Output())
	}
}

func countFailed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Failed {
			n++
		}
	}
	return n
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func TestSimNetDialWaitsForAccept(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		l := Loop(ctx)
		srv, err := streams.StartServer(ctx, echoHandler, "tcp", ":80",
			streams.WithServerOptions(transport.WithStartServing(false)))
		if err != nil {
			return err
		}
		l.CallLater(10*time.Second, func() { srv.StartServing() })
		got, err := roundTrip(ctx, "web:80", "hi") // the wildcard listener takes any host
		if err != nil || got != "echo: hi" {
			return fmt.Errorf("round trip: %q, %v", got, err)
		}
		if l.Time() < 10*time.Second {
			return fmt.Errorf("connected at %v, before the server accepted", l.Time())
		}
		srv.Close()
		return srv.WaitClosed(ctx)
	}, WithNetwork())
}
