package task_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
)

func ExampleRecv() {
	// A goroutine produces, a task consumes: the task parks on the
	// channel and the loop goes on serving other tasks meanwhile.
	task.Run(func(ctx context.Context) (struct{}, error) {
		results := make(chan int)
		go func() {
			defer close(results)
			for i := 1; i <= 3; i++ {
				results <- i * i
			}
		}()
		for {
			v, ok, err := task.Recv(ctx, results)
			if err != nil || !ok {
				return struct{}{}, err
			}
			fmt.Println("got", v)
		}
	})
	// Output:
	// got 1
	// got 4
	// got 9
}

func ExampleSend() {
	// A task hands work to a plain goroutine without blocking the loop.
	task.Run(func(ctx context.Context) (struct{}, error) {
		jobs := make(chan string)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for j := range jobs {
				fmt.Println("goroutine did", j)
			}
		}()
		for _, j := range []string{"a", "b"} {
			if err := task.Send(ctx, jobs, j); err != nil {
				return struct{}{}, err
			}
		}
		close(jobs)
		_, _, err := task.Recv(ctx, done) // not <-done: that would block the loop
		return struct{}{}, err
	})
	// Output:
	// goroutine did a
	// goroutine did b
}

func ExampleWaitCancelled() {
	// The loop-friendly <-ctx.Done(): the task parks until its ctx is
	// cancelled, while the loop goes on (here, a timer fires meanwhile).
	task.Run(func(ctx context.Context) (struct{}, error) {
		l := eventloop.LoopOf(ctx)
		l.CallLater(time.Second, func() { fmt.Println("the loop still runs at", l.Time()) })
		err := task.Timeout(ctx, 2*time.Second, task.WaitCancelled)
		fmt.Println("woken at", l.Time(), "by", err)
		return struct{}{}, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// the loop still runs at 1s
	// woken at 2s by eventloop: timed out
}

func ExampleToThread_withExecutor() {
	// loop.run_in_executor(pool, blocking_call): a caller's executor,
	// and a limiter so that at most one such call runs at once.
	pool := task.ExecutorFunc(func(fn func()) error { go fn(); return nil })
	task.Run(func(ctx context.Context) (struct{}, error) {
		v, err := task.ToThread(ctx, func(context.Context) (string, error) {
			return "blocking work done", nil // a database call, a file read, ...
		}, task.WithExecutor(pool))
		fmt.Println(v, err)
		return struct{}{}, nil
	})
	// Output: blocking work done <nil>
}

func ExampleTaskGroup_Cancel() {
	// Stop a group of workers from inside it, without an error.
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			for i := range 3 {
				g.Go(func(ctx context.Context) error {
					err := eventloop.Sleep(ctx, time.Hour)
					fmt.Println("worker", i, "stopped:", err)
					return err
				})
			}
			if err := eventloop.Sleep(ctx, time.Second); err != nil {
				return err
			}
			g.Cancel()
			return nil
		})
	}, eventloop.WithClock(timer.NewVirtual()))
	fmt.Println("group:", err)
	// Output:
	// worker 0 stopped: eventloop: cancelled
	// worker 1 stopped: eventloop: cancelled
	// worker 2 stopped: eventloop: cancelled
	// group: <nil>
}

func ExampleStart() {
	// Trio's nursery.start: wait until a server child says it is ready,
	// and get its port, while it goes on serving in the group.
	task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			port, err := task.Start(ctx, g, func(ctx context.Context, ready func(int)) error {
				// ... bind the listening socket ...
				ready(8080)
				fmt.Println("serving")
				return nil // (a real server would serve until cancelled)
			})
			fmt.Println("started on", port, err)
			return err
		})
	})
	// Output:
	// serving
	// started on 8080 <nil>
}

func ExampleTaskGroup_SetLimit() {
	// errgroup's SetLimit: at most two children at once; GoWait holds the
	// producer back until there is room (jobs 0 and 1 both end at 1s,
	// before job 2 starts).
	task.Run(func(ctx context.Context) (struct{}, error) {
		running := 0
		return struct{}{}, task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.SetLimit(2)
			for i := range 4 {
				if _, err := g.GoWait(ctx, func(ctx context.Context) error {
					running++
					fmt.Println("job", i, "starts;", running, "running")
					defer func() { running-- }()
					return eventloop.Sleep(ctx, time.Second)
				}); err != nil {
					return err
				}
			}
			return nil
		})
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// job 0 starts; 1 running
	// job 1 starts; 2 running
	// job 2 starts; 1 running
	// job 3 starts; 2 running
}
