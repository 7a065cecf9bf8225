package streams_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
)

// The stream conformance suite (docs/design.md, Habits: one suite per seam, run against
// every implementation). A pairFactory connects a client and a server
// stream; the suite runs the same cases over each kind of connection.

// maxTransportRead bounds what one DataReceived brings (the socket
// transports' read buffer, the TLS engine's plaintext buffer).
const maxTransportRead = 256 << 10

type pairFactory func(ctx context.Context, opts ...streams.Option) (client, server streams.Endpoint, err error)

func memPair(ctx context.Context, opts ...streams.Option) (streams.Endpoint, streams.Endpoint, error) {
	return streams.Pipe(ctx, opts...)
}

func tlsMemPair(ctx context.Context, opts ...streams.Option) (streams.Endpoint, streams.Endpoint, error) {
	return streams.Pipe(ctx, append(opts, streams.WithTLS(testTLS().both))...)
}

func TestConformanceMem(t *testing.T)    { runSuite(t, memPair) }
func TestConformanceTLSMem(t *testing.T) { runSuite(t, tlsMemPair) }

func runSuite(t *testing.T, mk pairFactory) {
	cases := []struct {
		name string
		fn   func(t *testing.T, mk pairFactory)
	}{
		{"Echo", suiteEcho},
		{"LargeTransfer", suiteLargeTransfer},
		{"HalfClose", suiteHalfClose},
		{"ReadFraming", suiteReadFraming},
		{"CancelledReadLosesNothing", suiteCancelledRead},
		{"DrainBlocksAtHighWater", suiteDrainBlocks},
		{"DrainFailsAfterReset", suiteDrainReset},
		{"HugeLineOverrunsLimit", suiteHugeLine},
		{"CloseWaitClosed", suiteClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, mk) })
	}
}

// connect runs body with a fresh pair on a virtual-clock loop.
func connect(t *testing.T, mk pairFactory, opts []streams.Option, body func(ctx context.Context, c, s streams.Endpoint) error) {
	t.Helper()
	run(t, func(ctx context.Context) error {
		c, s, err := mk(ctx, opts...)
		if err != nil {
			return err
		}
		defer c.Writer.Transport().Abort()
		defer s.Writer.Transport().Abort()
		return body(ctx, c, s)
	})
}

func suiteEcho(t *testing.T, mk pairFactory) {
	connect(t, mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		srv := task.Go(ctx, func(ctx context.Context) error {
			for {
				line, err := s.Reader.ReadLine(ctx)
				if err == io.EOF {
					return s.Writer.Close()
				}
				if err != nil {
					return err
				}
				s.Writer.Write(bytes.ToUpper(line))
				if err := s.Writer.Drain(ctx); err != nil {
					return err
				}
			}
		})
		for _, msg := range []string{"hello\n", "world\n"} {
			c.Writer.Write([]byte(msg))
			got, err := c.Reader.ReadLine(ctx)
			noErr(t, err)
			want(t, "echo", string(got), string(bytes.ToUpper([]byte(msg))))
		}
		noErr(t, c.Writer.WriteEOF())
		if _, err := c.Reader.ReadLine(ctx); err != io.EOF {
			t.Errorf("after server close: %v", err)
		}
		return awaitTask(ctx, srv)
	})
}

// pattern is the i-th byte of a test stream.
func pattern(seed byte, off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		x := off + i
		b[i] = byte(x) ^ byte(x>>8) ^ seed
	}
	return b
}

func sendAll(ctx context.Context, w *streams.StreamWriter, seed byte, total, chunk int) error {
	for off := 0; off < total; off += chunk {
		n := min(chunk, total-off)
		if err := w.Write(pattern(seed, off, n)); err != nil {
			return err
		}
		if err := w.Drain(ctx); err != nil {
			return err
		}
	}
	return w.WriteEOF()
}

// recvAll reads with Read, or with ReadInto into one reused buffer when
// into is set, and checks every byte.
func recvAll(ctx context.Context, t *testing.T, r *streams.StreamReader, seed byte, total int, into bool) error {
	got := 0
	buf := make([]byte, 50_000)
	for {
		var b []byte
		var err error
		if into {
			var n int
			n, err = r.ReadInto(ctx, buf)
			b = buf[:n]
		} else {
			b, err = r.Read(ctx, 50_000)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(b, pattern(seed, got, len(b))) {
			t.Errorf("bytes differ at offset %d", got)
			return nil
		}
		got += len(b)
	}
	want(t, "bytes received", got, total)
	return nil
}

func suiteLargeTransfer(t *testing.T, mk pairFactory) {
	const total = 3 << 20
	connect(t, mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		if !c.Writer.CanWriteEOF() {
			t.Skip("transport cannot half-close")
		}
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error { return sendAll(ctx, c.Writer, 1, total, 100_000) })
			g.Go(func(ctx context.Context) error { return sendAll(ctx, s.Writer, 2, total, 70_000) })
			g.Go(func(ctx context.Context) error { return recvAll(ctx, t, s.Reader, 1, total, false) })
			g.Go(func(ctx context.Context) error { return recvAll(ctx, t, c.Reader, 2, total, true) })
			return nil
		})
	})
}

