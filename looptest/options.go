package looptest

import (
	"time"

	"github.com/aio-go/aio/eventloop"
)

// Option configures Run, Seeds and New.
type Option func(*config)

type config struct {
	seed       uint64
	perturb    bool
	timeLimit  time.Duration
	iterLimit  int
	grace      time.Duration
	keepTrace  bool
	loopOpts   []eventloop.Option
	traceLines int
	withNet    bool
	netOpts    []NetOption
}

// Defaults: enough for an hour-long simulation with thousands of tasks,
// small enough that a livelock fails in seconds rather than never.
const (
	DefaultTimeLimit      = 24 * time.Hour
	DefaultIterationLimit = 5_000_000
)

func newConfig(opts []Option) config {
	cf := config{timeLimit: DefaultTimeLimit, iterLimit: DefaultIterationLimit, traceLines: 32}
	for _, o := range opts {
		o(&cf)
	}
	return cf
}

// Seed perturbs the loop's schedule with seed (see
// eventloop.WithPerturbation): task steps within an iteration and timers
// with equal deadlines run in an order drawn from it. Without Seed the
// loop is FIFO. Seeds sets it for each seed it runs.
func Seed(seed uint64) Option { return func(cf *config) { cf.seed, cf.perturb = seed, true } }

// TimeLimit bounds the virtual time a run may cover (default
// DefaultTimeLimit, from the start of the run). A program still going at
// that point fails with ErrLimit and the task report: a livelock, or a
// ticker that keeps a deadlocked program's clock moving.
func TimeLimit(d time.Duration) Option { return func(cf *config) { cf.timeLimit = d } }

// IterationLimit bounds the loop iterations a run, or one RunUntilIdle,
// may take (default DefaultIterationLimit): a program that keeps the
// loop busy without letting time move (a Sleep(ctx, 0) spin) fails with
// ErrLimit instead of hanging.
func IterationLimit(n int) Option { return func(cf *config) { cf.iterLimit = n } }

// OutsideGrace lets a loop that has nothing left to do wait up to d of
// real time for a callback from another goroutine (CallSoonThreadsafe, a
// RunCoroutineThreadsafe submission, a standard-library context cancelled
// elsewhere) before it is declared deadlocked. The default, 0, declares a
// deadlock at once: deterministic, and right for programs that keep all
// their work on the loop. Executor jobs (ToThread) need no grace: the
// loop knows it is waiting for them.
func OutsideGrace(d time.Duration) Option { return func(cf *config) { cf.grace = d } }

// KeepTrace keeps every trace line in Result.Trace (the digest and the
// last lines are always kept).
func KeepTrace() Option { return func(cf *config) { cf.keepTrace = true } }

// LoopOptions passes options to eventloop.New after looptest's own (the
// virtual clock, the tracer, the exception handler, the perturbation), so
// they can override them (WithDebug, WithExecutorWorkers, ...). Replacing
// the clock or the exception handler turns off what looptest does with
// them.
func LoopOptions(opts ...eventloop.Option) Option {
	return func(cf *config) { cf.loopOpts = append(cf.loopOpts, opts...) }
}
