package task_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_runners.py. Not ported: the Runner class,
// set_event_loop/policies, contextvars, KeyboardInterrupt and signal
// handling, async generator finalisation (no such things here), and
// test_asyncio_run_from_running_loop: Run takes no ctx, so it cannot tell
// that it is called from a task; doing so runs a second loop nested on the
// task's goroutine, blocking the first (D3: don't block the loop).

func TestRunReturnsMainResult(t *testing.T) {
	v, err := run(t, func(ctx context.Context) (string, error) {
		if err := eventloop.Sleep(ctx, time.Hour); err != nil {
			return "", err
		}
		return "done", nil
	})
	if v != "done" || err != nil {
		t.Errorf("Run = %q, %v", v, err)
	}
	v, err = run(t, func(ctx context.Context) (string, error) { return "partial", errA })
	if v != "partial" || !errors.Is(err, errA) {
		t.Errorf("Run with a failing main = %q, %v", v, err)
	}
}

func TestRunNilMain(t *testing.T) {
	if _, err := task.Run[int](nil); err == nil {
		t.Error("Run(nil) succeeded")
	}
}

func TestRunPanicInMain(t *testing.T) {
	_, err := run(t, func(ctx context.Context) (int, error) {
		eventloop.Sleep(ctx, time.Second)
		panic("main exploded")
	})
	var pe *eventloop.PanicError
	if !errors.As(err, &pe) || pe.Value != "main exploded" || len(pe.Stack) == 0 {
		t.Errorf("Run = %v, want a *PanicError with the value and a stack", err)
	}
}

// test_asyncio_run_cancels_hanging_tasks: what main leaves behind is
// cancelled, and Run returns only after its cleanup ran, including tasks
// spawned during that cleanup.
func TestRunCancelsAndAwaitsLeftovers(t *testing.T) {
	var tr trace
	var leftovers []*eventloop.Task[string]
	v, err := run(t, func(ctx context.Context) (int, error) {
		leftovers = append(leftovers,
			eventloop.Spawn(ctx, slowCleanup(&tr, "sleeper", time.Second)),
			eventloop.Spawn(context.WithoutCancel(ctx), func(ctx context.Context) (string, error) {
				err := eventloop.Sleep(ctx, time.Hour)
				tr.at(ctx, "detached: %v", err)
				// Cleanup that spawns: the new task is cancelled as well,
				// in a later round.
				eventloop.Spawn(eventloop.LoopOf(ctx).Context(), slowCleanup(&tr, "late", time.Second))
				return "", err
			}),
		)
		eventloop.Sleep(ctx, time.Minute)
		tr.at(ctx, "main returns")
		return 7, nil
	})
	tr.add("Run returned")
	if v != 7 || err != nil {
		t.Errorf("Run = %d, %v", v, err)
	}
	for _, l := range leftovers {
		if !l.Done() || !l.Cancelled() {
			t.Errorf("%s: done=%v cancelled=%v", l.Name(), l.Done(), l.Cancelled())
		}
	}
	want := []string{
		"1m0s main returns",
		"1m0s sleeper: eventloop: cancelled",
		"1m0s detached: eventloop: cancelled",
		"1m1s sleeper cleaned up",
		"1m1s late: eventloop: cancelled",
		"1m2s late cleaned up",
		"Run returned",
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// test_asyncio_run_reports_hanging_tasks_errors: a leftover that fails
// instead of being cancelled is reported to the exception handler; Run
// still returns main's result.
func TestRunReportsLeftoverErrors(t *testing.T) {
	var rec recorder
	v, err := run(t, func(ctx context.Context) (int, error) {
		task.Go(ctx, func(ctx context.Context) error {
			eventloop.Sleep(ctx, time.Hour)
			return errA
		}, eventloop.WithName("leftover"))
		eventloop.Sleep(ctx, time.Second)
		return 1, nil
	}, eventloop.WithExceptionHandler(rec.handler))
	if v != 1 || err != nil {
		t.Errorf("Run = %d, %v", v, err)
	}
	msgs := rec.messages()
	if len(msgs) != 1 || !errors.Is(rec.errs[0], errA) {
		t.Errorf("reports = %q %v, want one report of errA", msgs, rec.errs)
	}
}

// Run shuts the default executor down and waits for its jobs; a job's
// goroutine is over when Run returns (goleak checks the rest).
func TestRunAwaitsExecutorJobs(t *testing.T) {
	var tr trace
	release := make(chan struct{})
	_, err := run(t, func(ctx context.Context) (int, error) {
		eventloop.RunInExecutor(eventloop.LoopOf(ctx), func() (int, error) {
			<-release
			tr.add("job done")
			return 1, nil
		})
		// Released only during Run's shutdown, by a leftover's cleanup.
		task.Go(ctx, func(ctx context.Context) error {
			err := eventloop.Sleep(ctx, time.Hour)
			tr.add("leftover releases the job")
			close(release)
			return err
		})
		eventloop.Sleep(ctx, time.Second)
		tr.add("main returns")
		return 0, nil
	})
	tr.add("Run returned")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"main returns", "leftover releases the job", "job done", "Run returned"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestRunUsesOptions(t *testing.T) {
	var rec recorder
	_, err := run(t, func(ctx context.Context) (int, error) {
		if !eventloop.LoopOf(ctx).Debug() {
			t.Error("WithDebug(true) not applied")
		}
		// A task error nobody reads reaches the handler given to Run.
		task.Go(ctx, func(context.Context) error { return errB })
		return 0, eventloop.Sleep(ctx, time.Second)
	}, eventloop.WithDebug(true), eventloop.WithExceptionHandler(rec.handler))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.errs) != 1 || !errors.Is(rec.errs[0], errB) {
		t.Errorf("reports %q %v, want the unretrieved errB", rec.messages(), rec.errs)
	}
}

func TestMainReturnsMainsError(t *testing.T) {
	boom := errors.New("boom")
	if err := task.Main(func(ctx context.Context) error { return boom }, eventloop.WithClock(timer.NewVirtual())); !errors.Is(err, boom) {
		t.Errorf("Main = %v, want main's error", err)
	}
	if err := task.Main(nil); err == nil {
		t.Error("Main(nil) returned nil")
	}
}

// Timeout, Group and the other task-level awaits given a context that
// belongs to no running task (a loop's root context, used from outside
// any task) fail at once; the body does not run on the caller's goroutine.
func TestTaskLevelAwaitsNeedATask(t *testing.T) {
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ran := false
	body := func(ctx context.Context) error { ran = true; return nil }
	root := l.Context()
	for name, err := range map[string]error{
		"Timeout": task.Timeout(root, time.Second, body),
		"Group":   task.Group(root, func(ctx context.Context, g *task.TaskGroup) error { ran = true; return nil }),
		"Gather":  task.Gather(root),
	} {
		if !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("%s with a root context = %v, want ErrNotInTask", name, err)
		}
	}
	if ran {
		t.Error("a body ran outside any task")
	}
}
