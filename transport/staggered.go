package transport

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// A staggered race (asyncio's staggered_race, the engine of happy
// eyeballs, RFC 8305) runs up to n attempts of the same job, each in a task
// of its own:
//
//   - attempt 0 starts at once;
//   - attempt k+1 starts when attempt k fails, or delay after attempt k
//     started, whichever comes first (a negative delay: only when it fails,
//     which is trying one after another);
//   - the first attempt to win (claim, or else complete without error)
//     cancels every other attempt in flight, and no new one starts;
//   - run returns only when every attempt it started is done, so an attempt
//     that lost has released what it held (a loser that completed anyway
//     is handed to discard).
//
// Everything happens on the loop goroutine: the attempts are tasks, their
// completions are done callbacks, the delay is a loop timer, and the caller
// parks until the last attempt is done. No mutex is needed (D1).
type staggered[T any] struct {
	n       int
	delay   time.Duration                               // < 0: start the next attempt only when the previous one failed
	name    string                                      // prefix of the attempt tasks' names
	attempt func(ctx context.Context, i int) (T, error) // runs in a task of its own, on that task's ctx
	discard func(v T)                                   // releases the result of an attempt that completed but lost

	ctx     context.Context       // the caller's: each attempt's task derives from it
	tasks   []*eventloop.Task[T]  // the attempts started, by index
	errs    []error               // why each attempt failed; nil for the winner and for those cancelled because another won
	running int                   // attempts started and not done
	winner  int                   // index of the attempt that won, -1 until one does
	result  T                     // the winner's result, once it completed
	done    bool                  // the winner completed without error
	timer   eventloop.TimerHandle // starts the next attempt after delay
	waiter  eventloop.Parker      // the caller, parked in run
}

// newStaggered returns a race of n attempts; see staggered.
func newStaggered[T any](n int, delay time.Duration, name string, attempt func(ctx context.Context, i int) (T, error), discard func(T)) *staggered[T] {
	return &staggered[T]{n: n, delay: delay, name: name, attempt: attempt, discard: discard, winner: -1}
}

// run races the attempts on behalf of the task ctx belongs to. It returns
// the winner's index and result, or winner -1 when none won (then errs
// holds the failures of the attempts that were started, by index). err is
// the await's own error: ErrCancelled or ErrTimeout when ctx was cancelled
// (every attempt was cancelled and has finished; a winner found meanwhile
// was discarded), ErrClosed when the loop is closing, misuse errors.
func (r *staggered[T]) run(ctx context.Context) (winner int, result T, errs []error, err error) {
	var zero T
	p, err := eventloop.ParkerFor(ctx, nil)
	if err != nil {
		return -1, zero, nil, err
	}
	r.ctx, r.waiter = ctx, p
	r.startNext()
	wait := ctx
	for r.running > 0 {
		if perr := p.Park(wait); perr != nil {
			if errors.Is(perr, eventloop.ErrClosed) {
				return -1, zero, r.errs, perr
			}
			// ctx is cancelled, and with it every attempt's task (they
			// derive from ctx). Wait for them to finish their cleanup,
			// without being woken again by the same cancellation.
			wait = context.Background()
		}
	}
	r.timer.Cancel()
	if err := eventloop.AwaitError(ctx); err != nil {
		if r.done {
			r.discard(r.result)
		}
		return -1, zero, r.errs, err
	}
	if !r.done {
		return -1, zero, r.errs, nil
	}
	return r.winner, r.result, nil, nil
}

// startNext starts the next attempt, unless the race is decided, the
// caller is cancelled or every attempt has started.
func (r *staggered[T]) startNext() {
	i := len(r.tasks)
	if r.winner >= 0 || i >= r.n || r.ctx.Err() != nil {
		return
	}
	r.timer.Cancel()
	tk := eventloop.Spawn(r.ctx, func(ctx context.Context) (T, error) { return r.attempt(ctx, i) },
		eventloop.WithName(r.name+"#"+strconv.Itoa(i)))
	r.tasks = append(r.tasks, tk)
	r.errs = append(r.errs, nil)
	r.running++
	tk.AddDoneCallback(func(tk *eventloop.Task[T]) { r.finished(i, tk) })
	if r.delay >= 0 && i+1 < r.n {
		l := tk.Loop()
		r.timer, _ = l.CallLater(r.delay, r.startNext)
	}
}

// claim makes attempt i the winner if none is yet, cancelling every other
// attempt; it reports whether i is the winner. An attempt may call it
// before it completes, at the moment it knows it has what the race is for
// (a dial: the connection is up), so that no other attempt gets as far.
func (r *staggered[T]) claim(i int) bool {
	if r.winner >= 0 {
		return r.winner == i
	}
	r.winner = i
	r.timer.Cancel()
	for j, tk := range r.tasks {
		if j != i {
			tk.Cancel()
		}
	}
	return true
}

// finished is attempt i's done callback.
func (r *staggered[T]) finished(i int, tk *eventloop.Task[T]) {
	r.running--
	defer r.waiter.Unpark()
	v, err := tk.Result()
	switch {
	case err == nil && r.claim(i):
		r.result, r.done = v, true
	case err == nil:
		r.discard(v) // it got there after another attempt won
	case r.winner == i || r.winner < 0:
		r.errs[i] = err
		if r.winner < 0 && i == len(r.tasks)-1 {
			r.startNext() // the latest attempt failed: do not wait for the delay
		}
	}
}
