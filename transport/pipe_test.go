//go:build linux

package transport

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func TestPipeTransports(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
			return 0, err
		}
		rt, rp, err := ConnectReadPipe(ctx, func() *recProto { return &recProto{} }, fds[0])
		if err != nil {
			return 0, err
		}
		wt, wp, err := ConnectWritePipe(ctx, func() *recProto { return &recProto{} }, fds[1])
		if err != nil {
			return 0, err
		}
		if err := rt.Write([]byte("x")); err == nil {
			t.Error("Write on a read pipe succeeded")
		}
		if _, ok := rt.Extra(ExtraPipe); !ok {
			t.Error("no pipe extra")
		}
		wt.Write([]byte("through "))
		wt.Writelines([][]byte{[]byte("the "), []byte("pipe")})
		wt.WriteEOF() // closes the write end after the flush
		waitUntil(ctx, t, func() bool { return rp.lostCount == 1 && wp.lostCount == 1 })
		if string(rp.data) != "through the pipe" {
			t.Errorf("read %q", rp.data)
		}
		if strings.Join(rp.events, ",") != "made,data,eof,lost" || strings.Join(wp.events, ",") != "made,lost" {
			t.Errorf("reader %v, writer %v", rp.events, wp.events)
		}
		return 0, nil
	})
}

func TestWritePipeReaderGone(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		for _, idle := range []bool{true, false} {
			var fds [2]int
			if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
				return 0, err
			}
			wt, wp, err := ConnectWritePipe(ctx, func() *recProto { return &recProto{} }, fds[1])
			if err != nil {
				return 0, err
			}
			unix.Close(fds[0])
			if !idle {
				wt.Write([]byte("into the void")) // EPIPE, not SIGPIPE
			}
			waitUntil(ctx, t, func() bool { return wp.lostCount > 0 })
			eventloop.Sleep(ctx, time.Millisecond)
			if wp.lostCount != 1 || !errors.Is(wp.lostErr, syscall.EPIPE) {
				t.Errorf("idle=%v: lost %d times with %v", idle, wp.lostCount, wp.lostErr)
			}
			if err := wt.Write([]byte("more")); !errors.Is(err, syscall.EPIPE) {
				t.Errorf("idle=%v: Write after EPIPE: %v", idle, err)
			}
		}
		return 0, nil
	})
}
