package parking_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

const woken parking.Reason = 1

func newLoop(t testing.TB) *eventloop.Loop {
	t.Helper()
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// parker returns a task body that parks on lot and records how it ended.
func parker(lot *parking.Lot, name string, got *[]string) func(ctx context.Context) (parking.Reason, error) {
	return func(ctx context.Context) (parking.Reason, error) {
		p, err := eventloop.ParkerFor(ctx, nil)
		if err != nil {
			return 0, err
		}
		r, err := lot.Park(ctx, p)
		*got = append(*got, fmt.Sprintf("%s:%d:%v", name, r, err))
		return r, err
	}
}

// runUntil runs the loop until every task is done.
func runUntil(t *testing.T, l *eventloop.Loop, ts ...eventloop.Waitable) {
	t.Helper()
	for _, tk := range ts {
		if err := l.RunUntilComplete(tk); err != nil && !tk.Done() {
			t.Fatalf("RunUntilComplete: %v", err)
		}
	}
}

func step(l *eventloop.Loop) { l.RunOnce(0) }

func TestWakeOneIsFIFO(t *testing.T) {
	l := newLoop(t)
	var lot parking.Lot
	var got []string
	var ts []eventloop.Waitable
	for _, name := range []string{"a", "b", "c"} {
		ts = append(ts, eventloop.Spawn(l.Context(), parker(&lot, name, &got)))
	}
	step(l)
	if lot.Len() != 3 {
		t.Fatalf("Len = %d, want 3", lot.Len())
	}
	for range 3 {
		if !lot.WakeOne(woken) {
			t.Fatal("WakeOne found nobody")
		}
		step(l)
	}
	runUntil(t, l, ts...)
	if d := cmp.Diff([]string{"a:1:<nil>", "b:1:<nil>", "c:1:<nil>"}, got); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	if lot.WakeOne(woken) {
		t.Errorf("WakeOne on an empty lot woke someone")
	}
}

// A cancelled waiter is skipped by wakers; its Park returns the
// cancellation with NotWoken.
func TestWakeSkipsCancelled(t *testing.T) {
	l := newLoop(t)
	var lot parking.Lot
	var got []string
	a := eventloop.Spawn(l.Context(), parker(&lot, "a", &got))
	b := eventloop.Spawn(l.Context(), parker(&lot, "b", &got))
	step(l)
	a.Cancel()
	if n := lot.WakeN(5, woken); n != 1 {
		t.Errorf("WakeN woke %d, want 1", n)
	}
	runUntil(t, l, a, b)
	if d := cmp.Diff([]string{"a:0:eventloop: cancelled", "b:1:<nil>"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if !errors.Is(a.Err(), eventloop.ErrCancelled) {
		t.Errorf("a: %v", a.Err())
	}
}

// A waiter woken and then cancelled before it runs keeps its Reason.
func TestWokenThenCancelledKeepsReason(t *testing.T) {
	l := newLoop(t)
	var lot parking.Lot
	var got []string
	a := eventloop.Spawn(l.Context(), parker(&lot, "a", &got))
	step(l)
	lot.WakeAll(woken)
	a.Cancel()
	runUntil(t, l, a)
	if d := cmp.Diff([]string{"a:1:<nil>"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// A waiter cancelled (not woken) leaves the middle of the list; the others
// keep their order.
func TestCancelledWaiterLeavesList(t *testing.T) {
	l := newLoop(t)
	var lot parking.Lot
	var got []string
	a := eventloop.Spawn(l.Context(), parker(&lot, "a", &got))
	b := eventloop.Spawn(l.Context(), parker(&lot, "b", &got))
	c := eventloop.Spawn(l.Context(), parker(&lot, "c", &got))
	step(l)
	b.Cancel()
	step(l)
	if lot.Len() != 2 {
		t.Fatalf("Len = %d, want 2", lot.Len())
	}
	lot.WakeAll(woken)
	runUntil(t, l, a, b, c)
	if d := cmp.Diff([]string{"b:0:eventloop: cancelled", "a:1:<nil>", "c:1:<nil>"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// A context of the standard library cancelled from another goroutine:
// its Err is set before the wake-up reaches the loop, and the waker skips
// the waiter already.
func TestForeignCancellationIsSkipped(t *testing.T) {
	l := newLoop(t)
	var lot parking.Lot
	var got []string
	var merged context.Context
	var stop context.CancelFunc
	a := eventloop.Spawn(l.Context(), func(ctx context.Context) (parking.Reason, error) {
		p, _ := eventloop.ParkerFor(ctx, nil)
		merged, stop = context.WithCancel(ctx)
		r, err := lot.Park(merged, p)
		got = append(got, fmt.Sprintf("a:%d:%v", r, err))
		return r, err
	})
	b := eventloop.Spawn(l.Context(), parker(&lot, "b", &got))
	step(l)
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	<-done
	if merged.Err() == nil {
		t.Fatal("merged not cancelled")
	}
	lot.WakeOne(woken)
	runUntil(t, l, a, b)
	// b's wake-up was queued first; a's comes through the loop's inbox.
	if d := cmp.Diff([]string{"b:1:<nil>", "a:0:eventloop: cancelled"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// Parking allocates nothing once the lot has recycled a waiter record.
func TestParkDoesNotAllocate(t *testing.T) {
	l := newLoop(t)
	var lot parking.Lot
	const rounds = 1000
	var allocs float64
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		p, _ := eventloop.ParkerFor(ctx, nil)
		park := func() {
			l.CallSoon(wakeOne)
			lot.Park(ctx, p)
		}
		park() // warm: the first record, the ready queue
		allocs = testingAllocs(rounds, park)
		return 0, nil
	})
	wakeOneLot = &lot
	runUntil(t, l, tk)
	if allocs > 0 {
		t.Errorf("Park+WakeOne: %.1f allocs per round, want 0", allocs)
	}
}

var wakeOneLot *parking.Lot

func wakeOne() { wakeOneLot.WakeOne(woken) }

func testingAllocs(runs int, f func()) float64 {
	return testing.AllocsPerRun(runs, f)
}
