// Command tour walks through what aio can do today, printing what happens
// step by step: callbacks, timers on a virtual clock, tasks, the asyncio
// combinators (Gather, Wait, WaitFor, Timeout, Shield, AsCompleted,
// TaskGroup), a queue of workers, an echo server with clients over TCP
// streams, an HTTP server and client (package web), a subprocess
// pipeline, the ways in and out of the loop (ToThread,
// RunCoroutineThreadsafe), file descriptors and signals, and how the loop
// reports what goes wrong (the exception handler, debug mode, Close), and
// ends with the live task tree and the loop's statistics.
//
//	go run ./cmd/tour
//
// Almost every stop runs on a virtual clock, so loop times are exact and
// the output is the same on every run; an hour of timers takes no time.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
)

func main() {
	if runChild() {
		return
	}
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
}

// tour prints to one writer; a few stops print from other goroutines.
type tour struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (t *tour) say(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "  "+format+"\n", args...)
}

func (t *tour) stop(title string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	fmt.Fprintf(t.w, "\n%d. %s\n", t.n, title)
}

// handler is the exception handler of the tour's loops: what the loop
// cannot give to any caller (a panic in a callback, a task error nobody
// read) arrives here.
func (t *tour) handler(l *eventloop.Loop, c eventloop.ExceptionContext) {
	msg := "exception handler: " + c.Message
	if c.Task != "" {
		msg += " (task " + c.Task + ")"
	}
	var pe *eventloop.PanicError
	switch {
	case errors.As(c.Err, &pe):
		msg += fmt.Sprintf(": panic %q, with its stack (%v)", fmt.Sprint(pe.Value), len(pe.Stack) > 0)
	case c.Err != nil:
		msg += ": " + oneLine(c.Err)
	}
	t.say("%s", msg)
}

// newLoop builds a loop on a virtual clock that reports to the tour.
func (t *tour) newLoop(opts ...eventloop.Option) (*eventloop.Loop, error) {
	return eventloop.New(append([]eventloop.Option{
		eventloop.WithClock(timer.NewVirtual()),
		eventloop.WithExceptionHandler(t.handler),
	}, opts...)...)
}

// runTasks runs body as the main task of a fresh loop on a virtual clock
// (task.Run: asyncio.run).
func (t *tour) runTasks(body func(ctx context.Context) error, opts ...eventloop.Option) error {
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, body(ctx)
	}, append([]eventloop.Option{
		eventloop.WithClock(timer.NewVirtual()),
		eventloop.WithExceptionHandler(t.handler),
	}, opts...)...)
	return err
}

// now is the loop time of ctx's loop, for printing.
func now(ctx context.Context) time.Duration { return eventloop.LoopOf(ctx).Time() }

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func run(w io.Writer) error {
	t := &tour{w: w}
	fmt.Fprintln(w, "A tour of aio: asyncio's event loop, in Go.")
	for _, stop := range []func() error{
		t.callbacks,
		t.timers,
		t.tasks,
		t.gather,
		t.wait,
		t.waitFor,
		t.timeout,
		t.shield,
		t.asCompleted,
		t.taskGroup,
		t.queueWorkers,
		t.echoServer,
		t.httpServer,
		t.pipeline,
		t.toThread,
		t.threadsafe,
		t.reader,
		t.signal,
		t.panics,
		t.debugMode,
		t.close,
		t.taskTree,
	} {
		if err := stop(); err != nil {
			return fmt.Errorf("stop %d: %w", t.n, err)
		}
	}
	fmt.Fprintln(w, "\nEnd of the tour.")
	return nil
}

func (t *tour) callbacks() error {
	t.stop("Callbacks run in FIFO order; what a callback schedules runs in the next iteration")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	defer l.Close()
	done := eventloop.NewFuture[struct{}](l)
	for _, name := range []string{"first", "second", "third"} {
		l.CallSoon(func() { t.say("iteration %d: callback %s", l.Stats().Iterations, name) })
	}
	l.CallSoon(func() {
		t.say("iteration %d: a callback schedules another", l.Stats().Iterations)
		l.CallSoon(func() {
			t.say("iteration %d: ... which runs in the next iteration", l.Stats().Iterations)
			done.SetResult(struct{}{})
		})
	})
	h, _ := l.CallSoon(func() { t.say("never printed") })
	t.say("cancelled a queued callback: %v", h.Cancel())
	return l.RunUntilComplete(done)
}

