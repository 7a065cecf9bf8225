package task_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// ToThread and RunInExecutor cross goroutines: they synchronise with
// channels, never with sleeps, and every goroutine they start is over
// before the test ends (Run waits for executor jobs; goleak checks).

func TestToThreadResult(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		loopCtx := ctx
		v, err := task.ToThread(ctx, func(ctx context.Context) (string, error) {
			if ctx != loopCtx {
				return "", errors.New("fn did not get the caller's ctx")
			}
			return "from a goroutine", nil
		})
		if v != "from a goroutine" || err != nil {
			t.Errorf("ToThread = %q, %v", v, err)
		}
		if _, err := task.ToThread(ctx, func(context.Context) (int, error) { return 0, errA }); !errors.Is(err, errA) {
			t.Errorf("ToThread(failing) = %v", err)
		}
		f := eventloop.RunInExecutor(eventloop.LoopOf(ctx), func() (int, error) { return 5, nil })
		if v, err := eventloop.Await(ctx, eventloop.Awaitable[int](f)); v != 5 || err != nil {
			t.Errorf("RunInExecutor = %d, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestToThreadPanicBecomesError(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		_, err := task.ToThread(ctx, func(context.Context) (int, error) { panic("in the thread") })
		var pe *eventloop.PanicError
		if !errors.As(err, &pe) || pe.Value != "in the thread" {
			t.Errorf("ToThread = %v, want a *PanicError", err)
		}
		f := eventloop.RunInExecutor(eventloop.LoopOf(ctx), func() (int, error) { panic("in the executor") })
		if _, err := eventloop.Await(ctx, eventloop.Awaitable[int](f)); !errors.As(err, &pe) || pe.Value != "in the executor" {
			t.Errorf("RunInExecutor = %v, want a *PanicError", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Cancelled, ToThread returns at once; the function goes on on its
// goroutine (it sees ctx cancelled) and Run waits for it before returning.
func TestToThreadCancellationReturnsAtOnce(t *testing.T) {
	var tr trace
	release := make(chan struct{})
	err := runErr(t, func(ctx context.Context) error {
		running := eventloop.NewFuture[struct{}](eventloop.LoopOf(ctx))
		l := eventloop.LoopOf(ctx)
		worker := task.Go(ctx, func(ctx context.Context) error {
			_, err := task.ToThread(ctx, func(ctx context.Context) (int, error) {
				l.CallSoonThreadsafe(func() { running.SetResult(struct{}{}) })
				<-ctx.Done() // fn can see the cancellation ...
				tr.add("fn sees %v", ctx.Err())
				<-release // ... but may keep going
				tr.add("fn finished")
				return 1, nil
			})
			tr.add("ToThread: %v", err)
			return err
		})
		eventloop.Await(ctx, eventloop.Awaitable[struct{}](running))
		worker.Cancel()
		if _, err := eventloop.Await(ctx, worker); !isCancelled(err) {
			t.Errorf("ToThread cancelled = %v", err)
		}
		tr.add("main goes on")
		close(release)
		return nil
	})
	tr.add("Run returned")
	if err != nil {
		t.Fatal(err)
	}
	got := tr.get()
	// "fn sees" races with the loop; everything else is ordered.
	if len(got) != 5 || got[4] != "Run returned" || got[3] != "fn finished" {
		t.Fatalf("trace = %q", got)
	}
	rest := []string{}
	for _, e := range got[:3] {
		if e != "fn sees context canceled" {
			rest = append(rest, e)
		}
	}
	if diff := cmp.Diff([]string{"ToThread: eventloop: cancelled", "main goes on"}, rest); diff != "" {
		t.Errorf("trace %q (-want +got):\n%s", got, diff)
	}
}

// An await on a cancelled ctx, or from outside a task, does not start the
// blocking function at all.
func TestToThreadDoesNotStartWhenItCannotAwait(t *testing.T) {
	var started atomic.Int32
	fn := func(context.Context) (int, error) { started.Add(1); return 1, nil }
	err := runErr(t, func(ctx context.Context) error {
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if _, err := task.ToThread(cctx, fn); !isCancelled(err) {
			t.Errorf("ToThread on a cancelled ctx = %v", err)
		}
		if _, err := task.ToThread(eventloop.LoopOf(ctx).Context(), fn); !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("ToThread with the loop's root ctx = %v", err)
		}
		if _, err := task.ToThread[int](ctx, nil); err == nil {
			t.Error("ToThread(nil) succeeded")
		}
		if _, err := task.ToThread(context.Background(), fn); !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("ToThread(Background) = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := started.Load(); n != 0 {
		t.Errorf("fn started %d times", n)
	}
}

// WithExecutorWorkers(2): never more than two functions at once, and the
// others run as the first ones finish.
func TestToThreadBoundedExecutor(t *testing.T) {
	const jobs, workers = 6, 2
	var running, peak atomic.Int32
	started := make(chan int, jobs)
	release := make(chan struct{})
	go func() {
		// Release one job each time the pool is full (or every job has
		// started): the first release waits until two run at once.
		n := 0 // jobs seen starting
		for released := range jobs {
			for n-released < workers && n < jobs {
				<-started
				n++
			}
			release <- struct{}{}
		}
	}()
	err := runErr(t, func(ctx context.Context) error {
		var ws []eventloop.Awaitable[int]
		for i := range jobs {
			ws = append(ws, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				return task.ToThread(ctx, func(context.Context) (int, error) {
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					started <- i
					<-release
					running.Add(-1)
					return i, nil
				})
			}))
		}
		vs, err := task.GatherResults(ctx, ws...)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]int{0, 1, 2, 3, 4, 5}, vs); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		return nil
	}, eventloop.WithExecutorWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != workers {
		t.Errorf("peak concurrency %d, want %d", p, workers)
	}
}

// startLoop runs l on a goroutine of its own, as a program embedding it
// would; the returned function stops it and waits for the goroutine.
func startLoop(t *testing.T, l *eventloop.Loop) (stop func()) {
	t.Helper()
	done := make(chan error)
	go func() { done <- l.RunForever() }()
	return func() {
		l.Stop()
		if err := hangGuard(t, done, "loop goroutine exit"); err != nil {
			t.Errorf("RunForever: %v", err)
		}
	}
}

func TestRunCoroutineThreadsafe(t *testing.T) {
	l := newLoop(t)
	stop := startLoop(t, l)
	defer stop()
	bg := context.Background()

	cf := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (string, error) {
		if err := eventloop.Sleep(ctx, time.Hour); err != nil {
			return "", err
		}
		return "from the loop at " + eventloop.LoopOf(ctx).Time().String(), nil
	}, eventloop.WithName("submitted"))
	hangGuard(t, cf.Done(), "result")
	if v, err := cf.Result(bg); v != "from the loop at 1h0m0s" || err != nil {
		t.Errorf("Result = %q, %v", v, err)
	}

	_, err := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) { panic("remote") }).Result(bg)
	var pe *eventloop.PanicError
	if !errors.As(err, &pe) || pe.Value != "remote" {
		t.Errorf("panicking coroutine: %v", err)
	}

	// Result gives up when its ctx does; the task goes on.
	gate := make(chan struct{})
	slow := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) {
		_, err := task.ToThread(ctx, func(context.Context) (int, error) { <-gate; return 0, nil })
		return 3, err
	})
	cctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := slow.Result(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Result with a cancelled ctx = %v", err)
	}
	close(gate)
	if v, err := slow.Result(bg); v != 3 || err != nil {
		t.Errorf("Result later = %d, %v", v, err)
	}
}

