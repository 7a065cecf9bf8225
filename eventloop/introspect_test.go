package eventloop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// marks records the line an await is called on: mark(name, v) is written
// as an argument of the await, so it runs on the await's own line.
type marks struct {
	file  string
	lines map[string]int
}

// at records the line of its caller under name and returns ctx, so that
// it can stand for the ctx argument of an await: at(ctx, "x") runs on the
// await's own line.
func (m *marks) at(ctx context.Context, name string) context.Context {
	_, file, line, _ := runtime.Caller(1)
	m.file, m.lines[name] = file, line
	return ctx
}

func newLoop(t *testing.T, opts ...eventloop.Option) (*eventloop.Loop, *timer.Virtual) {
	t.Helper()
	v := timer.NewVirtual()
	l, err := eventloop.New(append([]eventloop.Option{eventloop.WithClock(v)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, v
}

// treeWorkload spawns, under a task "main", tasks parked in Sleep, a
// Future await, a Lock.Acquire, a Queue.Get, a eventloop.Sleep, an await of
// another task, and one whose spawner has finished; plus a task spawned
// from the loop's root context. fn runs in main once all of them wait,
// after a minute of loop time.
func treeWorkload(t *testing.T, l *eventloop.Loop, m *marks, fn func(ctx context.Context)) {
	t.Helper()
	fut := eventloop.NewFuture[int](l)
	var lock locks.Lock
	q := queue.NewQueue[int](0)
	root := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) { // #1
		return 0, eventloop.Sleep(m.at(ctx, "root"), time.Hour)
	}, eventloop.WithName("detached"))
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) { // #2
		if err := lock.Acquire(ctx); err != nil {
			return 0, err
		}
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #3
			return 0, eventloop.Sleep(m.at(ctx, "sleeper"), time.Hour)
		}, eventloop.WithName("sleeper"))
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #4
			return eventloop.Await[int](m.at(ctx, "future"), fut)
		}, eventloop.WithName("future-waiter"))
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #5
			return 0, lock.Acquire(m.at(ctx, "lock"))
		}, eventloop.WithName("lock-waiter"))
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #6
			return q.Get(m.at(ctx, "queue"))
		}, eventloop.WithName("getter"))
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #7
			gc := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #9: spawned when #7 runs
				return 0, eventloop.Sleep(m.at(ctx, "eventloop.Sleep"), time.Hour)
			}, eventloop.WithName("grandchild"))
			return eventloop.Await[int](m.at(ctx, "await-task"), gc)
		}, eventloop.WithName("parent"))
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #8
			eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #10
				return 0, eventloop.Sleep(m.at(ctx, "orphan"), time.Hour)
			}, eventloop.WithName("orphan"))
			return 0, nil
		}, eventloop.WithName("short-lived"))
		if err := eventloop.Sleep(ctx, time.Second); err != nil {
			return 0, err
		}
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { // #11, parks at 1s
			return 0, eventloop.Sleep(m.at(ctx, "late"), time.Hour)
		}, eventloop.WithName("late"))
		if err := eventloop.Sleep(ctx, time.Minute); err != nil {
			return 0, err
		}
		fn(ctx)
		for _, tk := range l.AllTasks() {
			if tk != eventloop.CurrentTask(ctx) {
				tk.Cancel()
			}
		}
		return 0, nil
	}, eventloop.WithName("main"))
	if err := l.RunUntilComplete(main); err != nil {
		t.Fatal(err)
	}
	root.Cancel()
	for len(l.AllTasks()) > 0 {
		if err := l.RunOnce(0); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSnapshotTaskTree(t *testing.T) {
	l, _ := newLoop(t, eventloop.WithAwaitTracking(true), eventloop.WithLoopName("tree"))
	m := &marks{lines: map[string]int{}}
	var got eventloop.LoopSnapshot
	var dump bytes.Buffer
	treeWorkload(t, l, m, func(ctx context.Context) {
		got = l.Snapshot()
		if err := l.Dump(&dump); err != nil {
			t.Errorf("Dump: %v", err)
		}
	})
	site := func(op, name string) *eventloop.AwaitSite {
		return &eventloop.AwaitSite{Op: op, File: m.file, Line: m.lines[name]}
	}
	const S, R = eventloop.TaskSuspended, eventloop.TaskRunning
	want := []eventloop.TaskSnapshot{
		{ID: 1, Name: "detached", State: S, Await: site("eventloop.Sleep", "root")},
		{ID: 2, Name: "main", State: R},
		{ID: 3, Name: "sleeper", Parent: 2, State: S, Await: site("eventloop.Sleep", "sleeper")},
		{ID: 4, Name: "future-waiter", Parent: 2, State: S, Await: site("eventloop.Await", "future")},
		{ID: 5, Name: "lock-waiter", Parent: 2, State: S, Await: site("locks.Lock.Acquire", "lock")},
		{ID: 6, Name: "getter", Parent: 2, State: S, Await: site("queue.Queue.Get", "queue")},
		{ID: 7, Name: "parent", Parent: 2, State: S, Await: site("eventloop.Await", "await-task"), AwaitsTask: 9},
		{ID: 9, Name: "grandchild", Parent: 7, State: S, Await: site("eventloop.Sleep", "eventloop.Sleep")},
		{ID: 10, Name: "orphan", Parent: 2, SpawnedBy: "short-lived", State: S, Await: site("eventloop.Sleep", "orphan")},
		{ID: 11, Name: "late", Parent: 2, State: S, Await: site("eventloop.Sleep", "late"), Since: time.Second},
	}
	if diff := cmp.Diff(want, got.Tasks, cmpopts.IgnoreFields(eventloop.AwaitSite{}, "Function")); diff != "" {
		t.Errorf("Snapshot().Tasks (-want +got):\n%s", diff)
	}
	for _, ts := range got.Tasks {
		if ts.Await != nil && !strings.Contains(ts.Await.Function, "eventloop_test.treeWorkload.func") {
			t.Errorf("task %s waits in function %q, want a closure of treeWorkload", ts.Name, ts.Await.Function)
		}
	}
	if got.Name != "tree" || got.Time != time.Minute+time.Second || !got.Running || !got.Tracked {
		t.Errorf("snapshot header = %q at %v running=%v tracked=%v, want \"tree\" at 1m1s running, tracked",
			got.Name, got.Time, got.Running, got.Tracked)
	}
	if got.Stats.Tasks != 10 || got.Stats.Spawned != 11 {
		t.Errorf("Stats: %d tasks, %d spawned; want 10 and 11", got.Stats.Tasks, got.Stats.Spawned)
	}

	// The dump: the same tree, drawn.
	text := dump.String()
	wantLines := []string{
		`loop "tree" (running, await tracking) at 1m1s: 10 tasks`,
		`├── #1 detached [suspended 1m1s] eventloop.Sleep at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["root"]),
		`└── #2 main [running]`,
		`    ├── #3 sleeper [suspended 1m1s] eventloop.Sleep at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["sleeper"]),
		`    ├── #5 lock-waiter [suspended 1m1s] locks.Lock.Acquire at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["lock"]),
		`    ├── #6 getter [suspended 1m1s] queue.Queue.Get at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["queue"]),
		`    ├── #7 parent [suspended 1m1s] eventloop.Await at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["await-task"]),
		`    │   └── #9 grandchild [suspended 1m1s] eventloop.Sleep at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["eventloop.Sleep"]),
		`    ├── #10 orphan [suspended 1m1s] eventloop.Sleep at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["orphan"]),
		`    └── #11 late [suspended 1m0s] eventloop.Sleep at eventloop/introspect_test.go:` + strconv.Itoa(m.lines["late"]),
	}
	for _, w := range wantLines {
		if !containsLinePrefix(text, w) {
			t.Errorf("Dump lacks a line starting %q; dump:\n%s", w, text)
		}
	}
	for _, w := range []string{"awaiting #9", "(spawned by short-lived, done)", "timers_fired"} {
		if !strings.Contains(text, w) {
			t.Errorf("Dump lacks %q; dump:\n%s", w, text)
		}
	}
}

func containsLinePrefix(text, prefix string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// Sleep(ctx, 0) parks by itself, not through park: its await site must
// still be the Sleep call, not a frame inside the package.
func TestSnapshotSleepZeroSite(t *testing.T) {
	l, _ := newLoop(t, eventloop.WithAwaitTracking(true))
	m := &marks{lines: map[string]int{}}
	var got eventloop.LoopSnapshot
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		// Queued before the task's own wake-up: runs while it is parked.
		l.CallSoon(func() { got = l.Snapshot() })
		return 0, eventloop.Sleep(m.at(ctx, "yield"), 0)
	}, eventloop.WithName("yielder"))
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	want := []eventloop.TaskSnapshot{{ID: 1, Name: "yielder", State: eventloop.TaskReady, // its step is queued
		Await: &eventloop.AwaitSite{Op: "eventloop.Sleep", File: m.file, Line: m.lines["yield"]}}}
	if diff := cmp.Diff(want, got.Tasks, cmpopts.IgnoreFields(eventloop.AwaitSite{}, "Function")); diff != "" {
		t.Errorf("Snapshot().Tasks while in Sleep(ctx, 0) (-want +got):\n%s", diff)
	}
}

