package eventloop

import (
	"fmt"
	"runtime/debug"

	"github.com/aio-go/aio/internal/errs"
)

// executor runs blocking functions on goroutines of their own, at most max
// at once; further jobs wait in FIFO order. It keeps no idle goroutines, so
// nothing is left running once the jobs are done. Loop goroutine only.
type executor struct {
	max     int
	running int
	queue   []func()
	shut    bool
	idle    []*Future[struct{}]
}

func (e *executor) submit(job func()) {
	if e.running < e.max {
		e.running++
		go job()
		return
	}
	e.queue = append(e.queue, job)
}

// finished runs on the loop when a job's result has arrived.
func (e *executor) finished() {
	e.running--
	if len(e.queue) > 0 {
		job := e.queue[0]
		e.queue[0] = nil
		e.queue = e.queue[1:]
		e.running++
		go job()
		return
	}
	if e.running == 0 {
		for _, f := range e.idle {
			f.SetResult(struct{}{})
		}
		e.idle = nil
	}
}

// RunInExecutor runs fn on a goroutine of the loop's default executor (at
// most WithExecutorWorkers of them at once) and returns a future of its
// result, completed on the loop. A panic in fn becomes the future's error.
// Cancelling the future does not stop fn (a goroutine cannot be killed);
// its result is then dropped. Loop goroutine (or running task) only.
func RunInExecutor[T any](l *Loop, fn func() (T, error)) *Future[T] {
	f := NewFuture[T](l)
	switch {
	case fn == nil:
		f.complete(errs.Op("eventloop", "RunInExecutor", ErrNilCallback))
		return f
	case l.exec.shut:
		f.complete(errs.Op("eventloop", "RunInExecutor", fmt.Errorf("executor shut down: %w", ErrClosed)))
		return f
	}
	if err := l.check("RunInExecutor"); err != nil {
		f.complete(err)
		return f
	}
	l.exec.submit(func() {
		v, err := callRecover(fn)
		l.CallSoonThreadsafe(func() {
			l.exec.finished()
			if f.done {
				return
			}
			if err != nil {
				f.SetError(err)
			} else {
				f.SetResult(v)
			}
		})
	})
	return f
}

func callRecover[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// ShutdownDefaultExecutor refuses new executor jobs and returns a future
// that completes once every submitted job has finished (asyncio's
// shutdown_default_executor). Loop goroutine only.
func (l *Loop) ShutdownDefaultExecutor() *Future[struct{}] {
	l.exec.shut = true
	f := NewFuture[struct{}](l)
	if l.exec.running == 0 && len(l.exec.queue) == 0 {
		f.SetResult(struct{}{})
	} else {
		l.exec.idle = append(l.exec.idle, f)
	}
	return f
}
