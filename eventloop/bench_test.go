package eventloop

import (
	"context"
	"testing"
	"time"

	"github.com/aio-go/aio/timer"
)

// BenchmarkCallSoonChain is W1 chain per operation: each callback queues
// the next, so every op is one loop iteration.
func BenchmarkCallSoonChain(b *testing.B) {
	l, _ := New()
	defer l.Close()
	n := 0
	var cb func()
	cb = func() {
		if n++; n < b.N {
			l.CallSoon(cb)
		} else {
			l.Stop()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	l.CallSoon(cb)
	l.RunForever()
}

// BenchmarkCallSoonUpfront is W1 upfront per operation.
func BenchmarkCallSoonUpfront(b *testing.B) {
	l, _ := New()
	defer l.Close()
	n := 0
	cb := func() {
		if n++; n == b.N {
			l.Stop()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.CallSoon(cb)
	}
	l.RunForever()
}

// BenchmarkCallLaterFire schedules and fires timers on a virtual clock.
func BenchmarkCallLaterFire(b *testing.B) {
	l, _ := New(WithClock(timer.NewVirtual()))
	defer l.Close()
	n := 0
	cb := func() {
		if n++; n == b.N {
			l.Stop()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.CallLater(time.Duration(i%1000)*time.Millisecond, cb)
	}
	l.RunForever()
}

// BenchmarkSleep0 is one task switch round trip: a task yields to the loop
// and is resumed from the ready queue.
func BenchmarkSleep0(b *testing.B) {
	l, _ := New()
	defer l.Close()
	b.ReportAllocs()
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			Sleep(ctx, 0)
		}
		return 0, nil
	})
	l.RunUntilComplete(tk)
}

// BenchmarkSpawnAndFinish spawns a task that returns at once and awaits it.
func BenchmarkSpawnAndFinish(b *testing.B) {
	l, _ := New()
	defer l.Close()
	b.ReportAllocs()
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			child := Spawn(ctx, func(ctx context.Context) (int, error) { return i, nil })
			if _, err := Await[int](ctx, child); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
	l.RunUntilComplete(tk)
}

// BenchmarkFutureHandoff is a park/unpark pair through a future: one task
// waits, a callback completes the future.
func BenchmarkFutureHandoff(b *testing.B) {
	l, _ := New()
	defer l.Close()
	b.ReportAllocs()
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			f := NewFuture[int](l)
			l.CallSoon(func() { f.SetResult(i) })
			if _, err := Await[int](ctx, f); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
	l.RunUntilComplete(tk)
}

// BenchmarkW3 is W3 (docs/workloads.md) per timer on a virtual clock: schedule
// 1M timers with LCG delays, cancel every odd one, fire the rest.
func BenchmarkW3(b *testing.B) {
	const n = 1_000_000
	delays := make([]time.Duration, n)
	state := uint32(12345)
	for i := range delays {
		state = 1664525*state + 1013904223
		delays[i] = time.Duration((state>>8)%1000) * time.Millisecond
	}
	handles := make([]TimerHandle, n)
	b.ReportAllocs()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		l, _ := New(WithClock(timer.NewVirtual()))
		fired := 0
		cb := func() {
			if fired++; fired == n/2 {
				l.Stop()
			}
		}
		for i, d := range delays {
			handles[i], _ = l.CallLater(d, cb)
		}
		for i := 1; i < n; i += 2 {
			handles[i].Cancel()
		}
		l.RunForever()
		l.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/timer")
}
