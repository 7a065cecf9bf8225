package eventloop

// Conformance with asyncio's promises under misuse and faults: ordering of
// the ready queue and the timers, errors for misuse (a task awaiting
// itself, a nested loop, nil waitables, contexts of no task), faults
// (runtime.Goexit, a broken logger) and shutdown (Close while other
// goroutines post, signal handlers left installed). Several cases port
// CPython's test_events and test_base_events.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// From the loop goroutine, CallSoonThreadsafe and CallSoon append to one
// FIFO, as asyncio's call_soon_threadsafe and call_soon append to one
// ready deque.
func TestCallSoonThreadsafeSharesFIFOWithCallSoon(t *testing.T) {
	l := newVirtualLoop(t)
	var got []string
	add := func(s string) func() { return func() { got = append(got, s) } }
	l.CallSoon(func() {
		l.CallSoonThreadsafe(add("a"))
		l.CallSoon(add("b"))
		l.CallSoonThreadsafe(add("c"))
		l.CallSoon(add("d"))
		f := NewFuture[int](l)
		l.CallSoonThreadsafe(add("e"))
		f.OnDone(add("f")) // a done callback is queued as call_soon queues it
		f.SetResult(1)
		l.CallSoonThreadsafe(l.Stop)
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e", "f"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// The same from a running task: its CallSoonThreadsafe comes before the
// wake-up of a task it unparks afterwards.
func TestCallSoonThreadsafeFromTaskKeepsOrder(t *testing.T) {
	l := newVirtualLoop(t)
	var got []string
	f := NewFuture[int](l)
	waiter := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		v, err := Await(ctx, f)
		got = append(got, "waiter")
		return v, err
	})
	runTask(t, l, func(ctx context.Context) (int, error) {
		Sleep(ctx, 0) // waiter parks
		l.CallSoonThreadsafe(func() { got = append(got, "threadsafe") })
		f.SetResult(1)
		return 0, WaitDone(ctx, waiter)
	})
	if diff := cmp.Diff([]string{"threadsafe", "waiter"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// From other goroutines, callbacks run in the order they were accepted:
// each goroutine posts, then hands over to the next, so the posts are
// ordered by happens-before.
func TestCallSoonThreadsafeAcceptedOrderAcrossGoroutines(t *testing.T) {
	l := newVirtualLoop(t)
	const n = 200
	var got []int
	turn := make([]chan struct{}, n+1)
	for i := range turn {
		turn[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-turn[i]
			l.CallSoonThreadsafe(func() { got = append(got, i) })
			close(turn[i+1])
		}()
	}
	close(turn[0])
	<-turn[n]
	wg.Wait()
	l.CallSoonThreadsafe(l.Stop)
	l.RunForever()
	for i, v := range got {
		if v != i {
			t.Fatalf("got[%d] = %d: callbacks out of accepted order", i, v)
		}
	}
	if len(got) != n {
		t.Fatalf("ran %d callbacks, want %d", len(got), n)
	}
}

// test_base_events: call_later with a negative delay is scheduled at
// now+delay, so two negative delays run in deadline order; equal
// deadlines keep the order they were set.
func TestNegativeDelaysRunInDeadlineOrder(t *testing.T) {
	l := newVirtualLoop(t)
	var got []string
	add := func(s string) func() { return func() { got = append(got, s) } }
	now := l.Time()
	ha, _ := l.CallLater(-1, add("a"))
	hb, _ := l.CallLater(-2, add("b"))
	l.CallLater(0, add("c"))
	l.CallLater(-2, add("b2"))
	l.CallAt(now-3, add("at-3"))
	l.CallLater(time.Second, l.Stop)
	if ha.When() != now-1 || hb.When() != now-2 {
		t.Errorf("When = %v, %v; want now-1, now-2", ha.When(), hb.When())
	}
	l.RunForever()
	if diff := cmp.Diff([]string{"at-3", "b", "b2", "a", "c"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// A delay so negative that now+d would wrap saturates instead of landing
// in the far future.
func TestHugeNegativeDelayStillRunsFirst(t *testing.T) {
	l := newVirtualLoop(t)
	var got []string
	l.CallLater(0, func() { got = append(got, "zero") })
	l.CallLater(-1<<63, func() { got = append(got, "min") })
	l.CallLater(time.Second, l.Stop)
	l.RunForever()
	if diff := cmp.Diff([]string{"min", "zero"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// test_tasks' test_task_await_self (asyncio: "Task cannot await on
// itself"): the await fails at once, the task does not park, and the
// loop runs on.
func TestTaskAwaitingItselfFailsAtOnce(t *testing.T) {
	for _, name := range []string{"WaitDone", "Await", "WaitDone-in-timeout"} {
		t.Run(name, func(t *testing.T) {
			l := newVirtualLoop(t)
			var self *Task[int]
			self = Spawn(l.Context(), func(ctx context.Context) (int, error) {
				switch name {
				case "WaitDone":
					return 0, WaitDone(ctx, self)
				case "Await":
					_, err := Await(ctx, self)
					return 0, err
				}
				cctx, ds, err := WithTimeoutAt(ctx, l.Deadline(time.Minute))
				if err != nil {
					return 0, err
				}
				defer ds.Close()
				return 0, ds.Result(WaitDone(cctx, self))
			})
			stop, _ := l.CallLater(time.Hour, l.Stop) // bounds the test on a loop that would wait forever
			err := l.RunUntilComplete(self)
			stop.Cancel()
			if !errors.Is(err, ErrAwaitSelf) {
				t.Fatalf("err = %v, want ErrAwaitSelf", err)
			}
			if l.Time() != 0 {
				t.Errorf("the task waited until %v", l.Time())
			}
		})
	}
}

// Cancelling a task that awaits itself (it gets its error at once, so
// this is the cancellation of a task that handles the error and awaits
// again) leaves the loop working: timers fire and other tasks run.
func TestCancelSelfAwaitingTaskKeepsLoopRunning(t *testing.T) {
	l := newVirtualLoop(t)
	var self *Task[int]
	self = Spawn(l.Context(), func(ctx context.Context) (int, error) {
		for i := 0; i < 3; i++ {
			if err := WaitDone(ctx, self); !errors.Is(err, ErrAwaitSelf) {
				return 0, err
			}
		}
		return 0, Sleep(ctx, time.Hour)
	})
	ticks := 0
	main := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		Sleep(ctx, time.Millisecond)
		self.Cancel()
		for i := 0; i < 5; i++ {
			if err := Sleep(ctx, time.Millisecond); err != nil {
				return 0, err
			}
			ticks++
		}
		return 0, WaitDone(ctx, self)
	})
	stop, _ := l.CallLater(time.Minute, l.Stop)
	if err := l.RunUntilComplete(main); err != nil {
		t.Fatal(err)
	}
	stop.Cancel()
	if ticks != 5 || !self.Cancelled() {
		t.Errorf("ticks = %d, self cancelled = %v", ticks, self.Cancelled())
	}
}

// asyncio: "Cannot run the event loop while another loop is running"
// (test_events' test_run_until_complete_nesting, across two loops).
func TestNestedLoopIsAnError(t *testing.T) {
	runs := map[string]func(l2 *Loop) error{
		"RunUntilComplete": func(l2 *Loop) error {
			f := NewFuture[int](l2)
			h, _ := l2.CallLater(time.Hour, l2.Stop) // bounds the test where nesting works
			defer h.Cancel()
			return l2.RunUntilComplete(f)
		},
		"RunForever": func(l2 *Loop) error { l2.Stop(); return l2.RunForever() },
		"RunOnce":    func(l2 *Loop) error { return l2.RunOnce(0) },
	}
	for name, run := range runs {
		for _, from := range []string{"task", "callback"} {
			t.Run(name+"/"+from, func(t *testing.T) {
				l := newVirtualLoop(t)
				l2 := newVirtualLoop(t)
				var err error
				if from == "task" {
					runTask(t, l, func(ctx context.Context) (int, error) {
						err = run(l2)
						return 0, nil
					})
				} else {
					l.CallSoon(func() { err = run(l2); l.Stop() })
					l.RunForever()
				}
				if !errors.Is(err, ErrNestedLoop) {
					t.Fatalf("err = %v, want ErrNestedLoop", err)
				}
				if l2.IsRunning() {
					t.Error("the inner loop is left running")
				}
				// Nothing was left registered on l2's future: it runs normally.
				if err := run(l2); err != nil && !errors.Is(err, ErrStopped) {
					t.Errorf("l2 outside l: %v", err)
				}
			})
		}
	}
}

// Two loops on two goroutines are not nested.
func TestLoopsOnTwoGoroutinesAreNotNested(t *testing.T) {
	l := newVirtualLoop(t)
	l2 := newVirtualLoop(t)
	var err error
	runTask(t, l, func(ctx context.Context) (int, error) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			err = l2.RunOnce(0)
		}()
		<-done
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A task whose body calls runtime.Goexit ends with ErrGoexit, and the
// loop goes on.
func TestGoexitInTaskBody(t *testing.T) {
	for _, host := range []bool{true, false} {
		t.Run(fmt.Sprint("hosting=", host), func(t *testing.T) {
			l := newVirtualLoop(t, WithHosting(host))
			cleaned := false
			bad := Spawn(l.Context(), func(ctx context.Context) (int, error) {
				defer func() { cleaned = true }()
				Sleep(ctx, 0)
				runtime.Goexit()
				return 1, nil
			})
			n, err := runTask(t, l, func(ctx context.Context) (int, error) {
				if err := WaitDone(ctx, bad); err != nil {
					return 0, err
				}
				Sleep(ctx, time.Second) // the loop still fires timers
				return 7, nil
			})
			if n != 7 || err != nil {
				t.Fatalf("main = %d, %v", n, err)
			}
			if _, err := bad.Result(); !errors.Is(err, ErrGoexit) || !cleaned {
				t.Errorf("bad task: %v, deferred cleanup ran: %v", err, cleaned)
			}
		})
	}
}

// A callback that calls runtime.Goexit ends the goroutine running the
// loop, as Goexit says; the loop reports it and is left idle, so another
// goroutine can run it on or close it.
func TestGoexitInCallback(t *testing.T) {
	var logs logBuffer
	l := newVirtualLoop(t, WithLogger(logs.logger()))
	ran := false
	l.CallSoon(func() { runtime.Goexit() })
	l.CallSoon(func() { ran = true; l.Stop() })
	done := make(chan error, 1)
	go func() {
		defer close(done)
		done <- l.RunForever()
	}()
	select {
	case err, ok := <-done:
		if ok {
			t.Fatalf("RunForever returned %v on the goroutine that called Goexit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunForever's goroutine neither returned nor ended")
	}
	if !strings.Contains(logs.String(), "runtime.Goexit") {
		t.Errorf("not reported: %q", logs.String())
	}
	if l.IsRunning() {
		t.Fatal("the loop is left running")
	}
	if err := l.RunForever(); err != nil || !ran {
		t.Errorf("RunForever again: %v, rest of the batch ran: %v", err, ran)
	}
}

// panicHandler is a slog handler that panics: a broken logging backend.
type panicHandler struct{}

func (panicHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (panicHandler) Handle(context.Context, slog.Record) error { panic("broken handler") }
func (h panicHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h panicHandler) WithGroup(string) slog.Handler           { return h }

// A panic inside the default exception handler's logging is contained:
// the loop goes on and the rest of the batch runs.
func TestBrokenLoggerInDefaultHandlerIsContained(t *testing.T) {
	l := newVirtualLoop(t, WithLogger(slog.New(panicHandler{})))
	var got []string
	l.CallSoon(func() { panic("boom") })
	l.CallSoon(func() { got = append(got, "after") })
	l.CallLater(time.Second, func() { got = append(got, "timer"); l.Stop() })
	done := make(chan error, 1)
	go func() { done <- l.RunForever() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the loop died")
	}
	if diff := cmp.Diff([]string{"after", "timer"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A custom handler that panics, with a broken logger behind it.
	l.SetExceptionHandler(func(*Loop, ExceptionContext) { panic("handler") })
	l.CallSoon(func() { panic("boom") })
	l.CallSoon(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
}

// Close returns promptly while other goroutines keep posting: what was
// accepted before Close ran, and posts after fail with ErrClosed. The
// callbacks yield, so that the posters post many while one runs (a loop
// that drained the inbox until it stayed empty would never finish).
func TestCloseWhileOtherGoroutinesPost(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	var accepted, ran atomic.Int64
	cb := func() { ran.Add(1); runtime.Gosched() }
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				if l.CallSoonThreadsafe(cb) == nil {
					accepted.Add(1)
				}
			}
		}()
	}
	for accepted.Load() < 1000 {
		runtime.Gosched()
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
		close(quit)
	case <-time.After(10 * time.Second):
		t.Error("Close is held by the posting goroutines")
		close(quit)
		<-closed
	}
	wg.Wait()
	if a, r := accepted.Load(), ran.Load(); a != r {
		t.Errorf("accepted %d callbacks, ran %d", a, r)
	}
	if err := l.CallSoonThreadsafe(func() {}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// A callback accepted just before Close (after Close's last round in
// today's loop) still runs: a submission is never left pending. Close
// callbacks post more from the loop while Close runs, past any bound on
// its rounds.
func TestCloseRunsEverythingAccepted(t *testing.T) {
	l, _ := New()
	accepted, ran := 0, 0
	var post func()
	post = func() {
		ran++
		if l.CallSoonThreadsafe(post) == nil { // refused once Close stopped accepting
			accepted++
		}
	}
	if l.CallSoonThreadsafe(post) == nil {
		accepted++
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if ran != accepted {
		t.Errorf("accepted %d, ran %d: an accepted callback was dropped", accepted, ran)
	}
}

// A nil waitable gets its own error, never ErrWrongLoop or a nil-pointer
// panic.
func TestNilWaitable(t *testing.T) {
	l := newVirtualLoop(t)
	var nilTask *Task[int]
	var nilFuture *Future[int]
	cases := map[string]Waitable{"nil": nil, "nil task": nilTask, "nil future": nilFuture}
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			err := noPanic(func() error { return l.RunUntilComplete(w) })
			if !errors.Is(err, ErrNilWaitable) || errors.Is(err, ErrWrongLoop) {
				t.Errorf("RunUntilComplete: %v", err)
			}
			_, _ = runTask(t, l, func(ctx context.Context) (int, error) {
				err := noPanic(func() error { return WaitDone(ctx, w) })
				if !errors.Is(err, ErrNilWaitable) {
					t.Errorf("WaitDone: %v", err)
				}
				return 0, nil
			})
			if err := Watch(w, nopWatcher{}); !errors.Is(err, ErrNilWaitable) {
				t.Errorf("Watch: %v", err)
			}
		})
	}
	_, _ = runTask(t, l, func(ctx context.Context) (int, error) {
		_, err := Await[int](ctx, nilFuture)
		if !errors.Is(err, ErrNilWaitable) {
			t.Errorf("Await: %v", err)
		}
		return 0, nil
	})
}

type nopWatcher struct{}

func (nopWatcher) FutureDone(error) bool { return false }

func noPanic(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// Every await given a context that belongs to no task (the loop's root,
// context.Background, a context of a task that is not running) fails
// with ErrNotInTask.
func TestAwaitWithContextOfNoTask(t *testing.T) {
	l := newVirtualLoop(t)
	f := NewFuture[int](l)
	var otherCtx context.Context
	other := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		otherCtx = ctx
		return 0, Sleep(ctx, time.Hour)
	})
	awaits := map[string]func(ctx context.Context) error{
		"Sleep":    func(ctx context.Context) error { return Sleep(ctx, time.Second) },
		"Sleep0":   func(ctx context.Context) error { return Sleep(ctx, 0) },
		"Await":    func(ctx context.Context) error { _, err := Await[int](ctx, f); return err },
		"WaitDone": func(ctx context.Context) error { return WaitDone(ctx, f) },
		"Parker": func(ctx context.Context) error {
			_, err := ParkerFor(ctx, nil)
			return err
		},
	}
	runTask(t, l, func(ctx context.Context) (int, error) {
		Sleep(ctx, 0) // other starts
		ctxs := map[string]context.Context{
			"root": l.Context(), "background": context.Background(), "other task": otherCtx,
			"root with value": context.WithValue(l.Context(), ctxKey{}, 1),
		}
		for cn, c := range ctxs {
			for an, await := range awaits {
				if err := noPanic(func() error { return await(c) }); !errors.Is(err, ErrNotInTask) {
					t.Errorf("%s with the %s context: %v, want ErrNotInTask", an, cn, err)
				}
			}
		}
		other.Cancel()
		return 0, nil
	})
	if l.Time() != 0 {
		t.Errorf("an await waited: the time is %v", l.Time())
	}
}

// asyncio's Handle.cancelled().
func TestHandleCancelled(t *testing.T) {
	l := newVirtualLoop(t)
	h, _ := l.CallSoon(func() { t.Error("cancelled callback ran") })
	ran, _ := l.CallSoon(func() {})
	if h.Cancelled() {
		t.Error("Cancelled before Cancel")
	}
	if !h.Cancel() || !h.Cancelled() {
		t.Error("Cancel did not take")
	}
	copyBefore := ran
	l.CallSoon(l.Stop)
	l.RunForever()
	if ran.Cancelled() || ran.Cancel() || ran.Cancelled() || copyBefore.Cancelled() {
		t.Error("a handle that ran reports cancelled")
	}
	if !h.Cancelled() {
		t.Error("Cancelled forgot after the loop ran")
	}
	var zero Handle
	if zero.Cancelled() || zero.Cancel() {
		t.Error("zero Handle")
	}
}

type ctxKey struct{}

// A callback that calls runtime.Goexit while a parked task hosts the loop
// on its goroutine (host.go) ends that host and every host above it, up to
// the goroutine running the loop, which ends too; the loop is reported,
// left idle and consistent, and runs on from another goroutine.
func TestGoexitInHostedCallback(t *testing.T) {
	var logs logBuffer
	l := newVirtualLoop(t, WithLogger(logs.logger()))
	main := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		l.CallSoon(func() { runtime.Goexit() })
		for i := 0; i < 3; i++ {
			if err := Sleep(ctx, 0); err != nil {
				return 0, err
			}
		}
		return 1, nil
	})
	done := make(chan error, 1)
	go func() {
		defer close(done)
		done <- l.RunUntilComplete(main)
	}()
	select {
	case err, ok := <-done:
		if ok {
			t.Fatalf("RunUntilComplete returned %v on the goroutine that called Goexit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunUntilComplete's goroutine neither returned nor ended")
	}
	if l.IsRunning() || !strings.Contains(logs.String(), "runtime.Goexit") {
		t.Fatalf("running %v, log %q", l.IsRunning(), logs.String())
	}
	t.Logf("the callback ran on a host: %v", main.Done())
	if !main.Done() {
		// Not hosting (the callback ran on the loop goroutine): the task
		// is intact and finishes now.
		if err := l.RunUntilComplete(main); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := main.Result(); !errors.Is(err, ErrGoexit) {
		t.Errorf("host task: %v, want ErrGoexit", err)
	}
	// The loop runs on: a fresh task completes.
	n, err := runTask(t, l, func(ctx context.Context) (int, error) { return 2, Sleep(ctx, time.Second) })
	if n != 2 || err != nil {
		t.Errorf("after: %d %v", n, err)
	}
}
