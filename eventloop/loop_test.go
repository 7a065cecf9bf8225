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

func TestCallSoonRunsFIFO(t *testing.T) {
	l := newVirtualLoop(t)
	var got []int
	for i := 0; i < 5; i++ {
		if _, err := l.CallSoon(func() { got = append(got, i) }); err != nil {
			t.Fatal(err)
		}
	}
	l.CallSoon(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestCallbackScheduledDuringRunRunsNextIteration(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	iter := func() uint64 { return l.stats.Iterations }
	l.CallSoon(func() {
		tr.add(fmt.Sprintf("A@%d", iter()))
		l.CallSoon(func() { tr.add(fmt.Sprintf("B@%d", iter())); l.Stop() })
	})
	l.CallSoon(func() { tr.add(fmt.Sprintf("C@%d", iter())) })
	l.RunForever()
	if diff := cmp.Diff([]string{"A@1", "C@1", "B@2"}, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestExpiredTimersRunAfterQueuedCallbacks(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	l.CallLater(0, func() { tr.add("timer") })
	l.CallSoon(func() { tr.add("soon1") })
	l.CallSoon(func() { tr.add("soon2") })
	l.CallLater(time.Second, l.Stop)
	l.RunForever()
	if diff := cmp.Diff([]string{"soon1", "soon2", "timer"}, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEqualDeadlinesRunInOrderSet(t *testing.T) {
	l := newVirtualLoop(t)
	var got []int
	when := l.Time() + time.Second
	for i := 0; i < 50; i++ {
		l.CallAt(when, func() { got = append(got, i) })
	}
	l.CallAt(when-time.Millisecond, func() { got = append(got, -1) })
	l.CallAt(when+time.Millisecond, l.Stop)
	l.RunForever()
	want := []int{-1}
	for i := 0; i < 50; i++ {
		want = append(want, i)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTimersFireInDeadlineOrderOnVirtualClock(t *testing.T) {
	l := newVirtualLoop(t)
	var got []time.Duration
	for _, d := range []time.Duration{3 * time.Hour, time.Second, 2 * time.Minute, 0} {
		l.CallLater(d, func() { got = append(got, l.Time()) })
	}
	l.CallLater(4*time.Hour, l.Stop)
	l.RunForever()
	want := []time.Duration{0, time.Second, 2 * time.Minute, 3 * time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("virtual times (-want +got):\n%s", diff)
	}
	if l.Time() != 4*time.Hour {
		t.Errorf("Time = %v, want 4h", l.Time())
	}
}

func TestNegativeDelayRunsAsSoonAsPossible(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	l.CallLater(time.Millisecond, func() { tr.add("1ms") })
	l.CallLater(-time.Hour, func() { tr.add("negative") })
	l.CallLater(time.Second, l.Stop)
	l.RunForever()
	if diff := cmp.Diff([]string{"negative", "1ms"}, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCancelHandles(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	h, _ := l.CallSoon(func() { tr.add("cancelled soon") })
	l.CallSoon(func() { tr.add("kept soon") })
	th, _ := l.CallLater(time.Second, func() { tr.add("cancelled timer") })
	l.CallLater(2*time.Second, func() { tr.add("kept timer"); l.Stop() })
	if !h.Cancel() || h.Cancel() {
		t.Error("Handle.Cancel should report true once, then false")
	}
	if !th.Cancel() || th.Cancel() || !th.Cancelled() {
		t.Error("TimerHandle.Cancel should report true once, then false")
	}
	l.RunForever()
	if diff := cmp.Diff([]string{"kept soon", "kept timer"}, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if (&Handle{}).Cancel() {
		t.Error("zero Handle Cancel = true")
	}
}

func TestHandleCancelAfterRunIsFalse(t *testing.T) {
	l := newVirtualLoop(t)
	h, _ := l.CallSoon(func() {})
	l.RunOnce(0)
	// Many pushes later the ring slot of h is reused; Cancel must not hit the newcomer.
	ran := 0
	for i := 0; i < 200; i++ {
		l.CallSoon(func() { ran++ })
	}
	if h.Cancel() {
		t.Error("Cancel of a callback that already ran reported true")
	}
	l.RunOnce(0)
	if ran != 200 {
		t.Errorf("ran %d callbacks, want 200", ran)
	}
}

func TestNilCallbacksAreErrors(t *testing.T) {
	l := newVirtualLoop(t)
	if _, err := l.CallSoon(nil); !errors.Is(err, ErrNilCallback) {
		t.Errorf("CallSoon(nil) = %v", err)
	}
	if _, err := l.CallLater(time.Second, nil); !errors.Is(err, ErrNilCallback) {
		t.Errorf("CallLater(nil) = %v", err)
	}
	if _, err := l.CallAt(0, nil); !errors.Is(err, ErrNilCallback) {
		t.Errorf("CallAt(nil) = %v", err)
	}
	if err := l.CallSoonThreadsafe(nil); !errors.Is(err, ErrNilCallback) {
		t.Errorf("CallSoonThreadsafe(nil) = %v", err)
	}
	if err := l.AddReader(0, nil); !errors.Is(err, ErrNilCallback) {
		t.Errorf("AddReader(nil) = %v", err)
	}
	if err := l.RunUntilComplete(nil); !errors.Is(err, ErrNilWaitable) {
		t.Errorf("RunUntilComplete(nil) = %v", err)
	}
	tk := Spawn[int](l.Context(), nil)
	if !tk.Done() || !errors.Is(tk.Err(), ErrNilCallback) {
		t.Errorf("Spawn(nil): done=%v err=%v", tk.Done(), tk.Err())
	}
}

func TestCallSoonThreadsafeFromManyGoroutines(t *testing.T) {
	l := newVirtualLoop(t)
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	got := make(map[int][]int)
	total := 0
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := l.CallSoonThreadsafe(func() {
					got[g] = append(got[g], i)
					if total++; total == goroutines*each {
						l.Stop()
					}
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for g := 0; g < goroutines; g++ {
		if len(got[g]) != each {
			t.Fatalf("goroutine %d: %d callbacks ran, want %d", g, len(got[g]), each)
		}
		for i, v := range got[g] {
			if v != i {
				t.Fatalf("goroutine %d: callbacks out of order at %d: %v", g, i, v)
			}
		}
	}
}

func TestStopBeforeRunDoesOneIteration(t *testing.T) {
	l := newVirtualLoop(t)
	ran := 0
	l.CallSoon(func() { ran++; l.CallSoon(func() { ran += 10 }) })
	l.Stop()
	l.RunForever()
	if ran != 1 {
		t.Errorf("ran = %d, want 1 (one iteration)", ran)
	}
	// The second callback is still queued and runs on the next run.
	l.Stop()
	l.RunForever()
	if ran != 11 {
		t.Errorf("ran = %d after second run, want 11", ran)
	}
}

func TestStopFromAnotherGoroutine(t *testing.T) {
	l := newVirtualLoop(t)
	started := make(chan struct{})
	l.CallSoon(func() { close(started) })
	go func() { <-started; l.Stop() }()
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
}

func TestMisuseOfRunningAndClosedLoop(t *testing.T) {
	l := newVirtualLoop(t)
	var runErr, closeErr, onceErr, foreverErr error
	f := NewFuture[int](l)
	l.CallSoon(func() {
		runErr = l.RunUntilComplete(f)
		closeErr = l.Close()
		onceErr = l.RunOnce(0)
		foreverErr = l.RunForever()
		l.Stop()
	})
	l.RunForever()
	for name, err := range map[string]error{"RunUntilComplete": runErr, "Close": closeErr, "RunOnce": onceErr, "RunForever": foreverErr} {
		if !errors.Is(err, ErrRunning) {
			t.Errorf("%s on a running loop = %v, want ErrRunning", name, err)
		}
	}
	if !l.IsClosed() && l.IsRunning() {
		t.Error("state confused")
	}

	l2, _ := New()
	l2.Close()
	checks := map[string]error{}
	_, checks["CallSoon"] = l2.CallSoon(func() {})
	_, checks["CallLater"] = l2.CallLater(1, func() {})
	_, checks["CallAt"] = l2.CallAt(1, func() {})
	checks["CallSoonThreadsafe"] = l2.CallSoonThreadsafe(func() {})
	checks["RunForever"] = l2.RunForever()
	checks["RunOnce"] = l2.RunOnce(0)
	checks["RunUntilComplete"] = l2.RunUntilComplete(NewFuture[int](l2))
	checks["AddReader"] = l2.AddReader(0, func() {})
	checks["Spawn"] = Spawn(l2.Context(), func(context.Context) (int, error) { return 0, nil }).Err()
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed loop = %v, want ErrClosed", name, err)
		}
	}
	if err := l2.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestPanicInCallbackIsReportedAndLoopGoesOn(t *testing.T) {
	var reported []ExceptionContext
	l := newVirtualLoop(t, WithExceptionHandler(func(_ *Loop, c ExceptionContext) { reported = append(reported, c) }))
	var tr trace
	l.CallSoon(func() { tr.add("before") })
	l.CallSoon(func() { panic("boom") })
	l.CallSoon(func() { tr.add("after") })
	l.CallSoon(func() { panic(errors.New("second")) })
	l.CallSoon(l.Stop)
	l.RunForever()
	if diff := cmp.Diff([]string{"before", "after"}, tr.get()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(reported) != 2 {
		t.Fatalf("%d reports, want 2", len(reported))
	}
	var pe *PanicError
	if !errors.As(reported[0].Err, &pe) || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "loop_test.go") {
		t.Errorf("first report = %+v", reported[0])
	}
	if !errors.As(reported[1].Err, &pe) || pe.Unwrap() == nil || pe.Unwrap().Error() != "second" {
		t.Errorf("second report = %+v", reported[1])
	}
}

func TestDefaultExceptionHandlerLogs(t *testing.T) {
	var buf logBuffer
	l := newVirtualLoop(t, WithLogger(buf.logger()))
	l.CallSoon(func() { panic("logged panic") })
	l.CallSoon(l.Stop)
	l.RunForever()
	if out := buf.String(); !strings.Contains(out, "panic in callback") || !strings.Contains(out, "logged panic") {
		t.Errorf("log = %q", out)
	}
}

func TestRunOnceRunsOneIteration(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	l.CallSoon(func() { tr.add("a"); l.CallSoon(func() { tr.add("b") }) })
	if err := l.RunOnce(0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a"}, tr.get()); diff != "" {
		t.Errorf("after one RunOnce (-want +got):\n%s", diff)
	}
	l.RunOnce(0)
	if diff := cmp.Diff([]string{"a", "b"}, tr.get()); diff != "" {
		t.Errorf("after two (-want +got):\n%s", diff)
	}
	// With nothing queued, RunOnce(0) returns without blocking.
	if err := l.RunOnce(0); err != nil {
		t.Fatal(err)
	}
}

func TestVirtualClockRunsAnHourOfTimersInstantly(t *testing.T) {
	l := newVirtualLoop(t)
	fired := 0
	var tick func()
	tick = func() {
		if fired++; fired < 3600 {
			l.CallLater(time.Second, tick)
		} else {
			l.Stop()
		}
	}
	l.CallLater(time.Second, tick)
	l.RunForever()
	if fired != 3600 || l.Time() != time.Hour {
		t.Errorf("fired %d, time %v; want 3600, 1h", fired, l.Time())
	}
}

func TestCloseReportsWhatIsAlive(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	l.CallLater(time.Hour, func() {})
	cleaned := false
	Spawn(l.Context(), func(ctx context.Context) (int, error) {
		defer func() { cleaned = true }()
		err := Sleep(ctx, time.Hour)
		return 0, err
	}, WithName("sleeper"))
	Spawn(l.Context(), func(ctx context.Context) (int, error) { return 1, nil }, WithName("never-started"))
	l.RunOnce(0) // starts both tasks
	Spawn(l.Context(), func(ctx context.Context) (int, error) { return 1, nil }, WithName("queued"))
	err = l.Close()
	var alive *AliveError
	if !errors.As(err, &alive) {
		t.Fatalf("Close = %v, want *AliveError", err)
	}
	if diff := cmp.Diff([]string{"sleeper", "queued"}, alive.Tasks); alive.Timers != 1 || diff != "" {
		t.Errorf("alive = %+v (%v)", alive, err)
	}
	if !cleaned {
		t.Error("the sleeping task was not unwound: its deferred cleanup did not run")
	}
	if !l.IsClosed() {
		t.Error("loop not closed")
	}
}

func TestCloseUnwindsLiveTasksWithErrClosed(t *testing.T) {
	l, _ := New()
	var sleepErr error
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		sleepErr = Sleep(ctx, time.Hour)
		return 7, sleepErr
	}, WithName("sleeper"))
	l.RunOnce(0)
	err := l.Close()
	var alive *AliveError
	if !errors.As(err, &alive) || len(alive.Tasks) != 1 || alive.Tasks[0] != "sleeper" {
		t.Fatalf("Close = %v", err)
	}
	if !errors.Is(sleepErr, ErrClosed) {
		t.Errorf("await during Close returned %v, want ErrClosed", sleepErr)
	}
	if !tk.Done() {
		t.Error("task not done after Close")
	}
}

// A task that ignores ErrClosed and awaits again while the loop unwinds it
// gets ErrClosed again at once (it never suspends), and a task that never
// ran ends without running its body; neither leaves a goroutine behind
// (goleak checks that at the end of the package).
func TestCloseUnwindsStubbornAndUnstartedTasks(t *testing.T) {
	l, _ := New()
	var errs []error
	Spawn(l.Context(), func(ctx context.Context) (int, error) {
		for range 3 {
			errs = append(errs, Sleep(ctx, time.Hour))
		}
		errs = append(errs, Sleep(ctx, 0))
		return 0, nil
	}, WithName("stubborn"))
	l.RunOnce(0)
	ran := false
	late := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		ran = true
		return 1, nil
	}, WithName("late"))
	err := l.Close()
	var alive *AliveError
	if !errors.As(err, &alive) || len(alive.Tasks) != 2 {
		t.Errorf("Close = %v, want both tasks reported alive", err)
	}
	if len(errs) != 4 {
		t.Fatalf("stubborn task's awaits: %v, want 4 errors", errs)
	}
	for i, e := range errs {
		if !errors.Is(e, ErrClosed) {
			t.Errorf("await %d during Close = %v, want ErrClosed", i, e)
		}
	}
	if ran {
		t.Error("a task that never started ran its body during Close")
	}
	if _, err := late.Result(); !errors.Is(err, ErrClosed) {
		t.Errorf("unstarted task's result error = %v, want ErrClosed", err)
	}
}

func TestPanicDuringRunOnceFinishesTheBatch(t *testing.T) {
	reports := 0
	l := newVirtualLoop(t, WithExceptionHandler(func(*Loop, ExceptionContext) { reports++ }))
	var tr trace
	l.CallSoon(func() { tr.add("a") })
	l.CallSoon(func() { panic("x") })
	l.CallSoon(func() { tr.add("b"); l.CallSoon(func() { tr.add("next iteration") }) })
	if err := l.RunOnce(0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, tr.get()); diff != "" || reports != 1 {
		t.Errorf("reports=%d (-want +got):\n%s", reports, diff)
	}
}

func TestAwaitErrorMapsContextState(t *testing.T) {
	if err := AwaitError(context.Background()); err != nil {
		t.Errorf("live: %v", err)
	}
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if err := AwaitError(c); !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	d, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	if err := AwaitError(d); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timed out: %v", err)
	}
}

func TestDeadlineSaturates(t *testing.T) {
	l := newVirtualLoop(t)
	l.clock.Wait(time.Hour)
	if got := l.Deadline(Never); got != Never {
		t.Errorf("Deadline(Never) = %v", got)
	}
	if got := l.Deadline(-time.Minute); got != time.Hour-time.Minute {
		t.Errorf("Deadline(-1m) = %v, want a minute ago", got)
	}
	if got := l.Deadline(-1 << 63); got != time.Hour+(-1<<63) {
		t.Errorf("Deadline(min) = %v", got)
	}
	if got := l.Deadline(time.Second); got != time.Hour+time.Second {
		t.Errorf("Deadline(1s) = %v", got)
	}
}

func TestPanicReportNamesTheCallback(t *testing.T) {
	var got ExceptionContext
	l := newVirtualLoop(t, WithExceptionHandler(func(_ *Loop, c ExceptionContext) { got = c }))
	l.CallSoon(panickingCallback)
	l.RunOnce(0)
	if !strings.Contains(got.Callback, "panickingCallback") || !strings.Contains(got.Callback, "loop_test.go") {
		t.Errorf("Callback = %q", got.Callback)
	}
}

func panickingCallback() { panic("named") }

func TestSetDebugMidRunChecksGoroutines(t *testing.T) {
	var buf logBuffer
	l := newVirtualLoop(t, WithLogger(buf.logger()))
	var fromOther error
	l.CallSoon(func() { l.SetDebug(true) })
	l.CallSoon(func() {}) // next iteration records the loop goroutine
	l.CallLater(time.Second, func() {
		done := make(chan struct{})
		go func() { _, fromOther = l.CallSoon(func() {}); close(done) }()
		<-done
		l.Stop()
	})
	l.RunForever()
	if !errors.Is(fromOther, ErrWrongGoroutine) {
		t.Errorf("CallSoon from another goroutine after SetDebug(true) = %v", fromOther)
	}
}
