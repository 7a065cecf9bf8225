package eventloop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/internal/poller"
	"github.com/aio-go/aio/timer"
)

const (
	stateIdle int32 = iota
	stateRunning
	stateClosed
)

// While callbacks keep coming, the loop skips the poller (a syscall) but
// polls readiness at least every pollEvery iterations or pollEveryCallbacks
// callbacks, so a callback flood cannot starve I/O. Idle loops always poll.
const (
	pollEvery          = 32
	pollEveryCallbacks = 512
)

// Loop is a single-threaded event loop: a FIFO of ready callbacks, a timer
// heap, an OS poller for file descriptors, and the tasks that run on it.
//
// One goroutine runs the loop (the one that calls RunForever,
// RunUntilComplete or RunOnce). Callbacks, timer callbacks, I/O handlers and
// task steps all run there, one at a time. Methods are for the loop
// goroutine and its running task only, except those documented as safe
// from any goroutine: CallSoonThreadsafe, Stop, IsRunning, IsClosed, Time.
//
// A callback must not call runtime.Goexit (t.FailNow in a test does):
// nothing can stop a Goexit from ending the goroutine that runs the loop,
// so RunForever, RunUntilComplete or RunOnce never return to their caller
// then. The loop reports it to the exception handler and is left idle and
// consistent, with the rest of the batch still queued, for another
// goroutine to run on or close. (A task body that calls it ends with
// ErrGoexit, and the loop goes on.)
type Loop struct {
	clock  timer.Clock
	poller poller.Poller
	ready  readyQueue
	timers timer.Heap[timerValue]
	events []poller.Event

	// Shared with other goroutines.
	state        atomic.Int32
	stopping     atomic.Bool
	inboxPending atomic.Bool // set with the append, under inboxMu; cleared by drainInbox
	inboxMu      sync.Mutex  // protects inbox, inboxClosed
	inbox        []func()
	inboxClosed  bool // Close has begun: CallSoonThreadsafe refuses
	// current is the task whose step is running, or nil. A step leaves it
	// set when it ends (a store is an atomic exchange, and the next step
	// usually replaces it anyway); what runs anything but a task step
	// clears it first (clearCurrent).
	current  atomic.Pointer[taskBase]
	loopGoid atomic.Int64 // debug mode: goroutine running the loop

	// Loop goroutine only.
	todo              int // callbacks left in the batch runReady is running
	itersSincePoll    int
	cbsSincePoll      int
	spare             []func()
	coroBody          func(yield func(struct{}) bool)
	starting          *taskBase // the task coroBody is to run (see taskBase.step)
	hosting           bool      // parked tasks may host the loop (host.go)
	inForever         bool      // runUntilStopped is running: iterations may follow
	until             Waitable  // what RunUntilComplete waits for, or nil
	hostTask          *taskBase // the task hosting the loop now, or nil
	hostDepth         int       // hosts in the chain (host.go)
	hostWoken         bool      // the host's own step came up
	fds               map[int]*fdReg
	owned             map[int]fmt.Stringer // fds claimed by transports (ClaimFD)
	fdGen             uint32
	tasks             taskList
	root              *scope
	signals           *signalState
	exec              executor
	handler           ExceptionHandler
	logger            *slog.Logger
	debug             bool
	trackAwaits       bool   // record where tasks park (see introspect.go)
	virtual           bool   // the clock is a *timer.Virtual: it jumps when the loop is idle
	running           func() // the callback running now, to name it if it panics
	slow              time.Duration
	unretrieved       map[*errReport]struct{}
	resources         resources   // see Track
	locals            map[any]any // see Local
	completionSources int         // sources of completions outside the poller (AddCompletionSource)
	stats             Stats
	sched             *schedule        // WithPerturbation, else nil (schedule.go)
	tracer            func(TraceEvent) // WithTracer, else nil (trace.go)
	intro             introState       // name and close hooks (see introspect.go)
	wd                watchdog         // debug mode: reports a step that blocks the loop (watchdog.go); cold, so last
}

