package streams_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/streams"
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
