package locks

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/parking"
)

// Semaphore guards a counter of permits (asyncio.Semaphore): Acquire takes
// one, waiting while there is none; Release gives one back.
//
// Tasks that wait are served in FIFO order, and Release hands its permit
// straight to the first of them. Until the woken tasks have run, the
// semaphore stays locked even if permits are free: a task that calls
// Acquire meanwhile, the releaser included, queues behind them (no
// barging), and the first woken task to run hands the free permits on to
// the tasks queued behind it, as asyncio does.
//
// The zero Semaphore has no permits (asyncio.Semaphore(0)); NewSemaphore
// sets the initial count. A Semaphore binds to the loop of its first
// Acquire; its methods are for that loop's goroutine only.
type Semaphore struct {
	b       parking.Binder
	waiters parking.Lot
	value   int // free permits; > 0 while a task waits only if inflight > 0
	// inflight counts the waiters handed a permit that have not run yet:
	// while it is > 0, Acquire queues even if value > 0.
	inflight int
}

// NewSemaphore returns a semaphore with value permits (asyncio's default
// is 1). A negative value is an error.
func NewSemaphore(value int) (*Semaphore, error) {
	if value < 0 {
		return nil, fmt.Errorf("locks: NewSemaphore(%d): the initial value must be >= 0", value)
	}
	return &Semaphore{value: value}, nil
}

// Acquire takes a permit, waiting until one is free. Uncontended it
// allocates nothing.
//
// Cancellation: if ctx is cancelled before a permit is handed to the task,
// Acquire returns eventloop.ErrCancelled (or eventloop.ErrTimeout) and
// holds no permit; a Release meanwhile goes to the next waiter. If the
// permit was handed over first, Acquire returns nil even when ctx was
// cancelled afterwards, and the task must release the permit. An Acquire
// on an already cancelled ctx fails at once.
func (s *Semaphore) Acquire(ctx context.Context) error {
	return s.acquire(ctx, "locks: Semaphore.Acquire")
}

func (s *Semaphore) acquire(ctx context.Context, op string) error {
	p, err := s.b.Parker(ctx, op)
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if s.value > 0 && s.inflight == 0 {
		s.value--
		return nil
	}
	r, err := s.waiters.Park(ctx, p)
	if r == granted {
		s.inflight--
		// Tasks that queued behind this one while permits were free
		// get them now, in order.
		for s.value > 0 && s.wakeOne() {
			s.value--
		}
		return nil
	}
	return err
}

// wakeOne hands a permit to the longest waiting task, if any.
func (s *Semaphore) wakeOne() bool {
	if !s.waiters.WakeOne(granted) {
		return false
	}
	s.inflight++
	return true
}

// Release gives a permit back: to the task that has waited longest if
// there is one, else to the counter. It never blocks and never fails.
func (s *Semaphore) Release() {
	if !s.wakeOne() {
		s.value++
	}
}

// Locked reports whether an Acquire would wait: no permit is free, or
// tasks handed a permit have not run yet (they go first).
func (s *Semaphore) Locked() bool { return s.value == 0 || s.inflight > 0 }

// Value returns the number of free permits.
func (s *Semaphore) Value() int { return s.value }

// With acquires a permit, runs fn and releases the permit on every way out
// of fn (a return or a panic). It returns the error of Acquire (then fn
// does not run), else fn's error.
//
// Cancellation: as Acquire; once fn runs, the permit is released whatever
// fn returns.
func (s *Semaphore) With(ctx context.Context, fn func(ctx context.Context) error) error {
	if fn == nil {
		return errNilFunc
	}
	if err := s.Acquire(ctx); err != nil {
		return err
	}
	defer s.Release()
	return fn(ctx)
}

func (s *Semaphore) String() string {
	state := "locked"
	if !s.Locked() {
		state = fmt.Sprintf("unlocked, value:%d", s.value)
	}
	return describe("Semaphore", state, s.waiters.Len())
}

// BoundedSemaphore is a Semaphore whose Release fails with
// ErrReleasedTooMany instead of raising the counter above its initial
// value (asyncio.BoundedSemaphore). Make one with NewBoundedSemaphore; the
// zero BoundedSemaphore has no permits and accepts no Release.
type BoundedSemaphore struct {
	s     Semaphore
	bound int
}

// NewBoundedSemaphore returns a bounded semaphore with value permits, which
// is also its bound. A negative value is an error.
func NewBoundedSemaphore(value int) (*BoundedSemaphore, error) {
	if value < 0 {
		return nil, fmt.Errorf("locks: NewBoundedSemaphore(%d): the initial value must be >= 0", value)
	}
	return &BoundedSemaphore{s: Semaphore{value: value}, bound: value}, nil
}

// Acquire takes a permit, waiting until one is free; see Semaphore.Acquire.
//
// Cancellation: as Semaphore.Acquire: no permit is held after an error, and
// a permit handed over before the cancellation is kept (Acquire returns
// nil).
func (s *BoundedSemaphore) Acquire(ctx context.Context) error {
	return s.s.acquire(ctx, "locks: BoundedSemaphore.Acquire")
}

// Release gives a permit back, or returns ErrReleasedTooMany if all
// permits are already free.
func (s *BoundedSemaphore) Release() error {
	if s.s.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := s.s.b.Closed("locks: BoundedSemaphore.Release"); err != nil {
			return err
		}
	}
	if s.s.value >= s.bound {
		return fmt.Errorf("locks: BoundedSemaphore.Release: %w", ErrReleasedTooMany)
	}
	s.s.Release()
	return nil
}

// Locked reports whether an Acquire would wait.
func (s *BoundedSemaphore) Locked() bool { return s.s.Locked() }

// Value returns the number of free permits.
func (s *BoundedSemaphore) Value() int { return s.s.value }

// With acquires a permit, runs fn and releases the permit on every way out
// of fn; see Semaphore.With.
//
// Cancellation: as Acquire; once fn runs, the permit is released whatever
// fn returns.
func (s *BoundedSemaphore) With(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if fn == nil {
		return errNilFunc
	}
	if err := s.Acquire(ctx); err != nil {
		return err
	}
	defer func() {
		if rerr := s.Release(); err == nil {
			err = rerr
		}
	}()
	return fn(ctx)
}

func (s *BoundedSemaphore) String() string {
	return "locks.Bounded" + s.s.String()[len("locks."):]
}
