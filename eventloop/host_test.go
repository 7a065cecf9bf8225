package eventloop

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

// hostWorkload is a mix of everything a host may meet while it runs the
// loop for a parked task: task-to-task hand-offs through Parkers, plain
// callbacks queued by tasks, timers and sleeps, a callback that panics, a
// task cancelled while parked, tasks spawned mid-batch. It returns what
// happened, in order, and how many callbacks ran on a goroutine that is
// not the loop's (that is, on a host).
func hostWorkload(t *testing.T, opts ...Option) (log []string, hosted int, reports []string, stats Stats) {
	t.Helper()
	opts = append(opts, WithExceptionHandler(func(_ *Loop, c ExceptionContext) {
		reports = append(reports, c.Message+": "+fmt.Sprint(c.Err))
	}), WithTracer(func(ev TraceEvent) {
		// Every task step, timer and I/O event, as the loop sees it.
		name := ""
		if ev.Task != nil {
			name = ev.Task.Name()
		}
		log = append(log, fmt.Sprintf("trace %v it=%d t=%v %s start=%v", ev.Kind, ev.Iteration, ev.Time, name, ev.Start))
	}))
	l := newVirtualLoop(t, opts...)
	defer func() { stats = l.Stats() }()
	loopG := goid()
	add := func(s string) { log = append(log, s) }
	cb := func(s string) func() {
		return func() {
			if goid() != loopG {
				hosted++
			}
			add(s)
		}
	}
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		var ps [2]Parker
		var waiting [2]bool
		hop := func(ctx context.Context, me, j int) error {
			if ps[me] == (Parker{}) {
				ps[me], _ = ParkerFor(ctx, nil)
			}
			if waiting[1-me] {
				waiting[1-me] = false
				ps[1-me].Unpark()
			}
			if j%3 == me {
				// Queued after the other's step: the host's own step is
				// then not the last of its batch.
				l.CallSoon(cb(fmt.Sprintf("after-wake cb from p%d at %d", me, j)))
			}
			waiting[me] = true
			return ps[me].Park(ctx)
		}
		var victim *Task[int]
		players := make([]*Task[int], 2)
		for i := range players {
			players[i] = Spawn(ctx, func(ctx context.Context) (int, error) {
				for j := range 20 {
					add(fmt.Sprintf("p%d hop %d", i, j))
					if j%5 == i {
						l.CallSoon(cb(fmt.Sprintf("cb from p%d at %d", i, j)))
					}
					if j == 7 && i == 0 {
						l.CallSoon(func() { panic("boom in a callback") })
					}
					if j == 9 && i == 1 {
						l.CallLater(0, cb("timer 0 from p1"))
						Spawn(ctx, func(ctx context.Context) (int, error) {
							add("child runs")
							return 0, Sleep(ctx, 0)
						})
					}
					if j == 12 && i == 0 {
						victim.Cancel()
					}
					if j == 15 {
						if err := Sleep(ctx, time.Millisecond); err != nil {
							return 0, err
						}
						add(fmt.Sprintf("p%d slept", i))
					}
					if j == 19 {
						// The last hop: the other player may be done, so
						// wake it without waiting ourselves.
						if waiting[1-i] {
							waiting[1-i] = false
							ps[1-i].Unpark()
						}
						break
					}
					if err := hop(ctx, i, j); err != nil {
						return 0, err
					}
				}
				return i, nil
			}, WithName(fmt.Sprintf("p%d", i)))
		}
		victim = Spawn(ctx, func(ctx context.Context) (int, error) {
			f := NewFuture[int](l)
			_, err := Await(ctx, f)
			add("victim: " + fmt.Sprint(errors.Is(err, context.Canceled)))
			return 0, err
		})
		for _, p := range players {
			if _, err := Await(ctx, p); err != nil {
				return 0, err
			}
		}
		_, err := Await(ctx, victim)
		add("victim awaited: " + fmt.Sprint(errors.Is(err, context.Canceled)))
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return log, hosted, reports, stats
}

