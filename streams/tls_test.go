package streams_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
)

// startTLSBoth upgrades a plain pair: the server with scfg, the client
// with ccfg. It returns the client's and the server's errors.
func startTLSBoth(ctx context.Context, c, s streams.Endpoint, ccfg, scfg *tls.Config, opts ...streams.Option) (cerr, serr error) {
	srv := task.Go(ctx, func(ctx context.Context) error { return s.Writer.StartTLS(ctx, scfg, opts...) })
	cerr = c.Writer.StartTLS(ctx, ccfg, opts...)
	if cerr != nil {
		s.Writer.Transport().Abort()
	}
	serr = awaitTask(ctx, srv)
	return cerr, serr
}

func TestTLSHandshakeAndState(t *testing.T) {
	f := testTLS()
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		// Plain text first, then the upgrade (a STARTTLS exchange).
		c.Writer.Write([]byte("STARTTLS\n"))
		line, _ := s.Reader.ReadLine(ctx)
		want(t, "plain line", string(line), "STARTTLS\n")
		s.Writer.Write([]byte("GO\n"))
		line, _ = c.Reader.ReadLine(ctx)
		want(t, "plain reply", string(line), "GO\n")
		cerr, serr := startTLSBoth(ctx, c, s, f.client, f.server)
		noErr(t, cerr)
		noErr(t, serr)
		st, ok := c.Writer.Extra(transport.ExtraTLSState)
		if !ok || !st.(tls.ConnectionState).HandshakeComplete {
			t.Errorf("client TLS state: %v %v", st, ok)
		}
		cert, ok := c.Writer.Extra(transport.ExtraPeerCert)
		if !ok || cert.(*x509.Certificate).DNSNames[0] != "localhost" {
			t.Errorf("peer cert: %v %v", cert, ok)
		}
		if _, ok := c.Writer.Extra(transport.ExtraPeerName); !ok {
			t.Error("peername lost under TLS")
		}
		c.Writer.Write([]byte("secret\n"))
		line, err = s.Reader.ReadLine(ctx)
		noErr(t, err)
		want(t, "over TLS", string(line), "secret\n")
		// close_notify: the server reads a clean EOF.
		c.Writer.Close()
		if _, err := s.Reader.ReadLine(ctx); err != io.EOF {
			t.Errorf("after close_notify: %v, want io.EOF", err)
		}
		s.Writer.Close()
		noErr(t, c.Writer.WaitClosed(ctx))
		noErr(t, s.Writer.WaitClosed(ctx))
		return nil
	})
}

func TestTLSVerificationFails(t *testing.T) {
	f := testTLS()
	tests := []struct {
		name   string
		client *tls.Config
		want   string
	}{
		{"bad hostname", &tls.Config{RootCAs: f.pool, ServerName: "example.com"}, "certificate is valid for localhost"},
		{"untrusted", &tls.Config{ServerName: "localhost"}, "unknown authority"},
		{"no server name", &tls.Config{RootCAs: f.pool}, "ServerName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				c, s, err := streams.Pipe(ctx)
				if err != nil {
					return err
				}
				cerr, serr := startTLSBoth(ctx, c, s, tc.client, f.server)
				if cerr == nil || !strings.Contains(cerr.Error(), tc.want) {
					t.Errorf("client: %v, want an error about %q", cerr, tc.want)
				}
				if serr == nil {
					t.Error("server handshake succeeded")
				}
				// The client's connection is gone: reads fail.
				if _, err := c.Reader.Read(ctx, 1); err == nil {
					t.Error("read after a failed handshake succeeded")
				}
				return nil
			})
		})
	}
}

func TestTLSHandshakeTimeout(t *testing.T) {
	f := testTLS()
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		s.Writer.Transport().PauseReading() // the server never answers
		start := eventloop.LoopOf(ctx).Time()
		err = c.Writer.StartTLS(ctx, f.client, streams.WithHandshakeTimeout(5*time.Second))
		if !errors.Is(err, transport.ErrTLSHandshakeTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("StartTLS: %v, want a handshake timeout", err)
		}
		// The virtual clock tells when it gave up.
		want(t, "gave up after", eventloop.LoopOf(ctx).Time()-start, 5*time.Second)
		s.Writer.Transport().Abort()
		return nil
	})
}

func TestTLSTruncation(t *testing.T) {
	f := testTLS()
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		// Keep the server's raw transport: closing it under TLS is a FIN
		// without close_notify.
		raw := s.Writer.Transport()
		cerr, serr := startTLSBoth(ctx, c, s, f.client, f.server)
		noErr(t, cerr)
		noErr(t, serr)
		s.Writer.Write([]byte("partial data"))
		yield(ctx, 3)
		raw.Close()
		b, err := c.Reader.Read(ctx, -1)
		want(t, "data before the truncation", string(b), "partial data")
		if !errors.Is(err, transport.ErrTLSTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read after a FIN without close_notify: %v", err)
		}
		if err := c.Writer.WaitClosed(ctx); !errors.Is(err, transport.ErrTLSTruncated) {
			t.Errorf("WaitClosed: %v", err)
		}
		return nil
	})
}

func TestTLSFreshProtocolMade(t *testing.T) {
	f := testTLS()
	run(t, func(ctx context.Context) error {
		pc := streams.NewProtocol(ctx)
		ps := streams.NewProtocol(ctx, streams.AsServer())
		l := eventloop.LoopOf(ctx)
		ta, tb, err := transport.NewTransportPair(l, pc, ps)
		if err != nil {
			return err
		}
		yield(ctx, 1)
		srv := task.Go(ctx, func(ctx context.Context) error {
			_, err := transport.StartTLS(ctx, tb, ps, f.server, true)
			return err
		})
		// A fresh protocol on the client side: it is made with the TLS
		// transport once the handshake is done, and can write at once.
		app := &echoOnMade{}
		tt, err := transport.StartTLS(ctx, ta, app, f.client, false)
		noErr(t, err)
		noErr(t, awaitTask(ctx, srv))
		if app.t != tt {
			t.Error("ConnectionMade not called with the TLS transport")
		}
		line, err := ps.Reader().ReadLine(ctx)
		noErr(t, err)
		want(t, "early write", string(line), "early\n")
		tt.Abort()
		return nil
	})
}

type echoOnMade struct {
	transport.ProtocolBase
	t transport.Transport
}

func (p *echoOnMade) ConnectionMade(t transport.Transport) {
	p.t = t
	t.Write([]byte("early\n"))
}
