package eventloop

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// order runs a batch of work on a loop built with opts and returns the
// order things ran in: ten tasks woken in one iteration, ten CallSoon
// callbacks, and ten timers set for the same deadline.
func order(t *testing.T, opts ...Option) (tasks, callbacks, timers []int) {
	t.Helper()
	l := newVirtualLoop(t, opts...)
	for i := range 10 {
		Spawn(l.Context(), func(ctx context.Context) (int, error) {
			tasks = append(tasks, i)
			return i, nil
		})
		l.CallSoon(func() { callbacks = append(callbacks, i) })
		l.CallLater(time.Second, func() { timers = append(timers, i) })
	}
	drain(t, l)
	return tasks, callbacks, timers
}

// drain runs l until it is idle forever.
func drain(t *testing.T, l *Loop) {
	t.Helper()
	for i := 0; !l.Pending().IdleForever(); i++ {
		if i == 1000 {
			t.Fatal("loop still busy after 1000 iterations")
		}
		if err := l.RunOnce(-1); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPerturbationKeepsCallbacksFIFO(t *testing.T) {
	fifo := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	movedTasks, movedTimers := false, false
	for seed := range uint64(20) {
		tasks, callbacks, timers := order(t, WithPerturbation(seed))
		if !slices.Equal(callbacks, fifo) {
			t.Fatalf("seed %d: CallSoon callbacks ran %v, want FIFO", seed, callbacks)
		}
		if len(tasks) != 10 || len(timers) != 10 {
			t.Fatalf("seed %d: %d tasks and %d timers ran, want 10 each", seed, len(tasks), len(timers))
		}
		movedTasks = movedTasks || !slices.Equal(tasks, fifo)
		movedTimers = movedTimers || !slices.Equal(timers, fifo)
	}
	if !movedTasks || !movedTimers {
		t.Errorf("20 seeds never reordered tasks (%v) or equal-deadline timers (%v)", movedTasks, movedTimers)
	}
}

func TestPerturbationSameSeedSameOrder(t *testing.T) {
	for seed := range uint64(5) {
		a1, _, b1 := order(t, WithPerturbation(seed))
		a2, _, b2 := order(t, WithPerturbation(seed))
		if !slices.Equal(a1, a2) || !slices.Equal(b1, b2) {
			t.Errorf("seed %d: tasks %v then %v, timers %v then %v", seed, a1, a2, b1, b2)
		}
	}
}

func TestNoPerturbationIsFIFO(t *testing.T) {
	tasks, _, timers := order(t)
	fifo := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if !slices.Equal(tasks, fifo) || !slices.Equal(timers, fifo) {
		t.Errorf("tasks %v, timers %v; want both FIFO", tasks, timers)
	}
}

func TestPerturbationKeepsDeadlineOrder(t *testing.T) {
	l := newVirtualLoop(t, WithPerturbation(7))
	var got []time.Duration
	for _, d := range []time.Duration{5, 1, 4, 2, 3, 1, 5} {
		l.CallLater(d*time.Second, func() { got = append(got, l.Time()) })
	}
	drain(t, l)
	if !slices.IsSorted(got) || len(got) != 7 {
		t.Errorf("timers fired at %v; want 7, in deadline order", got)
	}
}

func TestTracerSeesStepsTimersAndIO(t *testing.T) {
	var events []string
	l := newVirtualLoop(t, WithTracer(func(ev TraceEvent) {
		s := fmt.Sprintf("%v %s", ev.Time, ev.Kind)
		if ev.Task != nil {
			s += " " + ev.Task.Name()
		}
		if ev.Start {
			s += " start"
		}
		if ev.Callback != nil {
			s += " callback"
		}
		events = append(events, s)
	}))
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		return 0, Sleep(ctx, time.Second)
	}, WithName("sleeper"))
	l.CallLater(2*time.Second, func() {})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	l.RunOnce(-1)
	want := []string{
		"0s step sleeper start",
		"1s timer sleeper",
		"1s step sleeper",
		"2s timer callback",
	}
	if !slices.Equal(events, want) {
		t.Errorf("trace:\n%q\nwant\n%q", events, want)
	}
}

func TestPendingIdleForever(t *testing.T) {
	l := newVirtualLoop(t)
	if p := l.Pending(); !p.IdleForever() || p.NextTimer != Never {
		t.Errorf("fresh loop: %+v, want idle forever with no timer", p)
	}
	h, _ := l.CallLater(time.Second, func() {})
	if p := l.Pending(); p.IdleForever() || p.Timers != 1 || p.NextTimer != time.Second {
		t.Errorf("with a timer: %+v", p)
	}
	if p := l.Pending(); p.Busy(0) || !p.Busy(time.Second) {
		t.Errorf("Busy(0)=%v Busy(1s)=%v, want false, true", p.Busy(0), p.Busy(time.Second))
	}
	h.Cancel()
	l.CallSoon(func() {})
	if p := l.Pending(); p.IdleForever() || p.Ready != 1 || p.Timers != 0 {
		t.Errorf("with a callback: %+v", p)
	}
	l.RunOnce(0)
	if p := l.Pending(); !p.IdleForever() {
		t.Errorf("after running it: %+v", p)
	}
}
