package looptest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/timer"
	"github.com/aio-go/aio/transport"
)

// Sim is a loop on a virtual clock driven by the test: step by step
// (Step), until nothing is left to do now (RunUntilIdle), through a span
// of virtual time (Advance), or until a task is done (RunUntilDone, which
// jumps from timer to timer as a loop on a virtual clock does). Run is
// built on it. Everything the loop does goes to a trace (see Result).
//
// At the end of the test (or at Close) the Sim fails the test for each
// task still alive, each timer still pending, each loop exception (a
// panic in a callback, a task error nobody retrieved), and logs the
// trace digest and its last lines if the test failed.
//
// A Sim belongs to the test goroutine: call its methods there, not from
// its tasks.
type Sim struct {
	t       TB
	cf      config
	clock   *timer.Virtual
	loop    *eventloop.Loop
	rec     *recorder
	excs    []eventloop.ExceptionContext
	closed  bool
	start   time.Duration
	stuck   error
	mainErr error
	net     *Network
}

// New builds a Sim: a loop on a fresh virtual clock (time 0), with a
// tracer and an exception handler of looptest's, perturbed when Seed is
// given. t.Cleanup closes it.
func New(t TB, opts ...Option) *Sim {
	t.Helper()
	s := &Sim{t: t, cf: newConfig(opts), clock: timer.NewVirtual()}
	s.rec = newRecorder(s.cf.keepTrace, s.cf.traceLines)
	lopts := []eventloop.Option{
		eventloop.WithClock(s.clock),
		eventloop.WithTracer(s.rec.event),
		// Reports say where each task waits; the stack walk per await is
		// cheap next to what a test costs anyway (LoopOptions can turn it
		// off).
		eventloop.WithAwaitTracking(true),
		eventloop.WithExceptionHandler(func(_ *eventloop.Loop, c eventloop.ExceptionContext) {
			s.excs = append(s.excs, c)
		}),
	}
	if s.cf.perturb {
		lopts = append(lopts, eventloop.WithPerturbation(s.cf.seed))
	}
	if s.cf.withNet {
		s.net = NewNetwork(append([]NetOption{NetSeed(s.cf.seed)}, s.cf.netOpts...)...)
		s.net.tracer = s.noteNet
		lopts = append(lopts, transport.WithNetwork(s.net))
	}
	l, err := eventloop.New(append(lopts, s.cf.loopOpts...)...)
	if err != nil {
		t.Fatalf("looptest: %v", err)
		return nil
	}
	s.loop = l
	s.start = l.Time()
	t.Cleanup(s.Close)
	return s
}

// Loop returns the Sim's loop.
func (s *Sim) Loop() *eventloop.Loop { return s.loop }

// Network returns the Sim's simulated network (WithNetwork), or nil.
func (s *Sim) Network() *Network { return s.net }

// noteNet records a network event in the trace.
func (s *Sim) noteNet(what string) {
	s.rec.note(fmt.Sprintf("%v #%d net %s", s.loop.Time(), s.loop.Stats().Iterations, what))
}

// Clock returns the Sim's virtual clock.
func (s *Sim) Clock() *timer.Virtual { return s.clock }

// Context returns the loop's root context, to spawn tasks with.
func (s *Sim) Context() context.Context { return s.loop.Context() }

// Now returns the loop's time.
func (s *Sim) Now() time.Duration { return s.loop.Time() }

// Go spawns fn as a task named name (eventloop.Spawn); it starts at the
// loop's next iteration.
func (s *Sim) Go(name string, fn func(ctx context.Context) error) *eventloop.Task[struct{}] {
	var body func(ctx context.Context) (struct{}, error)
	if fn != nil {
		body = func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }
	}
	return eventloop.Spawn(s.Context(), body, eventloop.WithName(name))
}

// Step runs one loop iteration without letting time pass (RunOnce(0)): the
// callbacks and task steps queued, and the timers due now. It reports
// whether anything ran.
func (s *Sim) Step() bool {
	before := s.loop.Stats()
	if err := s.loop.RunOnce(0); err != nil {
		s.t.Errorf("looptest: Step: %v", err)
		return false
	}
	after := s.loop.Stats()
	return after.Callbacks != before.Callbacks || after.TimersFired != before.TimersFired
}

