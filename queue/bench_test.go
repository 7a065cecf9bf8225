package queue_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

// Put and Get that do not wait allocate nothing, for every queue type,
// once the buffer has grown; nor does a W4 round trip (two waiting Gets).
func TestNoAllocations(t *testing.T) {
	testkit.InTask(t, func(ctx context.Context) {
		for _, k := range kinds {
			q := k.make(0)
			q.PutNowait(0)
			q.GetNowait()
			cases := map[string]func(){
				"PutNowait+GetNowait": func() { q.PutNowait(1); q.GetNowait() },
				"Put+Get":             func() { q.Put(ctx, 1); q.Get(ctx) },
			}
			for name, f := range cases {
				if a := testing.AllocsPerRun(1000, f); a != 0 {
					t.Errorf("%s %s: %.1f allocs, want 0", k.name, name, a)
				}
			}
		}
		ab, ba := queue.NewQueue[int](0), queue.NewQueue[int](0)
		const rounds = 500
		echo := task.Go(ctx, func(ctx context.Context) error {
			for range rounds + 2 { // AllocsPerRun makes one warm-up run

				v, err := ab.Get(ctx)
				if err != nil {
					return err
				}
				ba.PutNowait(v + 1)
			}
			return nil
		})
		trip := func() { ab.PutNowait(1); ba.Get(ctx) }
		trip()
		if a := testing.AllocsPerRun(rounds, trip); a != 0 {
			t.Errorf("W4 round trip: %.1f allocs, want 0", a)
		}
		if err := task.Gather(ctx, echo); err != nil {
			t.Error(err)
		}
	})
}

func BenchmarkPutGetNowait(b *testing.B) {
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			q := k.make(0)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				q.PutNowait(i)
				q.GetNowait()
			}
		})
	}
}

// BenchmarkPutGet is Put and Get that do not wait, from a task: the await
// path's own cost (task check, ctx check) on top of the Nowait forms.
func BenchmarkPutGet(b *testing.B) {
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			testkit.InTask(b, func(ctx context.Context) {
				q := k.make(0)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					q.Put(ctx, i)
					q.Get(ctx)
				}
			})
		})
	}
}

// BenchmarkPingPong is W4 per round trip: A puts and waits in Get, B gets
// and puts back; two hops through the loop per op.
func BenchmarkPingPong(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		ab, ba := queue.NewQueue[int](0), queue.NewQueue[int](0)
		n := b.N
		echo := task.Go(ctx, func(ctx context.Context) error {
			for range n {
				v, err := ab.Get(ctx)
				if err != nil {
					return err
				}
				ba.PutNowait(v + 1)
			}
			return nil
		})
		b.ReportAllocs()
		b.ResetTimer()
		v := 0
		for range n {
			ab.PutNowait(v + 1)
			v, _ = ba.Get(ctx)
		}
		b.StopTimer()
		task.Gather(ctx, echo)
		if v != 2*n {
			b.Fatalf("token %d, want %d", v, 2*n)
		}
	})
}
