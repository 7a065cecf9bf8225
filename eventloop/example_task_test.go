package eventloop_test

import (
	"context"
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

func ExampleSpawn() {
	// t = asyncio.create_task(fetch()); ...; await t
	task.Run(func(ctx context.Context) (int, error) {
		t := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			eventloop.Sleep(ctx, 2*time.Second)
			return 42, nil
		}, eventloop.WithName("fetch"))
		fmt.Println(t.Name(), "started, done:", t.Done())
		v, err := eventloop.Await(ctx, t)
		fmt.Println(v, err, "at", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// fetch started, done: false
	// 42 <nil> at 2s
}

func ExampleWithName() {
	// asyncio.create_task(coro(), name="worker-1")
	task.Run(func(ctx context.Context) (int, error) {
		t := task.Go(ctx, func(ctx context.Context) error { return nil }, eventloop.WithName("worker-1"))
		fmt.Println(t.Name(), eventloop.CurrentTask(ctx).Name())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: worker-1 main
}

func ExampleAwait() {
	// result = await fut  (cancelling the awaiter cancels fut too)
	task.Run(func(ctx context.Context) (int, error) {
		fut := eventloop.NewFuture[string](eventloop.LoopOf(ctx))
		eventloop.LoopOf(ctx).CallLater(3*time.Second, func() { fut.SetResult("ready") })
		v, err := eventloop.Await(ctx, fut)
		fmt.Println(v, err, "at", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: ready <nil> at 3s
}

func ExampleSleep() {
	// await asyncio.sleep(1.5); await asyncio.sleep(0) yields once
	task.Run(func(ctx context.Context) (int, error) {
		eventloop.Sleep(ctx, 1500*time.Millisecond)
		fmt.Println("woke at", eventloop.LoopOf(ctx).Time())
		eventloop.Sleep(ctx, 0)
		fmt.Println("yielded, still", eventloop.LoopOf(ctx).Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// woke at 1.5s
	// yielded, still 1.5s
}

func ExampleTimeoutOf() {
	// async with asyncio.timeout(None) as cm: cm.reschedule(loop.time() + 5)
	task.Run(func(ctx context.Context) (int, error) {
		err := task.Timeout(ctx, eventloop.Never, func(ctx context.Context) error {
			ts := eventloop.TimeoutOf(ctx)
			fmt.Println("no deadline:", ts.When() == eventloop.Never)
			ts.Reschedule(eventloop.LoopOf(ctx).Time() + 5*time.Second) // a deadline after all
			err := eventloop.Sleep(ctx, time.Hour)
			fmt.Println("expired:", ts.Expired(), "at", eventloop.LoopOf(ctx).Time())
			return err
		})
		fmt.Println(err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// no deadline: true
	// expired: true at 5s
	// eventloop: timed out
}

func ExampleRunInExecutor() {
	// fut = loop.run_in_executor(None, blocking_io)
	task.Run(func(ctx context.Context) (int, error) {
		fut := eventloop.RunInExecutor(eventloop.LoopOf(ctx), func() (string, error) {
			return "read from a blocking API", nil
		})
		v, err := eventloop.Await(ctx, fut)
		fmt.Println(v, err)
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output: read from a blocking API <nil>
}

func ExampleCurrentTask() {
	// asyncio.current_task().get_name()
	task.Run(func(ctx context.Context) (int, error) {
		fmt.Println(eventloop.CurrentTask(ctx).Name())
		t := task.Go(ctx, func(ctx context.Context) error {
			fmt.Println(eventloop.CurrentTask(ctx).Name())
			return nil
		}, eventloop.WithName("child"))
		eventloop.Await(ctx, t)
		fmt.Println(eventloop.CurrentTask(context.Background()) == nil) // not a task's ctx
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// main
	// child
	// true
}

func ExampleLoop_AllTasks() {
	// asyncio.all_tasks()
	task.Run(func(ctx context.Context) (int, error) {
		task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) }, eventloop.WithName("poller"))
		task.Go(ctx, func(ctx context.Context) error { return nil }, eventloop.WithName("oneshot"))
		eventloop.Sleep(ctx, time.Second) // oneshot finishes
		for _, t := range eventloop.LoopOf(ctx).AllTasks() {
			fmt.Println(t.Name())
		}
		return 0, nil // Run cancels poller
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// main
	// poller
}

func ExampleLoopOf() {
	// loop = asyncio.get_running_loop(); loop.call_later(1, cb)
	task.Run(func(ctx context.Context) (int, error) {
		l := eventloop.LoopOf(ctx)
		l.CallLater(time.Second, func() { fmt.Println("callback at", l.Time()) })
		eventloop.Sleep(ctx, 2*time.Second)
		fmt.Println("task at", l.Time())
		return 0, nil
	}, eventloop.WithClock(timer.NewVirtual()))
	// Output:
	// callback at 1s
	// task at 2s
}
