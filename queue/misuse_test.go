package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/timer"
)

func newLoop(t *testing.T) *eventloop.Loop {
	t.Helper()
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()), eventloop.WithExceptionHandler(testkit.StrictHandler(t)))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func runOn(t *testing.T, l *eventloop.Loop, fn func(ctx context.Context) error) error {
	t.Helper()
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	if err := l.RunUntilComplete(tk); err != nil && !tk.Done() {
		t.Fatalf("RunUntilComplete: %v", err)
	}
	return tk.Err()
}

// Every await reports misuse with an error that says what is wrong; none
// panics or hangs and none changes the queue.
func TestMisuse(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		awaits := map[string]func(q anyQueue[int], ctx context.Context) error{
			"Put":  func(q anyQueue[int], ctx context.Context) error { return q.Put(ctx, 1) },
			"Get":  func(q anyQueue[int], ctx context.Context) error { _, err := q.Get(ctx); return err },
			"Join": func(q anyQueue[int], ctx context.Context) error { return q.Join(ctx) },
		}
		for name, await := range awaits {
			t.Run(name, func(t *testing.T) {
				q := newQ(0)
				q.PutNowait(7)
				if err := await(q, nil); !errors.Is(err, eventloop.ErrNotInTask) { //nolint:staticcheck
					t.Errorf("nil ctx: %v", err)
				}
				if err := await(q, context.Background()); !errors.Is(err, eventloop.ErrNotInTask) {
					t.Errorf("Background ctx: %v", err)
				}
				a := newLoop(t)
				var fromCallback error
				a.CallSoon(func() { fromCallback = await(q, a.Context()); a.Stop() })
				a.RunForever()
				if !errors.Is(fromCallback, eventloop.ErrNotInTask) {
					t.Errorf("from a callback: %v", fromCallback)
				}
				var fromGoroutine error
				err := runOn(t, a, func(ctx context.Context) error {
					if _, err := q.Get(ctx); err != nil { // binds q to a
						return err
					}
					q.PutNowait(7)
					// Another task runs while a goroutine uses this one's ctx.
					other := eventloop.Spawn(ctx, func(context.Context) (int, error) {
						done := make(chan error)
						go func() { done <- await(q, ctx) }()
						fromGoroutine = <-done
						return 0, nil
					})
					return eventloop.WaitDone(ctx, other)
				})
				if err != nil {
					t.Fatal(err)
				}
				if !errors.Is(fromGoroutine, eventloop.ErrNotInTask) {
					t.Errorf("from another goroutine: %v", fromGoroutine)
				}
				b := newLoop(t)
				if err := runOn(t, b, func(ctx context.Context) error { return await(q, ctx) }); !errors.Is(err, eventloop.ErrWrongLoop) {
					t.Errorf("from another loop: %v", err)
				}
				a.Close()
				if err := runOn(t, b, func(ctx context.Context) error { return await(q, ctx) }); !errors.Is(err, eventloop.ErrClosed) {
					t.Errorf("after its loop closed: %v", err)
				}
				b.Close()
				want(t, "queue unchanged", q.Qsize(), 1)
			})
		}
	})
}

// Tasks blocked in Put, Get and Join when their loop closes are unwound
// with eventloop.ErrClosed; nothing hangs.
func TestLoopClosesUnderWaiters(t *testing.T) {
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	empty := queue.NewQueue[int](0)
	full := queue.NewQueue[int](1)
	full.PutNowait(1)
	var errs []error
	record := func(err error) { errs = append(errs, err) }
	eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) { _, err := empty.Get(ctx); record(err); return 0, err })
	eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) { err := full.Put(ctx, 2); record(err); return 0, err })
	eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) { err := full.Join(ctx); record(err); return 0, err })
	l.RunOnce(0)
	var alive *eventloop.AliveError
	if err := l.Close(); !errors.As(err, &alive) || len(alive.Tasks) != 3 {
		t.Errorf("Close: %v", err)
	}
	if len(errs) != 3 {
		t.Fatalf("unwound %d waiters, want 3", len(errs))
	}
	for _, err := range errs {
		if !errors.Is(err, eventloop.ErrClosed) {
			t.Errorf("waiter: %v, want ErrClosed", err)
		}
	}
	want(t, "no phantom", full.Qsize(), 1)
}

