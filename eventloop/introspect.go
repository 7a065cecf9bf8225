package eventloop

import (
	"context"
	"fmt"
	"math/bits"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/internal/errs"
)

// Introspection: the live task tree and where each task waits (asyncio's
// all_tasks, Task.get_stack and Python 3.14's capture_call_graph), the
// loop's name, and hooks that run when it closes. docs/introspection.md
// describes the whole; this file is the loop side, package debugserver the
// outside view.
//
// What is always on costs nothing on the hot path: a task's parent is read
// from its context (the scope it was spawned under names the spawning task),
// its state from flags the scheduler keeps anyway. Await sites are not
// free (a runtime.Callers at every park: about 0.6 µs, 14-23% of W2; see
// the cost section of docs/introspection.md), so they are recorded only
// when tracking is on: WithAwaitTracking, or debug mode.

// LagBuckets is the number of buckets of Stats.LagBuckets.
const LagBuckets = 24

// timerFired counts a timer that came due lag late.
func (s *Stats) timerFired(lag time.Duration) {
	s.TimersFired++
	if lag < 0 {
		lag = 0
	}
	s.LagLast = lag
	s.LagMax = max(s.LagMax, lag)
	s.LagTotal += lag
	b := bits.Len64(uint64(lag / time.Microsecond))
	s.LagBuckets[min(b, LagBuckets-1)]++
}

// LagMean returns the mean lag of the timers that fired, or 0 if none did.
func (s Stats) LagMean() time.Duration {
	if s.TimersFired == 0 {
		return 0
	}
	return s.LagTotal / time.Duration(s.TimersFired)
}

// LagBucketBound returns the exclusive upper bound of bucket i of
// Stats.LagBuckets (1µs for bucket 0, doubling from there), and Never for
// the last bucket, which has none.
func LagBucketBound(i int) time.Duration {
	if i >= LagBuckets-1 {
		return Never
	}
	return time.Microsecond << i
}

// introState is the loop's introspection state that is not a counter.
type introState struct {
	name    string
	mu      sync.Mutex // protects hooks, nextID
	hooks   map[int]func()
	nextID  int
	hooksOK bool // hooks may still be added (the loop is not closed)
}

var loopCount atomic.Uint64

func (l *Loop) initIntro(cf *config) {
	l.intro.name = cf.name
	if l.intro.name == "" {
		l.intro.name = fmt.Sprintf("loop-%d", loopCount.Add(1))
	}
	l.intro.hooksOK = true
	switch {
	case cf.track > 0:
		l.trackAwaits = true
	case cf.track == 0:
		l.trackAwaits = cf.debug
	}
}

// WithLoopName names the loop, for Dump and the debug endpoint, which
// list several loops of one process by name. The default is "loop-N", N
// counting the loops the process made.
func WithLoopName(name string) Option { return func(cf *config) { cf.name = name } }

// WithAwaitTracking turns the recording of await sites on or off: where
// each suspended task waits (file, line, function and the library
// operation) and since when. It costs a stack walk per await (see
// docs/introspection.md, "Cost"), so it is off by default and on in debug
// mode. Names, parents and states of tasks are tracked regardless.
func WithAwaitTracking(on bool) Option {
	return func(cf *config) {
		cf.track = -1
		if on {
			cf.track = 1
		}
	}
}

// Name returns the loop's name (see WithLoopName). Safe from any goroutine.
func (l *Loop) Name() string { return l.intro.name }

// AwaitTracking reports whether await sites are recorded.
func (l *Loop) AwaitTracking() bool { return l.trackAwaits }

// SetAwaitTracking turns the recording of await sites on or off (see
// WithAwaitTracking). Tasks parked before it was turned on show no site
// until their next await. SetDebug does not change it. Loop goroutine
// only.
func (l *Loop) SetAwaitTracking(on bool) { l.trackAwaits = on }

// OnClose registers fn to run when the loop closes, at the end of Close on
// the goroutine that calls it, after the loop is closed; hooks run in the
// order they were added. It is for what lives exactly as long as the loop,
// such as a debug endpoint serving it. It returns a function that removes
// the hook and reports whether it was still registered. OnClose fails with
// ErrClosed on a closed loop and ErrNilCallback on a nil fn. Safe from any
// goroutine.
func (l *Loop) OnClose(fn func()) (remove func() bool, err error) {
	if fn == nil {
		return nil, errs.Op("eventloop", "OnClose", ErrNilCallback)
	}
	in := &l.intro
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.hooksOK {
		return nil, errs.Op("eventloop", "OnClose", ErrClosed)
	}
	if in.hooks == nil {
		in.hooks = make(map[int]func())
	}
	in.nextID++
	id := in.nextID
	in.hooks[id] = fn
	return func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		_, ok := in.hooks[id]
		delete(in.hooks, id)
		return ok
	}, nil
}

