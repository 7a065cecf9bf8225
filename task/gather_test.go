package task_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_tasks.py (GatherTestsBase, CoroutineGatherTests,
// test_cancel_gather_*, test_exception_marking), for our rules: fail-fast
// returns the first error without cancelling the others; cancelling the
// Gather cancels them all and waits for them.

var (
	errA = errors.New("error A")
	errB = errors.New("error B")
)

func TestGatherFailFastLeavesOthersRunning(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		child := func(name string, d time.Duration, fail error) eventloop.Waitable {
			return task.Go(ctx, func(ctx context.Context) error {
				err := eventloop.Sleep(ctx, d)
				if err != nil {
					tr.at(ctx, "%s: %v", name, err)
					return err
				}
				tr.at(ctx, "%s done", name)
				return fail
			})
		}
		a := child("a", time.Second, errA)
		b := child("b", 3*time.Second, nil)
		c := child("c", 2*time.Second, nil)
		err := task.Gather(ctx, a, b, c)
		tr.at(ctx, "gather: %v", err)
		if err := task.Gather(ctx, b, c); err != nil {
			return err
		}
		tr.at(ctx, "b cancelled=%v c cancelled=%v", b.Cancelled(), c.Cancelled())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1s a done",
		"1s gather: error A",
		"2s c done",
		"3s b done",
		"3s b cancelled=false c cancelled=false",
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestGatherReturnsFirstErrorInCompletionOrder(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		// y is listed second but fails first.
		x := eventloop.Spawn(ctx, failer[int](2*time.Second, errA))
		y := eventloop.Spawn(ctx, failer[int](time.Second, errB))
		if err := task.Gather(ctx, x, y); !errors.Is(err, errB) {
			t.Errorf("different deadlines: Gather = %v, want %v", err, errB)
		}
		if _, err := eventloop.Await(ctx, x); !errors.Is(err, errA) {
			t.Errorf("x = %v", err)
		}
		// Same deadline: q was spawned first, so its timer fires first and
		// it fails first, although p is listed first.
		q := eventloop.Spawn(ctx, failer[int](time.Second, errB))
		p := eventloop.Spawn(ctx, failer[int](time.Second, errA))
		if err := task.Gather(ctx, p, q); !errors.Is(err, errB) {
			t.Errorf("same deadline: Gather = %v, want %v (first to complete)", err, errB)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_exception_marking: Gather retrieves the errors of all its children,
// also of those failing after the first error, so the loop does not report
// them as never retrieved (the strict handler would fail the test).
func TestGatherMarksEveryErrorRetrieved(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, failer[int](time.Second, errA))
		b := eventloop.Spawn(ctx, failer[int](2*time.Second, errB))
		if err := task.Gather(ctx, a, b); !errors.Is(err, errA) {
			t.Errorf("Gather = %v", err)
		}
		// Let b fail while nobody awaits it.
		return eventloop.Sleep(ctx, time.Hour)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherCancelCancelsChildrenAndWaitsForThem(t *testing.T) {
	var tr trace
	var children []*eventloop.Task[int]
	err := runErr(t, func(ctx context.Context) error {
		for _, name := range []string{"a", "b", "c"} {
			children = append(children, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				err := eventloop.Sleep(ctx, time.Hour)
				tr.at(ctx, "%s: %v", name, err)
				// Cleanup that awaits: the Gather must wait for it.
				eventloop.Sleep(context.WithoutCancel(ctx), time.Second)
				tr.at(ctx, "%s cleaned up", name)
				return 0, err
			}, eventloop.WithName(name)))
		}
		gatherer := task.Go(ctx, func(ctx context.Context) error {
			err := task.Gather(ctx, children[0], children[1], children[2])
			tr.at(ctx, "gather: %v", err)
			return err
		})
		eventloop.Sleep(ctx, time.Minute)
		gatherer.Cancel()
		_, err := eventloop.Await(ctx, gatherer)
		if !isCancelled(err) {
			t.Errorf("awaiting the gatherer = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1m0s a: eventloop: cancelled",
		"1m0s b: eventloop: cancelled",
		"1m0s c: eventloop: cancelled",
		"1m1s a cleaned up",
		"1m1s b cleaned up",
		"1m1s c cleaned up",
		"1m1s gather: eventloop: cancelled",
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	for _, c := range children {
		if !c.Cancelled() {
			t.Errorf("%s not cancelled", c.Name())
		}
	}
}

// A child that completes in the same loop iteration as the Gather's
// cancellation, after the cancellation reached the gathering task: its done
// callback has not run yet when the Gather starts waiting for the children.
// The Gather must not wait for it forever.
func TestGatherCancelledWhileChildCompletesInSameIteration(t *testing.T) {
	for _, all := range []bool{false, true} {
		l := newLoop(t)
		f := eventloop.NewFuture[int](l)
		g := task.Go(l.Context(), func(ctx context.Context) error {
			if all {
				_, err := task.GatherAll(ctx, f)
				return err
			}
			return task.Gather(ctx, f)
		})
		task.Go(l.Context(), func(ctx context.Context) error {
			eventloop.Sleep(ctx, time.Second)
			g.Cancel()     // queues the gathering task's wake-up ...
			f.SetResult(1) // ... before the Gather's done callback of f
			return nil
		})
		guard, _ := l.CallLater(time.Hour, l.Stop) // hang guard in virtual time
		err := l.RunUntilComplete(g)
		guard.Cancel()
		if !g.Done() {
			t.Errorf("GatherAll=%v: Gather still waiting after the cancel (%v)", all, err)
			l.Close()
			continue
		}
		if !isCancelled(err) {
			t.Errorf("GatherAll=%v: Gather = %v, want cancelled", all, err)
		}
	}
}

func TestGatherCancelledChildCountsAsCancelled(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Hour, 1))
		b := eventloop.Spawn(ctx, sleeper(2*time.Second, 2))
		task.Go(ctx, func(ctx context.Context) error {
			eventloop.Sleep(ctx, time.Second)
			a.Cancel()
			return nil
		})
		err := task.Gather(ctx, a, b)
		if !isCancelled(err) {
			t.Errorf("Gather = %v, want ErrCancelled", err)
		}
		if got := eventloop.LoopOf(ctx).Time(); got != time.Second {
			t.Errorf("Gather returned at %v, want 1s (fail-fast)", got)
		}
		if err := task.Gather(ctx, b); err != nil || b.Cancelled() {
			t.Errorf("b: %v cancelled=%v", err, b.Cancelled())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherEmpty(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		if err := task.Gather(ctx); err != nil {
			t.Errorf("Gather() = %v", err)
		}
		if errs, err := task.GatherAll(ctx); len(errs) != 0 || err != nil {
			t.Errorf("GatherAll() = %v, %v", errs, err)
		}
		if vs, err := task.GatherResults[int](ctx); len(vs) != 0 || err != nil {
			t.Errorf("GatherResults() = %v, %v", vs, err)
		}
		// Level-triggered: even an empty Gather reports a cancelled ctx.
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if err := task.Gather(cctx); !isCancelled(err) {
			t.Errorf("Gather() on a cancelled ctx = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherAllReturnsEveryErrorInOrder(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		ok := eventloop.Spawn(ctx, sleeper(3*time.Second, 1))
		a := eventloop.Spawn(ctx, failer[int](2*time.Second, errA))
		c := eventloop.Spawn(ctx, sleeper(time.Hour, 3))
		b := eventloop.Spawn(ctx, failer[int](time.Second, errB))
		f := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		f.SetError(errA)
		task.Go(ctx, func(ctx context.Context) error { eventloop.Sleep(ctx, time.Second); c.Cancel(); return nil })
		errs, err := task.GatherAll(ctx, ok, a, c, b, f)
		if err != nil {
			t.Fatalf("GatherAll = %v", err)
		}
		want := []error{nil, errA, eventloop.ErrCancelled, errB, errA}
		if len(errs) != len(want) {
			t.Fatalf("errs = %v", errs)
		}
		for i := range want {
			if !errors.Is(errs[i], want[i]) || (want[i] == nil) != (errs[i] == nil) {
				t.Errorf("errs[%d] = %v, want %v", i, errs[i], want[i])
			}
		}
		if got := eventloop.LoopOf(ctx).Time(); got != 3*time.Second {
			t.Errorf("GatherAll returned at %v, want 3s (waits for all)", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherAllCancelled(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Hour, 1))
		b := eventloop.Spawn(ctx, failer[int](time.Second, errB))
		err := task.Timeout(ctx, time.Minute, func(ctx context.Context) error {
			errs, err := task.GatherAll(ctx, a, b)
			if errs != nil {
				t.Errorf("errs of a cancelled GatherAll = %v", errs)
			}
			return err
		})
		if !isTimeout(err) {
			t.Errorf("GatherAll under an expired Timeout = %v", err)
		}
		if !a.Cancelled() {
			t.Error("child not cancelled with the GatherAll")
		}
		if _, err := b.Result(); !errors.Is(err, errB) {
			t.Errorf("b = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherResultsOrder(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		f := eventloop.NewFuture[string](eventloop.LoopOf(ctx))
		f.SetResult("done")
		vs, err := task.GatherResults(ctx,
			eventloop.Awaitable[string](eventloop.Spawn(ctx, sleeper(3*time.Second, "slow"))),
			eventloop.Spawn(ctx, sleeper(time.Second, "fast")),
			eventloop.Spawn(ctx, sleeper(2*time.Second, "mid")),
			f,
		)
		if diff := cmp.Diff([]string{"slow", "fast", "mid", "done"}, vs); diff != "" || err != nil {
			t.Errorf("GatherResults = %v, %v (-want +got):\n%s", vs, err, diff)
		}
		slow := eventloop.Spawn(ctx, sleeper(3*time.Second, "slow"))
		vs, err = task.GatherResults(ctx, slow, eventloop.Spawn(ctx, failer[string](time.Second, errA)))
		if vs != nil || !errors.Is(err, errA) {
			t.Errorf("GatherResults with a failure = %v, %v", vs, err)
		}
		_, err = eventloop.Await(ctx, slow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherRejectsOtherLoopAndNil(t *testing.T) {
	other := newLoop(t)
	foreign := eventloop.NewFuture[int](other)
	err := runErr(t, func(ctx context.Context) error {
		mine := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		if err := task.Gather(ctx, mine, foreign); !errors.Is(err, eventloop.ErrWrongLoop) {
			t.Errorf("Gather with a future of another loop = %v", err)
		}
		if _, err := task.GatherAll(ctx, foreign); !errors.Is(err, eventloop.ErrWrongLoop) {
			t.Errorf("GatherAll with a future of another loop = %v", err)
		}
		if err := task.Gather(ctx, mine, nil); err == nil {
			t.Error("Gather with a nil child succeeded")
		}
		var nilTask *eventloop.Task[int]
		if err := task.Gather(ctx, mine, nilTask); err == nil {
			t.Error("Gather with a nil *Task succeeded")
		}
		if _, err := eventloop.Await(ctx, mine); err != nil || mine.Cancelled() {
			t.Errorf("the valid child after a rejected Gather: %v cancelled=%v", err, mine.Cancelled())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if foreign.Cancelled() {
		t.Error("the other loop's future was cancelled")
	}
}

// Calling Gather with a context that is not the running task's is a
// mistake; it must report it without cancelling the children.
func TestGatherMisuseDoesNotCancelChildren(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		child := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		if err := task.Gather(eventloop.LoopOf(ctx).Context(), child); !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("Gather with the loop's root ctx = %v", err)
		}
		if err := task.Gather(context.Background(), child); !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("Gather with Background = %v", err)
		}
		v, err := eventloop.Await(ctx, child)
		if v != 1 || err != nil {
			t.Errorf("child = %v, %v; it must not have been cancelled", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGatherOnCancelledCtxCancelsChildrenBeforeTheyStart(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		ran := false
		child := eventloop.Spawn(context.WithoutCancel(ctx), func(ctx context.Context) (int, error) { ran = true; return 1, nil })
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if err := task.Gather(cctx, child); !isCancelled(err) {
			t.Errorf("Gather = %v", err)
		}
		if ran || !child.Cancelled() {
			t.Errorf("child ran=%v cancelled=%v", ran, child.Cancelled())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Gather watches its children without a closure or a callback entry per
// child (with 100k children those were 200k allocations): what a Gather
// allocates does not grow with the number of children.
func TestGatherAllocatesNothingPerChild(t *testing.T) {
	mallocs := func(ctx context.Context, n int, results bool) uint64 {
		l := eventloop.LoopOf(ctx)
		ws := make([]eventloop.Waitable, n)
		as := make([]eventloop.Awaitable[int], n)
		for i := range n {
			f := eventloop.NewFuture[int](l)
			ws[i], as[i] = f, f
		}
		l.CallSoon(func() {
			for i, w := range ws {
				w.(*eventloop.Future[int]).SetResult(i)
			}
		})
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		var err error
		if results {
			_, err = task.GatherResults(ctx, as...)
		} else {
			err = task.Gather(ctx, ws...)
		}
		runtime.ReadMemStats(&m1)
		if err != nil {
			t.Fatal(err)
		}
		return m1.Mallocs - m0.Mallocs
	}
	for _, results := range []bool{false, true} {
		testkit.InTask(t, func(ctx context.Context) {
			mallocs(ctx, 10, results) // warm up
			small, large := mallocs(ctx, 1000, results), mallocs(ctx, 3000, results)
			// GatherResults makes its result slice: one allocation
			// whatever n. Allow some noise from other goroutines.
			if per := float64(int64(large)-int64(small)) / 2000; per > 0.05 {
				t.Errorf("GatherResults=%v: %.2f allocations per child (%d for 1000, %d for 3000)", results, per, small, large)
			}
		})
	}
}

// Gather returns two iterations after the child that decides it ends, as
// in asyncio: the child's done callback runs in the next iteration and
// completes the gathering's future, whose waiter (the caller) runs in the
// iteration after. The same for the last child and for a fail-fast error.
func TestGatherReturnsTwoIterationsAfterTheDecidingChild(t *testing.T) {
	for _, fail := range []bool{false, true} {
		err := runErr(t, func(ctx context.Context) error {
			l := eventloop.LoopOf(ctx)
			var endedAt uint64
			child := func(yields int, err error) eventloop.Waitable {
				return task.Go(ctx, func(ctx context.Context) error {
					if e := testkit.Yield(ctx, yields); e != nil {
						return e
					}
					endedAt = l.Stats().Iterations
					return err
				})
			}
			var ws []eventloop.Waitable
			if fail {
				ws = []eventloop.Waitable{child(2, nil), child(5, errA), child(9, nil)}
			} else {
				ws = []eventloop.Waitable{child(2, nil), child(9, nil), child(5, nil)}
			}
			err := task.Gather(ctx, ws...)
			if got := l.Stats().Iterations - endedAt; got != 2 {
				t.Errorf("fail=%v: Gather returned %d iterations after the deciding child ended, want 2", fail, got)
			}
			if fail != (err != nil) {
				t.Errorf("fail=%v: Gather returned %v", fail, err)
			}
			return task.Gather(ctx, ws...) // wait for the rest; errA again
		})
		if fail != errors.Is(err, errA) {
			t.Errorf("fail=%v: run returned %v", fail, err)
		}
	}
}
