package looptest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// record runs body under Run with a Recorder and returns the Recorder
// and the Result.
func record(t *testing.T, body func(ctx context.Context) error, opts ...Option) (*Recorder, Result) {
	t.Helper()
	rec := &Recorder{TestName: t.Name()}
	var res Result
	rec.Do(func() { res = Run(rec, body, opts...) })
	return rec, res
}

// wantFailure fails t unless rec failed with a message holding every
// phrase.
func wantFailure(t *testing.T, rec *Recorder, phrases ...string) {
	t.Helper()
	if !rec.Failed() {
		t.Fatalf("the run did not fail; output:\n%s", rec.Output())
	}
	out := rec.Output()
	for _, p := range phrases {
		if !strings.Contains(out, p) {
			t.Errorf("report lacks %q; it is:\n%s", p, out)
		}
	}
}

func TestRunPassesAndCoversVirtualTime(t *testing.T) {
	rec, res := record(t, func(ctx context.Context) error {
		for range 60 {
			if err := eventloop.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
		return nil
	})
	if rec.Failed() {
		t.Fatalf("failed:\n%s", rec.Output())
	}
	if res.End != time.Hour || res.Err != nil || res.Events == 0 || len(res.Digest) != 16 {
		t.Errorf("result %+v; want end 1h, no error, events and a 16-digit digest", res)
	}
}

func TestDeadlockReportListsTasksWhereAndSince(t *testing.T) {
	var a, b locks.Lock
	rec, res := record(t, func(ctx context.Context) error {
		grab := func(first, second *locks.Lock, d time.Duration) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := first.Acquire(ctx); err != nil {
					return err
				}
				defer first.Release()
				if err := eventloop.Sleep(ctx, d); err != nil {
					return err
				}
				if err := second.Acquire(ctx); err != nil {
					return err
				}
				return second.Release()
			}
		}
		t1 := task.Go(ctx, grab(&a, &b, time.Second), eventloop.WithName("ab"))
		t2 := task.Go(ctx, grab(&b, &a, 2*time.Second), eventloop.WithName("ba"))
		return task.Gather(ctx, t1, t2)
	})
	wantFailure(t, rec, "deadlock at 2s", "TASK", "main", "ab", "ba", "waiting", "1s", "2s")
	if !errors.Is(res.Err, ErrDeadlock) || errors.Is(res.Err, ErrLimit) {
		t.Errorf("Result.Err = %v; want ErrDeadlock only", res.Err)
	}
	var se *StuckError
	if !errors.As(res.Err, &se) || len(se.Tasks) != 3 {
		t.Fatalf("Result.Err = %#v; want a *StuckError with 3 tasks", res.Err)
	}
	want := map[string]time.Duration{"main": 0, "ab": time.Second, "ba": 2 * time.Second}
	for _, tr := range se.Tasks {
		if since, ok := want[tr.Name]; !ok || tr.Since != since || tr.State != "waiting" {
			t.Errorf("task %+v; want waiting since %v", tr, since)
		}
	}
	if !strings.Contains(rec.Output(), "sha256 "+res.Digest) {
		t.Errorf("the failure log does not give the trace digest %s:\n%s", res.Digest, rec.Output())
	}
}

func TestDeadlockOnAFutureNobodySets(t *testing.T) {
	rec, _ := record(t, func(ctx context.Context) error {
		f := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		_, err := eventloop.Await(ctx, f)
		return err
	})
	wantFailure(t, rec, "deadlock at 0s", "main")
}

func TestLeftBehindTask(t *testing.T) {
	rec, _ := record(t, func(ctx context.Context) error {
		task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) }, eventloop.WithName("sleeper"))
		return eventloop.Sleep(ctx, time.Minute)
	})
	wantFailure(t, rec, "1 task(s) left behind at 1m0s", "sleeper", "waiting")
	if strings.Contains(rec.Output(), "deadlock") {
		t.Errorf("a leftover is not a deadlock:\n%s", rec.Output())
	}
}

