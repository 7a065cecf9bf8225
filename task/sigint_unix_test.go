//go:build unix

package task_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
)

// The first SIGINT cancels Run's main task: its deferred cleanup runs and
// Run returns ErrInterrupted, which matches context.Canceled. A real
// SIGINT is sent to the process. The test holds a channel of its own on
// SIGINT (so that, if Run did not catch it, the process would not die
// and the test would fail by its time bound instead).
func TestRunFirstSigintCancelsMain(t *testing.T) {
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGINT)
	defer signal.Stop(guard)

	var cleanup bool
	_, err := task.Run(func(ctx context.Context) (int, error) {
		defer func() { cleanup = true }()
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			return 0, err
		}
		// Bounded: a Run that does not handle SIGINT ends here after 10 s.
		if err := eventloop.Sleep(ctx, 10*time.Second); err == nil {
			return 0, errors.New("main was not cancelled by SIGINT")
		}
		return 0, eventloop.AwaitError(ctx)
	})
	if !errors.Is(err, task.ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want ErrInterrupted matching context.Canceled", err)
	}
	if !cleanup {
		t.Error("main's deferred cleanup did not run")
	}
	select {
	case <-guard:
	case <-time.After(10 * time.Second):
		t.Error("the test's own channel never saw the SIGINT")
	}
}

// A main that handles the cancellation and returns a value: Run returns
// it, as asyncio.run does when main catches CancelledError.
func TestRunSigintHandledByMain(t *testing.T) {
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGINT)
	defer signal.Stop(guard)

	v, err := task.Run(func(ctx context.Context) (int, error) {
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		if err := eventloop.Sleep(ctx, 10*time.Second); err != nil {
			return 42, nil // stopped early, cleanly
		}
		return 0, errors.New("main was not cancelled by SIGINT")
	})
	if v != 42 || err != nil {
		t.Errorf("Run = %d, %v; want 42, nil", v, err)
	}
}

// A second SIGINT, while main is still cleaning up after the first,
// interrupts for real: the default treatment is back, and the process
// dies of SIGINT. Run in a child process (this test binary again).
func TestRunSecondSigintInterrupts(t *testing.T) {
	if os.Getenv("AIO_TEST_SIGINT_CHILD") == "1" {
		sigintChild()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRunSecondSigintInterrupts$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AIO_TEST_SIGINT_CHILD=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v, want it killed by SIGINT; output:\n%s", err, out)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("child ended with %v, want killed by SIGINT; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "cleaning up") {
		t.Errorf("child output %q: the first SIGINT did not start the cleanup", out)
	}
	if strings.Contains(string(out), "cleanup done") {
		t.Errorf("child output %q: the second SIGINT did not interrupt the cleanup", out)
	}
}

// sigintChild: main is cancelled by a first SIGINT, then sends a second
// one during a 10 s cleanup, which should kill the process at once.
func sigintChild() {
	task.Run(func(ctx context.Context) (int, error) {
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		eventloop.Sleep(ctx, 10*time.Second)
		fmt.Println("cleaning up")
		os.Stdout.Sync()
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		eventloop.Sleep(context.WithoutCancel(ctx), 10*time.Second)
		fmt.Println("cleanup done")
		return 0, nil
	})
	fmt.Println("Run returned")
	os.Exit(0)
}

// A main whose cleanup fails after the SIGINT: Run returns the failure,
// joined with ErrInterrupted (the failure is not taken for the
// cancellation).
func TestRunSigintCleanupFailure(t *testing.T) {
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGINT)
	defer signal.Stop(guard)

	_, err := task.Run(func(ctx context.Context) (int, error) {
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		err := eventloop.Sleep(ctx, 10*time.Second)
		if err == nil {
			return 0, errors.New("main was not cancelled by SIGINT")
		}
		return 0, errors.Join(errCleanup, err)
	})
	if !errors.Is(err, errCleanup) || !errors.Is(err, task.ErrInterrupted) {
		t.Errorf("Run = %v, want the cleanup failure and ErrInterrupted", err)
	}
}

// A main that installs its own SIGINT handler replaces Run's: the signal
// reaches that handler and main is not cancelled.
func TestRunSigintOwnHandlerReplacesRuns(t *testing.T) {
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGINT)
	defer signal.Stop(guard)

	v, err := task.Run(func(ctx context.Context) (int, error) {
		l := eventloop.LoopOf(ctx)
		got := eventloop.NewFuture[int](l)
		if err := l.AddSignalHandler(os.Interrupt, func() { got.SetResult(1) }); err != nil {
			return 0, err
		}
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		_, err := task.WaitFor(ctx, 10*time.Second, eventloop.Awaitable[int](got))
		if err != nil {
			return 0, err // cancelled (Run's handler ran) or timed out
		}
		return 2, eventloop.Sleep(ctx, 0) // still not cancelled
	})
	if v != 2 || err != nil {
		t.Errorf("Run = %d, %v; want 2, nil", v, err)
	}
}
