package streams_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

func sendfileSource(t *testing.T, n int) (*os.File, []byte) {
	t.Helper()
	data := make([]byte, n)
	x := uint32(99)
	for i := range data {
		x = x*1664525 + 1013904223
		data[i] = byte(x >> 24)
	}
	dir, err := os.MkdirTemp("", "sendfile")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "src")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(); os.Remove(name); os.Remove(dir) })
	return f, data
}

// Sendfile over an in-memory pair and over TLS (the fallback): the bytes
// arrive intact, from the offset and for the count, after what was
// written before and before what is written after.
func TestSendfileFallback(t *testing.T) {
	f, data := sendfileSource(t, 3<<20+11)
	for _, kind := range []struct {
		name string
		mk   pairFactory
	}{{"mem", memPair}, {"tls", tlsMemPair}} {
		t.Run(kind.name, func(t *testing.T) {
			const off, count = 4097, 2<<20 + 3
			connect(t, kind.mk, nil, func(ctx context.Context, c, s streams.Endpoint) error {
				wantBytes := append(append([]byte("<"), data[off:off+count]...), '>')
				got := task.Go(ctx, func(ctx context.Context) error {
					b, err := s.Reader.ReadExactly(ctx, len(wantBytes))
					if err != nil {
						return err
					}
					if !bytes.Equal(b, wantBytes) {
						t.Errorf("received %d bytes, not the file's", len(b))
					}
					return nil
				})
				c.Writer.Write([]byte("<"))
				n, err := c.Writer.Sendfile(ctx, f, off, count)
				want(t, "Sendfile", fmt.Sprint(n, err), fmt.Sprint(count, nil))
				c.Writer.Write([]byte(">"))
				_, err = eventloop.Await(ctx, got)
				return err
			})
		})
	}
}

// A Sendfile over TLS cancelled while the peer does not read returns the
// bytes it sent, and the peer receives exactly those.
func TestSendfileCancelledTLS(t *testing.T) {
	f, data := sendfileSource(t, 32<<20)
	connect(t, tlsMemPair, nil, func(ctx context.Context, c, s streams.Endpoint) error {
		sctx, cancel := eventloop.WithCancel(ctx)
		tk := eventloop.Spawn(sctx, func(ctx context.Context) (int64, error) { return c.Writer.Sendfile(ctx, f, 0, 0) })
		// Until the sender waits on flow control (the peer reads nothing).
		// The chunks are read on the executor, so this is bounded in real
		// time, not in iterations: a loaded machine may take a while.
		for end := time.Now().Add(20 * time.Second); c.Writer.Transport().WriteBufferSize() == 0 && time.Now().Before(end); {
			eventloop.Sleep(ctx, 0)
		}
		for range 50 {
			eventloop.Sleep(ctx, 0)
		}
		cancel()
		n, err := eventloop.Await(ctx, tk)
		if !errors.Is(err, eventloop.ErrCancelled) || n <= 0 || n >= int64(len(data)) {
			t.Errorf("cancelled Sendfile = %d, %v", n, err)
		}
		c.Writer.Close()
		b, err := io.ReadAll(readerOf(ctx, s.Reader))
		if int64(len(b)) != n || !bytes.Equal(b, data[:len(b)]) {
			t.Errorf("peer got %d bytes (a prefix: %v), %v; Sendfile said %d", len(b), bytes.Equal(b, data[:len(b)]), err, n)
		}
		return nil
	})
}

// readerOf is r as an io.Reader for the task of ctx.
func readerOf(ctx context.Context, r *streams.StreamReader) io.Reader {
	return readerFunc(func(p []byte) (int, error) { return r.ReadInto(ctx, p) })
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