// Stats is a snapshot of a loop's counters and gauges (see
// docs/introspection.md). Counters count since New; gauges say how things
// are now. Lag is how late timers fire: from the deadline a timer or Sleep
// came due to the moment the loop saw it due and queued it (a callback that
// runs long, or a busy ready queue, makes it grow). On a virtual clock lag
// is always zero.
type Stats struct {
	Iterations  uint64 `json:"iterations"`   // loop iterations run
	Callbacks   uint64 `json:"callbacks"`    // callbacks run (task steps included)
	Polls       uint64 `json:"polls"`        // poller calls
	IOEvents    uint64 `json:"io_events"`    // readiness events dispatched
	TimersFired uint64 `json:"timers_fired"` // timer callbacks and sleeps that came due
	Spawned     uint64 `json:"spawned"`      // tasks spawned
	Ready       int    `json:"ready"`        // callbacks and task steps queued now
	Timers      int    `json:"timers"`       // pending timers now (sleeps included)
	Tasks       int    `json:"tasks"`        // live tasks now
	FDs         int    `json:"fds"`          // watched file descriptors now

	LagLast  time.Duration `json:"lag_last_ns"`  // lag of the last timer that fired
	LagMax   time.Duration `json:"lag_max_ns"`   // largest lag seen
	LagTotal time.Duration `json:"lag_total_ns"` // sum of all lags (see LagMean)
	// LagBuckets is a histogram of lags: bucket 0 counts lags under 1µs,
	// bucket i lags in [2^(i-1), 2^i) µs, the last one everything longer.
	LagBuckets [LagBuckets]uint64 `json:"lag_buckets"`
}

// New builds a loop. It opens an OS poller (epoll on Linux, kqueue on the
// BSDs and darwin); Close releases it.
func New(opts ...Option) (*Loop, error) {
	cf := defaultConfig()
	for _, o := range opts {
		o(&cf)
	}
	p, err := cf.newPoller()
	if err != nil {
		return nil, fmt.Errorf("eventloop: opening poller: %w", err)
	}
	l := &Loop{
		clock:   cf.clock,
		poller:  p,
		events:  make([]poller.Event, 128),
		fds:     make(map[int]*fdReg),
		handler: cf.handler,
		logger:  cf.logger,
		debug:   cf.debug,
		hosting: !cf.noHost,
		slow:    cf.slow,
		sched:   newSchedule(&cf),
		tracer:  cf.tracer,
	}
	for k, v := range cf.locals {
		l.SetLocal(k, v)
	}
	if l.clock == nil {
		l.clock = timer.NewReal()
	}
	_, l.virtual = l.clock.(*timer.Virtual)
	if l.logger == nil {
		l.logger = slog.Default()
	}
	l.exec.max = cf.workers
	l.initIntro(&cf)
	l.coroBody = l.runCoroutine
	l.root = newRootScope(l)
	return l, nil
}

// runCoroutine is the body of every task's coroutine: it runs the task
// l.starting names. insideLoop looks for it on a goroutine's stack.
func (l *Loop) runCoroutine(yield func(struct{}) bool) {
	t := l.starting
	l.starting = nil
	if t != nil { // nil: the task ended before its first step (finishEarly)
		t.self.body(yield)
	}
}

// Time returns the loop's current time, measured by its clock from the
// clock's epoch. Safe from any goroutine.
func (l *Loop) Time() time.Duration { return l.clock.Now() }

// Clock returns the clock the loop reads.
func (l *Loop) Clock() timer.Clock { return l.clock }

// Debug reports whether debug mode is on.
func (l *Loop) Debug() bool { return l.debug }

// SetDebug turns debug mode on or off. Loop goroutine only. Turned on
// while the loop runs, the goroutine checks start with the next iteration;
// tasks started before do their own awaits unchecked.
func (l *Loop) SetDebug(on bool) { l.debug = on }

// IsRunning reports whether the loop is running. Safe from any goroutine.
func (l *Loop) IsRunning() bool { return l.state.Load() == stateRunning }

// IsClosed reports whether Close was called. Safe from any goroutine.
func (l *Loop) IsClosed() bool { return l.state.Load() == stateClosed }

// Context returns the loop's root context: it carries the loop (so Spawn
// can find it) but belongs to no task, so awaiting with it fails with
// ErrNotInTask. It is never cancelled before Close.
func (l *Loop) Context() context.Context { return l.root }

