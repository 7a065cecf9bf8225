package eventloop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTaskReturnsResult(t *testing.T) {
	l := newVirtualLoop(t)
	v, err := runTask(t, l, func(ctx context.Context) (string, error) {
		if err := Sleep(ctx, time.Minute); err != nil {
			return "", err
		}
		return "done", nil
	})
	if v != "done" || err != nil {
		t.Errorf("got %q, %v", v, err)
	}
	if l.Time() != time.Minute {
		t.Errorf("virtual time %v, want 1m", l.Time())
	}
}

func TestSleepZeroYieldsExactlyOneIteration(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	body := func(name string) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			for i := 0; i < 3; i++ {
				tr.add(fmt.Sprintf("%s%d@%d", name, i, l.stats.Iterations))
				if err := Sleep(ctx, 0); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}
	}
	a := Spawn(l.Context(), body("a"))
	b := Spawn(l.Context(), body("b"))
	l.RunUntilComplete(a)
	l.RunUntilComplete(b)
	want := []string{"a0@1", "b0@1", "a1@2", "b1@2", "a2@3", "b2@3"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCancelBeforeFirstStepBodyNeverRuns(t *testing.T) {
	l := newVirtualLoop(t)
	ran := false
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) { ran = true; return 1, nil })
	if !tk.Cancel() {
		t.Fatal("Cancel of a pending task = false")
	}
	err := l.RunUntilComplete(tk)
	if ran {
		t.Error("body ran after cancel before its first step")
	}
	if !tk.Cancelled() || !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled=%v err=%v", tk.Cancelled(), err)
	}
	if tk.Cancel() {
		t.Error("Cancel of a done task = true")
	}
}

func TestTaskSwallowingCancellationCompletesWithValue(t *testing.T) {
	l := newVirtualLoop(t)
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		if err := Sleep(ctx, time.Hour); !errors.Is(err, ErrCancelled) {
			return 0, fmt.Errorf("sleep returned %v", err)
		}
		return 42, nil
	})
	l.CallLater(time.Second, func() { tk.Cancel() })
	l.RunUntilComplete(tk)
	v, err := tk.Result()
	if v != 42 || err != nil || tk.Cancelled() {
		t.Errorf("got %d, %v, cancelled=%v; want 42, nil, false", v, err, tk.Cancelled())
	}
}

func TestCancellationIsLevelTriggered(t *testing.T) {
	l := newVirtualLoop(t)
	var errs []error
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		errs = append(errs, Sleep(ctx, time.Hour))
		errs = append(errs, Sleep(ctx, 0))                              // still cancelled
		errs = append(errs, WaitDone(ctx, NewFuture[int](LoopOf(ctx)))) // still cancelled
		// Cleanup that must await after cancellation uses WithoutCancel.
		errs = append(errs, Sleep(context.WithoutCancel(ctx), time.Second))
		return 0, ctx.Err()
	})
	l.CallLater(time.Minute, func() { tk.Cancel() })
	l.RunUntilComplete(tk)
	for i, want := range []error{ErrCancelled, ErrCancelled, ErrCancelled, nil} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("await %d = %v, want %v", i, errs[i], want)
		}
	}
	if !tk.Cancelled() {
		t.Error("task returning ctx.Err() after cancel is not Cancelled")
	}
}

func TestPanicInTaskBecomesItsError(t *testing.T) {
	l := newVirtualLoop(t)
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		Sleep(ctx, 0)
		var s []int
		_ = s[len(s)] // an index out of range panics
		return 0, nil
	})
	err := l.RunUntilComplete(tk)
	var pe *PanicError
	if !errors.As(err, &pe) || !strings.Contains(string(pe.Stack), "task_test.go") {
		t.Fatalf("err = %v", err)
	}
	// The loop still works.
	v, err := runTask(t, l, func(ctx context.Context) (int, error) { return 5, Sleep(ctx, time.Second) })
	if v != 5 || err != nil {
		t.Errorf("after panic: %d, %v", v, err)
	}
}