func (l *Loop) runCloseHooks() {
	in := &l.intro
	in.mu.Lock()
	in.hooksOK = false
	hooks := in.hooks
	in.hooks = nil
	last := in.nextID
	in.mu.Unlock()
	for id := 1; id <= last; id++ {
		if fn, ok := hooks[id]; ok {
			l.protect(fn)
		}
	}
}

// TaskState is where a live task is in its life. Done tasks leave the
// tree, so they have no state here.
type TaskState uint8

const (
	// TaskPending: spawned, its first step not run yet.
	TaskPending TaskState = iota
	// TaskReady: woken (or yielding, Sleep(ctx, 0)); its next step is
	// queued.
	TaskReady
	// TaskRunning: its step is running now (the task that asked for the
	// snapshot, if a task did).
	TaskRunning
	// TaskSuspended: parked in an await, waiting for something to wake it.
	TaskSuspended
)

var taskStateNames = [...]string{"pending", "ready", "running", "suspended"}

func (s TaskState) String() string {
	if int(s) < len(taskStateNames) {
		return taskStateNames[s]
	}
	return fmt.Sprintf("TaskState(%d)", s)
}

// MarshalText writes the state's name, as JSON shows it.
func (s TaskState) MarshalText() ([]byte, error) {
	if int(s) >= len(taskStateNames) {
		return nil, fmt.Errorf("eventloop: invalid TaskState %d", s)
	}
	return []byte(taskStateNames[s]), nil
}

// UnmarshalText reads a state's name.
func (s *TaskState) UnmarshalText(b []byte) error {
	for i, n := range taskStateNames {
		if string(b) == n {
			*s = TaskState(i)
			return nil
		}
	}
	return fmt.Errorf("eventloop: unknown task state %q", b)
}