// CallSoon queues fn to run on a later pass of the loop. Callbacks run in
// the order they were queued (FIFO), in one queue with those of
// CallSoonThreadsafe: a callback posted with CallSoonThreadsafe before
// (from the loop goroutine, or accepted from another goroutine) runs
// before fn, as asyncio's single ready queue does. One queued while
// callbacks are running runs in the next iteration, not the current one.
// O(1), no allocation.
// Loop goroutine (or running task) only; from elsewhere use
// CallSoonThreadsafe.
func (l *Loop) CallSoon(fn func()) (Handle, error) {
	if err := l.check("CallSoon"); err != nil {
		return Handle{}, err
	}
	if fn == nil {
		return Handle{}, errs.Op("eventloop", "CallSoon", ErrNilCallback)
	}
	l.syncInbox()
	return Handle{loop: l, pos: l.ready.push(fn)}, nil
}

// syncInbox keeps one FIFO: before the loop goroutine (or its running
// task) queues anything, it moves the callbacks other goroutines posted
// before into the ready queue. An atomic load when nothing was posted.
func (l *Loop) syncInbox() {
	if l.inboxPending.Load() {
		l.drainInbox()
	}
}

// CallLater schedules fn to run d after now. Timers run in deadline order,
// after the callbacks already queued; timers with equal deadlines run in
// the order they were set. A negative delay is a deadline in the past, as
// in asyncio (call_later is call_at(time() + delay)): CallLater(-2, b)
// runs before CallLater(-1, a), and both before CallLater(0, c). O(log n).
// Loop goroutine (or running task) only.
func (l *Loop) CallLater(d time.Duration, fn func()) (TimerHandle, error) {
	return l.callAt("CallLater", deadlineAfter(l.clock.Now(), d), fn)
}

// Deadline returns the loop time d from now, for CallAt and TimeoutAt: a
// negative d is in the past, and a huge d saturates at Never (a hugely
// negative one at the smallest Duration) instead of wrapping around. Safe
// from any goroutine.
func (l *Loop) Deadline(d time.Duration) time.Duration { return deadlineAfter(l.clock.Now(), d) }

// deadlineAfter is now+d, saturating at Never and at math.MinInt64
// instead of wrapping around. A negative d is kept (asyncio orders
// call_later(-2) before call_later(-1)).
func deadlineAfter(now, d time.Duration) time.Duration {
	when := now + d
	switch {
	case d > 0 && when < now:
		return Never
	case d < 0 && when > now:
		return math.MinInt64
	}
	return when
}

// CallAt schedules fn to run when the loop's time reaches when (see Time).
// O(log n). Loop goroutine (or running task) only.
func (l *Loop) CallAt(when time.Duration, fn func()) (TimerHandle, error) {
	return l.callAt("CallAt", when, fn)
}

func (l *Loop) callAt(op string, when time.Duration, fn func()) (TimerHandle, error) {
	if err := l.check(op); err != nil {
		return TimerHandle{}, err
	}
	if fn == nil {
		return TimerHandle{}, errs.Op("eventloop", op, ErrNilCallback)
	}
	return l.pushTimer(when, fn), nil
}

// CallSoonThreadsafe queues fn from any goroutine and wakes the loop if it
// is waiting. Callbacks run in the order they were accepted, in one FIFO
// with CallSoon's: from the loop goroutine, CallSoonThreadsafe(a) then
// CallSoon(b) runs a before b. It fails with ErrClosed once Close has
// begun; a callback it accepted always runs, Close included. O(1), one
// mutex.
func (l *Loop) CallSoonThreadsafe(fn func()) error {
	if fn == nil {
		return errs.Op("eventloop", "CallSoonThreadsafe", ErrNilCallback)
	}
	l.inboxMu.Lock()
	if l.inboxClosed {
		l.inboxMu.Unlock()
		return ErrClosed
	}
	l.inbox = append(l.inbox, fn)
	// Set with the append, so that the loop goroutine, seeing it clear,
	// knows that nothing accepted before is waiting (see syncInbox).
	wake := !l.inboxPending.Swap(true)
	l.inboxMu.Unlock()
	if wake {
		l.poller.Wake()
	}
	return nil
}

// Stop makes RunForever return after the current iteration finishes the
// callbacks it started with. Called before RunForever, it makes the next
// run do one iteration (polling without blocking) and return. Safe from any
// goroutine.
func (l *Loop) Stop() {
	if !l.stopping.Swap(true) {
		l.poller.Wake()
	}
}