func TestAwaitOutsideTaskIsAnError(t *testing.T) {
	l := newVirtualLoop(t)
	f := NewFuture[int](l)
	// Context without a loop.
	if err := Sleep(context.Background(), time.Second); !errors.Is(err, ErrNotInTask) {
		t.Errorf("Sleep(Background) = %v", err)
	}
	// The loop's root context: not a task.
	if _, err := Await[int](l.Context(), f); !errors.Is(err, ErrNotInTask) {
		t.Errorf("Await(root ctx) = %v", err)
	}
	// From a callback on the loop goroutine, with a task's context.
	var fromCallback, fromGoroutine, wrongTask error
	var taskCtx context.Context
	var wg sync.WaitGroup
	main := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		taskCtx = ctx
		l.CallSoon(func() { fromCallback = Sleep(taskCtx, time.Second) })
		// A goroutine awaiting with the task's ctx while the task itself is
		// parked (started from a callback, so the task has surely parked:
		// a goroutine that awaits with the ctx of the task while that task
		// runs is the one misuse only debug mode can see).
		handoff := NewFuture[int](l)
		wg.Add(1)
		l.CallSoon(func() {
			go func() {
				defer wg.Done()
				fromGoroutine = Sleep(taskCtx, time.Second)
				l.CallSoonThreadsafe(func() { handoff.SetResult(1) })
			}()
		})
		if _, err := Await[int](ctx, handoff); err != nil {
			return 0, err
		}
		other := Spawn(l.Context(), func(ctx context.Context) (int, error) {
			wrongTask = Sleep(taskCtx, time.Second) // the parent's ctx inside a child
			return 0, nil
		})
		wg.Wait()
		if _, err := Await(ctx, other); err != nil {
			return 0, err
		}
		return 0, Sleep(ctx, time.Second)
	})
	if err := l.RunUntilComplete(main); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{"callback": fromCallback, "goroutine": fromGoroutine, "other task": wrongTask} {
		if !errors.Is(err, ErrNotInTask) {
			t.Errorf("await from %s = %v, want ErrNotInTask", name, err)
		}
	}
}

func TestAwaitFutureOfAnotherLoop(t *testing.T) {
	l1, l2 := newVirtualLoop(t), newVirtualLoop(t)
	f := NewFuture[int](l2)
	_, err := runTask(t, l1, func(ctx context.Context) (int, error) { return Await[int](ctx, f) })
	if !errors.Is(err, ErrWrongLoop) {
		t.Errorf("err = %v, want ErrWrongLoop", err)
	}
}

func TestFutureSingleAssignment(t *testing.T) {
	l := newVirtualLoop(t)
	f := NewFuture[int](l)
	if _, err := f.Result(); !errors.Is(err, ErrInvalidState) {
		t.Errorf("Result of pending = %v", err)
	}
	if err := f.Err(); !errors.Is(err, ErrInvalidState) {
		t.Errorf("Err of pending = %v", err)
	}
	if err := f.SetResult(1); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"SetResult": f.SetResult(2),
		"SetError":  f.SetError(errors.New("x")),
	} {
		if !errors.Is(err, ErrInvalidState) {
			t.Errorf("second %s = %v", name, err)
		}
	}
	if f.Cancel() {
		t.Error("Cancel of done future = true")
	}
	if v, err := f.Result(); v != 1 || err != nil {
		t.Errorf("Result = %d, %v", v, err)
	}
	if err := NewFuture[int](l).SetError(nil); err == nil {
		t.Error("SetError(nil) accepted")
	}
}

