package task_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
)

// The examples run their loops on a virtual clock
// (eventloop.WithClock(timer.NewVirtual())), so the loop times they print
// are exact: a virtual loop jumps straight to its next timer instead of
// waiting for it. Programs leave the option out and get the real clock.

func ExampleRun() {
	// asyncio.run(main())
	v, err := task.Run(func(ctx context.Context) (string, error) {
		if err := eventloop.Sleep(ctx, time.Second); err != nil {
			return "", err
		}
		return "hello after 1s", nil
	}, eventloop.WithClock(timer.NewVirtual()))
	fmt.Println(v, err)
	// Output: hello after 1s <nil>
}

func ExampleGo() {
	// asyncio.create_task(coro()) for a coroutine that returns nothing
	task.Run(func(ctx context.Context) (int, error) {
		t := task.Go(ctx, func(ctx context.Context) error {
			return errors.New("disk full")
		})
		_, err := eventloop.Await(ctx, t)
		fmt.Println("worker:", err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: worker: disk full
}

func ExampleGather() {
	// await asyncio.gather(a, b)  (fail-fast; the others keep running)
	task.Run(func(ctx context.Context) (int, error) {
		a := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			eventloop.Sleep(ctx, time.Second)
			return 0, errors.New("a failed")
		})
		b := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			eventloop.Sleep(ctx, 2*time.Second)
			return 2, nil
		})
		err := task.Gather(ctx, a, b)
		fmt.Println(err, "at", eventloop.LoopOf(ctx).Time())
		v, _ := eventloop.Await(ctx, b)
		fmt.Println("b still finished:", v, "at", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// a failed at 1s
	// b still finished: 2 at 2s
}

func ExampleGatherAll() {
	// await asyncio.gather(a, b, c, return_exceptions=True)
	task.Run(func(ctx context.Context) (int, error) {
		ok := task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Second) })
		bad := task.Go(ctx, func(ctx context.Context) error { return errors.New("bad input") })
		slow := task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) })
		slow.Cancel()
		errs, err := task.GatherAll(ctx, ok, bad, slow)
		fmt.Println(errs, err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: [<nil> bad input eventloop: cancelled] <nil>
}

func ExampleGatherResults() {
	// results = await asyncio.gather(*(fetch(n) for n in names))
	task.Run(func(ctx context.Context) (int, error) {
		fetch := func(name string, d time.Duration) *eventloop.Task[string] {
			return eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
				err := eventloop.Sleep(ctx, d)
				return name + " page", err
			})
		}
		pages, err := task.GatherResults(ctx, fetch("slow", 3*time.Second), fetch("fast", time.Second))
		fmt.Println(pages, err, "at", eventloop.LoopOf(ctx).Time()) // in the order given
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: [slow page fast page] <nil> at 3s
}

func ExampleWait() {
	// done, pending = await asyncio.wait(tasks, return_when=FIRST_COMPLETED)
	task.Run(func(ctx context.Context) (int, error) {
		a := task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Second) }, eventloop.WithName("a"))
		b := task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Minute) }, eventloop.WithName("b"))
		done, pending, err := task.Wait(ctx, []eventloop.Waitable{a, b}, task.FirstCompleted, task.NoTimeout)
		fmt.Println(len(done), "done,", len(pending), "pending,", err, "at", eventloop.LoopOf(ctx).Time())
		// A timeout returns the split and cancels nothing.
		done, pending, err = task.Wait(ctx, pending, task.AllCompleted, 10*time.Second)
		fmt.Println(len(done), "done,", len(pending), "pending,", err, "at", eventloop.LoopOf(ctx).Time())
		b.Cancel()
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// 1 done, 1 pending, <nil> at 1s
	// 0 done, 1 pending, <nil> at 11s
}

func ExampleWaitFor() {
	// await asyncio.wait_for(query(), timeout=5)
	task.Run(func(ctx context.Context) (int, error) {
		query := eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
			if err := eventloop.Sleep(ctx, time.Minute); err != nil {
				fmt.Println("query cancelled at", eventloop.LoopOf(ctx).Time())
				return "", err
			}
			return "rows", nil
		})
		_, err := task.WaitFor(ctx, 5*time.Second, query)
		fmt.Println(err, errors.Is(err, context.DeadlineExceeded))
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// query cancelled at 5s
	// eventloop: timed out true
}