// RunForever runs the loop until Stop is called. It fails with ErrRunning
// on a running loop, and with ErrNestedLoop when called from a callback or
// a task of another running loop.
func (l *Loop) RunForever() error {
	if err := l.enter("RunForever"); err != nil {
		return err
	}
	defer l.leave()
	for !l.protect(l.runUntilStopped) {
	}
	return nil
}

// runUntilStopped iterates until Stop. A callback that panics unwinds to
// protect, which reports it; RunForever then comes back here, and the
// batch the callback belonged to goes on first.
func (l *Loop) runUntilStopped() {
	l.inForever = true
	defer func() { l.inForever = false }()
	if l.todo > 0 {
		l.runReady()
		if l.stopping.Load() {
			return
		}
	}
	for {
		l.iterate(-1)
		if l.stopping.Load() {
			return
		}
	}
}

// protect runs fn and reports whether it returned normally. A panic (from
// a callback: task bodies recover their own) is reported to the exception
// handler instead of unwinding the loop's caller. One deferred call per
// run, not per callback or per iteration.
//
// A callback that calls runtime.Goexit cannot be stopped from ending the
// goroutine that runs the loop (Go has no way to), so protect reports it
// and lets it go on: the deferred leave of RunForever or RunOnce leaves
// the loop idle, and the rest of the batch runs when the loop runs again.
func (l *Loop) protect(fn func()) (ok bool) {
	defer func() {
		if ok {
			return
		}
		if r := recover(); r != nil {
			l.CallExceptionHandler(ExceptionContext{
				Message:  "panic in callback",
				Err:      &PanicError{Value: r, Stack: debug.Stack()},
				Callback: funcName(l.running),
			})
			return
		}
		l.CallExceptionHandler(ExceptionContext{
			Message:  "runtime.Goexit in callback: the goroutine running the loop ends, the loop is left idle",
			Err:      errCallbackGoexit,
			Callback: funcName(l.running),
		})
	}()
	fn()
	return true
}

// RunUntilComplete runs the loop until w is done and returns w's error
// (nil when it succeeded). If the loop is stopped first it returns
// ErrStopped. It fails at once with ErrNilWaitable for a nil w,
// ErrWrongLoop for one of another loop, ErrRunning on a running loop and
// ErrNestedLoop from a callback or task of another running loop (task.Run
// relies on that: its loop runs through here).
func (l *Loop) RunUntilComplete(w Waitable) error {
	if w == nil || w.core() == nil {
		return errs.Op("eventloop", "RunUntilComplete", ErrNilWaitable)
	}
	if w.Loop() != l {
		return errs.Op("eventloop", "RunUntilComplete", ErrWrongLoop)
	}
	if l.IsClosed() {
		return ErrClosed
	}
	if l.IsRunning() {
		return errs.Op("eventloop", "RunUntilComplete", ErrRunning)
	}
	if !w.Done() {
		id := w.OnDone(l.stopFromCallback)
		l.until = w
		err := l.RunForever()
		l.until = nil
		if err != nil {
			w.RemoveDoneCallback(id)
			return err
		}
		if !w.Done() {
			w.RemoveDoneCallback(id)
			return ErrStopped
		}
	}
	return w.Err()
}

// stopFromCallback is RunUntilComplete's done callback. It stops only the
// run that is waiting for a done waitable: one queued for a run that ended
// otherwise (a runtime.Goexit ended its goroutine) must not stop the next.
func (l *Loop) stopFromCallback() {
	if l.until != nil && l.until.Done() {
		l.stopping.Store(true)
	}
}

// clearCurrent says no task step is running. It stores only when a step
// left current set (see the field).
func (l *Loop) clearCurrent() {
	if l.current.Load() != nil {
		l.current.Store(nil)
	}
}

// RunOnce runs exactly one iteration of the loop, for programs that drive
// the loop from a main loop of their own (a game or GUI loop). It waits for
// I/O at most maxWait (0: poll without blocking; negative: until something
// is ready), then runs the callbacks that are due.
func (l *Loop) RunOnce(maxWait time.Duration) error {
	if err := l.enter("RunOnce"); err != nil {
		return err
	}
	defer l.leave()
	if !l.protect(func() { l.iterate(maxWait) }) {
		for !l.protect(l.runReady) {
		}
	}
	return nil
}