func TestDoneCallbacksRunThroughLoopInRegistrationOrder(t *testing.T) {
	l := newVirtualLoop(t)
	f := NewFuture[int](l)
	var tr trace
	for i := 0; i < 4; i++ {
		f.AddDoneCallback(func(f *Future[int]) {
			v, _ := f.Result()
			tr.add(fmt.Sprintf("cb%d=%d", i, v))
		})
	}
	removed := f.OnDone(func() { tr.add("removed") })
	if !f.RemoveDoneCallback(removed) || f.RemoveDoneCallback(removed) {
		t.Error("RemoveDoneCallback should succeed once")
	}
	l.CallSoon(func() {
		f.SetResult(9)
		tr.add("after SetResult") // callbacks never run inline
	})
	l.CallLater(time.Second, l.Stop)
	l.RunForever()
	// A callback added after completion is still scheduled, not run inline.
	f.OnDone(func() { tr.add("late") })
	tr.add("after late OnDone")
	l.RunOnce(0)
	want := []string{"after SetResult", "cb0=9", "cb1=9", "cb2=9", "cb3=9", "after late OnDone", "late"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAwaitingTaskCancelledCancelsAwaitedTaskAndWaitsForCleanup(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	inner := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		err := Sleep(ctx, time.Hour)
		tr.add("inner cancelled")
		Sleep(context.WithoutCancel(ctx), time.Second) // cleanup takes a while
		tr.add("inner cleaned up")
		return 0, err
	}, WithName("inner"))
	outer := Spawn(context.WithoutCancel(l.Context()), func(ctx context.Context) (int, error) {
		_, err := Await[int](ctx, inner)
		tr.add("outer returns")
		return 0, err
	}, WithName("outer"))
	l.CallLater(time.Minute, func() { outer.Cancel() })
	l.RunUntilComplete(outer)
	want := []string{"inner cancelled", "inner cleaned up", "outer returns"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !inner.Cancelled() || !outer.Cancelled() {
		t.Errorf("inner cancelled=%v outer cancelled=%v", inner.Cancelled(), outer.Cancelled())
	}
}

func TestCancellationAtEveryAwaitPoint(t *testing.T) {
	awaits := map[string]func(ctx context.Context) error{
		"Sleep": func(ctx context.Context) error { return Sleep(ctx, time.Hour) },
		"Sleep0loop": func(ctx context.Context) error {
			for {
				if err := Sleep(ctx, 0); err != nil {
					return err
				}
			}
		},
		"AwaitFuture": func(ctx context.Context) error {
			_, err := Await[int](ctx, NewFuture[int](LoopOf(ctx)))
			return err
		},
		"AwaitTask": func(ctx context.Context) error {
			child := Spawn(context.WithoutCancel(ctx), func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
			_, err := Await[int](ctx, child)
			if !child.Cancelled() {
				return errors.New("awaited child not cancelled")
			}
			return err
		},
		"StdlibDerivedCtx": func(ctx context.Context) error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			return Sleep(cctx, time.Hour)
		},
		"LoopWithCancel": func(ctx context.Context) error {
			cctx, cancel := WithCancel(ctx)
			defer cancel()
			return Sleep(cctx, time.Hour)
		},
	}
	for name, await := range awaits {
		t.Run(name, func(t *testing.T) {
			l := newVirtualLoop(t)
			tk := Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, await(ctx) })
			// Cancel after a few iterations (not by a timer: a task that
			// keeps the loop busy keeps virtual time from moving).
			canceller := Spawn(l.Context(), func(ctx context.Context) (int, error) {
				for i := 0; i < 5; i++ {
					Sleep(ctx, 0)
				}
				tk.Cancel()
				return 0, nil
			})
			err := l.RunUntilComplete(tk)
			if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) || !tk.Cancelled() {
				t.Errorf("err = %v, cancelled = %v", err, tk.Cancelled())
			}
			l.RunUntilComplete(canceller)
		})
	}
}

func TestForeignContextCancelledFromAnotherGoroutine(t *testing.T) {
	l, err := New() // real clock: the cancel comes from outside
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	parent, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		// A context merging the task's with an outside one.
		merged, stop := context.WithCancel(ctx)
		defer stop()
		context.AfterFunc(parent, stop)
		close(ready)
		return 0, Sleep(merged, time.Hour)
	})
	go func() { <-ready; cancel() }()
	err = l.RunUntilComplete(tk)
	if !errors.Is(err, ErrCancelled) {
		t.Errorf("err = %v", err)
	}
}

func TestSpawnedChildInheritsCancellation(t *testing.T) {
	l := newVirtualLoop(t)
	var child *Task[int]
	parent := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		child = Spawn(ctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
		return 0, Sleep(ctx, time.Hour)
	})
	l.CallLater(time.Second, func() { parent.Cancel() })
	l.RunUntilComplete(parent)
	l.RunUntilComplete(child)
	if !child.Cancelled() {
		t.Errorf("child err = %v; cancelling the parent's ctx must cancel it", child.Err())
	}
}

func TestChildOutlivingParentStillCancelledByGrandparent(t *testing.T) {
	l := newVirtualLoop(t)
	var child *Task[int]
	gp := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		parent := Spawn(ctx, func(ctx context.Context) (int, error) {
			child = Spawn(ctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
			return 0, nil // parent finishes at once
		})
		if _, err := Await(ctx, parent); err != nil {
			return 0, err
		}
		return 0, Sleep(ctx, time.Hour)
	})
	l.CallLater(time.Minute, func() { gp.Cancel() })
	l.RunUntilComplete(gp)
	l.RunUntilComplete(child)
	if !child.Cancelled() {
		t.Errorf("child err = %v", child.Err())
	}
}

func TestUnretrievedTaskErrorReportedAtClose(t *testing.T) {
	var reports []ExceptionContext
	l, _ := New(WithExceptionHandler(func(_ *Loop, c ExceptionContext) { reports = append(reports, c) }))
	boom := errors.New("boom")
	Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, boom }, WithName("forgotten"))
	seen := Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, errors.New("seen") })
	Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, ErrCancelled }) // cancellation is not reported
	l.RunOnce(0)
	seen.Err()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || !errors.Is(reports[0].Err, boom) || reports[0].Task != "forgotten" {
		t.Errorf("reports = %+v", reports)
	}
}

