package locks_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// An uncontended Acquire/Release pair allocates nothing.
func TestUncontendedAllocatesNothing(t *testing.T) {
	testkit.InTask(t, func(ctx context.Context) {
		var m locks.Lock
		sem, _ := locks.NewSemaphore(1)
		var ev locks.Event
		ev.Set()
		fn := func(context.Context) error { return nil }
		cases := map[string]func(){
			"Lock.Acquire+Release":      func() { m.Acquire(ctx); m.Release() },
			"Lock.With":                 func() { m.With(ctx, fn) },
			"Semaphore.Acquire+Release": func() { sem.Acquire(ctx); sem.Release() },
			"Semaphore.With":            func() { sem.With(ctx, fn) },
			"Event.Wait (set)":          func() { ev.Wait(ctx) },
		}
		for name, f := range cases {
			if a := testing.AllocsPerRun(1000, f); a != 0 {
				t.Errorf("%s: %.1f allocs, want 0", name, a)
			}
		}
	})
}

// A contended hand-off (two tasks taking turns) allocates nothing once
// the waiter list has a record to reuse.
func TestContendedAllocatesNothing(t *testing.T) {
	testkit.InTask(t, func(ctx context.Context) {
		var m locks.Lock
		const rounds = 200
		other := task.Go(ctx, func(ctx context.Context) error {
			for range rounds + 10 {
				if err := m.Acquire(ctx); err != nil {
					return err
				}
				eventloop.Sleep(ctx, 0)
				m.Release()
			}
			return nil
		})
		eventloop.Sleep(ctx, 0)
		turn := func() { m.Acquire(ctx); eventloop.Sleep(ctx, 0); m.Release() }
		turn()
		if a := testing.AllocsPerRun(rounds, turn); a != 0 {
			t.Errorf("contended Acquire/Release: %.1f allocs per round, want 0", a)
		}
		task.Gather(ctx, other)
	})
}

func BenchmarkLockUncontended(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		var m locks.Lock
		b.ReportAllocs()
		for b.Loop() {
			m.Acquire(ctx)
			m.Release()
		}
	})
}

func BenchmarkLockWith(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		var m locks.Lock
		fn := func(context.Context) error { return nil }
		b.ReportAllocs()
		for b.Loop() {
			m.With(ctx, fn)
		}
	})
}

func BenchmarkSemaphoreUncontended(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		sem, _ := locks.NewSemaphore(1)
		b.ReportAllocs()
		for b.Loop() {
			sem.Acquire(ctx)
			sem.Release()
		}
	})
}

// BenchmarkLockHandoff: two tasks pass the lock back and forth; each op is
// one hand-off (one park and one wake-up through the loop).
func BenchmarkLockHandoff(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		var m locks.Lock
		n := b.N
		m.Acquire(ctx)
		other := task.Go(ctx, func(ctx context.Context) error {
			for range n / 2 {
				if err := m.Acquire(ctx); err != nil {
					return err
				}
				m.Release()
			}
			return nil
		})
		eventloop.Sleep(ctx, 0) // other waits
		b.ReportAllocs()
		b.ResetTimer()
		for range n / 2 {
			m.Release()
			m.Acquire(ctx)
		}
		m.Release()
		task.Gather(ctx, other)
	})
}
