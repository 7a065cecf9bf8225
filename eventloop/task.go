package eventloop

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"sort"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/internal/ilist"
)

// TaskInfo is a task seen without its result type, as AllTasks and
// CurrentTask return it.
type TaskInfo interface {
	Waitable
	// Name returns the task's name.
	Name() string
}

// Task is a function running as a coroutine on a loop (docs/design.md D2). Its
// body is plain blocking-style Go; every await hands control back to the
// loop, which resumes the task later from its ready queue. No two tasks of
// a loop ever run at once. A Task is also the future of its body's result.
// Methods are loop-only (loop goroutine or a running task of the loop).
type Task[T any] struct {
	taskBase
	fn     func(context.Context) (T, error)
	result T
}

// taskBase is the untyped part of a task: its future state, its context
// scope and the coroutine it runs on.
type taskBase struct {
	futureCore
	scope scope // the task's context; its cancellation is the task's
	self  taskImpl

	// The coroutine: made by Spawn; it first runs at the first step (a
	// task cancelled before that is stopped without running its body).
	// No stop function is kept: unwinding resumes the task with
	// unwinding set (suspend then reports false), and a task that ends
	// before its first step runs its coroutine with nothing to do.
	next  func() (struct{}, bool)
	yield func(struct{}) bool

	seq        uint32 // spawn number: an unnamed task is "Task-<seq>"
	waitGen    uint32 // counts parks, to recognise stale foreign wake-ups
	started    bool
	parked     bool                  // suspended in park
	wakeQueued bool                  // a step is queued for the parked task
	wakeCancel bool                  // ... and it was queued by a cancellation
	unwinding  bool                  // the loop is closing: every suspend fails
	hosting    bool                  // in the chain of hosts (host.go)
	tlinks     ilist.Links[taskBase] // in the loop's task list
	ext        *taskExt
}

// taskExt holds what a task needs only sometimes, out of line so that a
// task stays small (with 100k tasks alive every byte counts thrice).
type taskExt struct {
	name string
	rep  *errReport
	goid int64      // debug mode: goroutine of the coroutine
	site *awaitSite // await tracking: where the task parked last (introspect.go)
}

func (t *taskBase) getExt() *taskExt {
	if t.ext == nil {
		t.ext = &taskExt{}
	}
	return t.ext
}

// taskImpl is what the untyped core needs from a Task[T].
type taskImpl interface {
	TaskInfo
	body(yield func(struct{}) bool)
	finishEarly(err error)
}

// TaskOption configures Spawn.
type TaskOption func(*taskOpts)

type taskOpts struct{ name string }

func applyTaskOpts(opts []TaskOption) taskOpts {
	o := new(taskOpts)
	for _, opt := range opts {
		opt(o)
	}
	return *o
}

// WithName names the task (asyncio's create_task(name=...)). Unnamed tasks
// are called "Task-N".
func WithName(name string) TaskOption { return func(o *taskOpts) { o.name = name } }

// Spawn starts fn as a new task on the loop ctx belongs to (asyncio's
// create_task) and returns at once; fn runs from the loop's next iteration.
// fn receives the task's own context: it is derived from ctx (values and
// cancellation: cancelling ctx cancels the task; pass
// context.WithoutCancel(ctx) for a task that outlives its spawner) and it is
// the context fn must pass to every await.
//
// Spawn never panics: with a nil fn, a ctx that carries no loop (use
// loop.Context() outside tasks) or a closed loop it returns a task that is
// already done with that error.
func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...TaskOption) *Task[T] {
	var o taskOpts
	if len(opts) > 0 {
		o = applyTaskOpts(opts) // out of line: &o escapes, and Spawn must not allocate for it
	}
	t := &Task[T]{fn: fn}
	t.self = t
	if o.name != "" {
		t.getExt().name = o.name
	}
	sc := scopeOf(ctx)
	var err error
	switch {
	case fn == nil:
		err = errs.Op("eventloop", "Spawn", ErrNilCallback)
	case sc == nil:
		err = errs.Op("eventloop", "Spawn", fmt.Errorf("%w: the context carries no loop (use Loop.Context outside tasks)", ErrNotInTask))
	default:
		err = sc.loop.check("Spawn")
	}
	if err != nil {
		if o.name == "" {
			t.getExt().name = "Task-failed"
		}
		t.done, t.err = true, err
		if sc != nil {
			t.loop = sc.loop
		}
		return t
	}
	l := sc.loop
	t.loop = l
	l.tasks.seq++
	t.seq = uint32(l.tasks.seq)
	t.scope.init(l, &t.taskBase, ctx)
	// The coroutine is made now rather than at the first step, as
	// create_task makes its coroutine object. One coroutine body per loop,
	// not a closure per task: the task it is to run is handed over in
	// l.starting when it first runs. Made here, the allocations of a burst
	// of spawns come before the tasks run; made at the first step they
	// came while earlier tasks already sat parked with their whole stacks,
	// which every collection they triggered had to scan (W2: stack
	// scanning and assists were then two thirds of the collector's work).
	t.next, _ = iter.Pull(l.coroBody)
	l.tasks.PushBack(&t.taskBase)
	l.syncInbox()
	l.ready.pushTask(&t.taskBase)
	return t
}

