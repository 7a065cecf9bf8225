package queue_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

// A producer and two workers; Join waits until every item was processed,
// Shutdown ends the workers' loops.
func ExampleQueue() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		q := queue.NewQueue[string](2)
		worker := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				for item, err := range q.All(ctx) {
					if err != nil {
						return err
					}
					fmt.Println(name, "handles", item)
					q.TaskDone()
				}
				return nil
			}
		}
		w1, w2 := task.Go(ctx, worker("w1")), task.Go(ctx, worker("w2"))
		for _, item := range []string{"a", "b", "c", "d"} {
			if err := q.Put(ctx, item); err != nil {
				return struct{}{}, err
			}
		}
		q.Join(ctx)
		fmt.Println("all done")
		q.Shutdown(false)
		return struct{}{}, task.Gather(ctx, w1, w2)
	})
	// Output:
	// w1 handles a
	// w1 handles b
	// w1 handles c
	// w2 handles d
	// all done
}

func ExampleQueue_GetNowait() {
	var q queue.Queue[int] // the zero Queue is unbounded
	q.PutNowait(1)
	v, err := q.GetNowait()
	fmt.Println(v, err)
	_, err = q.GetNowait()
	fmt.Println(err == queue.ErrQueueEmpty)
	// Output:
	// 1 <nil>
	// true
}

func ExampleQueue_Shutdown() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		q := queue.NewQueue[int](0)
		q.PutNowait(1)
		q.Shutdown(false)
		fmt.Println(q.PutNowait(2))
		v, err := q.Get(ctx) // what is left can still be got
		fmt.Println(v, err)
		_, err = q.Get(ctx)
		fmt.Println(errors.Is(err, queue.ErrQueueShutdown))
		return struct{}{}, nil
	})
	// Output:
	// queue: queue is shut down
	// 1 <nil>
	// true
}

func ExampleLifoQueue() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		q := queue.NewLifoQueue[string](0)
		for _, s := range []string{"first", "second", "third"} {
			q.Put(ctx, s)
		}
		for !q.Empty() {
			s, _ := q.Get(ctx)
			fmt.Println(s)
		}
		return struct{}{}, nil
	})
	// Output:
	// third
	// second
	// first
}

// Jobs with equal priorities come out in the order they were put.
func ExampleNewPriorityQueueFunc() {
	type job struct {
		prio int
		name string
	}
	task.Run(func(ctx context.Context) (struct{}, error) {
		q := queue.NewPriorityQueueFunc(0, func(a, b job) int { return a.prio - b.prio })
		q.Put(ctx, job{2, "write report"})
		q.Put(ctx, job{1, "fix outage"})
		q.Put(ctx, job{2, "review code"})
		q.Put(ctx, job{1, "page oncall"})
		for !q.Empty() {
			j, _ := q.Get(ctx)
			fmt.Println(j.prio, j.name)
		}
		return struct{}{}, nil
	})
	// Output:
	// 1 fix outage
	// 1 page oncall
	// 2 write report
	// 2 review code
}

func ExamplePriorityQueue() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		q := queue.NewPriorityQueue[int](0)
		for _, v := range []int{5, 1, 4} {
			q.PutNowait(v)
		}
		fmt.Println(q)
		for v, err := range q.All(ctx) {
			if err != nil {
				return struct{}{}, err
			}
			fmt.Println(v)
			if q.Empty() {
				q.Shutdown(false)
			}
		}
		return struct{}{}, nil
	})
	// Output:
	// queue.PriorityQueue[maxsize=0 qsize=3 tasks=3]
	// 1
	// 4
	// 5
}

func ExampleStats() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		q := queue.NewQueue[string](10)
		getter := eventloop.Spawn(ctx, q.Get)
		eventloop.Sleep(ctx, 0) // the getter now waits
		fmt.Printf("%+v\n", q.Stats())
		q.PutNowait("x") // reserved for the getter until it runs
		q.PutNowait("y")
		fmt.Printf("%+v\n", q.Stats())
		eventloop.Await[string](ctx, getter)
		fmt.Printf("%+v\n", q.Stats())
		return struct{}{}, nil
	})
	// Output:
	// {Qsize:0 Reserved:0 Maxsize:10 Getters:1 Putters:0 Joiners:0 Unfinished:0 Shutdown:false}
	// {Qsize:1 Reserved:1 Maxsize:10 Getters:0 Putters:0 Joiners:0 Unfinished:2 Shutdown:false}
	// {Qsize:1 Reserved:0 Maxsize:10 Getters:0 Putters:0 Joiners:0 Unfinished:2 Shutdown:false}
}
