package task_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// bounded runs fn on its own goroutine and fails the test if it has not
// returned within a generous wall-clock bound: a channel await that
// blocked the loop would hang instead of failing.
func bounded(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the loop is stuck (an await blocked the loop goroutine?)")
	}
}

// A task awaiting a channel leaves the loop free: another task keeps
// stepping, and it is that task which starts the goroutine that sends.
func TestRecvKeepsLoopRunning(t *testing.T) {
	bounded(t, func() {
		runErr(t, func(ctx context.Context) error {
			ch := make(chan int)
			ticks := 0
			ticker := task.Go(ctx, func(ctx context.Context) error {
				for ; ticks < 50; ticks++ {
					if err := eventloop.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				go func() { ch <- 42 }()
				return nil
			})
			v, ok, err := task.Recv(ctx, ch)
			if err != nil || !ok || v != 42 {
				t.Errorf("Recv = %d, %v, %v; want 42, true, nil", v, ok, err)
			}
			testkit.Want(t, "ticks while Recv waited", ticks, 50)
			return eventloop.WaitDone(ctx, ticker)
		})
	})
}

func TestRecvClosedAndReady(t *testing.T) {
	runErr(t, func(ctx context.Context) error {
		ch := make(chan string, 1)
		ch <- "ready"
		v, ok, err := task.Recv(ctx, ch)
		testkit.Want(t, "buffered Recv", [3]any{v, ok, err}, [3]any{"ready", true, nil})
		close(ch)
		v, ok, err = task.Recv(ctx, ch)
		testkit.Want(t, "Recv of a closed channel", [3]any{v, ok, err}, [3]any{"", false, nil})
		// Closed while waiting.
		ch2 := make(chan string)
		go func() { time.Sleep(time.Millisecond); close(ch2) }()
		v, ok, err = task.Recv(ctx, ch2)
		testkit.Want(t, "Recv woken by close", [3]any{v, ok, err}, [3]any{"", false, nil})
		return nil
	})
}

// A cancelled Recv takes nothing: a value sent afterwards stays in the
// channel (a helper left behind would steal it).
func TestRecvCancelledTakesNothing(t *testing.T) {
	runErr(t, func(ctx context.Context) error {
		ch := make(chan int, 1)
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			_, _, err := task.Recv(ctx, ch)
			return err
		})
		if !testkit.IsTimeout(err) {
			t.Errorf("Recv under an expired Timeout = %v, want ErrTimeout", err)
		}
		ch <- 7
		time.Sleep(10 * time.Millisecond) // give a leftover helper every chance
		if err := testkit.Yield(ctx, 3); err != nil {
			return err
		}
		testkit.Want(t, "values left in the channel", len(ch), 1)
		return nil
	})
}

// Values sent while Recvs are being cancelled are each either returned by
// a Recv or left in the channel: none is lost, none is doubled.
func TestRecvCancelRaceLosesNothing(t *testing.T) {
	const n = 300
	runErr(t, func(ctx context.Context) error {
		ch := make(chan int, n)
		var wg sync.WaitGroup
		got := map[int]int{}
		for i := range n {
			tk := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				v, _, err := task.Recv(ctx, ch)
				return v, err
			})
			if err := eventloop.Sleep(ctx, 0); err != nil { // let it start waiting
				return err
			}
			wg.Add(1)
			go func() { defer wg.Done(); ch <- i }()
			tk.Cancel()
			v, err := eventloop.Await(context.WithoutCancel(ctx), tk)
			switch {
			case err == nil:
				got[v]++
			case !testkit.IsCancelled(err):
				t.Errorf("Recv = %v", err)
			}
		}
		wg.Wait()
		close(ch)
		for v := range ch {
			got[v]++
		}
		for i := range n {
			if got[i] != 1 {
				t.Errorf("value %d seen %d times, want once", i, got[i])
			}
		}
		return nil
	})
}

func TestSend(t *testing.T) {
	runErr(t, func(ctx context.Context) error {
		ch := make(chan int)
		res := make(chan int, 1)
		go func() { res <- <-ch }()
		if err := task.Send(ctx, ch, 5); err != nil {
			return err
		}
		testkit.Want(t, "received by the goroutine", <-res, 5)

		// Cancelled: not delivered, and nobody is left trying to send.
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error { return task.Send(ctx, ch, 6) })
		if !testkit.IsTimeout(err) {
			t.Errorf("Send under an expired Timeout = %v, want ErrTimeout", err)
		}
		time.Sleep(10 * time.Millisecond)
		select {
		case v := <-ch:
			t.Errorf("a cancelled Send delivered %d", v)
		default:
		}
		return nil
	})
}

func TestSendOnClosedPanicsInTask(t *testing.T) {
	runErr(t, func(ctx context.Context) error {
		ch := make(chan int)
		tk := task.Go(ctx, func(ctx context.Context) error {
			close(ch) // (closing it while Send waits would be a data race)
			return task.Send(ctx, ch, 1)
		})
		err := eventloop.WaitDone(ctx, tk)
		var pe *eventloop.PanicError
		if !errors.As(tk.Err(), &pe) {
			t.Errorf("Send on a closed channel: task error %v, want a PanicError", tk.Err())
		}
		_ = err
		return nil
	})
}

func TestChanAwaitOutsideTask(t *testing.T) {
	_, _, err := task.Recv(context.Background(), make(chan int))
	if !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("Recv outside a task = %v, want ErrNotInTask", err)
	}
	if err := task.Send(context.Background(), make(chan int), 1); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("Send outside a task = %v, want ErrNotInTask", err)
	}
}

// A goroutine completing a future that a task awaits.
func TestSetResultThreadsafe(t *testing.T) {
	bounded(t, func() {
		runErr(t, func(ctx context.Context) error {
			f := eventloop.NewFuture[string](eventloop.LoopOf(ctx))
			go func() {
				if err := f.SetResultThreadsafe("from a goroutine"); err != nil {
					t.Error(err)
				}
			}()
			v, err := eventloop.Await(ctx, f)
			testkit.Want(t, "awaited", v, "from a goroutine")
			return err
		})
	})
}

// WaitCancelled ends on the task's cancellation, on a standard-library
// ctx cancelled from another goroutine, and meanwhile the loop runs.
func TestWaitCancelled(t *testing.T) {
	bounded(t, func() {
		runErr(t, func(ctx context.Context) error {
			err := task.Timeout(ctx, time.Second, task.WaitCancelled)
			if !testkit.IsTimeout(err) {
				t.Errorf("WaitCancelled under Timeout = %v", err)
			}
			std, cancel := context.WithCancel(ctx)
			ticks := 0
			ticker := task.Go(ctx, func(ctx context.Context) error {
				for ; ticks < 20; ticks++ {
					if err := eventloop.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				go cancel()
				return nil
			})
			if err := task.WaitCancelled(std); !errors.Is(err, context.Canceled) {
				t.Errorf("WaitCancelled on a std ctx = %v", err)
			}
			testkit.Want(t, "ticks", ticks, 20)
			return eventloop.WaitDone(ctx, ticker)
		})
	})
}