// AwaitSite is where a task waits: the first frame outside this module's
// library packages (the caller's line, say the line of q.Get(ctx)), and the
// library operation it called there.
type AwaitSite struct {
	// Op is the library call the task waits in, package-qualified without
	// pointer receivers or type arguments: "queue.Queue.Get",
	// "eventloop.Sleep", "locks.Lock.Acquire".
	Op string `json:"op"`
	// Function is the caller's function, package-qualified.
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

func (s AwaitSite) String() string {
	return fmt.Sprintf("%s at %s:%d (%s)", s.Op, shortFile(s.File), s.Line, shortFunc(s.Function))
}

// TaskSnapshot is one live task as Snapshot sees it; the JSON form is what
// the debug endpoint serves.
type TaskSnapshot struct {
	// ID is the task's spawn number on its loop (an unnamed task is
	// "Task-<ID>"); IDs are unique per loop up to 2^32 spawns.
	ID   uint64 `json:"id"`
	Name string `json:"name"`
	// Parent is the ID of the nearest live task up the spawn chain: the
	// task whose context the task was spawned with or, if that one is done,
	// its own parent, and so on. 0: none (spawned from Loop.Context, a
	// callback, or every ancestor is done).
	Parent uint64 `json:"parent,omitempty"`
	// SpawnedBy names the task that spawned this one when it is done (the
	// tree then shows it under Parent, the nearest live ancestor).
	SpawnedBy string    `json:"spawned_by,omitempty"`
	State     TaskState `json:"state"`
	// Await is where the task waits (TaskSuspended), or waited before it
	// was woken (TaskReady); nil when await tracking is off or the task
	// has not awaited yet.
	Await *AwaitSite `json:"await,omitempty"`
	// Since is the loop time the task parked at, with Await.
	Since time.Duration `json:"since_ns,omitempty"`
	// AwaitsTask is the ID of the task this one awaits (Await, WaitDone on
	// a task of the same loop), with await tracking on; 0 otherwise.
	AwaitsTask uint64 `json:"awaits_task,omitempty"`
}

// LoopSnapshot is a loop seen at one moment: its name, clock, counters and
// live tasks.
type LoopSnapshot struct {
	Name    string         `json:"name"`
	Time    time.Duration  `json:"time_ns"` // loop time of the snapshot
	Running bool           `json:"running"`
	Debug   bool           `json:"debug"`
	Tracked bool           `json:"await_tracking"`
	Stats   Stats          `json:"stats"`
	Tasks   []TaskSnapshot `json:"tasks"` // oldest first
}

// awaitSite is what a task records when it parks with tracking on: the
// raw program counters (resolved into an AwaitSite only when someone
// looks), the loop time, and the object awaited, if WaitDone knows it.
type awaitSite struct {
	pcs   [16]uintptr
	n     int
	since time.Duration
	on    Waitable
}

// recordAwait remembers where and when t parks. It walks the stack but
// resolves nothing: symbolizing waits for a snapshot.
//
//go:noinline
func (t *taskBase) recordAwait(skip int) {
	e := t.getExt()
	if e.site == nil {
		e.site = &awaitSite{}
	}
	// skip counts runtime.Callers, recordAwait and the park functions
	// (Parker.Park; none for Sleep(ctx, 0), which parks by itself): the
	// first PC is the await's caller side (Sleep, Parker.Park's caller,
	// WaitDone). A park that wakes spuriously and parks again keeps its
	// first record.
	e.site.n = runtime.Callers(skip, e.site.pcs[:])
	e.site.since = t.loop.clock.Now()
}

// setAwaiting records, with tracking on, the object t is about to await
// (nil: none).
func (t *taskBase) setAwaiting(w Waitable) {
	if t.ext != nil && t.ext.site != nil {
		t.ext.site.on = w
	} else if w != nil {
		t.getExt().site = &awaitSite{on: w}
	}
}

// Snapshot returns the loop's name, clock, statistics and live tasks
// (oldest first), for tools; Dump prints the same as text. Cost: O(tasks),
// plus symbolizing one stack per suspended task with await tracking on.
// Loop goroutine (or running task) only; from another goroutine use
// SnapshotThreadsafe.
func (l *Loop) Snapshot() LoopSnapshot {
	s := LoopSnapshot{
		Name:    l.intro.name,
		Time:    l.clock.Now(),
		Running: l.IsRunning(),
		Debug:   l.debug,
		Tracked: l.trackAwaits,
		Stats:   l.Stats(),
		Tasks:   make([]TaskSnapshot, 0, l.tasks.Len()),
	}
	sites := map[[len(awaitSite{}.pcs)]uintptr]AwaitSite{} // tasks parked at the same place share a resolution
	for t := l.tasks.Front(); t != nil; t = t.tlinks.Next() {
		s.Tasks = append(s.Tasks, l.snapshotTask(t, sites))
	}
	return s
}

func (l *Loop) snapshotTask(t *taskBase, sites map[[len(awaitSite{}.pcs)]uintptr]AwaitSite) TaskSnapshot {
	ts := TaskSnapshot{ID: uint64(t.seq), Name: t.Name(), State: t.state()}
	if p := spawner(t); p != nil {
		live := p
		for live != nil && live.done {
			live = spawner(live)
		}
		if live != nil {
			ts.Parent = uint64(live.seq)
		}
		if p.done {
			ts.SpawnedBy = p.Name()
		}
	}
	if ts.State != TaskSuspended && ts.State != TaskReady {
		return ts
	}
	if t.ext == nil || t.ext.site == nil || t.ext.site.n == 0 {
		return ts
	}
	site := t.ext.site
	ts.Since = site.since
	if w, ok := site.on.(interface{ base() *taskBase }); ok && ts.State == TaskSuspended {
		if b := w.base(); b.loop == l && !b.done {
			ts.AwaitsTask = uint64(b.seq)
		}
	}
	key := site.pcs
	clear(key[site.n:])
	as, ok := sites[key]
	if !ok {
		as = resolveSite(site.pcs[:site.n])
		sites[key] = as
	}
	ts.Await = &as
	return ts
}

func (t *taskBase) base() *taskBase { return t }

// spawner returns the task whose context t was spawned with, or nil.
func spawner(t *taskBase) *taskBase {
	if t.scope.parent == nil {
		return nil
	}
	if sc := scopeOf(t.scope.parent); sc != nil && sc.task != t {
		return sc.task
	}
	return nil
}

func (t *taskBase) state() TaskState {
	switch {
	case !t.started:
		return TaskPending
	case t.loop.current.Load() == t:
		return TaskRunning
	case t.parked && !t.wakeQueued:
		return TaskSuspended
	}
	return TaskReady
}

// SnapshotThreadsafe is Snapshot from any goroutine: it runs Snapshot on
// the loop through CallSoonThreadsafe and waits for the answer until ctx
// is done. A loop that is not running, or is blocked in a long callback or
// task step, does not answer: the error then wraps ctx's. ErrClosed on a
// closed loop. Do not call it from the loop goroutine: it would wait for
// itself until ctx ends.
func (l *Loop) SnapshotThreadsafe(ctx context.Context) (LoopSnapshot, error) {
	return askLoop(ctx, l, "SnapshotThreadsafe", l.Snapshot)
}

// StatsThreadsafe is Stats from any goroutine, as SnapshotThreadsafe is
// Snapshot.
func (l *Loop) StatsThreadsafe(ctx context.Context) (Stats, error) {
	return askLoop(ctx, l, "StatsThreadsafe", l.Stats)
}

func askLoop[T any](ctx context.Context, l *Loop, op string, fn func() T) (T, error) {
	var zero T
	ch := make(chan T, 1)
	if err := l.CallSoonThreadsafe(func() { ch <- fn() }); err != nil {
		return zero, errs.Op("eventloop", op, err)
	}
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		state := "not running"
		if l.IsRunning() {
			state = "running but busy (a callback or task step that does not return?)"
		}
		return zero, fmt.Errorf("eventloop: %s: loop %q did not answer (%s): %w", op, l.intro.name, state, ctx.Err())
	}
}