func (t *tour) timers() error {
	t.stop("Timers on a virtual clock: an hour in an instant")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	defer l.Close()
	start := time.Now()
	done := eventloop.NewFuture[struct{}](l)
	l.CallLater(time.Hour, func() {
		t.say("at %v: the hour is up", l.Time())
		done.SetResult(struct{}{})
	})
	l.CallLater(30*time.Minute, func() { t.say("at %v: half an hour (set first)", l.Time()) })
	l.CallLater(30*time.Minute, func() { t.say("at %v: half an hour (set second: equal deadlines run in the order set)", l.Time()) })
	l.CallAt(15*time.Minute, func() { t.say("at %v: CallAt a quarter past", l.Time()) })
	late, _ := l.CallLater(45*time.Minute, func() { t.say("never printed") })
	t.say("cancelled the 45m timer: %v", late.Cancel())
	if err := l.RunUntilComplete(done); err != nil {
		return err
	}
	t.say("an hour of loop time took under a second of real time: %v", time.Since(start) < time.Second)
	return nil
}

func (t *tour) tasks() error {
	t.stop("Tasks are coroutines; Sleep(ctx, 0) yields exactly one iteration")
	return t.runTasks(func(ctx context.Context) error {
		worker := func(name string) func(ctx context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				for i := range 3 {
					t.say("%s step %d (%s)", name, i, eventloop.CurrentTask(ctx).Name())
					if err := eventloop.Sleep(ctx, 0); err != nil {
						return "", err
					}
				}
				return name + " done", nil
			}
		}
		a := eventloop.Spawn(ctx, worker("A"), eventloop.WithName("worker-A"))
		b := eventloop.Spawn(ctx, worker("B"), eventloop.WithName("worker-B"))
		va, err := eventloop.Await(ctx, a)
		if err != nil {
			return err
		}
		vb, err := eventloop.Await(ctx, b)
		t.say("awaited: %q, %q", va, vb)
		return err
	})
}

// sleeper is a task body that sleeps d and returns v, or err if not nil.
func sleeper[T any](d time.Duration, v T, err error) func(ctx context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if e := eventloop.Sleep(ctx, d); e != nil {
			var zero T
			return zero, e
		}
		return v, err
	}
}

func (t *tour) gather() error {
	t.stop("Gather: all results, fail-fast errors (the others keep running), GatherAll")
	return t.runTasks(func(ctx context.Context) error {
		vs, err := task.GatherResults(ctx,
			eventloop.Spawn(ctx, sleeper(3*time.Second, "c", nil)),
			eventloop.Spawn(ctx, sleeper(time.Second, "a", nil)),
			eventloop.Spawn(ctx, sleeper(2*time.Second, "b", nil)))
		t.say("at %v: GatherResults = %q, %v (in the order given)", now(ctx), vs, err)

		failing := eventloop.Spawn(ctx, sleeper(time.Second, 0, errors.New("disk full")))
		slow := eventloop.Spawn(ctx, sleeper(2*time.Second, 42, nil))
		err = task.Gather(ctx, failing, slow)
		t.say("at %v: Gather = %v; slow sibling cancelled? %v, done? %v", now(ctx), err, slow.Cancelled(), slow.Done())
		v, err := eventloop.Await(ctx, slow)
		t.say("at %v: the sibling finished anyway: %d, %v", now(ctx), v, err)

		errs, err := task.GatherAll(ctx,
			eventloop.Spawn(ctx, sleeper(time.Second, 1, nil)),
			eventloop.Spawn(ctx, sleeper(time.Second, 0, errors.New("bad input"))))
		t.say("at %v: GatherAll = %v, %v (return_exceptions=True)", now(ctx), errs, err)
		return nil
	})
}

func (t *tour) wait() error {
	t.stop("Wait: FirstCompleted, and a timeout that cancels nothing")
	return t.runTasks(func(ctx context.Context) error {
		ws := []eventloop.Waitable{
			eventloop.Spawn(ctx, sleeper(time.Second, 1, nil), eventloop.WithName("one")),
			eventloop.Spawn(ctx, sleeper(2*time.Second, 2, nil), eventloop.WithName("two")),
			eventloop.Spawn(ctx, sleeper(3*time.Second, 3, nil), eventloop.WithName("three")),
		}
		names := func(ws []eventloop.Waitable) []string {
			var out []string
			for _, w := range ws {
				out = append(out, w.(eventloop.TaskInfo).Name())
			}
			return out
		}
		done, pending, err := task.Wait(ctx, ws, task.FirstCompleted, task.NoTimeout)
		t.say("at %v: FirstCompleted: done %v, pending %v, %v", now(ctx), names(done), names(pending), err)
		done, pending, err = task.Wait(ctx, ws, task.AllCompleted, 500*time.Millisecond)
		t.say("at %v: AllCompleted with a 500ms timeout: done %v, pending %v, %v", now(ctx), names(done), names(pending), err)
		done, pending, err = task.Wait(ctx, ws, task.AllCompleted, task.NoTimeout)
		t.say("at %v: AllCompleted: done %v, pending %v, %v", now(ctx), names(done), names(pending), err)
		return nil
	})
}

