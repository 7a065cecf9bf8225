package streams_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/timer"
	"github.com/aio-go/aio/transport"
)

// sockPair connects a client and a server stream over real sockets: a
// server on network/address accepts one connection and stops listening.
func sockPair(network string, address func() string) pairFactory {
	return func(ctx context.Context, opts ...streams.Option) (client, server streams.Endpoint, err error) {
		var got *streams.Endpoint
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			got = &streams.Endpoint{Reader: r, Writer: w}
		}, network, address(), opts...)
		if err != nil {
			return client, server, err
		}
		defer srv.Close()
		addr := srv.Addrs()[0].String()
		r, w, err := streams.OpenConnection(ctx, network, addr, opts...)
		if err != nil {
			return client, server, err
		}
		for got == nil {
			if err := yield(ctx, 1); err != nil {
				return client, server, err
			}
		}
		return streams.Endpoint{Reader: r, Writer: w}, *got, nil
	}
}

func tcpPair() pairFactory { return sockPair("tcp", func() string { return "127.0.0.1:0" }) }

func unixPair(t *testing.T) pairFactory {
	dir := t.TempDir()
	n := 0
	return sockPair("unix", func() string {
		n++
		return filepath.Join(dir, "s"+string(rune('a'+n%26))+".sock")
	})
}

func tlsTCPPair() pairFactory {
	inner := tcpPair()
	return func(ctx context.Context, opts ...streams.Option) (streams.Endpoint, streams.Endpoint, error) {
		return inner(ctx, append(opts, streams.WithTLS(testTLS().both))...)
	}
}

func TestConformanceTCP(t *testing.T)    { skipWithoutPoller(t); runSuite(t, tcpPair()) }
func TestConformanceUnix(t *testing.T)   { skipWithoutPoller(t); runSuite(t, unixPair(t)) }
func TestConformanceTLSTCP(t *testing.T) { skipWithoutPoller(t); runSuite(t, tlsTCPPair()) }

// skipWithoutPoller skips a test of the OS network on a virtual clock
// where the loop has no readiness poller (Windows): there the OS network's
// I/O completes on goroutines, which a virtual clock cannot wait for, so
// the same cases run on a real clock (TestConformanceGoNetwork,
// TestConformanceGoNetworkTLS).
func skipWithoutPoller(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no readiness poller: the suite runs over GoNetwork on a real clock instead")
	}
}

// TestConformanceGoNetwork runs the suite over TCP through Go's net
// package (transport.GoNetwork: the OS network where the loop has no
// readiness poller, as on Windows), on a real clock: its I/O completes on
// goroutines the loop cannot poll, so a virtual clock would jump past
// reads still in flight.
func TestConformanceGoNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("real clock")
	}
	loopOpts = []eventloop.Option{eventloop.WithClock(timer.NewReal()), transport.WithNetwork(transport.GoNetwork{})}
	t.Cleanup(func() { loopOpts = nil })
	runSuite(t, tcpPair())
}

// TestConformanceGoNetworkTLS is TestConformanceGoNetwork with TLS.
func TestConformanceGoNetworkTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("real clock")
	}
	loopOpts = []eventloop.Option{eventloop.WithClock(timer.NewReal()), transport.WithNetwork(transport.GoNetwork{})}
	t.Cleanup(func() { loopOpts = nil })
	runSuite(t, tlsTCPPair())
}

func TestOpenConnectionTLSServerName(t *testing.T) {
	skipWithoutPoller(t)
	f := testTLS()
	run(t, func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			line, _ := r.ReadLine(ctx)
			w.Write(line)
			w.Close()
		}, "tcp", "127.0.0.1:0", streams.WithTLS(f.server))
		if err != nil {
			return err
		}
		defer srv.Close()
		_, port, _ := net.SplitHostPort(srv.Addrs()[0].String())
		// ServerName comes from the host: "localhost" matches the cert.
		r, w, err := streams.OpenConnection(ctx, "tcp", "localhost:"+port, streams.WithTLS(&tls.Config{RootCAs: f.pool}))
		if err != nil {
			return err
		}
		w.Write([]byte("ping\n"))
		b, err := r.Read(ctx, -1)
		noErr(t, err)
		want(t, "reply", string(b), "ping\n")
		w.Close()
		// An IP address is no name of the cert: verification fails.
		_, _, err = streams.OpenConnection(ctx, "tcp", "127.0.0.1:"+port, streams.WithTLS(&tls.Config{RootCAs: f.pool}))
		if err == nil {
			t.Error("TLS to 127.0.0.1 with a localhost cert succeeded")
		}
		if _, _, err := streams.OpenConnection(ctx, "tcp", "127.0.0.1:1"); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("connect to a closed port: %v", err)
		}
		return nil
	})
}

// TestOpenConnectionHappyEyeballs passes the happy eyeballs options
// through WithConnOptions: ":port" resolves to 127.0.0.1 then ::1, only ::1
// listens, so the refused first attempt starts the second at once (not an
// hour of loop time later).
func TestOpenConnectionHappyEyeballs(t *testing.T) {
	skipWithoutPoller(t) // racing addresses needs a Network that resolves (Resolver)
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	run(t, func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			w.Write([]byte("hi\n"))
			w.Close()
		}, "tcp", "[::1]:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		port := srv.Addrs()[0].(*net.TCPAddr).Port
		l := eventloop.LoopOf(ctx)
		start := l.Time()
		r, w, err := streams.OpenConnection(ctx, "tcp", fmt.Sprintf(":%d", port),
			streams.WithConnOptions(transport.WithHappyEyeballsDelay(time.Hour)))
		if err != nil {
			return err
		}
		defer w.Close()
		if waited := l.Time() - start; waited >= time.Hour {
			t.Errorf("connected after %v of loop time: the refused attempt did not start the next one", waited)
		}
		peer, _ := w.Transport().Extra(transport.ExtraPeerName)
		want(t, "peer", fmt.Sprint(peer), fmt.Sprintf("[::1]:%d", port))
		line, err := r.ReadLine(ctx)
		noErr(t, err)
		want(t, "line", string(line), "hi\n")
		return nil
	})
}