// libPrefix is this module's path with a slash ("github.com/aio-go/aio/"),
// read from a function of this package so that a fork or a vendored copy
// still tells its own frames from its users'.
var libPrefix = func() string {
	name := runtime.FuncForPC(reflect.ValueOf(Sleep).Pointer()).Name()
	return strings.TrimSuffix(name, "eventloop.Sleep")
}()

// frameKind sorts a frame for resolveSite.
type frameKind uint8

const (
	frameLibrary frameKind = iota // this module's library packages
	frameStd                      // the standard library and the runtime
	frameUser                     // everything else: the caller's code
)

func kindOf(f runtime.Frame) frameKind {
	if strings.HasSuffix(f.File, "_test.go") {
		return frameUser
	}
	pkg := funcPackage(f.Function)
	if rest, ok := strings.CutPrefix(pkg, libPrefix); ok {
		if strings.HasSuffix(rest, "_test") || strings.HasPrefix(rest, "cmd/") ||
			strings.HasPrefix(rest, "bench/") {
			return frameUser
		}
		return frameLibrary
	}
	first, _, _ := strings.Cut(pkg, "/")
	if pkg == "main" || strings.Contains(first, ".") {
		return frameUser
	}
	return frameStd
}

// funcPackage returns the package path of a function name as the runtime
// spells it ("github.com/x/y.(*T).M" is in "github.com/x/y").
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}

// resolveSite turns recorded PCs into an AwaitSite: the site is the first
// user frame (skipping this module's library and the standard library, so
// that a bufio.Reader over a loop stream still points at the user's line),
// the operation the outermost library frame below it. With no user frame
// in the recorded depth, the first frame outside the library stands in.
func resolveSite(pcs []uintptr) AwaitSite {
	frames := runtime.CallersFrames(pcs)
	var op string
	var std *runtime.Frame
	for {
		f, more := frames.Next()
		switch kindOf(f) {
		case frameLibrary:
			if std == nil {
				op = f.Function
			}
		case frameStd:
			if std == nil {
				c := f
				std = &c
			}
		case frameUser:
			return AwaitSite{Op: opName(op), Function: f.Function, File: f.File, Line: f.Line}
		}
		if !more {
			break
		}
	}
	if std != nil {
		return AwaitSite{Op: opName(op), Function: std.Function, File: std.File, Line: std.Line}
	}
	return AwaitSite{Op: opName(op)}
}

// opName shortens a library function name: the module prefix, pointer
// receivers and type arguments go ("github.com/aio-go/aio/queue.(*Queue[...]).Get"
// becomes "queue.Queue.Get").
func opName(fn string) string {
	fn = strings.TrimPrefix(fn, libPrefix)
	fn = strings.NewReplacer("(*", "", ")", "", "[...]", "").Replace(fn)
	return fn
}

// shortFile keeps the last directory and the file name.
func shortFile(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return path
	}
	if j := strings.LastIndexByte(path[:i], '/'); j >= 0 {
		return path[j+1:]
	}
	return path
}

// shortFunc drops the package path's directories: "github.com/x/y.F.func1"
// becomes "y.F.func1".
func shortFunc(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	return fn[slash+1:]
}
