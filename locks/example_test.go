package locks_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// Three tasks update a shared balance across an await; the lock keeps the
// read-modify-write of each whole.
func ExampleLock() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		var mu locks.Lock
		balance := 100
		withdraw := func(amount int) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				return mu.With(ctx, func(ctx context.Context) error {
					b := balance
					eventloop.Sleep(ctx, 0) // another task runs here, but cannot get the lock
					balance = b - amount
					return nil
				})
			}
		}
		task.Gather(ctx, task.Go(ctx, withdraw(10)), task.Go(ctx, withdraw(20)), task.Go(ctx, withdraw(30)))
		fmt.Println("balance:", balance)
		return struct{}{}, nil
	})
	// Output: balance: 40
}

func ExampleLock_Acquire() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		var mu locks.Lock
		if err := mu.Acquire(ctx); err != nil {
			return struct{}{}, err
		}
		fmt.Println("locked:", mu.Locked())
		mu.Release()
		fmt.Println("locked:", mu.Locked())
		fmt.Println("release again:", mu.Release())
		return struct{}{}, nil
	})
	// Output:
	// locked: true
	// locked: false
	// release again: locks: Lock.Release: locks: lock is not acquired
}

// Workers wait for a start signal; Set wakes all of them.
func ExampleEvent() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		var start locks.Event
		worker := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := start.Wait(ctx); err != nil {
					return err
				}
				fmt.Println(name, "started")
				return nil
			}
		}
		a, b := task.Go(ctx, worker("a")), task.Go(ctx, worker("b"))
		eventloop.Sleep(ctx, 0)
		fmt.Println("go!")
		start.Set()
		return struct{}{}, task.Gather(ctx, a, b)
	})
	// Output:
	// go!
	// a started
	// b started
}

// A consumer waits on a condition until the producer has made an item.
func ExampleCondition() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		var cond locks.Condition
		var items []string
		consumer := task.Go(ctx, func(ctx context.Context) error {
			return cond.With(ctx, func(ctx context.Context) error {
				if err := cond.WaitFor(ctx, func() bool { return len(items) > 0 }); err != nil {
					return err
				}
				fmt.Println("consumed", items[0])
				return nil
			})
		})
		eventloop.Sleep(ctx, 0)
		cond.With(ctx, func(ctx context.Context) error {
			items = append(items, "apple")
			return cond.Notify(1)
		})
		return struct{}{}, task.Gather(ctx, consumer)
	})
	// Output: consumed apple
}

// At most two of the five jobs run at once.
func ExampleSemaphore() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		sem, _ := locks.NewSemaphore(2)
		running, most := 0, 0
		job := func(ctx context.Context) error {
			return sem.With(ctx, func(ctx context.Context) error {
				running++
				most = max(most, running)
				defer func() { running-- }()
				return eventloop.Sleep(ctx, 0)
			})
		}
		var jobs []eventloop.Waitable
		for range 5 {
			jobs = append(jobs, task.Go(ctx, job))
		}
		err := task.Gather(ctx, jobs...)
		fmt.Println("at most", most, "at once")
		return struct{}{}, err
	})
	// Output: at most 2 at once
}

func ExampleBoundedSemaphore() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		sem, _ := locks.NewBoundedSemaphore(1)
		sem.Acquire(ctx)
		fmt.Println(sem.Release())
		err := sem.Release()
		fmt.Println(errors.Is(err, locks.ErrReleasedTooMany))
		return struct{}{}, nil
	})
	// Output:
	// <nil>
	// true
}

// Three tasks meet at the barrier; each gets its arrival index.
func ExampleBarrier() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		b, _ := locks.NewBarrier(3)
		arrive := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				i, err := b.Wait(ctx)
				fmt.Println(name, "passed, arrived as", i)
				return err
			}
		}
		return struct{}{}, task.Gather(ctx, task.Go(ctx, arrive("a")), task.Go(ctx, arrive("b")), task.Go(ctx, arrive("c")))
	})
	// Output:
	// c passed, arrived as 2
	// a passed, arrived as 0
	// b passed, arrived as 1
}