func TestRunCoroutineThreadsafeCancel(t *testing.T) {
	l := newLoop(t)
	stop := startLoop(t, l)
	defer stop()
	started := make(chan struct{})
	var cleanedUp atomic.Bool
	cf := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) {
		close(started)
		// Not a Sleep: the virtual clock would jump past it at once.
		_, err := eventloop.Await(ctx, eventloop.Awaitable[int](eventloop.NewFuture[int](eventloop.LoopOf(ctx))))
		eventloop.Sleep(context.WithoutCancel(ctx), time.Second)
		cleanedUp.Store(true)
		return 0, err
	})
	hangGuard(t, started, "start")
	cf.Cancel()
	hangGuard(t, cf.Done(), "cancelled result")
	if _, err := cf.Result(context.Background()); !isCancelled(err) || !cleanedUp.Load() {
		t.Errorf("Result = %v, cleaned up = %v", err, cleanedUp.Load())
	}
	cf.Cancel() // after the end: nothing happens
}

func TestRunCoroutineThreadsafeRefused(t *testing.T) {
	fn := func(context.Context) (int, error) { return 1, nil }
	closed, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	for name, cf := range map[string]*task.ConcurrentFuture[int]{
		"closed loop": task.RunCoroutineThreadsafe(closed, fn),
		"nil loop":    task.RunCoroutineThreadsafe(nil, fn),
		"nil fn":      task.RunCoroutineThreadsafe[int](closed, nil),
	} {
		select {
		case <-cf.Done():
		default:
			t.Errorf("%s: not done at once", name)
			continue
		}
		if _, err := cf.Result(context.Background()); err == nil {
			t.Errorf("%s: no error", name)
		}
		cf.Cancel() // must not panic
	}
	if _, err := task.RunCoroutineThreadsafe(closed, fn).Result(context.Background()); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("closed loop: %v, want ErrClosed", err)
	}
}

