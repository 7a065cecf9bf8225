package transport

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

// ConnectReadPipe and ConnectWritePipe take raw handles on Windows.
func TestWindowsPipeHandles(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		var r, w syscall.Handle
		if err := syscall.CreatePipe(&r, &w, nil, 0); err != nil {
			return err
		}
		rp := &fileRec{lost: eventloop.NewFuture[error](l)}
		wp := &fileRec{lost: eventloop.NewFuture[error](l)}
		rt, _, err := ConnectReadPipe(ctx, func() *fileRec { return rp }, int(r))
		if err != nil {
			syscall.CloseHandle(w)
			return err
		}
		wt, _, err := ConnectWritePipe(ctx, func() *fileRec { return wp }, int(w))
		if err != nil {
			rt.Close()
			return err
		}
		wt.Write([]byte("through "))
		wt.Write([]byte("the pipe"))
		wt.WriteEOF()
		if rerr, err := eventloop.Await(ctx, rp.lost); err != nil || rerr != nil {
			t.Errorf("read end lost: %v, %v", rerr, err)
		}
		if werr, err := eventloop.Await(ctx, wp.lost); err != nil || werr != nil {
			t.Errorf("write end lost: %v, %v", werr, err)
		}
		if string(rp.got) != "through the pipe" || rp.eof != 1 {
			t.Errorf("got %q, %d EOFs", rp.got, rp.eof)
		}
		_, _, err = ConnectReadPipe(ctx, func() *fileRec { return rp }, -1)
		if !errors.Is(err, ErrBadFile) {
			t.Errorf("invalid handle: %v", err)
		}
		return nil
	})
}