// A goroutine that borrows the ctx of the task that is running right now
// (the task blocks on a channel while the goroutine awaits) is caught only
// in debug mode, where the core compares goroutine ids.
func TestAwaitFromGoroutineOfRunningTaskDebug(t *testing.T) {
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()), eventloop.WithDebug(true))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := queue.NewQueue[int](0)
	var fromGoroutine error
	runOn(t, l, func(ctx context.Context) error {
		done := make(chan error)
		go func() { _, err := q.Get(ctx); done <- err }()
		fromGoroutine = <-done
		return nil
	})
	if !errors.Is(fromGoroutine, eventloop.ErrNotInTask) {
		t.Errorf("Get from a goroutine borrowing the running task's ctx: %v, want ErrNotInTask", fromGoroutine)
	}
}

// Core gap (docs/design.md D3: an await called from anything but the
// running task of its ctx's loop returns a clear error and never hangs
// the loop): outside debug mode, eventloop.ParkerFor accepts the ctx of the
// running task from any goroutine, so Park switches the task's coroutine
// from the wrong goroutine and the loop hangs for good. Without the Skip
// this test fails after its hang guard (leaving the stuck goroutines
// behind); it passes once the core checks the goroutine in every mode.
func TestAwaitFromGoroutineOfRunningTask(t *testing.T) {
	t.Skip("core gap: eventloop.ParkerFor/currentTask check the calling goroutine only in debug mode; " +
		"a goroutine borrowing the running task's ctx hangs the loop (see the debug-mode test above)")
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	q := queue.NewQueue[int](0)
	result := make(chan error, 1)
	go func() {
		defer l.Close()
		tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
			done := make(chan error)
			go func() { _, err := q.Get(ctx); done <- err }()
			return 0, <-done
		})
		l.RunUntilComplete(tk)
		result <- tk.Err()
	}()
	select {
	case err := <-result:
		if !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("Get from a goroutine borrowing the running task's ctx: %v, want ErrNotInTask", err)
		}
	case <-time.After(5 * time.Second): // hang guard; asserts no duration
		t.Fatal("Get from a goroutine borrowing the running task's ctx hung the loop")
	}
}

// In debug mode the non-awaiting methods catch a call from another
// goroutine too, naming it.
func TestDebugModeCatchesPutNowaitFromAnotherGoroutine(t *testing.T) {
	l, err := eventloop.New(eventloop.WithDebug(true), eventloop.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := queue.NewQueue[int](0)
	var fromOther error
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		if err := q.PutNowait(1); err != nil { // binds q to the loop
			return 0, err
		}
		if _, err := q.Get(ctx); err != nil {
			return 0, err
		}
		done := make(chan struct{})
		go func() { fromOther = q.PutNowait(2); close(done) }()
		<-done // blocks the loop on purpose, only in this test
		return 0, nil
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(fromOther, eventloop.ErrWrongGoroutine) {
		t.Errorf("PutNowait from another goroutine = %v, want ErrWrongGoroutine", fromOther)
	}
}

// Once its loop is closed, a bound queue's non-awaiting methods say so.
func TestNowaitMethodsAfterLoopClosed(t *testing.T) {
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	q := queue.NewQueue[int](0)
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		q.PutNowait(1)
		return q.Get(ctx) // binds q to l
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := q.PutNowait(2); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("PutNowait = %v", err)
	}
	if _, err := q.GetNowait(); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("GetNowait = %v", err)
	}
	if err := q.TaskDone(); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("TaskDone = %v", err)
	}
}