// The loop stops and is closed while a submitted task is still running:
// Close unwinds the task, and the caller outside learns it.
func TestRunCoroutineThreadsafeLoopClosedUnderIt(t *testing.T) {
	l, err := eventloop.New(eventloop.WithExceptionHandler(testkit.StrictHandler(t)))
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoop(t, l)
	started := make(chan struct{})
	cf := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) {
		close(started)
		return 0, eventloop.Sleep(ctx, time.Hour)
	})
	hangGuard(t, started, "start")
	stop()
	var alive *eventloop.AliveError
	if err := l.Close(); !errors.As(err, &alive) {
		t.Errorf("Close = %v, want an AliveError naming the task", err)
	}
	select {
	case <-cf.Done():
		if _, err := cf.Result(context.Background()); !errors.Is(err, eventloop.ErrClosed) {
			t.Errorf("Result = %v, want ErrClosed", err)
		}
	default:
		t.Error("the ConcurrentFuture of a task unwound by Close never completes")
	}
}

// A submission still queued when the loop closes (the loop never ran it)
// is dropped by Close without a word, so its ConcurrentFuture never
// completes; the same happens to a submitted task that had not started.
func TestRunCoroutineThreadsafeQueuedWhenLoopCloses(t *testing.T) {
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	cf := task.RunCoroutineThreadsafe(l, func(context.Context) (int, error) { return 1, nil })
	l.Close()
	select {
	case <-cf.Done():
	default:
		t.Error("ConcurrentFuture of a submission dropped by Close never completes")
	}
}

// goExecutor is a caller-given executor: one goroutine per call, counted,
// and waited for by the test.
type goExecutor struct {
	calls   atomic.Int32
	refuse  atomic.Bool
	running sync.WaitGroup
}

func (e *goExecutor) Execute(fn func()) error {
	if e.refuse.Load() {
		return errA
	}
	e.calls.Add(1)
	e.running.Add(1)
	go func() { defer e.running.Done(); fn() }()
	return nil
}

func TestToThreadWithExecutor(t *testing.T) {
	var ex goExecutor
	err := runErr(t, func(ctx context.Context) error {
		v, err := task.ToThread(ctx, func(context.Context) (int, error) { return 9, nil }, task.WithExecutor(&ex))
		if v != 9 || err != nil {
			t.Errorf("ToThread(WithExecutor) = %d, %v", v, err)
		}
		_, err = task.ToThread(ctx, func(context.Context) (int, error) { panic("boom") }, task.WithExecutor(&ex))
		var pe *eventloop.PanicError
		if !errors.As(err, &pe) {
			t.Errorf("panic on the executor = %v, want a *PanicError", err)
		}
		ex.refuse.Store(true)
		ran := false
		_, err = task.ToThread(ctx, func(context.Context) (int, error) { ran = true; return 0, nil }, task.WithExecutor(&ex))
		if !errors.Is(err, errA) || ran {
			t.Errorf("refused: err %v, ran %v; want errA, false", err, ran)
		}
		return nil
	})
	ex.running.Wait()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Want(t, "calls the executor got", ex.calls.Load(), int32(2))
}

// Cancelled while fn runs on a caller-given executor: the await returns
// at once, fn finishes later and its result is dropped without a report.
func TestToThreadWithExecutorCancelled(t *testing.T) {
	var ex goExecutor
	release := make(chan struct{})
	err := runErr(t, func(ctx context.Context) error {
		tk := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			return task.ToThread(ctx, func(context.Context) (int, error) { <-release; return 1, nil }, task.WithExecutor(&ex))
		})
		if err := testkit.Yield(ctx, 2); err != nil {
			return err
		}
		tk.Cancel()
		if _, err := eventloop.Await(context.WithoutCancel(ctx), tk); !testkit.IsCancelled(err) {
			t.Errorf("cancelled ToThread = %v", err)
		}
		close(release)
		return nil
	})
	ex.running.Wait()
	if err != nil {
		t.Fatal(err)
	}
}