func (l *Loop) enter(op string) error {
	if !l.state.CompareAndSwap(stateIdle, stateRunning) {
		if l.state.Load() == stateClosed {
			return ErrClosed
		}
		return ErrRunning
	}
	if loopsRunning.Add(1) > 1 && insideLoop() {
		loopsRunning.Add(-1)
		l.state.Store(stateIdle)
		return errs.Op("eventloop", op, ErrNestedLoop)
	}
	if l.debug {
		l.loopGoid.Store(goid())
		l.startWatchdog()
	}
	return nil
}

func (l *Loop) leave() {
	l.stopWatchdog()
	// After a runtime.Goexit (protect) hosts may be left in the chain:
	// they all ended on the way up.
	l.hostTask, l.hostDepth, l.hostWoken = nil, 0, false
	loopsRunning.Add(-1)
	l.clearCurrent()
	l.stopping.Store(false)
	l.loopGoid.Store(0)
	l.state.Store(stateIdle)
}

// iterate is one iteration of the loop (asyncio's _run_once): the only
// place callbacks run. docs/architecture.md explains the phases by these
// numbers.
//
// Called by a host (host.go), it stops short of running the batch: it
// sets todo, and the host runs the batch itself.
func (l *Loop) iterate(maxWait time.Duration) {
	l.clearCurrent()
	l.stats.Iterations++
	if l.debug && l.loopGoid.Load() == 0 {
		l.loopGoid.Store(goid()) // debug mode turned on mid-run (SetDebug)
	}

	// 1. Decide whether to poll and for how long. A loop with work queued
	//    (or stopping, or with callbacks posted from other goroutines) never
	//    blocks, and polls without blocking only every pollEvery
	//    iterations or pollEveryCallbacks callbacks, and only if it watches
	//    an fd: busy loops pay no syscall per iteration, yet I/O is never
	//    starved. An idle loop blocks until its earliest timer (at most
	//    maxWait); the clock decides how long that really is: a virtual
	//    clock jumps to the deadline and answers 0, but only after a
	//    non-blocking poll found no fd ready, since it may only jump when
	//    the loop has nothing else to do.
	busy := l.ready.len() > 0 || l.stopping.Load() || l.inboxPending.Load()
	poll := true
	timeout := time.Duration(0)
	var next timer.Item[timerValue]
	hasNext := false
	if !busy {
		next, hasNext = l.timers.Peek() // the earliest timer, when the loop may wait for it
	}
	switch {
	case busy:
		l.itersSincePoll++
		poll = len(l.fds) > 0 &&
			(l.itersSincePoll >= pollEvery || l.cbsSincePoll >= pollEveryCallbacks)
	case maxWait == 0:
		// RunOnce(0): look, never wait, and let no virtual time pass.
	case !hasNext:
		timeout = -1
	case l.virtual && len(l.fds) > 0 && (l.poll(0) > 0 || l.inboxPending.Load()):
		poll = false // something is ready now: time stands still
	case l.virtual && l.completionSources > 0 && (l.poll(completionSettle) > 0 || l.inboxPending.Load()):
		poll = false // a completion from outside the poller came: time stands still
	default:
		deadline := next.When
		if maxWait > 0 {
			deadline = min(deadline, l.Deadline(maxWait))
		}
		timeout = l.clock.Wait(deadline)
		poll = !(l.virtual && len(l.fds) > 0) || timeout != 0 // just polled
	}
	if maxWait >= 0 && (timeout < 0 || timeout > maxWait) {
		timeout = maxWait
	}

	// 2. Poll, and queue the handlers of ready file descriptors.
	if poll {
		l.poll(timeout)
	}

	// 3. Move callbacks sent from other goroutines into the ready queue.
	if l.inboxPending.Load() {
		l.drainInbox()
	}

	// 4. Queue expired timers, in (deadline, order set) order, after the
	//    callbacks already queued.
	if l.timers.Stored() > 0 {
		now := l.clock.Now()
		if l.sched != nil {
			l.sched.fireDue(l, now) // equal deadlines in seeded order
		} else {
			for it, ok := l.timers.PopDue(now); ok; it, ok = l.timers.PopDue(now) {
				l.fireTimer(now, it)
			}
		}
	}

	// 5. Run the callbacks queued before this point; what they queue runs
	//    in the next iteration.
	if n := l.ready.len(); n > 0 {
		if l.sched != nil {
			l.sched.shuffleBatch(&l.ready, n) // task steps in seeded order
		}
		l.cbsSincePoll += n
		l.todo = n
		if l.hostTask == nil {
			l.runReady()
		}
	}
}

