package locks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
)

// Errors of CapacityLimiter misuse (Trio raises RuntimeError for both).
var (
	// ErrAlreadyBorrowing is returned by CapacityLimiter.AcquireOnBehalfOf
	// when the borrower holds a token already.
	ErrAlreadyBorrowing = errors.New("locks: borrower already holds a token of this limiter")
	// ErrNotBorrowing is returned by CapacityLimiter.Release and
	// ReleaseOnBehalfOf when there is no such token to give back.
	ErrNotBorrowing = errors.New("locks: no token of this limiter is held")
)

// CapacityLimiter bounds how many tasks at once are inside a region
// (Trio's CapacityLimiter): a pool of total tokens that tasks borrow with
// Acquire and give back with Release. Unlike a Semaphore it knows its
// size, which SetTotalTokens changes while it is in use, it refuses to
// give back more than was borrowed, and AcquireOnBehalfOf tracks who
// holds a token, so one borrower cannot take two. It satisfies
// task.Limiter, so one limiter can bound ToThread calls and plain tasks
// together.
//
// Waiters are served in FIFO order and a released token goes straight to
// the first of them (no barging). Make one with NewCapacityLimiter; the
// zero CapacityLimiter has no tokens. It binds to the loop of its first
// Acquire; its methods are for that loop's goroutine only.
type CapacityLimiter struct {
	b         parking.Binder
	waiters   parking.Lot
	total     int
	borrowed  int
	borrowers map[any]struct{}
}

// NewCapacityLimiter returns a limiter of total tokens; total must be at
// least 1.
func NewCapacityLimiter(total int) (*CapacityLimiter, error) {
	if total < 1 {
		return nil, fmt.Errorf("locks: NewCapacityLimiter(%d): total must be >= 1", total)
	}
	return &CapacityLimiter{total: total}, nil
}

// Acquire borrows a token for nobody in particular, waiting while all
// are borrowed. Uncontended it allocates nothing.
//
// Cancellation: as Semaphore.Acquire: cancelled before a token is handed
// over, Acquire returns eventloop.ErrCancelled (or ErrTimeout) and holds
// nothing; handed over first, it returns nil and the token must be
// released.
func (c *CapacityLimiter) Acquire(ctx context.Context) error {
	return c.acquire(ctx, "locks: CapacityLimiter.Acquire")
}

// AcquireOnBehalfOf borrows a token for borrower (any comparable value: a
// task's TaskInfo, a connection, ...), waiting while all are borrowed. A
// borrower that holds one already gets ErrAlreadyBorrowing at once.
//
// Cancellation: as Acquire; a cancelled borrower holds nothing.
func (c *CapacityLimiter) AcquireOnBehalfOf(ctx context.Context, borrower any) error {
	const op = "locks: CapacityLimiter.AcquireOnBehalfOf"
	if _, ok := c.borrowers[borrower]; ok {
		return errs.Op("locks", strings.TrimPrefix(op, "locks: "), ErrAlreadyBorrowing)
	}
	if err := c.acquire(ctx, op); err != nil {
		return err
	}
	if _, ok := c.borrowers[borrower]; ok { // it got one while this call waited
		c.release()
		return errs.Op("locks", strings.TrimPrefix(op, "locks: "), ErrAlreadyBorrowing)
	}
	if c.borrowers == nil {
		c.borrowers = make(map[any]struct{})
	}
	c.borrowers[borrower] = struct{}{}
	return nil
}

func (c *CapacityLimiter) acquire(ctx context.Context, op string) error {
	p, err := c.b.Parker(ctx, op)
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if c.borrowed < c.total && c.waiters.Len() == 0 {
		c.borrowed++
		return nil
	}
	r, err := c.waiters.Park(ctx, p)
	if r == granted {
		return nil // the waker counted the token as borrowed
	}
	return err
}

// Release gives back a token taken with Acquire: to the task that has
// waited longest if there is one. It fails with ErrNotBorrowing when
// every borrowed token belongs to a named borrower (or none is borrowed).
func (c *CapacityLimiter) Release() error {
	if c.borrowed-len(c.borrowers) <= 0 {
		return fmt.Errorf("locks: CapacityLimiter.Release: %w", ErrNotBorrowing)
	}
	if err := c.b.Closed("locks: CapacityLimiter.Release"); err != nil {
		return err
	}
	c.release()
	return nil
}

// ReleaseOnBehalfOf gives back borrower's token. It fails with
// ErrNotBorrowing when borrower holds none.
func (c *CapacityLimiter) ReleaseOnBehalfOf(borrower any) error {
	if _, ok := c.borrowers[borrower]; !ok {
		return fmt.Errorf("locks: CapacityLimiter.ReleaseOnBehalfOf: %w", ErrNotBorrowing)
	}
	if err := c.b.Closed("locks: CapacityLimiter.ReleaseOnBehalfOf"); err != nil {
		return err
	}
	delete(c.borrowers, borrower)
	c.release()
	return nil
}

func (c *CapacityLimiter) release() {
	c.borrowed--
	c.grant()
}

// grant hands free tokens to waiters in FIFO order.
func (c *CapacityLimiter) grant() {
	for c.borrowed < c.total && c.waiters.WakeOne(granted) {
		c.borrowed++
	}
}

// SetTotalTokens changes the number of tokens (Trio's total_tokens
// setter); n must be at least 1. Raising it hands the new tokens to
// waiters at once; lowering it takes nothing back: borrowers keep their
// tokens and new ones wait until fewer than n are borrowed.
func (c *CapacityLimiter) SetTotalTokens(n int) error {
	if n < 1 {
		return fmt.Errorf("locks: CapacityLimiter.SetTotalTokens(%d): total must be >= 1", n)
	}
	c.total = n
	if c.waiters.Len() > 0 {
		if err := c.b.Closed("locks: CapacityLimiter.SetTotalTokens"); err != nil {
			return err
		}
		c.grant()
	}
	return nil
}

// CapacityStats is a snapshot of a CapacityLimiter (Trio's statistics()).
type CapacityStats struct {
	Total     int // tokens in all
	Borrowed  int // tokens held now (may exceed Total after SetTotalTokens lowered it)
	Borrowers int // of Borrowed, those held by named borrowers
	Waiting   int // tasks waiting in Acquire
}

// Stats returns a snapshot of the limiter.
func (c *CapacityLimiter) Stats() CapacityStats {
	return CapacityStats{Total: c.total, Borrowed: c.borrowed, Borrowers: len(c.borrowers), Waiting: c.waiters.Len()}
}

// AvailableTokens returns how many tokens an Acquire could take now.
func (c *CapacityLimiter) AvailableTokens() int { return max(0, c.total-c.borrowed) }

func (c *CapacityLimiter) String() string {
	return describe("CapacityLimiter", fmt.Sprintf("%d/%d borrowed", c.borrowed, c.total), c.waiters.Len())
}
