package task_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_tasks.py: task creation and naming,
// test_cancel_*, test_current_task*, test_all_tasks*, sleep. Not ported:
// cancel messages and tracebacks (test_cancel_with_message_*,
// test_cancel_traceback_*: ErrCancelled carries no message), uncancel()
// and cancelling() counts (D4), coroutine/generator wrapping and
// eager task factories (Go has neither).

func TestSpawnGoAwait(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		tk := eventloop.Spawn(ctx, sleeper(time.Second, "v"), eventloop.WithName("worker"))
		if tk.Name() != "worker" || tk.Done() {
			t.Errorf("name %q done %v", tk.Name(), tk.Done())
		}
		if v, err := eventloop.Await(ctx, tk); v != "v" || err != nil {
			t.Errorf("Await = %q, %v", v, err)
		}
		g := task.Go(ctx, func(ctx context.Context) error { return errA })
		if _, err := eventloop.Await(ctx, g); !errors.Is(err, errA) {
			t.Errorf("Go = %v", err)
		}
		unnamed := task.Go(ctx, func(context.Context) error { return nil })
		if n := unnamed.Name(); len(n) < 6 || n[:5] != "Task-" {
			t.Errorf("default name %q", n)
		}
		_, err := eventloop.Await(ctx, unnamed)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Spawn never panics: a task that cannot start comes back done with the
// reason.
func TestSpawnFailures(t *testing.T) {
	l := newLoop(t)
	cases := map[string]eventloop.Waitable{
		"nil body":     eventloop.Spawn[int](l.Context(), nil),
		"nil Go body":  task.Go(l.Context(), nil),
		"no loop":      eventloop.Spawn(context.Background(), sleeper(0, 1)),
		"no loop (Go)": task.Go(context.Background(), func(context.Context) error { return nil }),
	}
	for name, tk := range cases {
		if !tk.Done() || tk.Err() == nil {
			t.Errorf("%s: done=%v err=%v", name, tk.Done(), tk.Err())
		}
	}
	if err := cases["no loop"].Err(); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("no loop: %v", err)
	}
	closed, _ := eventloop.New()
	closed.Close()
	if tk := eventloop.Spawn(closed.Context(), sleeper(0, 1)); !errors.Is(tk.Err(), eventloop.ErrClosed) {
		t.Errorf("closed loop: %v", tk.Err())
	}
}

