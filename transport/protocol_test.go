//go:build linux

package transport

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func TestBufferedProtocolAndReadingControls(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		defer func() {
			if fds[1] >= 0 {
				unix.Close(fds[1])
			}
		}()
		tr, bp, err := ConnectFD(ctx, func() *bufProto { return &bufProto{} }, fds[0])
		if err != nil {
			return 0, err
		}
		tr.PauseReading()
		if tr.IsReading() {
			t.Error("IsReading after PauseReading")
		}
		unix.Write(fds[1], []byte("buffered!"))
		for range 5 {
			eventloop.Sleep(ctx, time.Millisecond)
		}
		if len(bp.got) != 0 {
			t.Errorf("read %q while paused", bp.got)
		}
		tr.ResumeReading()
		waitUntil(ctx, t, func() bool { return len(bp.got) == 9 })
		if string(bp.got) != "buffered!" || len(bp.hints) < 3 {
			t.Errorf("got %q with %d GetBuffer calls", bp.got, len(bp.hints))
		}
		if err := tr.SetWriteBufferLimits(10, 20); err == nil {
			t.Error("SetWriteBufferLimits accepted low > high")
		}
		if err := tr.SetWriteBufferLimits(-1, -1); err != nil {
			t.Error(err)
		}
		if low, high := tr.WriteBufferLimits(); low != DefaultWriteHighWater/4 || high != DefaultWriteHighWater {
			t.Errorf("limits %d, %d", low, high)
		}
		unix.Close(fds[1]) // EOF: ProtocolBase closes
		waitUntil(ctx, t, func() bool { return bp.lost == 1 })
		fds[1] = -1
		// A protocol of neither kind is refused.
		fds2, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		defer unix.Close(fds2[1])
		if _, _, err := ConnectFD(ctx, func() neither { return neither{} }, fds2[0]); !errors.Is(err, ErrNotStreamProtocol) {
			t.Errorf("neither protocol: %v", err)
		}
		return 0, nil
	})
}