// core returns nil for a nil *Task (see Future's core).
func (t *Task[T]) core() *futureCore {
	if t == nil {
		return nil
	}
	return &t.futureCore
}

// body is the coroutine: it runs fn and completes the task. A panic in fn
// becomes the task's error (a *PanicError with the stack); it never reaches
// the loop.
//
// fn is called from body itself, not from a helper: every frame between
// the coroutine's entry and an await is a frame the garbage collector
// unwinds in every parked task at every cycle (with 100k tasks parked,
// stack scanning is a large part of a spawn's cost).
func (t *Task[T]) body(yield func(struct{}) bool) {
	t.yield = yield
	if t.loop.debug {
		g := goid()
		t.getExt().goid = g
		t.loop.wd.goid.Store(g) // the watchdog's view of the step this is
	}
	defer t.recoverBody()
	res, err := t.fn(&t.scope)
	t.finish(res, err)
}

// recoverBody, deferred by body, turns a panic in fn into the task's
// error. After a normal return the task is done and it does nothing.
//
// A runtime.Goexit in fn (t.FailNow in a test) cannot be stopped, and
// iter.Pull would pass it on to the goroutine that resumed the task: the
// loop's. So the task ends with ErrGoexit and hands control back as if it
// parked; its coroutine, still in the middle of the Goexit, is resumed
// once more from a goroutine of its own, where the Goexit ends both. A
// host (host.go) that sees a Goexit did not call it: a callback it ran
// did, and that Goexit goes on up to the loop goroutine (see protect).
func (t *Task[T]) recoverBody() {
	if t.done {
		return
	}
	var zero T
	if r := recover(); r != nil {
		t.finish(zero, &PanicError{Value: r, Stack: debug.Stack()})
		return
	}
	if t.hosting {
		t.finish(zero, fmt.Errorf("%w: a callback run while the task was parked called it", ErrGoexit))
		return
	}
	t.finish(zero, ErrGoexit)
	next := t.next
	t.loop.ready.push(func() { go next() })
	t.yield(struct{}{})
}

// complete completes the task's future (futureCore.complete, knowing it
// is a task's).
func (t *taskBase) complete(err error) { t.settle(err, t) }

func (t *Task[T]) finish(res T, err error) {
	t.result = res
	t.loop.tasks.Remove(&t.taskBase)
	t.scope.release()
	// A task ends cancelled when its error is only a cancellation (not a
	// failure joined with one, see IsOnlyCancellation) and not a timeout of
	// a scope of its own: a timeout counts only when the task's context
	// is done (a Timeout scope it was spawned under expired).
	cancelled := IsOnlyCancellation(err) &&
		(t.scope.Err() != nil || !errors.Is(err, context.DeadlineExceeded))
	if err != nil && !cancelled && !errors.Is(err, ErrClosed) {
		t.trackUnretrieved(err)
	}
	t.cancelled = cancelled
	t.complete(err)
}

// step runs the task until its next await or its end. It is the task's
// entry in the ready queue.
func (t *taskBase) step() {
	l := t.loop
	t.wakeQueued = false
	if t.done {
		return
	}
	if !t.started {
		t.started = true
		if err := ctxError(&t.scope); err != nil {
			// Cancelled before its first step: the body never runs.
			t.self.finishEarly(err)
			return
		}
		l.starting = t // coroBody picks it up
	}
	if l.current.Load() != t {
		l.current.Store(t)
	}
	t.next() // current stays t: see the field's comment
}

func (t *Task[T]) finishEarly(err error) {
	t.loop.starting = nil // the coroutine finds no task to run and ends
	t.next()
	var zero T
	t.finish(zero, err)
}