// test_cancel_inner_future / awaiting a task: cancelling the awaiter
// cancels the awaited task and waits for its cleanup (Shield is the way
// to avoid it).
func TestAwaitCancelledCancelsAwaitedTask(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		inner := eventloop.Spawn(ctx, slowCleanup(&tr, "inner", time.Second))
		outer := task.Go(ctx, func(ctx context.Context) error {
			_, err := eventloop.Await(ctx, inner)
			tr.at(ctx, "Await: %v", err)
			return err
		})
		eventloop.Sleep(ctx, time.Minute)
		outer.Cancel()
		eventloop.Await(ctx, outer)
		if !inner.Cancelled() || !outer.Cancelled() {
			t.Errorf("inner cancelled %v, outer cancelled %v", inner.Cancelled(), outer.Cancelled())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1m0s inner: eventloop: cancelled", "1m1s inner cleaned up", "1m1s Await: eventloop: cancelled"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// test_cancel_yield, test_cancel_task_catching, test_cancel_task_ignoring,
// test_cancel_at_end, test_cancel_current_task.
func TestTaskCancel(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		ran := false
		notStarted := task.Go(ctx, func(context.Context) error { ran = true; return nil })
		if !notStarted.Cancel() {
			t.Error("Cancel of a pending task = false")
		}
		if _, err := eventloop.Await(ctx, notStarted); !isCancelled(err) || ran {
			t.Errorf("cancelled before its first step: %v, ran=%v", err, ran)
		}

		catching := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := eventloop.Sleep(ctx, time.Hour); isCancelled(err) {
				return 42, nil
			}
			return 0, errors.New("not cancelled")
		})
		eventloop.Sleep(ctx, time.Second)
		catching.Cancel()
		if v, err := eventloop.Await(ctx, catching); v != 42 || err != nil || catching.Cancelled() {
			t.Errorf("catching = %d, %v, cancelled=%v", v, err, catching.Cancelled())
		}
		if catching.Cancel() {
			t.Error("Cancel of a done task = true")
		}

		self := task.Go(ctx, func(ctx context.Context) error {
			eventloop.CurrentTask(ctx).Cancel()
			if ctx.Err() == nil {
				return errors.New("ctx not cancelled after cancelling the current task")
			}
			return eventloop.Sleep(ctx, time.Hour)
		})
		if _, err := eventloop.Await(ctx, self); !isCancelled(err) || !self.Cancelled() {
			t.Errorf("self-cancelled = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Sleep(ctx, 0) yields exactly one loop iteration: tasks interleave.
func TestSleepInterleaves(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		body := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				for i := range 3 {
					tr.add("%s%d", name, i)
					if err := eventloop.Sleep(ctx, -time.Second); err != nil { // negative: like 0
						return err
					}
				}
				return nil
			}
		}
		a, b := task.Go(ctx, body("a")), task.Go(ctx, body("b"))
		if err := task.Gather(ctx, a, b); err != nil {
			return err
		}
		if err := eventloop.Sleep(ctx, 90*time.Minute); err != nil {
			return err
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 90*time.Minute {
			t.Errorf("virtual time %v after Sleep(90m)", now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a0", "b0", "a1", "b1", "a2", "b2"}, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// test_current_task and test_current_task_with_interleaving_tasks.
func TestCurrentTask(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		if cur := eventloop.CurrentTask(ctx); cur == nil || cur.Name() != "main" {
			t.Errorf("CurrentTask in main = %v", cur)
		}
		if cur := eventloop.CurrentTask(eventloop.LoopOf(ctx).Context()); cur != nil {
			t.Errorf("CurrentTask(loop root ctx) = %v", cur)
		}
		if cur := eventloop.CurrentTask(context.Background()); cur != nil {
			t.Errorf("CurrentTask(Background) = %v", cur)
		}
		fut1 := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		fut2 := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		var t1, t2 *eventloop.Task[int]
		t1 = eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			tr.add("t1 sees %s", eventloop.CurrentTask(ctx).Name())
			eventloop.Await(ctx, eventloop.Awaitable[int](fut1))
			tr.add("t1 sees %s", eventloop.CurrentTask(ctx).Name())
			fut2.SetResult(1)
			return 0, nil
		}, eventloop.WithName("t1"))
		t2 = eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			tr.add("t2 sees %s", eventloop.CurrentTask(ctx).Name())
			fut1.SetResult(1)
			eventloop.Await(ctx, eventloop.Awaitable[int](fut2))
			tr.add("t2 sees %s", eventloop.CurrentTask(ctx).Name())
			return 0, nil
		}, eventloop.WithName("t2"))
		if err := task.Gather(ctx, t1, t2); err != nil {
			return err
		}
		// From another task, the ctx of a task that is not running.
		if cur := eventloop.CurrentTask(t1.Context()); cur != nil {
			t.Errorf("CurrentTask(ctx of a finished task) = %v", cur)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"t1 sees t1", "t2 sees t2", "t1 sees t1", "t2 sees t2"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// test_all_tasks: the tasks not done yet, oldest first.
func TestAllTasks(t *testing.T) {
	taskNames := func(ts []eventloop.TaskInfo) []string {
		var out []string
		for _, x := range ts {
			out = append(out, x.Name())
		}
		return out
	}
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Second, 1), eventloop.WithName("a"))
		b := eventloop.Spawn(ctx, sleeper(time.Hour, 2), eventloop.WithName("b"))
		if diff := cmp.Diff([]string{"main", "a", "b"}, taskNames(eventloop.LoopOf(ctx).AllTasks())); diff != "" {
			t.Errorf("AllTasks (-want +got):\n%s", diff)
		}
		eventloop.Await(ctx, a)
		if diff := cmp.Diff([]string{"main", "b"}, taskNames(eventloop.LoopOf(ctx).AllTasks())); diff != "" {
			t.Errorf("after a finished (-want +got):\n%s", diff)
		}
		if got := eventloop.LoopOf(context.Background()); got != nil {
			t.Errorf("LoopOf(Background) = %v, want nil", got)
		}
		b.Cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoopAndMisuse(t *testing.T) {
	other := newLoop(t)
	if eventloop.LoopOf(context.Background()) != nil {
		t.Error("Loop(Background) != nil")
	}
	if err := eventloop.Sleep(context.Background(), time.Second); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("Sleep(Background) = %v", err)
	}
	if err := eventloop.Sleep(other.Context(), time.Second); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("Sleep(loop root ctx) = %v", err)
	}
	var l *eventloop.Loop
	err := runErr(t, func(ctx context.Context) error {
		l = eventloop.LoopOf(ctx)
		if l == nil || l == other || !l.IsRunning() {
			return fmt.Errorf("Loop(ctx) = %v", l)
		}
		foreign := eventloop.NewFuture[int](other)
		if _, err := eventloop.Await(ctx, eventloop.Awaitable[int](foreign)); !errors.Is(err, eventloop.ErrWrongLoop) {
			t.Errorf("Await of another loop's future = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !l.IsClosed() {
		t.Error("Run left its loop open")
	}
}

// A task spawned under a Timeout that expires ends with ErrTimeout: it was
// cancelled (through its context), so nobody has to read that error, just
// as nobody has to read ErrCancelled.
func TestTaskEndedByItsTimeoutIsNotReportedUnretrieved(t *testing.T) {
	var child *eventloop.Task[int]
	err := runErr(t, func(ctx context.Context) error {
		return task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			child = eventloop.Spawn(ctx, sleeper(time.Hour, 1)) // never awaited
			return eventloop.Sleep(ctx, time.Hour)
		})
	})
	if !isTimeout(err) {
		t.Errorf("Timeout = %v", err)
	}
	if !child.Cancelled() {
		t.Error("child ended by its ctx's timeout is not Cancelled()")
	}
}