func TestDebugModeReportsWrongGoroutine(t *testing.T) {
	var buf logBuffer
	l := newVirtualLoop(t, WithDebug(true), WithLogger(buf.logger()))
	var fromOther, fromTask, fromLoop error
	done := make(chan struct{})
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		_, fromTask = l.CallSoon(func() {})
		go func() { _, fromOther = l.CallSoon(func() {}); close(done) }()
		<-done // blocking the loop on purpose, only in this test
		return 0, nil
	})
	l.CallSoon(func() { _, fromLoop = l.CallSoon(func() {}) })
	l.RunUntilComplete(tk)
	if fromTask != nil || fromLoop != nil {
		t.Errorf("legitimate calls failed: task %v, loop %v", fromTask, fromLoop)
	}
	var ge *GoroutineError
	if !errors.As(fromOther, &ge) || ge.Method != "CallSoon" || !strings.Contains(ge.Caller, "task_test.go") {
		t.Errorf("call from another goroutine = %v", fromOther)
	}
	if !strings.Contains(buf.String(), "CallSoonThreadsafe") {
		t.Errorf("debug log lacks the hint: %q", buf.String())
	}
}

func TestDebugModeReportsSlowCallbacksAndSteps(t *testing.T) {
	var buf logBuffer
	l := newVirtualLoop(t, WithDebug(true), WithLogger(buf.logger()), WithSlowCallbackDuration(0))
	runTask(t, l, func(ctx context.Context) (int, error) { return 0, nil })
	if out := buf.String(); !strings.Contains(out, "slow task step") || !strings.Contains(out, "task=test-main") || !strings.Contains(out, "slow callback") {
		t.Errorf("log = %q", out)
	}
}

func TestWithCancelScope(t *testing.T) {
	l := newVirtualLoop(t)
	v, err := runTask(t, l, func(ctx context.Context) (string, error) {
		cctx, cancel := WithCancel(ctx)
		child := Spawn(cctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
		l.CallLater(time.Second, cancel)
		WaitDone(ctx, child)
		if !child.Cancelled() || cctx.Err() != context.Canceled || ctx.Err() != nil {
			return "", fmt.Errorf("child %v, cctx %v, ctx %v", child.Err(), cctx.Err(), ctx.Err())
		}
		select {
		case <-cctx.Done():
		default:
			return "", errors.New("Done not closed")
		}
		return "ok", nil
	})
	if v != "ok" || err != nil {
		t.Error(v, err)
	}
}

func TestDeterministicTraceOnVirtualClock(t *testing.T) {
	run := func() []string {
		l := newVirtualLoop(t)
		var tr trace
		for i := 0; i < 5; i++ {
			Spawn(l.Context(), func(ctx context.Context) (int, error) {
				for j := 0; j < 4; j++ {
					Sleep(ctx, time.Duration((i*7+j*3)%5)*time.Millisecond)
					tr.add(fmt.Sprintf("t%d.%d@%v", i, j, l.Time()))
				}
				return 0, nil
			})
			l.CallLater(time.Duration(i)*time.Millisecond, func() { tr.add(fmt.Sprintf("cb%d@%v", i, l.Time())) })
		}
		l.CallLater(time.Second, l.Stop)
		l.RunForever()
		return tr.get()
	}
	a, b := run(), run()
	if len(a) != 25 {
		t.Fatalf("%d events", len(a))
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

func TestParkerHandOffAndCancellation(t *testing.T) {
	l := newVirtualLoop(t)
	var waiting []Parker
	got := map[string]error{}
	waiter := func(name string) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			p, err := ParkerFor(ctx, l)
			if err != nil {
				return 0, err
			}
			waiting = append(waiting, p)
			got[name] = p.Park(ctx)
			return 0, nil
		}
	}
	a := Spawn(l.Context(), waiter("a"))
	b := Spawn(l.Context(), waiter("b"))
	c := Spawn(l.Context(), waiter("c"))
	l.RunOnce(0) // all three park
	if len(waiting) != 3 {
		t.Fatalf("%d parked", len(waiting))
	}
	waiting[0].Unpark()
	a.Cancel() // too late: the Unpark came first
	b.Cancel()
	waiting[2].Unpark()
	waiting[2].Unpark() // idempotent
	for _, tk := range []*Task[int]{a, b, c} {
		l.RunUntilComplete(tk)
	}
	if got["a"] != nil || !errors.Is(got["b"], ErrCancelled) || got["c"] != nil {
		t.Errorf("got %v", got)
	}
	if _, err := ParkerFor(context.Background(), nil); !errors.Is(err, ErrNotInTask) {
		t.Errorf("ParkerFor outside a task = %v", err)
	}
}