func TestLeftBehindTimer(t *testing.T) {
	rec, _ := record(t, func(ctx context.Context) error {
		_, err := eventloop.LoopOf(ctx).CallLater(time.Hour, func() {})
		return err
	})
	wantFailure(t, rec, "left behind at close", "1 timer(s)")
}

func TestUnretrievedTaskError(t *testing.T) {
	rec, _ := record(t, func(ctx context.Context) error {
		task.Go(ctx, func(ctx context.Context) error { return errors.New("boom") }, eventloop.WithName("failer"))
		return WaitIdle(ctx)
	})
	wantFailure(t, rec, "never retrieved", "failer", "boom")
}

func TestMainErrorAndPanic(t *testing.T) {
	rec, res := record(t, func(ctx context.Context) error { return errors.New("main failed") })
	wantFailure(t, rec, "main returned an error", "main failed")
	if res.Err == nil || res.Err.Error() != "main failed" {
		t.Errorf("Result.Err = %v", res.Err)
	}
	rec, _ = record(t, func(ctx context.Context) error { panic("kaboom") })
	wantFailure(t, rec, "kaboom", "goroutine", "report_test.go")
}

func TestPanicInCallbackIsReported(t *testing.T) {
	rec, _ := record(t, func(ctx context.Context) error {
		eventloop.LoopOf(ctx).CallSoon(func() { panic("in callback") })
		return eventloop.Sleep(ctx, time.Second)
	})
	wantFailure(t, rec, "panic in callback", "in callback")
}

func TestTimeLimit(t *testing.T) {
	rec, res := record(t, func(ctx context.Context) error {
		for {
			if err := eventloop.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
	}, TimeLimit(time.Hour))
	wantFailure(t, rec, "time limit (1h0m0s) reached", "main")
	if !errors.Is(res.Err, ErrLimit) || res.End != time.Hour {
		t.Errorf("Result %v at %v; want ErrLimit at 1h", res.Err, res.End)
	}
}

func TestIterationLimit(t *testing.T) {
	rec, res := record(t, func(ctx context.Context) error {
		for {
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return err
			}
		}
	}, IterationLimit(1000))
	wantFailure(t, rec, "iteration limit (1000) reached")
	if !errors.Is(res.Err, ErrLimit) {
		t.Errorf("Result.Err = %v; want ErrLimit", res.Err)
	}
}

func TestExecutorJobIsNotADeadlock(t *testing.T) {
	release := make(chan struct{})
	rec, _ := record(t, func(ctx context.Context) error {
		go close(release)
		_, err := task.ToThread(ctx, func(context.Context) (int, error) { <-release; return 1, nil })
		return err
	})
	if rec.Failed() {
		t.Errorf("failed:\n%s", rec.Output())
	}
}

func TestOutsideGrace(t *testing.T) {
	rec, _ := record(t, func(ctx context.Context) error {
		l := eventloop.LoopOf(ctx)
		f := eventloop.NewFuture[int](l)
		go l.CallSoonThreadsafe(func() { f.SetResult(1) })
		_, err := eventloop.Await(ctx, f)
		return err
	}, OutsideGrace(time.Minute))
	if rec.Failed() {
		t.Errorf("failed:\n%s", rec.Output())
	}
}

func TestRunBadInput(t *testing.T) {
	rec, _ := record(t, nil)
	wantFailure(t, rec, "nil body")
	rec = &Recorder{}
	*seedOnly = "x"
	defer func() { *seedOnly = "" }()
	rec.Do(func() { Seeds(rec, 3, func(context.Context) error { return nil }) })
	wantFailure(t, rec, `-looptest.seed="x"`)
	*seedOnly = ""
	rec = &Recorder{}
	rec.Do(func() { Seeds(rec, 0, func(context.Context) error { return nil }) })
	wantFailure(t, rec, "at least one seed")
}