// poll waits for readiness at most timeout, queues the handlers of the
// fds that are ready, and returns how many events it dispatched.
func (l *Loop) poll(timeout time.Duration) int {
	l.stats.Polls++
	l.itersSincePoll, l.cbsSincePoll = 0, 0
	n, err := l.poller.Wait(l.events, timeout)
	if err != nil {
		if !errors.Is(err, poller.ErrClosed) {
			l.CallExceptionHandler(ExceptionContext{Message: "poller wait failed", Err: err})
		}
		return 0
	}
	l.dispatchIO(l.events[:n])
	if n == len(l.events) && n < 4096 {
		l.events = make([]poller.Event, 2*n)
	}
	return n
}

func (l *Loop) drainInbox() {
	l.inboxPending.Store(false)
	l.inboxMu.Lock()
	batch := l.inbox
	l.inbox = l.spare[:0]
	l.inboxMu.Unlock()
	for i, fn := range batch {
		l.ready.push(fn)
		batch[i] = nil
	}
	l.spare = batch[:0]
}

// runReady runs the next l.todo queued callbacks. l.todo lives in the
// loop, not on the stack, so that after a panic (see protect) the rest of
// the batch still runs.
//
// It runs on the loop goroutine only, never while a task hosts (hosts
// run their batch in hostRun, and iterate leaves it to them), so a step
// here is never a host's own.
func (l *Loop) runReady() {
	if l.debug {
		l.runReadyDebug()
		return
	}
	for l.todo > 0 {
		l.todo--
		switch e := l.ready.pop(); {
		case e.t != nil:
			l.stats.Callbacks++
			if l.tracer != nil {
				l.traceStep(e.t)
			}
			e.t.step()
		case e.fn != nil:
			l.clearCurrent()
			l.stats.Callbacks++
			l.running = e.fn // to name it if it panics
			e.fn()
		}
	}
}

func (l *Loop) runReadyDebug() {
	for l.todo > 0 {
		l.todo--
		e := l.ready.pop()
		if e.fn == nil && e.t == nil {
			continue
		}
		l.stats.Callbacks++
		start := time.Now()
		l.stepStart(e.t)
		if e.t != nil {
			if l.tracer != nil {
				l.traceStep(e.t)
			}
			e.t.step()
		} else {
			l.clearCurrent()
			l.running = e.fn
			e.fn()
		}
		l.stepEnd()
		if d := time.Since(start); d >= l.slow {
			l.reportSlow(e, d)
		}
	}
}