// Without await tracking the tree keeps names, parents and states; where
// tasks wait is left out.
func TestSnapshotWithoutTracking(t *testing.T) {
	l, _ := newLoop(t)
	if l.AwaitTracking() {
		t.Fatal("await tracking is on by default outside debug mode")
	}
	m := &marks{lines: map[string]int{}}
	var got []eventloop.TaskSnapshot
	treeWorkload(t, l, m, func(ctx context.Context) { got = l.Snapshot().Tasks })
	if len(got) != 10 {
		t.Fatalf("got %d tasks, want 10: %+v", len(got), got)
	}
	for _, ts := range got {
		if ts.Await != nil || ts.Since != 0 || ts.AwaitsTask != 0 {
			t.Errorf("task %s has an await site without tracking: %+v", ts.Name, ts)
		}
	}
	if got[7].Name != "grandchild" || got[7].Parent != 7 || got[7].State != eventloop.TaskSuspended {
		t.Errorf("grandchild = %+v, want parent 7, suspended", got[7])
	}
}

// Debug mode turns await tracking on; WithAwaitTracking(false) overrides.
func TestAwaitTrackingDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []eventloop.Option
		want bool
	}{
		{"default", nil, false},
		{"debug", []eventloop.Option{eventloop.WithDebug(true)}, true},
		{"debug, tracking off", []eventloop.Option{eventloop.WithAwaitTracking(false), eventloop.WithDebug(true)}, false},
		{"tracking on", []eventloop.Option{eventloop.WithDebug(false), eventloop.WithAwaitTracking(true)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLoop(t, tc.opts...)
			if got := l.AwaitTracking(); got != tc.want {
				t.Errorf("AwaitTracking() = %v, want %v", got, tc.want)
			}
		})
	}
}

