package testkit

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

// StrictHandler is an exception handler that fails the test on anything
// the loop could not deliver: a task error nobody retrieved, a panic in a
// callback, live resources at Close. Tests that expect a report install
// their own handler.
func StrictHandler(t testing.TB) eventloop.ExceptionHandler {
	return func(_ *eventloop.Loop, c eventloop.ExceptionContext) {
		t.Errorf("unexpected loop exception: %s: %v (task %q)", c.Message, c.Err, c.Task)
	}
}

// Run runs main as the main task of a fresh loop (task.Run) on a virtual
// clock with StrictHandler, and fails the test if main returns an error.
// Later options override earlier ones. Task bodies never call t.Fatal
// (they run on coroutine goroutines); they report with t.Errorf and
// return.
func Run(t testing.TB, main func(ctx context.Context) error, opts ...eventloop.Option) {
	t.Helper()
	base := []eventloop.Option{
		eventloop.WithClock(timer.NewVirtual()),
		eventloop.WithExceptionHandler(StrictHandler(t)),
	}
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, append(base, opts...)...)
	if err != nil {
		t.Fatalf("main task: %v", err)
	}
}

// InTask runs body as the one task of a fresh loop built as a program
// would build it (real clock, default options) and waits for it: the
// setting for benchmarks and allocation counts, where a virtual clock or
// a strict handler would measure something else.
func InTask(tb testing.TB, body func(ctx context.Context)) {
	tb.Helper()
	l, err := eventloop.New()
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) { body(ctx); return 0, nil })
	if err := l.RunUntilComplete(tk); err != nil {
		tb.Fatal(err)
	}
}

// Yield lets the loop run n iterations (asyncio.sleep(0), n times).
func Yield(ctx context.Context, n int) error {
	for range n {
		if err := eventloop.Sleep(ctx, 0); err != nil {
			return err
		}
	}
	return nil
}

// IsCancelled reports whether err is an await's cancellation error.
func IsCancelled(err error) bool {
	return errors.Is(err, eventloop.ErrCancelled) && errors.Is(err, context.Canceled)
}

// IsTimeout reports whether err is an await's timeout error.
func IsTimeout(err error) bool {
	return errors.Is(err, eventloop.ErrTimeout) && errors.Is(err, context.DeadlineExceeded)
}

// Want fails the test (without stopping it) when got differs from want,
// and reports whether they were equal.
func Want[T any](t testing.TB, what string, got, want T) bool {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: (-want +got)\n%s", what, d)
		return false
	}
	return true
}

// NeedUnixSockets skips the test where the system cannot create AF_UNIX
// sockets: Windows before 10 1803, and Wine, where CI runs the Windows
// test binaries (socket() fails with WSAEAFNOSUPPORT there).
func NeedUnixSockets(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "windows" {
		return
	}
	// Not t.TempDir: under Wine its cleanup fails on a directory where
	// socket() was tried.
	dir, err := os.MkdirTemp("", "unixprobe")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "probe.sock"))
	if err != nil {
		t.Skipf("no AF_UNIX sockets here: %v", err)
	}
	ln.Close()
}
