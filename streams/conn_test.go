package streams_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

func TestConnBufioJSON(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		type msg struct {
			N    int
			Text string
		}
		srv := task.Go(ctx, func(ctx context.Context) error {
			conn := streams.NewConn(ctx, s.Reader, s.Writer)
			defer conn.Close()
			dec, enc := json.NewDecoder(conn), json.NewEncoder(conn)
			for {
				var m msg
				if err := dec.Decode(&m); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				m.N++
				if err := enc.Encode(m); err != nil {
					return err
				}
			}
		})
		conn := streams.NewConn(ctx, c.Reader, c.Writer)
		want(t, "RemoteAddr", conn.RemoteAddr().String(), "mem-b")
		br := bufio.NewReader(conn)
		for i := range 3 {
			if err := json.NewEncoder(conn).Encode(msg{i, "hi"}); err != nil {
				return err
			}
			line, err := br.ReadString('\n')
			noErr(t, err)
			var m msg
			noErr(t, json.Unmarshal([]byte(line), &m))
			want(t, "reply", m, msg{i + 1, "hi"})
		}
		noErr(t, c.Writer.WriteEOF())
		if _, err := br.ReadString('\n'); err != io.EOF {
			t.Errorf("after the server closed: %v", err)
		}
		return awaitTask(ctx, srv)
	})
}

func TestConnCryptoTLS(t *testing.T) {
	f := testTLS()
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		srv := task.Go(ctx, func(ctx context.Context) error {
			tc := tls.Server(streams.NewConn(ctx, s.Reader, s.Writer), f.server)
			defer tc.Close()
			line, err := bufio.NewReader(tc).ReadString('\n')
			if err != nil {
				return err
			}
			_, err = tc.Write([]byte("echo: " + line))
			return err
		})
		tc := tls.Client(streams.NewConn(ctx, c.Reader, c.Writer), f.client)
		noErr(t, tc.Handshake())
		want(t, "version", tc.ConnectionState().Version, uint16(tls.VersionTLS13))
		tc.Write([]byte("over crypto/tls\n"))
		line, err := bufio.NewReader(tc).ReadString('\n')
		noErr(t, err)
		want(t, "reply", line, "echo: over crypto/tls\n")
		noErr(t, awaitTask(ctx, srv))
		return tc.Close()
	})
}

func TestConnDeadlines(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c, s, err := streams.Pipe(ctx)
		if err != nil {
			return err
		}
		conn := streams.NewConn(ctx, c.Reader, c.Writer)
		conn.SetReadDeadline(time.Now().Add(time.Hour))
		buf := make([]byte, 10)
		start := eventloop.LoopOf(ctx).Time()
		_, err = conn.Read(buf)
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Read past its deadline: %v", err)
		}
		if d := eventloop.LoopOf(ctx).Time() - start; d < 59*time.Minute {
			t.Errorf("gave up after %v of loop time", d)
		}
		// A deadline in the past fails at once; clearing it reads again.
		conn.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read with a past deadline: %v", err)
		}
		conn.SetReadDeadline(time.Time{})
		s.Writer.Write([]byte("late"))
		n, err := conn.Read(buf)
		noErr(t, err)
		want(t, "read after the timeouts", string(buf[:n]), "late")

		// A write that cannot drain times out too.
		s.Writer.Transport().PauseReading()
		conn.SetWriteDeadline(time.Now().Add(time.Minute))
		_, err = conn.Write(make([]byte, 4<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Write past its deadline: %v", err)
		}

		// Another goroutine ends a Read in progress by moving its deadline.
		watchdog := task.Go(ctx, func(ctx context.Context) error {
			yield(ctx, 2)
			_, err := task.ToThread(ctx, func(context.Context) (struct{}, error) {
				return struct{}{}, conn.SetReadDeadline(time.Now())
			})
			return err
		})
		if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read after a watchdog's deadline: %v", err)
		}
		noErr(t, awaitTask(ctx, watchdog))
		c.Writer.Transport().Abort()
		return nil
	})
}