// States: pending before the first step, ready when woken, running while
// it runs, suspended while parked.
func TestTaskStates(t *testing.T) {
	l, _ := newLoop(t)
	state := func(name string) eventloop.TaskState {
		for _, ts := range l.Snapshot().Tasks {
			if ts.Name == name {
				return ts.State
			}
		}
		t.Fatalf("no task %q", name)
		return 0
	}
	var inside eventloop.TaskState
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		inside = state("a")
		return 0, eventloop.Sleep(ctx, time.Second)
	}, eventloop.WithName("a"))
	if got := state("a"); got != eventloop.TaskPending {
		t.Errorf("before the first step: %v, want pending", got)
	}
	l.RunOnce(0)
	if inside != eventloop.TaskRunning {
		t.Errorf("inside the step: %v, want running", inside)
	}
	if got := state("a"); got != eventloop.TaskSuspended {
		t.Errorf("in Sleep: %v, want suspended", got)
	}
	tk.Cancel()
	if got := state("a"); got != eventloop.TaskReady {
		t.Errorf("cancelled, not yet run: %v, want ready", got)
	}
	if err := l.RunUntilComplete(tk); !errors.Is(err, eventloop.ErrCancelled) {
		t.Fatalf("RunUntilComplete = %v, want ErrCancelled", err)
	}
	if n := len(l.Snapshot().Tasks); n != 0 {
		t.Errorf("%d tasks in the snapshot after the task ended, want 0", n)
	}
}