// compareHosting runs workload with hosting on and off and fails unless
// both give the same log (order and trace), the same iteration and
// callback counts and the same exception reports (the one panic the
// workloads plant); with hosting off no callback may run off the loop
// goroutine, with it on some must run on a host (counted by the
// workload). It returns the log with hosting on.
func compareHosting(t *testing.T, workload func(*testing.T, ...Option) ([]string, int, []string, Stats)) []string {
	t.Helper()
	on, hostedOn, repOn, statsOn := workload(t)
	off, hostedOff, repOff, statsOff := workload(t, WithHosting(false))
	if diff := cmp.Diff(off, on); diff != "" {
		t.Errorf("order or trace with hosting differs (-off +on):\n%s", diff)
	}
	// Every counter and gauge: hostRun mirrors runReady and iterate's busy
	// case, and a statistic iterate learns to keep must be kept there too.
	if diff := cmp.Diff(statsOff, statsOn); diff != "" {
		t.Errorf("stats with hosting differ (-off +on):\n%s", diff)
	}
	if diff := cmp.Diff(repOff, repOn); diff != "" {
		t.Errorf("exception reports differ (-off +on):\n%s", diff)
	}
	if len(repOn) != 1 {
		t.Errorf("reports = %q, want the one panic", repOn)
	}
	if hostedOff != 0 {
		t.Errorf("WithHosting(false): %d callbacks ran off the loop goroutine", hostedOff)
	}
	if hostedOn == 0 {
		t.Errorf("no callback ran on a host: hosting never happened")
	}
	return on
}

// TestHostingKeepsOrder: a loop whose parked tasks host the ready queue
// runs everything in exactly the order of a loop that switches back to
// its own goroutine every time, reports a panicking callback the same way
// (to the handler, not as the host task's error), and does host.
func TestHostingKeepsOrder(t *testing.T) {
	on := compareHosting(t, hostWorkload)
	if len(on) < 40 {
		t.Fatalf("workload too short: %q", on)
	}
}

// TestHostingOffInDebugMode: debug mode compares goroutines, so a debug
// loop never hosts.
func TestHostingOffInDebugMode(t *testing.T) {
	_, hosted, _, _ := hostWorkload(t, WithDebug(true), WithSlowCallbackDuration(time.Hour))
	if hosted != 0 {
		t.Errorf("debug mode: %d callbacks ran on a host", hosted)
	}
}

