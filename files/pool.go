package files

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/aio-go/aio/eventloop"
)

// A job is one blocking call on its way through the pool. Its state is
// the one thing the loop goroutine and the worker both change, and they
// change it only by compare-and-swap, so exactly one of "it never ran"
// and "it ran" is ever true:
//
//	queued --worker--> running --worker--> done     (result posted to the loop)
//	queued --loop----> cancelled                    (the worker skips it)
//	running --loop---> abandoned                    (the worker drops the result)
const (
	queued int32 = iota
	running
	done
	cancelled
	abandoned
)

type job struct {
	state atomic.Int32
	stop  atomic.Bool // the awaiting task was cancelled: stop at the next chunk
	wg    sync.WaitGroup

	// run does the blocking work on a worker and sets the results below.
	run func(j *job)
	// drop releases what a result holds when nobody takes it (an opened
	// file); it runs once, on the worker or (onLoop) on the loop, where it
	// must hand any blocking call back to the pool.
	drop func(j *job, onLoop bool)
	// then runs on the loop when the job completes, whether or not its
	// task still waits (the file's bookkeeping after a Close, say).
	then func(j *job)

	// Results, written by the worker before the state becomes done.
	n   int
	n64 int64
	val any
	err error

	// Loop goroutine only.
	pool     *pool
	file     *File // the file whose queue holds the job, or nil
	parker   eventloop.Parker
	parked   bool
	finished bool // the completion ran on the loop
	left     bool // the task stopped waiting: nobody takes the result
	mustRun  bool // a Close: never taken out of its file's queue
	onDone   func()
}

func newJob(run func(j *job)) *job {
	j := &job{run: run}
	j.onDone = j.complete
	return j
}

// complete runs on the loop once the worker has finished j.
func (j *job) complete() {
	j.finished = true
	if j.file != nil {
		j.file.advance(j)
	}
	if j.then != nil {
		j.then(j)
	}
	switch {
	case j.left:
		if j.drop != nil {
			j.drop(j, true)
		}
	case j.parked:
		j.parker.Unpark()
	}
}

// dispatch says where the pool's jobs run. Only the pool is used outside
// the benchmarks that chose it (see doc.go, "Where the calls run").
type dispatch int

const (
	viaPool      dispatch = iota // the loop's files pool: N workers, a FIFO queue
	viaExecutor                  // the loop's default executor (RunInExecutor)
	viaGoroutine                 // a new goroutine per call, unbounded
)

// pool runs the blocking calls of one loop: at most max worker goroutines,
// started when work arrives and ended when the loop closes, taking jobs
// from one FIFO queue. A worker that finishes a job takes the next one at
// once, without a round trip through the loop.
type pool struct {
	loop *eventloop.Loop
	how  dispatch

	mu      sync.Mutex // protects queue, head, idle, workers, shut
	cond    sync.Cond  // signalled when a job is queued or the pool shuts
	queue   []*job
	head    int
	idle    int // workers waiting in cond.Wait
	workers int // workers started and not yet ended
	max     int
	shut    bool
}

type poolKey struct{}
type workersKey struct{}

// DefaultWorkers is the number of worker goroutines of a loop's files pool
// when WithWorkers does not say otherwise. See doc.go for the measurement
// behind it.
const DefaultWorkers = 4

// WithWorkers sets the number of worker goroutines (n ≥ 1) of the files
// pool of the loop eventloop.New builds: at most n blocking file calls of
// that loop run at once, the others wait in FIFO order. More workers help
// when the calls wait for a disk (a cold cache, a network file system);
// for files in the page cache they add nothing past the number of CPUs.
func WithWorkers(n int) eventloop.Option {
	if n < 1 {
		n = DefaultWorkers
	}
	return eventloop.WithLocal(workersKey{}, n)
}

// poolFor returns l's pool, making it on first use. Loop goroutine only.
func poolFor(l *eventloop.Loop) (*pool, error) {
	if p, ok := l.Local(poolKey{}).(*pool); ok {
		return p, nil
	}
	p := &pool{loop: l, max: DefaultWorkers}
	if n, ok := l.Local(workersKey{}).(int); ok && n > 0 {
		p.max = n
	}
	p.cond.L = &p.mu
	if _, err := l.OnClose(p.shutdown); err != nil {
		return nil, err
	}
	l.SetLocal(poolKey{}, p)
	return p, nil
}