// RunUntilIdle runs iterations until nothing is left to do at the current
// time: no callback or task step queued, no timer due. Time does not move
// (asyncio's test_utils.run_briefly, run to the end). It fails the test
// with ErrLimit after IterationLimit iterations.
func (s *Sim) RunUntilIdle() {
	s.t.Helper()
	for i := 0; s.loop.Pending().Busy(s.loop.Time()); i++ {
		if i >= s.cf.iterLimit {
			s.t.Errorf("%v", s.stuckError(false, "iteration limit reached",
				fmt.Sprintf("RunUntilIdle still busy after %d iterations", i)))
			return
		}
		if err := s.loop.RunOnce(0); err != nil {
			s.t.Errorf("looptest: RunUntilIdle: %v", err)
			return
		}
	}
}

// Advance moves virtual time forward by d, firing every timer due on the
// way at its own deadline and running what it wakes until idle, then runs
// until idle at the new time (trio's MockClock.jump, asyncio's
// TestLoop.advance_time, Tokio's time::advance).
func (s *Sim) Advance(d time.Duration) {
	s.t.Helper()
	target := s.loop.Deadline(d)
	s.RunUntilIdle()
	for {
		p := s.loop.Pending()
		now := s.loop.Time()
		if p.Timers == 0 || p.NextTimer > target || now >= target {
			break
		}
		if err := s.loop.RunOnce(target - now); err != nil {
			s.t.Errorf("looptest: Advance: %v", err)
			return
		}
		s.RunUntilIdle()
	}
	s.clock.Set(target)
	s.RunUntilIdle()
}

// RunUntilDone runs the loop until w is done, letting virtual time jump
// to the next timer whenever nothing else is left to do. It returns a
// *StuckError when that cannot happen: a deadlock (ErrDeadlock), or the
// TimeLimit or IterationLimit reached (ErrLimit).
func (s *Sim) RunUntilDone(w eventloop.Waitable) error {
	limit := s.start + s.cf.timeLimit
	if limit < s.start {
		limit = eventloop.Never
	}
	graceUsed := false
	for i := 0; !w.Done(); i++ {
		if i >= s.cf.iterLimit {
			return s.stuckError(false, fmt.Sprintf("iteration limit (%d) reached", s.cf.iterLimit),
				"the loop kept running without finishing main")
		}
		p := s.loop.Pending()
		now := s.loop.Time()
		maxWait := time.Duration(-1)
		switch {
		case p.Busy(now):
			graceUsed = false
		case p.IdleForever():
			if s.cf.grace <= 0 || graceUsed {
				return s.stuckError(true, "deadlock", "every task waits for something only the loop could deliver, "+
					"and no callback, timer, I/O, executor job or outside work is pending")
			}
			graceUsed, maxWait = true, s.cf.grace
		case p.NextTimer > limit && p.FDs == 0 && p.Executor == 0:
			return s.stuckError(false, fmt.Sprintf("time limit (%v) reached", s.cf.timeLimit),
				fmt.Sprintf("the next timer is due at %v", p.NextTimer))
		default:
			graceUsed = false
		}
		if err := s.loop.RunOnce(maxWait); err != nil {
			return fmt.Errorf("looptest: %w", err)
		}
	}
	return nil
}

// stuckError builds the report of a run that cannot finish.
func (s *Sim) stuckError(deadlock bool, reason, detail string) error {
	e := &StuckError{Reason: reason, Detail: detail, Time: s.loop.Time(), Iteration: s.loop.Stats().Iterations,
		Pending: s.loop.Pending(), Tasks: s.Tasks(), deadlock: deadlock}
	s.stuck = e
	return e
}

// Tasks reports the loop's live tasks, oldest first: name, state, since
// when they wait (the loop time of their last step) and how many steps
// they ran.
func (s *Sim) Tasks() []TaskReport {
	var out []TaskReport
	sites := awaitSites(s.loop)
	for _, t := range s.loop.AllTasks() {
		r := TaskReport{Name: t.Name(), State: "not started", WaitsAt: sites.next(t.Name())}
		if st := s.rec.tasks[t]; st != nil {
			r.State, r.Since, r.Steps = "waiting", st.since, st.steps
		}
		out = append(out, r)
	}
	return out
}

