package eventloop

import (
	"time"

	"github.com/aio-go/aio/internal/poller"
	"github.com/aio-go/aio/timer"
)

// TraceKind says what a TraceEvent records.
type TraceKind uint8

// Trace event kinds.
const (
	// TraceStep: a task step is about to run (Task, Start on its first).
	TraceStep TraceKind = iota + 1
	// TraceTimer: a timer came due and its callback (Callback) or its
	// sleeping task (Task) is queued. When is its deadline.
	TraceTimer
	// TraceIO: the poller reported FD ready; its handlers are queued.
	TraceIO
)

// String returns "step", "timer" or "io".
func (k TraceKind) String() string {
	switch k {
	case TraceStep:
		return "step"
	case TraceTimer:
		return "timer"
	case TraceIO:
		return "io"
	}
	return "?"
}

// TraceEvent is one thing the loop did, as a tracer installed with
// WithTracer sees it. Fields that do not apply to the Kind are zero.
type TraceEvent struct {
	Kind      TraceKind
	Time      time.Duration // the loop's time (see Loop.Time)
	Iteration uint64        // the iteration it belongs to (Stats.Iterations)

	Task  TaskInfo // TraceStep; TraceTimer of a Sleep
	Start bool     // TraceStep: the task's first step

	Callback func()        // TraceTimer of CallLater or CallAt
	When     time.Duration // TraceTimer: the deadline

	FD       int  // TraceIO
	Readable bool // TraceIO
	Writable bool // TraceIO
}

// WithTracer makes the loop call fn, on the loop goroutine, for every task
// step, timer firing and I/O readiness event, as it happens. Plain
// CallSoon callbacks are not traced: callbacks that other goroutines post
// (CallSoonThreadsafe, including the garbage collector's reports of
// unretrieved task errors) arrive at times the loop does not control, and
// a trace of a loop on a virtual clock is meant to be the same every run.
// fn must not call back into the loop. Without a tracer, each of those
// places costs one nil check.
func WithTracer(fn func(TraceEvent)) Option { return func(cf *config) { cf.tracer = fn } }

func (l *Loop) traceStep(t *taskBase) {
	if t.done {
		return // a stale entry: step does nothing
	}
	l.tracer(TraceEvent{Kind: TraceStep, Time: l.clock.Now(), Iteration: l.stats.Iterations,
		Task: t.self, Start: !t.started})
}

func (l *Loop) traceTimer(it timer.Item[timerValue]) {
	ev := TraceEvent{Kind: TraceTimer, Time: l.clock.Now(), Iteration: l.stats.Iterations, When: it.When,
		Callback: it.Value.fn}
	if t := it.Value.t; t != nil {
		ev.Task = t.self
	}
	l.tracer(ev)
}

func (l *Loop) traceIO(ev poller.Event) {
	l.tracer(TraceEvent{Kind: TraceIO, Time: l.clock.Now(), Iteration: l.stats.Iterations,
		FD: ev.FD, Readable: ev.Events&poller.Readable != 0, Writable: ev.Events&poller.Writable != 0})
}