func suiteHalfClose(t *testing.T, mk pairFactory) {
	connect(t, mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		if !c.Writer.CanWriteEOF() {
			t.Skip("transport cannot half-close")
		}
		// Client to server first, then the other way round.
		c.Writer.Write([]byte("request"))
		noErr(t, c.Writer.WriteEOF())
		if err := c.Writer.Write([]byte("x")); !errors.Is(err, transport.ErrEOFWritten) {
			t.Errorf("Write after WriteEOF: %v", err)
		}
		req, err := s.Reader.Read(ctx, -1)
		noErr(t, err)
		want(t, "request", string(req), "request")
		want(t, "server AtEOF", s.Reader.AtEOF(), true)
		s.Writer.Write([]byte("response"))
		noErr(t, s.Writer.WriteEOF())
		resp, err := c.Reader.Read(ctx, -1)
		noErr(t, err)
		want(t, "response", string(resp), "response")
		c.Writer.Close()
		s.Writer.Close()
		noErr(t, c.Writer.WaitClosed(ctx))
		noErr(t, s.Writer.WaitClosed(ctx))
		return nil
	})
}

func suiteReadFraming(t *testing.T, mk pairFactory) {
	connect(t, mk, []streams.Option{streams.WithLimit(16)}, func(ctx context.Context, c, s streams.Endpoint) error {
		s.Writer.Write([]byte("line one\n"))
		s.Writer.Write([]byte("a-b-c--"))
		s.Writer.Write([]byte("0123456789abcdefghij\n")) // longer than the limit
		s.Writer.Write([]byte("tail"))
		s.Writer.Close()
		r := c.Reader
		line, err := r.ReadLine(ctx)
		noErr(t, err)
		want(t, "ReadLine", string(line), "line one\n")
		part, err := r.ReadUntil(ctx, []byte("--"))
		noErr(t, err)
		want(t, "ReadUntil", string(part), "a-b-c--")
		_, err = r.ReadLine(ctx)
		var lo *streams.LimitOverrunError
		if !errors.As(err, &lo) {
			t.Fatalf("long line: %v", err)
		}
		// The line is still there; skip it.
		skip, err := r.ReadExactly(ctx, 21)
		noErr(t, err)
		want(t, "skipped line", string(skip), "0123456789abcdefghij\n")
		_, err = r.ReadExactly(ctx, 10)
		var ie *streams.IncompleteReadError
		if !errors.As(err, &ie) {
			t.Fatalf("ReadExactly past EOF: %v", err)
		}
		want(t, "partial", string(ie.Partial), "tail")
		return nil
	})
}

func suiteCancelledRead(t *testing.T, mk pairFactory) {
	connect(t, mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		const msg = "the quick brown fox\n"
		sender := task.Go(ctx, func(ctx context.Context) error {
			for i := range len(msg) {
				s.Writer.Write([]byte{msg[i]})
				if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
			return nil
		})
		// Every read times out after less than a byte's interval; in the
		// end the whole line is there.
		timeouts := 0
		for {
			var line []byte
			err := task.Timeout(ctx, 700*time.Microsecond, func(ctx context.Context) error {
				var err error
				line, err = c.Reader.ReadLine(ctx)
				return err
			})
			if err == nil {
				want(t, "line", string(line), msg)
				break
			}
			if !errors.Is(err, eventloop.ErrTimeout) {
				return err
			}
			timeouts++
		}
		if timeouts < len(msg)-1 {
			t.Errorf("only %d reads timed out", timeouts)
		}
		return awaitTask(ctx, sender)
	})
}

func suiteDrainBlocks(t *testing.T, mk pairFactory) {
	const limit = 16 << 10
	connect(t, mk, []streams.Option{streams.WithLimit(limit)}, func(ctx context.Context, c, s streams.Endpoint) error {
		// The server never reads. The client writes until Drain blocks.
		chunk := make([]byte, 8<<10)
		written := 0
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			for {
				if err := c.Writer.Write(chunk); err != nil {
					return err
				}
				written += len(chunk)
				if err := c.Writer.Drain(ctx); err != nil {
					return err
				}
			}
		})
		if !errors.Is(err, eventloop.ErrTimeout) {
			t.Fatalf("Drain: %v, want a timeout", err)
		}
		_, high := c.Writer.Transport().WriteBufferLimits()
		st := s.Reader.Stats()
		if !st.Paused {
			t.Error("the server reader did not pause its transport")
		}
		// The reader stops its transport above 2*limit; one read of the
		// transport (up to its read buffer) may come on top.
		if st.MaxBuffered > 2*limit+maxTransportRead+high {
			t.Errorf("server buffered %d bytes with limit %d", st.MaxBuffered, limit)
		}
		// Kernel socket buffers take their share too (a few MiB on
		// loopback); what matters is that Drain blocked at all.
		if written > 64<<20 {
			t.Errorf("wrote %d bytes before Drain blocked", written)
		}
		// Now the server reads everything: the client can finish.
		go2 := task.Go(ctx, func(ctx context.Context) error { return recvCount(ctx, s.Reader, written) })
		noErr(t, c.Writer.Drain(ctx))
		c.Writer.Close()
		return awaitTask(ctx, go2)
	})
}