// siteQueue holds the await sites of the loop's live tasks by name, in
// spawn order, as the loop's task tree reports them (Loop.Snapshot):
// AllTasks and the snapshot list tasks oldest first, so taking them in
// order pairs tasks that share a name correctly.
type siteQueue map[string][]string

func awaitSites(l *eventloop.Loop) siteQueue {
	q := siteQueue{}
	for _, ts := range l.Snapshot().Tasks {
		site := ""
		if ts.Await != nil {
			site = ts.Await.String()
		}
		q[ts.Name] = append(q[ts.Name], site)
	}
	return q
}

func (q siteQueue) next(name string) string {
	s := q[name]
	if len(s) == 0 {
		return ""
	}
	q[name] = s[1:]
	return s[0]
}

// Close ends the simulation: it fails the test for tasks still alive
// (listed with where they wait), cancels them and lets them unwind, shuts
// the executor down, closes the loop, and fails the test for timers,
// readers or writers left behind and for every loop exception (a panic in
// a callback, a task error nobody retrieved). If the test failed, it logs
// the trace digest and the trace's last lines. Called again, it does
// nothing. New registers it with t.Cleanup.
func (s *Sim) Close() {
	s.t.Helper()
	if s.closed {
		return
	}
	s.closed = true
	if s.stuck == nil {
		if left := s.Tasks(); len(left) > 0 {
			s.t.Errorf("looptest: %d task(s) left behind at %v (loop time):\n%s",
				len(left), s.loop.Time(), strings.TrimRight(formatTasks(left), "\n"))
		}
	}
	s.unwind()
	if s.net != nil {
		s.net.shutdown()
	}
	if err := s.loop.Close(); err != nil {
		var alive *eventloop.AliveError
		if errors.As(err, &alive) {
			alive.Tasks = nil // reported above, with more detail
			alive.Executor = 0
		}
		if alive == nil || alive.Timers > 0 || len(alive.Readers) > 0 || len(alive.Writers) > 0 {
			s.t.Errorf("looptest: left behind at close: %v", err)
		}
	}
	for _, c := range s.excs {
		s.t.Errorf("looptest: %s", formatException(c))
	}
	if s.t.Failed() {
		s.t.Logf("looptest: %s", s.Result().summary())
	}
}

// unwind cancels the live tasks and runs the loop until they are done
// (bounded), then shuts the default executor down, waiting for its jobs.
func (s *Sim) unwind() {
	for round := 0; round < 100; round++ {
		left := s.loop.AllTasks()
		if len(left) == 0 {
			break
		}
		for _, t := range left {
			t.Cancel()
		}
		for i := 0; i < 1000 && s.loop.Pending().Busy(s.loop.Time()); i++ {
			s.loop.RunOnce(0)
		}
	}
	if f := s.loop.ShutdownDefaultExecutor(); !f.Done() {
		s.loop.RunUntilComplete(f)
	}
}

func formatException(c eventloop.ExceptionContext) string {
	msg := c.Message
	if c.Task != "" {
		msg += fmt.Sprintf(" (task %q)", c.Task)
	}
	if c.Callback != "" {
		msg += fmt.Sprintf(" (callback %s)", c.Callback)
	}
	if c.Err != nil {
		msg += ": " + errorWithStack(c.Err)
	}
	return msg
}

// errorWithStack is err's message, followed by the stack of a recovered
// panic when err carries one.
func errorWithStack(err error) string {
	var pe *eventloop.PanicError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%v\n%s", err, pe.Stack)
	}
	return err.Error()
}

// Result returns what the simulation did so far (see Result).
func (s *Sim) Result() Result {
	r := Result{
		Seed: s.cf.seed, Perturbed: s.cf.perturb,
		End: s.loop.Time(), Iterations: s.loop.Stats().Iterations,
		Events: s.rec.n, Digest: s.rec.digest(), Tail: s.rec.lastLines(),
		Err: s.mainErr, Failed: s.t.Failed(),
	}
	if s.stuck != nil {
		r.Err = s.stuck
	}
	if s.cf.keepTrace {
		r.Trace = append([]string(nil), s.rec.all...)
	}
	return r
}