// hostRun is the host's share of runUntilStopped: the rest of the batch,
// then whole iterations while they cannot block, until the host's own step
// comes up (hostWoken) or the loop goroutine has to take over.
//
// It is runReady and iterate folded into one function on purpose. Every
// frame that is live while the host resumes another task costs a
// mispredicted return when control comes back: the switch leaves the CPU's
// return-address predictor filled with the other coroutine's calls (about
// 5 ns per frame here; docs/architecture.md, Hosting). So the batch loop
// and the resumption of a parked task (step's common case) are inline,
// and the common iteration (busy, nothing to poll yet, no timer, nothing
// from other goroutines, no perturbation) is done here, the others by
// iterate, which leaves the batch to the host; the batch runs here, never
// in runReady.
//
// For the same reason it has no deferred recover of its own (a deferred
// call at every return, one return per round trip in W4). What may panic
// runs one call further down, under a recover that reports the panic as
// protect does, after which the batch goes on as it does on the loop
// goroutine: callbacks (hostCallbacks), the tracer, iterate, and the steps
// that are not resumptions (hostStep).
func (l *Loop) hostRun() {
	for {
		if l.debug {
			return // the loop goroutine runs the rest, checked
		}
		// Mirror of runReady (above): the batch loop, inline.
		for l.todo > 0 {
			e := l.ready.pop()
			t := e.t
			if t == nil {
				l.todo--
				if e.fn != nil {
					l.hostCallbacks(e.fn)
				}
				continue
			}
			if t.hosting && t != l.hostTask {
				// The step of an outer host, which resumes itself on its
				// own goroutine: put it back and go up the chain.
				l.ready.unpop(e)
				return
			}
			l.todo--
			l.stats.Callbacks++
			if l.tracer != nil && !l.hostTrace(t) {
				continue // the tracer panicked: runReady would have lost the step too
			}
			if t == l.hostTask {
				l.hostWoken = true
				return
			}
			if !t.parked || t.done {
				l.hostStep(t) // a first step, or a stale entry
				continue
			}
			// Mirror of step (task.go), for a parked task: its common case,
			// written out. TestMirrorsMatch compares the two.
			t.wakeQueued = false
			if l.current.Load() != t {
				l.current.Store(t)
			}
			t.next()
		}
		if !l.inForever || l.debug || l.stopping.Load() || l.ready.len() == 0 {
			return
		}
		if l.sched != nil || l.timers.Stored() > 0 || l.inboxPending.Load() ||
			(len(l.fds) > 0 && (l.itersSincePoll+1 >= pollEvery || l.cbsSincePoll >= pollEveryCallbacks)) {
			l.hostGather() // busy: polls without blocking, lets no virtual time pass
			continue
		}
		// Mirror of iterate (above): iterate(-1) on a busy loop that has
		// nothing to poll yet, no timer and no inbox, where phases 1-4 do
		// nothing but count. Anything iterate learns to do in that case
		// must be done here too: TestHostingKeepsOrder compares every
		// statistic, the trace and the order with hosting on and off. It leaves
		// current alone: nothing runs here, a callback of the batch clears
		// it first, and a step sets it (two atomic stores fewer per hop).
		l.stats.Iterations++
		l.itersSincePoll++
		n := l.ready.len()
		l.cbsSincePoll += n
		l.todo = n
	}
}

// hostCallbacks runs fn, a callback the host popped from the batch, and
// the callbacks that follow it in the batch up to the next task step. A
// callback that panics is reported, and the rest of the batch is left to
// hostRun.
func (l *Loop) hostCallbacks(fn func()) {
	defer l.recoverCallback()
	for {
		l.clearCurrent()
		l.stats.Callbacks++
		l.running = fn // to name it if it panics
		fn()
		if l.todo == 0 {
			return
		}
		if fn = l.ready.peek().fn; fn == nil {
			return // a task step, or a cancelled entry
		}
		l.ready.pop()
		l.todo--
	}
}

// hostTrace traces t's step and reports false if the tracer panicked.
func (l *Loop) hostTrace(t *taskBase) (ok bool) {
	defer l.recoverCallback()
	l.traceStep(t)
	return true
}

// hostStep is step under a recover, for the steps hostRun does not resume
// inline.
func (l *Loop) hostStep(t *taskBase) {
	defer l.recoverCallback()
	t.step()
}

// hostGather is iterate(-1) under a recover (the exception handler and
// the tracer run in it). With a host set, iterate only gathers the batch
// (sets todo); hostRun runs it.
func (l *Loop) hostGather() {
	defer l.recoverCallback()
	l.iterate(-1)
}

// Check is the guard of loop-only methods, for libraries that build on the
// loop: it returns ErrClosed (wrapped, naming op) once the loop is closed
// and, in debug mode, a *GoroutineError when called from a goroutine that
// is neither the loop's nor its running task's. Outside debug mode the
// goroutine check is skipped: it costs about a microsecond.
func (l *Loop) Check(op string) error { return l.check(op) }

// CheckNeeded reports whether Check could fail now: the loop is closed or
// in debug mode. It is an atomic load and a field read, cheap enough to
// guard Check on a hot path (a queue's PutNowait):
// if l.CheckNeeded() { err = l.Check(op) }.
func (l *Loop) CheckNeeded() bool { return l.debug || l.state.Load() == stateClosed }

// check guards loop-only methods: it fails on a closed loop and, in debug
// mode, when called from a goroutine that is neither the loop's nor its
// running task's.
func (l *Loop) check(method string) error {
	if l.state.Load() == stateClosed {
		return closedError(method)
	}
	if l.debug {
		return l.checkGoroutine(method)
	}
	return nil
}