func (t *tour) waitFor() error {
	t.stop("WaitFor times out: it cancels the task and waits for its cleanup")
	return t.runTasks(func(ctx context.Context) error {
		slow := eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
			if err := eventloop.Sleep(ctx, time.Hour); err != nil {
				t.say("at %v: slow task: %v; cleaning up, which takes 2s", now(ctx), err)
				// Cleanup that awaits after cancellation: WithoutCancel.
				eventloop.Sleep(context.WithoutCancel(ctx), 2*time.Second)
				t.say("at %v: slow task: cleanup done", now(ctx))
				return "", err
			}
			return "finished", nil
		}, eventloop.WithName("slow"))
		_, err := task.WaitFor(ctx, 5*time.Second, slow)
		t.say("at %v: WaitFor = %v (ErrTimeout: %v, context.DeadlineExceeded: %v); slow task cancelled: %v",
			now(ctx), err, errors.Is(err, eventloop.ErrTimeout), errors.Is(err, context.DeadlineExceeded), slow.Cancelled())
		return nil
	})
}

func (t *tour) timeout() error {
	t.stop("Timeout: a scope with a deadline that can move; nested scopes")
	return t.runTasks(func(ctx context.Context) error {
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			ts := eventloop.TimeoutOf(ctx)
			t.say("at %v: deadline at %v", now(ctx), ts.When())
			if err := eventloop.Sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			ts.Reschedule(now(ctx) + 2*time.Second)
			t.say("at %v: Reschedule: deadline moved to %v", now(ctx), ts.When())
			return eventloop.Sleep(ctx, time.Hour)
		})
		t.say("at %v: Timeout = %v", now(ctx), err)

		start := now(ctx)
		err = task.Timeout(ctx, time.Second, func(outer context.Context) error {
			err := task.Timeout(outer, time.Hour, func(inner context.Context) error {
				return eventloop.Sleep(inner, 2*time.Hour)
			})
			// The inner scope's awaits saw the outer deadline. Whose was it?
			// The scope that is cancelled says: level-triggered, outer.Err()
			// stays set.
			t.say("+%v: inner Timeout = %v; outer scope expired: %v", now(ctx)-start, err, outer.Err() != nil)
			return err
		})
		t.say("+%v: outer Timeout = %v", now(ctx)-start, err)
		return nil
	})
}

func (t *tour) shield() error {
	t.stop("Shield: the awaiter gives up, the shielded task goes on")
	return t.runTasks(func(ctx context.Context) error {
		payment := eventloop.Spawn(ctx, sleeper(3*time.Second, "paid", nil), eventloop.WithName("payment"))
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := task.Shield(ctx, payment)
			return err
		})
		t.say("at %v: Timeout around Shield = %v; payment cancelled? %v", now(ctx), err, payment.Cancelled())
		v, err := eventloop.Await(ctx, payment)
		t.say("at %v: payment = %q, %v", now(ctx), v, err)
		return nil
	})
}

func (t *tour) asCompleted() error {
	t.stop("AsCompleted: results in the order they finish (range over func)")
	return t.runTasks(func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(3*time.Second, "three seconds", nil))
		b := eventloop.Spawn(ctx, sleeper(time.Second, "one second", nil))
		c := eventloop.Spawn(ctx, sleeper(2*time.Second, "two seconds", nil))
		for tk, err := range task.AsCompleted(ctx, a, b, c) {
			if err != nil {
				return err
			}
			v, err := tk.Result()
			t.say("at %v: %q, %v", now(ctx), v, err)
		}
		return nil
	})
}