// TestHostingRunOnce: RunOnce runs one iteration even when a task hosts:
// the host finishes the batch but starts no iteration of its own.
func TestHostingRunOnce(t *testing.T) {
	l := newVirtualLoop(t)
	var steps []int
	var ps [2]Parker
	tasks := make([]*Task[int], 2)
	for i := range tasks {
		tasks[i] = Spawn(l.Context(), func(ctx context.Context) (int, error) {
			ps[i], _ = ParkerFor(ctx, nil)
			for j := 0; ; j++ {
				steps = append(steps, i)
				ps[1-i].Unpark()
				if err := ps[i].Park(ctx); err != nil {
					return j, err
				}
			}
		})
	}
	for it := 1; it <= 5; it++ {
		if err := l.RunOnce(0); err != nil {
			t.Fatal(err)
		}
		// Iteration 1 starts both tasks; each later one runs the one step
		// the previous iteration queued.
		want := it + 1
		if len(steps) != want {
			t.Fatalf("after %d RunOnce: %d steps %v, want %d", it, len(steps), steps, want)
		}
	}
	for _, tk := range tasks {
		tk.Cancel()
	}
	for !tasks[0].Done() || !tasks[1].Done() {
		if err := l.RunOnce(0); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostingStop: Stop from a task ends RunForever after the iteration,
// though the tasks would go on handing off to each other forever.
func TestHostingStop(t *testing.T) {
	l := newVirtualLoop(t)
	var ps [2]Parker
	n := 0
	tasks := make([]*Task[int], 2)
	for i := range tasks {
		tasks[i] = Spawn(l.Context(), func(ctx context.Context) (int, error) {
			ps[i], _ = ParkerFor(ctx, nil)
			for {
				if n++; n == 1000 {
					l.Stop()
				}
				ps[1-i].Unpark()
				if err := ps[i].Park(ctx); err != nil {
					return 0, err
				}
			}
		})
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if n < 1000 || n > 1002 {
		t.Errorf("RunForever returned after %d hand-offs, want 1000 (+ the rest of that iteration)", n)
	}
	for _, tk := range tasks {
		tk.Cancel()
	}
	if err := l.RunUntilComplete(tasks[1]); err == nil {
		t.Error("cancelled task: no error")
	}
	if err := l.RunUntilComplete(tasks[0]); err == nil {
		t.Error("cancelled task: no error")
	}
}

// nestedWorkload: the main task parks (and hosts) while two tasks it
// spawned hand off to each other, so they host in turn, nested in it. On
// the way the main task's own wake-up comes up while they host (an Unpark
// from a player, then a cancellation), a callback panics on a nested host,
// timers fire and a third task starts, parks and is cancelled.
func nestedWorkload(t *testing.T, opts ...Option) (log []string, nested int, reports []string, stats Stats) {
	t.Helper()
	opts = append(opts, WithExceptionHandler(func(_ *Loop, c ExceptionContext) {
		reports = append(reports, c.Message+": "+fmt.Sprint(c.Err))
	}), WithTracer(func(ev TraceEvent) {
		name := ""
		if ev.Task != nil {
			name = ev.Task.Name()
		}
		log = append(log, fmt.Sprintf("trace %v it=%d t=%v %s start=%v", ev.Kind, ev.Iteration, ev.Time, name, ev.Start))
	}))
	l := newVirtualLoop(t, opts...)
	defer func() { stats = l.Stats() }()
	loopG := goid()
	var mainG int64
	add := func(s string) { log = append(log, s) }
	cb := func(s string) func() {
		return func() {
			if g := goid(); g != loopG && g != mainG {
				nested++
			}
			add(s)
		}
	}
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		mainG = goid()
		me, _ := ParkerFor(ctx, nil)
		mainWaiting := false
		var ps [2]Parker
		var waiting [2]bool
		var mainTask TaskInfo = CurrentTask(ctx)
		var sleeper *Task[int]
		players := make([]*Task[int], 2)
		for i := range players {
			// Not under main's cancellation: main is cancelled midway.
			players[i] = Spawn(context.WithoutCancel(ctx), func(ctx context.Context) (int, error) {
				ps[i], _ = ParkerFor(ctx, nil)
				for j := range 40 {
					add(fmt.Sprintf("p%d hop %d", i, j))
					switch {
					case j%7 == i:
						l.CallSoon(cb(fmt.Sprintf("cb from p%d at %d", i, j)))
					case j == 12 && i == 1:
						l.CallSoon(func() { panic("boom on a nested host") })
					case j == 15 && i == 0 && mainWaiting:
						mainWaiting = false
						me.Unpark() // the outer host's step, queued while we host
					case j == 20 && i == 1:
						mainTask.Cancel()
					case j == 22 && i == 0:
						l.CallLater(0, cb("timer from p0"))
						sleeper = Spawn(ctx, func(ctx context.Context) (int, error) {
							add("sleeper starts")
							err := Sleep(ctx, time.Hour)
							add("sleeper: " + fmt.Sprint(errors.Is(err, context.Canceled)))
							return 0, err
						})
					case j == 30 && i == 1:
						sleeper.Cancel()
					}
					if waiting[1-i] {
						waiting[1-i] = false
						ps[1-i].Unpark()
					}
					if j == 39 {
						break
					}
					waiting[i] = true
					if err := ps[i].Park(ctx); err != nil {
						return 0, err
					}
				}
				return i, nil
			}, WithName(fmt.Sprintf("p%d", i)))
		}
		mainWaiting = true
		err := me.Park(ctx)
		add("main woken: " + fmt.Sprint(err))
		err = me.Park(ctx)
		add("main cancelled: " + fmt.Sprint(errors.Is(err, context.Canceled)))
		bg := context.WithoutCancel(ctx)
		for _, p := range players {
			v, err := Await(bg, p)
			add(fmt.Sprintf("awaited %d %v", v, err))
		}
		_, err = Await(bg, sleeper)
		add("sleeper awaited: " + fmt.Sprint(errors.Is(err, context.Canceled)))
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return log, nested, reports, stats
}

// TestNestedHostsKeepOrder: with hosts nested (tasks resumed by a host
// host in turn) the order, the trace and the statistics are those of a
// loop that never hosts, and callbacks do run on nested hosts.
func TestNestedHostsKeepOrder(t *testing.T) {
	on := compareHosting(t, nestedWorkload)
	for _, want := range []string{"main woken: <nil>", "main cancelled: true", "awaited 0 <nil>", "awaited 1 <nil>", "sleeper: true"} {
		found := false
		for _, s := range on {
			found = found || s == want
		}
		if !found {
			t.Errorf("log lacks %q", want)
		}
	}
}

// TestNestedHostsStopAndClose: Stop from a task on a nested host ends
// RunForever after the iteration, with every host back up the chain; a
// Close with the tasks still parked unwinds them.
func TestNestedHostsStopAndClose(t *testing.T) {
	l, err := New(WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	var ps [2]Parker
	n := 0
	var errs [3]error
	players := make([]*Task[int], 2)
	outer := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		for i := range players {
			players[i] = Spawn(ctx, func(ctx context.Context) (int, error) {
				ps[i], _ = ParkerFor(ctx, nil)
				for {
					if n++; n == 1000 {
						l.Stop()
					}
					ps[1-i].Unpark()
					if err := ps[i].Park(ctx); err != nil {
						errs[i] = err
						return 0, err
					}
				}
			})
		}
		p, _ := ParkerFor(ctx, nil)
		errs[2] = p.Park(ctx) // hosts; nobody unparks it
		return 0, errs[2]
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if n < 1000 || n > 1002 {
		t.Errorf("RunForever returned after %d hand-offs, want 1000 (+ the rest of that iteration)", n)
	}
	if outer.Done() || players[0].Done() || players[1].Done() {
		t.Fatal("a task ended at Stop")
	}
	_ = l.Close() // reports the three tasks that were live; it unwinds them
	for i, err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("task %d: Park returned %v at Close, want ErrClosed", i, err)
		}
	}
}

// TestHostChainBounded: a batch of fresh tasks that each park at once
// (W2's shape) nests hosts only up to maxHostDepth, and keeps the order
// of a loop that never hosts.
func TestHostChainBounded(t *testing.T) {
	run := func(opts ...Option) (log []string, depth int) {
		l := newVirtualLoop(t, opts...)
		_, err := runTask(t, l, func(ctx context.Context) (int, error) {
			tasks := make([]*Task[int], 50)
			for i := range tasks {
				tasks[i] = Spawn(ctx, func(ctx context.Context) (int, error) {
					for j := range 3 {
						depth = max(depth, l.hostDepth)
						log = append(log, fmt.Sprintf("t%d step %d", i, j))
						if err := Sleep(ctx, 0); err != nil {
							return 0, err
						}
					}
					return i, nil
				})
			}
			for _, tk := range tasks {
				if _, err := Await(ctx, tk); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return log, depth
	}
	on, depthOn := run()
	off, _ := run(WithHosting(false))
	if diff := cmp.Diff(off, on); diff != "" {
		t.Errorf("order with hosting differs (-off +on):\n%s", diff)
	}
	if depthOn != maxHostDepth {
		t.Errorf("deepest chain of hosts: %d, want the bound %d", depthOn, maxHostDepth)
	}
}
