package streams_test

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// A nil reader or writer gives NewConn's view errors, not a nil-pointer
// panic on the first call.
func TestNewConnNilStreams(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		defer c.Writer.Close()
		defer s.Writer.Close()
		for _, tc := range []struct {
			name string
			r    *streams.StreamReader
			w    *streams.StreamWriter
		}{{"nil reader", nil, c.Writer}, {"nil writer", c.Reader, nil}, {"both nil", nil, nil}} {
			conn := streams.NewConn(ctx, tc.r, tc.w)
			if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, streams.ErrNilStream) {
				t.Errorf("%s: Read = %v, want ErrNilStream", tc.name, err)
			} else if strings.Count(err.Error(), "streams: ") != 1 {
				t.Errorf("%s: Read says %q: the prefix more than once", tc.name, err)
			}
			if _, err := conn.Write([]byte("x")); !errors.Is(err, streams.ErrNilStream) {
				t.Errorf("%s: Write = %v, want ErrNilStream", tc.name, err)
			}
			if err := conn.Close(); !errors.Is(err, streams.ErrNilStream) {
				t.Errorf("%s: Close = %v, want ErrNilStream", tc.name, err)
			}
			if conn.LocalAddr() != nil || conn.RemoteAddr() != nil {
				t.Errorf("%s: addresses not nil", tc.name)
			}
		}
		return nil
	})
}

// WithTLS(nil) asks for TLS without a config: an error, never a
// plaintext stream.
func TestWithTLSNil(t *testing.T) {
	run(t, func(ctx context.Context) error {
		if _, _, err := streams.Pipe(ctx, streams.WithTLS(nil)); !errors.Is(err, streams.ErrNilTLSConfig) {
			t.Errorf("Pipe(WithTLS(nil)) = %v, want ErrNilTLSConfig", err)
		} else if got, want := err.Error(), "streams: Pipe: WithTLS: nil *tls.Config"; got != want {
			t.Errorf("Pipe(WithTLS(nil)) says %q, want %q (the prefix once)", got, want)
		}
		if _, _, err := streams.OpenConnection(ctx, "tcp", "127.0.0.1:1", streams.WithTLS(nil)); !errors.Is(err, streams.ErrNilTLSConfig) {
			t.Errorf("OpenConnection(WithTLS(nil)) = %v, want ErrNilTLSConfig", err)
		}
		srv, err := streams.StartServer(ctx, func(context.Context, *streams.StreamReader, *streams.StreamWriter) {}, "tcp", "127.0.0.1:0", streams.WithTLS(nil))
		if !errors.Is(err, streams.ErrNilTLSConfig) {
			t.Errorf("StartServer(WithTLS(nil)) = %v, want ErrNilTLSConfig", err)
		}
		if srv != nil {
			srv.Close()
			t.Error("StartServer(WithTLS(nil)) left a server")
		}
		if ln, err := streams.Listen(ctx, "tcp", "127.0.0.1:0", streams.WithTLS(nil)); !errors.Is(err, streams.ErrNilTLSConfig) {
			t.Errorf("Listen(WithTLS(nil)) = %v, want ErrNilTLSConfig", err)
			if ln != nil {
				ln.Close()
			}
		}
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		defer c.Writer.Close()
		defer s.Writer.Close()
		if err := c.Writer.StartTLS(ctx, nil); !errors.Is(err, streams.ErrNilTLSConfig) {
			t.Errorf("StartTLS(nil) = %v, want ErrNilTLSConfig", err)
		}
		return nil
	})
}

// The address of an unnamed Unix socket (a client's own end) reads as
// net.Dial's does (an empty name), not as "@", Linux's spelling of an
// empty abstract name.
func TestNewConnUnixClientAddr(t *testing.T) {
	testkit.NeedUnixSockets(t)
	path := filepath.Join(t.TempDir(), "s")
	run(t, func(ctx context.Context) error {
		got := make(chan net.Addr, 1)
		srv, err := streams.StartUnixServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			got <- streams.NewConn(ctx, r, w).RemoteAddr()
			w.Close()
		}, path)
		if err != nil {
			return err
		}
		defer srv.Close()
		r, w, err := streams.OpenUnixConnection(ctx, path)
		if err != nil {
			return err
		}
		defer w.Close()
		if a, _ := w.Extra(transport.ExtraSockName); a == nil || a.(net.Addr).String() != "" {
			t.Errorf("client ExtraSockName = %v, want an empty unix name", a)
		}
		if a := streams.NewConn(ctx, r, w).LocalAddr(); a == nil || a.String() != "" {
			t.Errorf("client LocalAddr = %v, want an empty unix name", a)
		}
		if _, err := r.Read(ctx, 1); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if a := <-got; a == nil || a.String() != "" {
			t.Errorf("server's RemoteAddr = %v, want an empty unix name", a)
		}
		return nil
	})
}