// shutdown tells the workers to end once the queue is empty. It does not
// wait for them: a worker may be blocked in a call nothing can interrupt
// (an open of a FIFO with no writer), and Close must not hang on it.
func (p *pool) shutdown() {
	p.mu.Lock()
	p.shut = true
	p.mu.Unlock()
	p.cond.Broadcast()
}

// submit queues j. Loop goroutine only.
func (p *pool) submit(j *job) {
	j.pool = p
	j.wg.Add(1)
	switch p.how {
	case viaExecutor:
		f := eventloop.RunInExecutor(p.loop, func() (bool, error) { return p.exec(j), nil })
		f.OnDone(func() {
			if ok, _ := f.Result(); ok {
				j.complete()
			}
		})
		return
	case viaGoroutine:
		go func() {
			if p.exec(j) {
				p.post(j)
			}
		}()
		return
	}
	p.mu.Lock()
	p.queue = append(p.queue, j)
	start := p.idle == 0 && p.workers < p.max && !p.shut
	if start {
		p.workers++
	}
	p.mu.Unlock()
	if start {
		go p.work()
	} else {
		p.cond.Signal()
	}
}

func (p *pool) work() {
	p.mu.Lock()
	for {
		for p.head == len(p.queue) && !p.shut {
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		if p.head == len(p.queue) {
			p.workers--
			p.mu.Unlock()
			return
		}
		j := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if p.head == len(p.queue) {
			p.queue, p.head = p.queue[:0], 0
		}
		p.mu.Unlock()
		if p.exec(j) {
			p.post(j)
		}
		p.mu.Lock()
	}
}

// exec runs j on the calling (worker) goroutine unless it was cancelled
// while queued, and reports whether its result must go to the loop.
func (p *pool) exec(j *job) bool {
	defer j.wg.Done()
	if !j.state.CompareAndSwap(queued, running) {
		return false // cancelled while queued: it never ran
	}
	if h := testHookRun.Load(); h != nil {
		(*h)(j)
	}
	j.run(j)
	if j.state.CompareAndSwap(running, done) {
		return true
	}
	if j.drop != nil { // abandoned while running
		j.drop(j, false)
	}
	return false
}

// post hands j's completion to the loop. A loop that closed meanwhile
// takes nothing: its task was unwound, so the result is dropped here.
func (p *pool) post(j *job) {
	if p.loop.CallSoonThreadsafe(j.onDone) != nil && j.drop != nil {
		j.drop(j, false)
	}
}

// testHookRun, when set (by tests, before any loop runs), is called on the
// worker just before a job's call: a test blocks it there to cancel a call
// while it runs.
var testHookRun atomic.Pointer[func(j *job)]

// tryCancel takes j back if it has not started, and reports whether it
// did: then the call never ran and never will. Loop goroutine only.
func (j *job) tryCancel() bool {
	if j.mustRun {
		return false
	}
	if f := j.file; f != nil && f.unqueue(j) {
		return true // still behind another call of its file: never submitted
	}
	if j.state.CompareAndSwap(queued, cancelled) {
		if j.file != nil {
			j.file.advance(j) // it was the file's call in flight
		}
		return true
	}
	return false
}

// await parks the task until j completes. On a cancellation (or the loop
// closing) a call that has not started is taken back; one that runs is
// told to stop at its next chunk, and then either awaited to its end
// (keep: the call uses the caller's buffer, which must not be touched
// once the await returns) or left to finish on its worker, its result
// dropped. It returns nil when j completed, else the await's error.
func await(ctx context.Context, j *job, keep bool) error {
	j.parked = true
	defer func() { j.parked = false }()
	for !j.finished {
		err := j.parker.Park(ctx)
		if err == nil {
			continue
		}
		if j.tryCancel() {
			return err
		}
		j.stop.Store(true)
		if j.file != nil {
			j.file.interrupt()
		}
		if !keep {
			// Leave the call to finish on its worker. A call of a file
			// still completes through the loop (its file's queue moves on
			// there); another is abandoned, and the worker drops its
			// result, unless it is done already and its completion, on
			// its way to the loop, drops it there.
			j.left = true
			if j.file == nil {
				j.state.CompareAndSwap(running, abandoned)
			}
			return err
		}
		for !j.finished {
			if j.parker.Park(context.Background()) != nil {
				j.wg.Wait() // the loop is closing: no completion will come
				break
			}
		}
		return err
	}
	return nil
}
