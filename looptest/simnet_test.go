package looptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
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
		for _, s := range []*eventloop.Server{srv, srv2} {
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
		var ne *eventloop.NetError
		if !errors.As(err, &ne) || ne.Op != "dial" {
			return fmt.Errorf("error %v is not a dial NetError", err)
		}
		if st := NetworkOf(ctx).Stats(); st.Refused != 1 {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	}, WithNetwork(DefaultLink(Link{Latency: time.Millisecond})))
}

var _ = task.Sleep