func ExampleTimeout() {
	// async with asyncio.timeout(2): await slow()
	task.Run(func(ctx context.Context) (int, error) {
		err := task.Timeout(ctx, 2*time.Second, func(ctx context.Context) error {
			return eventloop.Sleep(ctx, time.Hour)
		})
		fmt.Println(err, "at", eventloop.LoopOf(ctx).Time())
		fmt.Println(errors.Is(err, eventloop.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// eventloop: timed out at 2s
	// true true
}

func ExampleTimeoutAt() {
	// async with asyncio.timeout_at(loop.time() + 10): ...
	task.Run(func(ctx context.Context) (int, error) {
		deadline := eventloop.LoopOf(ctx).Time() + 10*time.Second
		err := task.TimeoutAt(ctx, deadline, func(ctx context.Context) error {
			for i := 0; ; i++ {
				if err := eventloop.Sleep(ctx, 3*time.Second); err != nil {
					fmt.Println("stopped after", i, "rounds at", eventloop.LoopOf(ctx).Time())
					return err
				}
			}
		})
		fmt.Println(err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// stopped after 3 rounds at 10s
	// eventloop: timed out
}

func ExampleShield() {
	// await asyncio.shield(save())  (the save survives the caller's cancellation)
	task.Run(func(ctx context.Context) (int, error) {
		save := eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
			eventloop.Sleep(ctx, 3*time.Second)
			return "saved", nil
		})
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := task.Shield(ctx, save)
			return err
		})
		fmt.Println("caller:", err, "at", eventloop.LoopOf(ctx).Time())
		v, _ := eventloop.Await(ctx, save)
		fmt.Println("save:", v, "at", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// caller: eventloop: timed out at 1s
	// save: saved at 3s
}

func ExampleAsCompleted() {
	// for t in asyncio.as_completed(tasks): print(await t)
	task.Run(func(ctx context.Context) (int, error) {
		job := func(d time.Duration) *eventloop.Task[time.Duration] {
			return eventloop.Spawn(ctx, func(ctx context.Context) (time.Duration, error) {
				return d, eventloop.Sleep(ctx, d)
			})
		}
		for t, err := range task.AsCompleted(ctx, job(3*time.Second), job(time.Second), job(2*time.Second)) {
			if err != nil {
				return 0, err
			}
			d, _ := t.Result()
			fmt.Println("job of", d, "finished at", eventloop.LoopOf(ctx).Time())
		}
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// job of 1s finished at 1s
	// job of 2s finished at 2s
	// job of 3s finished at 3s
}

func ExampleGroup() {
	// async with asyncio.TaskGroup() as tg: tg.create_task(...)
	task.Run(func(ctx context.Context) (int, error) {
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, time.Second)
				return errors.New("upload failed")
			})
			g.Go(func(ctx context.Context) error {
				err := eventloop.Sleep(ctx, time.Minute)
				fmt.Println("download:", err, "at", eventloop.LoopOf(ctx).Time())
				return err
			})
			return nil
		})
		fmt.Println("group:", err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// download: eventloop: cancelled at 1s
	// group: upload failed
}

func ExampleTaskGroup() {
	// tg = asyncio.TaskGroup(); await tg.__aenter__(); ...; await tg.__aexit__(...)
	task.Run(func(ctx context.Context) (int, error) {
		g := task.NewTaskGroup(ctx)
		for i := 1; i <= 3; i++ {
			g.Go(func(ctx context.Context) error {
				return eventloop.Sleep(ctx, time.Duration(i)*time.Second)
			})
		}
		fmt.Println("wait:", g.Wait(), "at", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: wait: <nil> at 3s
}

func ExampleNewTaskGroup() {
	// A group that outlives one function: open it, hand it around, Wait.
	task.Run(func(ctx context.Context) (int, error) {
		g := task.NewTaskGroup(ctx)
		t := task.SpawnIn(g, func(ctx context.Context) (int, error) { return 7, eventloop.Sleep(ctx, time.Second) })
		if err := g.Wait(); err != nil {
			return 0, err
		}
		v, _ := t.Result()
		fmt.Println(v)
		// Once waited, the group takes no more children.
		late := g.Go(func(ctx context.Context) error { return nil })
		_, err := eventloop.Await(ctx, late)
		fmt.Println(err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// 7
	// task: task group is finished or shutting down
}

func ExampleSpawnIn() {
	// t = tg.create_task(fetch(url))
	task.Run(func(ctx context.Context) (int, error) {
		var a, b *eventloop.Task[int]
		task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			a = task.SpawnIn(g, func(ctx context.Context) (int, error) { return 1, eventloop.Sleep(ctx, time.Second) })
			b = task.SpawnIn(g, func(ctx context.Context) (int, error) { return 2, eventloop.Sleep(ctx, 2*time.Second) })
			return nil
		})
		va, _ := a.Result()
		vb, _ := b.Result()
		fmt.Println(va+vb, "at", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: 3 at 2s
}

func ExampleToThread() {
	// digest = await asyncio.to_thread(hashlib.sha256, data)
	task.Run(func(ctx context.Context) (int, error) {
		sum, err := task.ToThread(ctx, func(ctx context.Context) ([32]byte, error) {
			return sha256.Sum256([]byte("a blocking computation")), nil
		})
		fmt.Printf("%x %v\n", sum[:4], err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: 8f27b7dd <nil>
}

func ExampleRunCoroutineThreadsafe() {
	// fut = asyncio.run_coroutine_threadsafe(coro(), loop); fut.result()
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		panic(err)
	}
	stopped := make(chan error)
	go func() { stopped <- l.RunForever() }() // the loop runs on its own goroutine

	cf := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (string, error) {
		eventloop.Sleep(ctx, 2*time.Second)
		return fmt.Sprint("computed on the loop at ", eventloop.LoopOf(ctx).Time()), nil
	})
	v, err := cf.Result(context.Background()) // blocks this goroutine only
	fmt.Println(v, err)

	l.Stop()
	<-stopped
	l.Close()
	// Output: computed on the loop at 2s <nil>
}

func ExampleConcurrentFuture_Cancel() {
	// fut = asyncio.run_coroutine_threadsafe(poll(), loop); fut.cancel()
	l, err := eventloop.New()
	if err != nil {
		panic(err)
	}
	stopped := make(chan error)
	go func() { stopped <- l.RunForever() }()

	cf := task.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) {
		for {
			if err := eventloop.Sleep(ctx, time.Minute); err != nil {
				return 0, err
			}
		}
	})
	cf.Cancel() // from this goroutine: the loop cancels the task
	_, err = cf.Result(context.Background())
	fmt.Println(err)

	l.Stop()
	<-stopped
	l.Close()
	// Output: eventloop: cancelled
}

func ExampleMain() {
	// asyncio.run(main()) for a main that returns nothing but its error
	err := task.Main(func(ctx context.Context) error {
		fmt.Println("main runs at", eventloop.LoopOf(ctx).Time())
		return eventloop.Sleep(ctx, time.Second)
	}, eventloop.WithClock(timer.NewVirtual()))
	fmt.Println("Main returned", err)
	// Output:
	// main runs at 0s
	// Main returned <nil>
}