func TestTaskStateText(t *testing.T) {
	for s := eventloop.TaskPending; s <= eventloop.TaskSuspended; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back eventloop.TaskState
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round trip: %v, %v", s, back, err)
		}
	}
	var s eventloop.TaskState
	if err := s.UnmarshalText([]byte("zombie")); err == nil {
		t.Error("UnmarshalText(zombie) succeeded")
	}
	if _, err := eventloop.TaskState(9).MarshalText(); err == nil {
		t.Error("MarshalText(9) succeeded")
	}
}

// A snapshot survives JSON, as the debug endpoint sends it.
func TestSnapshotJSON(t *testing.T) {
	l, _ := newLoop(t, eventloop.WithAwaitTracking(true))
	m := &marks{lines: map[string]int{}}
	var snap eventloop.LoopSnapshot
	treeWorkload(t, l, m, func(ctx context.Context) { snap = l.Snapshot() })
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"state":"suspended"`)) || !bytes.Contains(b, []byte(`"op":"queue.Queue.Get"`)) {
		t.Errorf("JSON lacks state or op names: %s", b)
	}
	var back eventloop.LoopSnapshot
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snap, back); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}
}

// Lag is how late a timer fires: a callback that holds the loop past a
// timer's deadline makes it late by the difference.
func TestStatsLag(t *testing.T) {
	l, v := newLoop(t)
	fired := false
	l.CallLater(time.Millisecond, func() { fired = true; l.Stop() })
	l.CallSoon(func() { v.Advance(3 * time.Millisecond) }) // a callback that takes 3ms
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if !fired || st.TimersFired != 1 {
		t.Fatalf("fired=%v TimersFired=%d, want one timer", fired, st.TimersFired)
	}
	if st.LagLast != 2*time.Millisecond || st.LagMax != 2*time.Millisecond || st.LagMean() != 2*time.Millisecond {
		t.Errorf("lag last %v max %v mean %v, want 2ms each", st.LagLast, st.LagMax, st.LagMean())
	}
	// 2ms = 2000µs is in [1024, 2048) µs: bucket 11.
	var want [eventloop.LagBuckets]uint64
	want[11] = 1
	if st.LagBuckets != want {
		t.Errorf("LagBuckets = %v, want one count in bucket 11", st.LagBuckets)
	}
	if b := eventloop.LagBucketBound(11); b != 2048*time.Microsecond {
		t.Errorf("LagBucketBound(11) = %v, want 2.048ms", b)
	}
	if b := eventloop.LagBucketBound(eventloop.LagBuckets - 1); b != eventloop.Never {
		t.Errorf("last bucket bound = %v, want Never", b)
	}
	var zero eventloop.Stats
	if zero.LagMean() != 0 {
		t.Error("LagMean of no timers is not 0")
	}
}

// StatsThreadsafe and SnapshotThreadsafe read a running loop from another
// goroutine; an idle loop does not answer, and says so.
func TestThreadsafeReads(t *testing.T) {
	// A real clock: the waiter must stay parked until cancelled, which a
	// virtual clock would not let it do. No duration is waited for.
	l, err := eventloop.New(eventloop.WithLoopName("ts"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.StatsThreadsafe(ctx); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `"ts" did not answer (not running)`) {
		t.Errorf("StatsThreadsafe on an idle loop = %v, want a not-running error wrapping context.Canceled", err)
	}

	started := make(chan struct{})
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		close(started)
		return 0, eventloop.Sleep(ctx, time.Hour)
	}, eventloop.WithName("waiter"))
	done := make(chan error)
	go func() { done <- l.RunUntilComplete(tk) }()
	<-started
	bounded, stop := context.WithTimeout(context.Background(), time.Minute) // a bug fails, not hangs
	defer stop()
	st, err := l.StatsThreadsafe(bounded)
	if err != nil || st.Tasks != 1 {
		t.Errorf("StatsThreadsafe = %+v, %v; want 1 task", st, err)
	}
	snap, err := l.SnapshotThreadsafe(bounded)
	if err != nil || len(snap.Tasks) != 1 || snap.Tasks[0].Name != "waiter" {
		t.Errorf("SnapshotThreadsafe = %+v, %v; want the waiter", snap, err)
	}
	l.CallSoonThreadsafe(func() { tk.Cancel() })
	if err := <-done; !errors.Is(err, eventloop.ErrCancelled) {
		t.Fatalf("RunUntilComplete = %v", err)
	}
	l.Close()
	if _, err := l.SnapshotThreadsafe(context.Background()); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("SnapshotThreadsafe on a closed loop = %v, want ErrClosed", err)
	}
}

func TestOnClose(t *testing.T) {
	l, _ := newLoop(t)
	var order []int
	l.OnClose(func() { order = append(order, 1) })
	remove, _ := l.OnClose(func() { order = append(order, 2) })
	l.OnClose(func() { panic("hook") }) // reported, does not stop the others
	l.OnClose(func() { order = append(order, 3) })
	if _, err := l.OnClose(nil); !errors.Is(err, eventloop.ErrNilCallback) {
		t.Errorf("OnClose(nil) = %v, want ErrNilCallback", err)
	}
	if !remove() || remove() {
		t.Error("remove: want true then false")
	}
	l.SetExceptionHandler(func(*eventloop.Loop, eventloop.ExceptionContext) {})
	l.Close()
	if diff := cmp.Diff([]int{1, 3}, order); diff != "" {
		t.Errorf("hooks ran (-want +got):\n%s", diff)
	}
	if _, err := l.OnClose(func() {}); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("OnClose after Close = %v, want ErrClosed", err)
	}
}

func TestLoopNames(t *testing.T) {
	a, _ := newLoop(t, eventloop.WithLoopName("alpha"))
	b, _ := newLoop(t)
	c, _ := newLoop(t)
	if a.Name() != "alpha" || !strings.HasPrefix(b.Name(), "loop-") || b.Name() == c.Name() {
		t.Errorf("names %q %q %q: want alpha and two distinct loop-N", a.Name(), b.Name(), c.Name())
	}
}

// BenchmarkW2Tracking is W2 (spawn tasks that each Sleep(ctx, 0) once and
// return, gather them) with await tracking off and on, in batches of up to
// 100k tasks; one op is one task. Compare the two with benchstat
// (docs/introspection.md, "Cost").
func BenchmarkW2Tracking(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for left := b.N; left > 0; left -= 100_000 {
				n := min(left, 100_000)
				_, err := task.Run(func(ctx context.Context) (int, error) {
					tasks := make([]eventloop.Awaitable[int], n)
					for i := range tasks {
						tasks[i] = eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
							return i, eventloop.Sleep(ctx, 0)
						})
					}
					_, err := task.GatherResults(ctx, tasks...)
					return 0, err
				}, eventloop.WithAwaitTracking(on))
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSleep0Tracking is the Sleep(ctx, 0) round trip with await
// tracking off and on: the cost of recording one await site.
func BenchmarkSleep0Tracking(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			l, _ := eventloop.New(eventloop.WithAwaitTracking(on))
			defer l.Close()
			b.ReportAllocs()
			tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := eventloop.Sleep(ctx, 0); err != nil {
						return 0, err
					}
				}
				return 0, nil
			})
			if err := l.RunUntilComplete(tk); err != nil {
				b.Fatal(err)
			}
		})
	}
}