func (t *tour) taskGroup() error {
	t.stop("TaskGroup: the first failure cancels the siblings; every failure comes back joined")
	errDisk, errNet := errors.New("disk failed"), errors.New("network failed")
	return t.runTasks(func(ctx context.Context) error {
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, time.Second)
				return errDisk
			}, eventloop.WithName("disk"))
			g.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, time.Second)
				return errNet
			}, eventloop.WithName("net"))
			g.Go(func(ctx context.Context) error {
				err := eventloop.Sleep(ctx, time.Hour)
				t.say("at %v: sibling: %v", now(ctx), err)
				return err
			}, eventloop.WithName("sibling"))
			return nil
		})
		t.say("at %v: Group = %q", now(ctx), oneLine(err))
		t.say("errors.Is disk: %v, net: %v, ErrCancelled: %v",
			errors.Is(err, errDisk), errors.Is(err, errNet), errors.Is(err, eventloop.ErrCancelled))
		t.say("the owner's ctx is not cancelled: %v", ctx.Err() == nil)
		return nil
	})
}

func (t *tour) toThread() error {
	t.stop("ToThread: blocking calls run on the executor while the loop goes on")
	return t.runTasks(func(ctx context.Context) error {
		unblock := make(chan struct{})
		helper := eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			t.say("helper task: the loop is free while the worker blocks; releasing it")
			close(unblock)
			return struct{}{}, nil
		})
		v, err := task.ToThread(ctx, func(ctx context.Context) (string, error) {
			<-unblock // a blocking receive: never on the loop goroutine
			return "worker result", nil
		})
		t.say("ToThread = %q, %v", v, err)
		_, err = eventloop.Await(ctx, helper)
		return err
	})
}

func (t *tour) threadsafe() error {
	t.stop("RunCoroutineThreadsafe: another goroutine submits a task and waits for it")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	outside := make(chan error, 1)
	go func() {
		t.say("goroutine: submitting a task to the running loop")
		cf := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) {
			t.say("task on the loop: sleeping 10s of loop time")
			if err := eventloop.Sleep(ctx, 10*time.Second); err != nil {
				return 0, err
			}
			return 6 * 7, nil
		})
		v, err := cf.Result(context.Background())
		t.say("goroutine: result %d, %v", v, err)
		l.Stop() // safe from any goroutine
		outside <- err
	}()
	if err := l.RunForever(); err != nil {
		return err
	}
	if err := <-outside; err != nil {
		return err
	}
	return l.Close()
}

func (t *tour) panics() error {
	t.stop("A panic in a callback goes to the exception handler; the loop goes on")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	done := eventloop.NewFuture[struct{}](l)
	l.CallSoon(func() { panic("boom") })
	l.CallSoon(func() { t.say("the next callback runs all the same") })
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		var s []int
		_ = s[len(s)] // a panic in a task becomes the task's error
		return 0, nil
	}, eventloop.WithName("buggy"))
	tk.OnDone(func() { done.SetResult(struct{}{}) })
	if err := l.RunUntilComplete(done); err != nil {
		return err
	}
	_, err = tk.Result()
	var pe *eventloop.PanicError
	t.say("task %q ended with %v (a *PanicError: %v)", tk.Name(), err, errors.As(err, &pe))
	return l.Close()
}

func (t *tour) debugMode() error {
	t.stop("Debug mode: a loop-only call from another goroutine is caught and named")
	logger := slog.New(slog.NewTextHandler(&sayWriter{t}, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output the same on every run
			}
			return a
		},
	}))
	return t.runTasks(func(ctx context.Context) error {
		l := eventloop.LoopOf(ctx)
		_, err := task.ToThread(ctx, func(context.Context) (struct{}, error) {
			// Wrong: CallSoon belongs to the loop goroutine.
			if _, err := l.CallSoon(func() {}); err != nil {
				return struct{}{}, err
			}
			return struct{}{}, nil
		})
		var ge *eventloop.GoroutineError
		if errors.As(err, &ge) {
			t.say("the executor goroutine's CallSoon failed: method %s, ErrWrongGoroutine: %v",
				ge.Method, errors.Is(err, eventloop.ErrWrongGoroutine))
		}
		ran := make(chan struct{})
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			return struct{}{}, l.CallSoonThreadsafe(func() { close(ran) }) // right
		})
		select {
		case <-ran:
			t.say("CallSoonThreadsafe from the same goroutine: %v, and the callback ran", err)
		default:
			t.say("CallSoonThreadsafe: %v, but the callback has not run yet", err)
		}
		return nil
	}, eventloop.WithDebug(true), eventloop.WithLogger(logger))
}

// sayWriter turns log lines into tour lines.
type sayWriter struct{ t *tour }

func (w *sayWriter) Write(p []byte) (int, error) {
	w.t.say("log: %s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