// suspend hands control back to the loop; it returns false when the loop
// is closing and the task must unwind.
func (t *taskBase) suspend() bool {
	if t.unwinding {
		return false
	}
	t.yield(struct{}{})
	return !t.unwinding
}

// park suspends the running task t until something calls unpark(t, ...)
// or ctx is cancelled: Parker.Park, which has the body and the details.
// The caller registered t wherever a wake-up comes from, and unregisters
// it when park returns an error.
func (t *taskBase) park(ctx context.Context) error { return Parker{t}.Park(ctx) }

// watch registers the parking task t for the cancellation of ctx, a
// context derived with the standard library. If a scope of this loop is
// under it, t parks on that scope too: its cancellation reaches ctx
// synchronously (scopes implement AfterFunc), so the wake-up needs no
// goroutine. A cancellation of ctx's own layers comes through
// context.AfterFunc, posted to the loop; stop ends that watch.
func (t *taskBase) watch(ctx context.Context) (sc *scope, stop func() bool) {
	l := t.loop
	if sc = scopeOf(ctx); sc != nil && sc.task == t {
		sc.waiting = true
	} else {
		sc = nil
	}
	if sc == nil || ctx.Done() != sc.Done() {
		gen := t.waitGen
		stop = context.AfterFunc(ctx, func() {
			l.CallSoonThreadsafe(func() {
				if t.waitGen == gen {
					l.unpark(t, true)
				}
			})
		})
	}
	return sc, stop
}

// unpark queues the step of a parked task; cancel says the wake-up comes
// from a cancellation. Later wake-ups before the task runs are ignored, so
// the first reason wins. Loop goroutine only.
func (l *Loop) unpark(t *taskBase, cancel bool) {
	if !t.parked || t.wakeQueued {
		return
	}
	t.wakeQueued = true
	t.wakeCancel = cancel
	l.syncInbox()
	l.ready.pushTask(t)
}

// currentTask returns the task that may await with ctx: the loop's running
// task, provided ctx belongs to it. want, when not nil, is the loop the
// awaited object belongs to.
func currentTask(ctx context.Context, want *Loop) (*taskBase, error) {
	if sc, ok := ctx.(*scope); ok { // the common case, every await: a task's own ctx
		l := sc.loop
		if t := sc.task; t != nil && l.current.Load() == t && (want == nil || want == l) && !l.debug {
			return t, nil
		}
	}
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrNotInTask)
	}
	sc := scopeOf(ctx)
	if sc == nil {
		return nil, fmt.Errorf("%w: the context carries no loop; pass the ctx your task received", ErrNotInTask)
	}
	l := sc.loop
	if want != nil && want != l {
		return nil, fmt.Errorf("eventloop: await: %w", ErrWrongLoop)
	}
	cur := l.current.Load()
	switch {
	case cur == nil:
		return nil, fmt.Errorf("%w: no task of the loop is running (called from a callback or another goroutine)", ErrNotInTask)
	case sc.task == nil:
		return nil, fmt.Errorf("%w: the loop's root context is not a task's; pass the ctx your task received", ErrNotInTask)
	case cur != sc.task:
		return nil, fmt.Errorf("%w: the context belongs to task %q but task %q is running (or the call comes from another goroutine)", ErrNotInTask, sc.task.Name(), cur.Name())
	}
	if l.debug && cur.ext != nil && cur.ext.goid != 0 && goid() != cur.ext.goid {
		return nil, fmt.Errorf("%w: await from a goroutine that is not task %q", ErrNotInTask, cur.Name())
	}
	return cur, nil
}

// Name returns the task's name.
func (t *taskBase) Name() string {
	e := t.getExt()
	if e.name == "" {
		e.name = fmt.Sprintf("Task-%d", t.seq) // made on demand: Spawn stays cheap
	}
	return e.name
}

// SetName renames the task.
func (t *taskBase) SetName(name string) { t.getExt().name = name }

// Context returns the task's own context (the one its body receives).
func (t *taskBase) Context() context.Context { return &t.scope }

// Cancel requests the task's cancellation: its context is cancelled, so
// its current await (or its next one) returns ErrCancelled. A task not yet
// started never runs its body. It reports false when the task is done.
// Cancellation is a request: a body that handles the error and returns a
// value completes with that value, not cancelled.
func (t *taskBase) Cancel() bool {
	if t.done {
		return false
	}
	t.scope.cancel(context.Canceled)
	return true
}