func recvCount(ctx context.Context, r *streams.StreamReader, n int) error {
	_, err := r.ReadExactly(ctx, n)
	return err
}

func suiteDrainReset(t *testing.T, mk pairFactory) {
	connect(t, mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		s.Writer.Transport().PauseReading() // the server does not read
		yield(ctx, 1)
		big := make([]byte, 64<<20) // more than kernel buffers take
		c.Writer.Write(big)
		drain := task.Go(ctx, func(ctx context.Context) error { return c.Writer.Drain(ctx) })
		yield(ctx, 2)
		if drain.Done() {
			t.Fatalf("Drain did not wait: %v", drain.Err())
		}
		s.Writer.Transport().Abort()
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error { return awaitTask(ctx, drain) })
		if !errors.Is(err, streams.ErrConnectionLost) || !isReset(err) {
			t.Errorf("Drain after peer reset: %v", err)
		}
		if err := c.Writer.Drain(ctx); !errors.Is(err, streams.ErrConnectionLost) {
			t.Errorf("Drain again: %v", err)
		}
		if err := c.Writer.WaitClosed(ctx); !isReset(err) {
			t.Errorf("WaitClosed: %v", err)
		}
		return nil
	})
}

func suiteHugeLine(t *testing.T, mk pairFactory) {
	const limit = 64 << 10
	connect(t, mk, []streams.Option{streams.WithLimit(limit)}, func(ctx context.Context, c, s streams.Endpoint) error {
		sent := 0
		sender := task.Go(ctx, func(ctx context.Context) error {
			chunk := bytes.Repeat([]byte{'x'}, 64<<10)
			for sent < 1<<30 {
				if err := c.Writer.Write(chunk); err != nil {
					return nil
				}
				sent += len(chunk)
				if err := c.Writer.Drain(ctx); err != nil {
					return nil // the server gave up
				}
			}
			t.Error("sent a whole GiB: flow control did not stop the sender")
			return nil
		})
		_, err := s.Reader.ReadLine(ctx)
		if !errors.Is(err, streams.ErrLimitOverrun) {
			t.Errorf("ReadLine of a huge line: %v", err)
		}
		// Hold on a while: the sender must stay blocked.
		eventloop.Sleep(ctx, time.Second)
		st := s.Reader.Stats()
		if st.MaxBuffered > 2*limit+maxTransportRead+64<<10 {
			t.Errorf("buffered up to %d bytes with limit %d", st.MaxBuffered, limit)
		}
		if sent > 64<<20 {
			t.Errorf("sender got %d bytes out while the reader was stuck", sent)
		}
		s.Writer.Transport().Abort()
		return awaitTask(ctx, sender)
	})
}

func suiteClose(t *testing.T, mk pairFactory) {
	connect(t, mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		c.Writer.Write([]byte("bye"))
		noErr(t, c.Writer.Close())
		want(t, "IsClosing", c.Writer.IsClosing(), true)
		if err := c.Writer.Write([]byte("x")); !errors.Is(err, streams.ErrClosed) {
			t.Errorf("Write after Close: %v", err)
		}
		if err := c.Writer.Drain(ctx); !errors.Is(err, streams.ErrClosed) {
			t.Errorf("Drain after Close: %v", err)
		}
		b, err := s.Reader.Read(ctx, -1)
		noErr(t, err)
		want(t, "server got", string(b), "bye")
		noErr(t, s.Writer.Close())
		noErr(t, c.Writer.WaitClosed(ctx))
		noErr(t, s.Writer.WaitClosed(ctx))
		noErr(t, c.Writer.Close()) // idempotent
		return nil
	})
}

// Test certificates, made once: a self-signed ECDSA certificate for
// "localhost", and configs that trust it.
type tlsFixture struct {
	cert   tls.Certificate
	pool   *x509.CertPool
	both   *tls.Config // server certificate + client trust, ServerName localhost
	server *tls.Config
	client *tls.Config
}

var testTLS = sync.OnceValue(func() *tlsFixture {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "aio test"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	f := &tlsFixture{cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool: x509.NewCertPool()}
	f.pool.AddCert(leaf)
	f.server = &tls.Config{Certificates: []tls.Certificate{f.cert}}
	f.client = &tls.Config{RootCAs: f.pool, ServerName: "localhost"}
	f.both = &tls.Config{Certificates: []tls.Certificate{f.cert}, RootCAs: f.pool, ServerName: "localhost"}
	return f
})

// isReset: the peer reset the connection (a write may see EPIPE instead).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, wsaConnReset)
}