// closedError is check's error for a closed loop, out of line so that
// check stays small on the hot path. method may name a library's
// operation with its package ("locks: Lock.Acquire", from Check).
//
//go:noinline
func closedError(method string) error {
	pkg, op := "eventloop", method
	if p, o, ok := strings.Cut(method, ": "); ok {
		pkg, op = p, o
	}
	return errs.Op(pkg, op, ErrClosed)
}

// Stats returns a snapshot of the loop's counters. Loop goroutine only.
func (l *Loop) Stats() Stats {
	s := l.stats
	s.Ready = l.ready.len()
	s.Timers = l.timers.Len()
	s.Tasks = l.tasks.Len()
	s.FDs = len(l.fds)
	s.Spawned = l.tasks.seq
	return s
}

// Close releases the loop: it unwinds tasks that are still alive (every
// await they make returns ErrClosed), runs the callbacks already queued
// (so done callbacks and CallSoonThreadsafe submissions settle; unlike
// asyncio, nothing queued is silently lost), drops timers, stops watching
// file descriptors and signals (signal handlers are removed quietly, as in
// asyncio), and closes the poller. From its start CallSoonThreadsafe fails
// with ErrClosed; every callback it accepted before runs. It
// fails with ErrRunning on a running loop, and is a no-op on a closed one.
// When something was still alive it returns an *AliveError saying what;
// the loop is closed all the same. Task errors that nobody retrieved are
// reported to the exception handler.
func (l *Loop) Close() error {
	switch l.state.Load() {
	case stateClosed:
		return nil
	case stateRunning:
		return errs.Op("eventloop", "Close", ErrRunning)
	}
	alive := &AliveError{Executor: l.exec.running + len(l.exec.queue)}
	l.timers.Entries(func(it timer.Item[timerValue]) bool {
		if it.Value.fn != nil { // a Sleep's task is counted as a task
			alive.Timers++
		}
		return true
	})
	for t := l.tasks.Front(); t != nil; t = t.tlinks.Next() {
		alive.Tasks = append(alive.Tasks, t.Name())
	}
	readers, writers := map[int]bool{}, map[int]bool{}
	for fd, r := range l.fds {
		if r.reader != nil {
			readers[fd] = true
		}
		if r.writer != nil {
			writers[fd] = true
		}
	}
	alive.Readers, alive.Writers = sortedInts(readers), sortedInts(writers)
	alive.Resources = l.describeResources()

	// Unwind live tasks while the loop still works, so their cleanup code
	// runs, and settle what is already queued: callbacks sent from other
	// goroutines and the done callbacks of the tasks just unwound (a
	// RunCoroutineThreadsafe submission completes instead of vanishing).
	// Tasks those callbacks spawn are unwound in turn. Bounded, so a
	// callback that keeps queueing itself cannot hold Close.
	l.unwindTasks()
	// From now on CallSoonThreadsafe refuses (ErrClosed), so that what
	// Close settles is bounded: everything accepted before, and what that
	// queues on the loop itself. Other goroutines that keep posting cannot
	// hold Close, and no accepted callback is dropped: the first round
	// drains them all. (Posts stay accepted while the tasks unwind: a task
	// that waits there for a goroutine of its own, as a subprocess start
	// does, gets that goroutine's post.)
	l.inboxMu.Lock()
	l.inboxClosed = true
	l.inboxMu.Unlock()
	for round := 0; round < 100 && (l.ready.len() > 0 || l.inboxPending.Load()); round++ {
		l.drainInbox()
		l.todo = l.ready.len()
		for !l.protect(l.runReady) {
		}
		l.unwindTasks()
	}
	l.closeResources()
	l.reportUnretrieved()
	l.inboxMu.Lock()
	l.state.Store(stateClosed)
	l.inbox = nil
	l.inboxMu.Unlock()
	// Signal handlers still installed are removed quietly, as asyncio's
	// close does: a program that handles SIGINT has them until it ends.
	l.stopSignals()
	for fd := range l.fds {
		l.poller.Delete(fd)
	}
	l.fds = map[int]*fdReg{}
	l.owned = nil
	l.timers.Reset()
	l.ready = readyQueue{}
	l.poller.Close()
	l.runCloseHooks()
	if len(alive.Tasks) == 0 && alive.Timers == 0 && len(alive.Readers) == 0 &&
		len(alive.Writers) == 0 && alive.Executor == 0 &&
		len(alive.Resources) == 0 {
		return nil
	}
	return alive
}