// Result returns the task's value and error once it is done, or
// ErrInvalidState while it runs.
func (t *Task[T]) Result() (T, error) {
	if !t.done {
		var zero T
		return zero, fmt.Errorf("eventloop: Result of a pending task: %w", ErrInvalidState)
	}
	t.markRetrieved()
	return t.result, t.err
}

// Err returns the task's error once it is done (nil on success), or
// ErrInvalidState while it runs.
func (t *taskBase) Err() error {
	if !t.done {
		return fmt.Errorf("eventloop: Err of a pending task: %w", ErrInvalidState)
	}
	t.markRetrieved()
	return t.err
}

// AddDoneCallback schedules fn(t) through the loop once t is done.
func (t *Task[T]) AddDoneCallback(fn func(*Task[T])) CallbackID {
	if fn == nil {
		return t.OnDone(nil)
	}
	return t.OnDone(func() { fn(t) })
}

func (t *Task[T]) String() string {
	state := "pending"
	switch {
	case t.cancelled:
		state = "cancelled"
	case t.done && t.err != nil:
		state = fmt.Sprintf("error=%v", t.err)
	case t.done:
		state = fmt.Sprintf("result=%v", t.result)
	}
	return fmt.Sprintf("Task<%s %s>", t.Name(), state)
}

// CurrentTask returns the task ctx belongs to if it is the running task of
// its loop, else nil.
func CurrentTask(ctx context.Context) TaskInfo {
	t, err := currentTask(ctx, nil)
	if err != nil {
		return nil
	}
	return t.self
}

// AllTasks returns the loop's tasks that are not done, oldest first.
// Loop goroutine only.
func (l *Loop) AllTasks() []TaskInfo {
	out := make([]TaskInfo, 0, l.tasks.Len())
	for t := l.tasks.Front(); t != nil; t = t.tlinks.Next() {
		out = append(out, t.self)
	}
	return out
}

// taskList is the loop's list of live tasks, oldest first.
type taskList struct {
	ilist.List[taskBase, *taskBase]
	seq     uint64 // tasks spawned, for default names
	reports uint64 // unretrieved-error reports made, for their order
}

// Links gives the task list its links (ilist.Elem).
func (t *taskBase) Links() *ilist.Links[taskBase] { return &t.tlinks }

// unwindTasks is Close's way of ending live tasks: each started one is
// resumed with every await failing with ErrClosed until its body returns;
// one never started ends with ErrClosed without running.
func (l *Loop) unwindTasks() {
	for round := 0; l.tasks.Front() != nil && round < 1000; round++ {
		for t := l.tasks.Front(); t != nil; {
			next := t.tlinks.Next()
			if !t.started {
				t.started = true
				t.self.finishEarly(ErrClosed)
			} else if !t.done {
				t.unwinding = true
				l.current.Store(t)
				t.next()
				l.current.Store(nil)
			}
			t = next
		}
	}
}

// errReport remembers a task error until someone retrieves it; if nobody
// does, the loop reports it when the task is garbage collected or the loop
// closes (asyncio's "Task exception was never retrieved").
type errReport struct {
	seq       uint64
	loop      *Loop
	name      string
	err       error
	retrieved bool
	reported  bool
}

func (t *taskBase) trackUnretrieved(err error) {
	l := t.loop
	l.tasks.reports++
	rep := &errReport{seq: l.tasks.reports, loop: l, name: t.Name(), err: err}
	t.getExt().rep = rep
	if l.unretrieved == nil {
		l.unretrieved = make(map[*errReport]struct{})
	}
	l.unretrieved[rep] = struct{}{}
	runtime.AddCleanup(t, func(r *errReport) {
		r.loop.CallSoonThreadsafe(r.report) // a closed loop drops it: Close reported it
	}, rep)
}

func (t *taskBase) markRetrieved() {
	t.retrieved = true
	if t.ext == nil {
		return
	}
	if r := t.ext.rep; r != nil && !r.retrieved {
		r.retrieved = true
		delete(t.loop.unretrieved, r)
	}
}

func (r *errReport) report() {
	if r.retrieved || r.reported {
		return
	}
	r.reported = true
	delete(r.loop.unretrieved, r)
	r.loop.CallExceptionHandler(ExceptionContext{
		Message: "task error was never retrieved",
		Err:     r.err,
		Task:    r.name,
	})
}

func (l *Loop) reportUnretrieved() {
	reps := make([]*errReport, 0, len(l.unretrieved))
	for r := range l.unretrieved {
		reps = append(reps, r)
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].seq < reps[j].seq })
	for _, r := range reps {
		r.report()
	}
}
