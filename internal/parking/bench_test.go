package parking_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
)

// pingPong runs b.N round trips between two tasks; each round trip is two
// wake-ups through the loop. hop parks the calling task after waking the
// other; the three benchmarks below differ only in hop, so they separate
// the cost of the core (Parker), of the Lot, and (in package queue) of a
// queue on top.
func pingPong(b *testing.B, hop func(ctx context.Context, me, other int, park bool) error) {
	l, err := eventloop.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	n := b.N
	var ts [2]*eventloop.Task[int]
	for i := range ts {
		ts[i] = eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
			if i == 1 {
				eventloop.Sleep(ctx, 0) // let 0 park first
			}
			for j := range n {
				// The last hop of the second task only wakes the first.
				if err := hop(ctx, i, 1-i, i == 0 || j < n-1); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, t := range ts {
		l.RunUntilComplete(t)
	}
}

// BenchmarkParkerPingPong is the floor: bare Parker.Unpark and Park.
func BenchmarkParkerPingPong(b *testing.B) {
	var ps [2]eventloop.Parker
	var waiting [2]bool
	pingPong(b, func(ctx context.Context, me, other int, park bool) error {
		if ps[me] == (eventloop.Parker{}) {
			ps[me], _ = eventloop.ParkerFor(ctx, nil)
		}
		if waiting[other] {
			waiting[other] = false
			ps[other].Unpark()
		}
		if !park {
			return nil
		}
		waiting[me] = true
		return ps[me].Park(ctx)
	})
}

// BenchmarkLotPingPong: the same through two Lots, with the task check a
// primitive makes.
func BenchmarkLotPingPong(b *testing.B) {
	var lots [2]parking.Lot
	var binders [2]parking.Binder
	pingPong(b, func(ctx context.Context, me, other int, park bool) error {
		p, err := binders[me].Parker(ctx, "bench")
		if err != nil {
			return err
		}
		lots[other].WakeOne(1)
		if !park {
			return nil
		}
		_, err = lots[me].Park(ctx, p)
		return err
	})
}
