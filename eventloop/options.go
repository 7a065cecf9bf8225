package eventloop

import (
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/aio-go/aio/internal/poller"
	"github.com/aio-go/aio/timer"
)

// Option configures a Loop built by New.
type Option func(*config)

type config struct {
	clock     timer.Clock
	debug     bool
	slow      time.Duration
	handler   ExceptionHandler
	logger    *slog.Logger
	workers   int
	name      string // WithLoopName
	track     int8   // WithAwaitTracking: 0 follows debug, 1 on, -1 off
	newPoller func() (poller.Poller, error)
	locals    map[any]any      // WithLocal (local.go)
	perturb   bool             // WithPerturbation (schedule.go)
	seed      uint64           // WithPerturbation
	tracer    func(TraceEvent) // WithTracer (trace.go)
	noHost    bool             // WithHosting(false) (host.go)
}

func defaultConfig() config {
	workers := runtime.NumCPU() + 4
	if workers > 32 {
		workers = 32
	}
	return config{
		debug:     os.Getenv("AIO_DEBUG") == "1",
		slow:      100 * time.Millisecond,
		workers:   workers,
		newPoller: poller.New,
	}
}

// WithHosting turns hosting on (the default) or off. With hosting, a task
// that parks while other work is ready runs the loop's ready queue on its
// own goroutine instead of switching back to the loop goroutine, which
// halves the coroutine switches of a hand-off between tasks (see
// docs/architecture.md, "Hosting"). The order in which callbacks and task
// steps run is the same either way; only the goroutine a callback runs on
// differs, and code must not depend on that. Debug mode turns hosting off
// while it is on, since its goroutine checks would see the difference.
func WithHosting(on bool) Option { return func(cf *config) { cf.noHost = !on } }

// WithClock makes the loop read time from c. The default is a real
// monotonic clock; timer.NewVirtual() gives a loop that jumps straight to
// its next timer whenever it has nothing else to do.
func WithClock(c timer.Clock) Option { return func(cf *config) { cf.clock = c } }

// WithDebug turns debug mode on or off. Debug mode checks that loop-only
// methods are called from the loop goroutine or its running task, and
// reports callbacks and task steps that run longer than the slow-callback
// threshold: while they still run (a watchdog goroutine logs the stack of
// the blocked goroutine and the call it blocks in) and again when they
// return. The environment variable AIO_DEBUG=1 turns it on by default.
func WithDebug(on bool) Option { return func(cf *config) { cf.debug = on } }

// WithSlowCallbackDuration sets how long a callback or task step may run
// before debug mode reports it (default 100 ms, as asyncio).
func WithSlowCallbackDuration(d time.Duration) Option { return func(cf *config) { cf.slow = d } }

// WithExceptionHandler installs h as the loop's exception handler (see
// SetExceptionHandler).
func WithExceptionHandler(h ExceptionHandler) Option { return func(cf *config) { cf.handler = h } }

// WithLogger makes the default exception handler and debug reports log
// through lg instead of slog.Default().
func WithLogger(lg *slog.Logger) Option { return func(cf *config) { cf.logger = lg } }

// WithExecutorWorkers bounds the default executor (RunInExecutor, ToThread)
// to n goroutines at once; further jobs wait in FIFO order. The default is
// min(32, NumCPU+4), as Python's ThreadPoolExecutor.
func WithExecutorWorkers(n int) Option {
	return func(cf *config) {
		if n > 0 {
			cf.workers = n
		}
	}
}
