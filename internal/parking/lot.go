package parking

import (
	"context"

	"github.com/aio-go/aio/eventloop"
)

// Reason says why a waiter was woken. The zero Reason, NotWoken, means it
// was not: Park returned because of its context or its loop. Each
// primitive defines its own non-zero Reasons (a lock granted, a queue shut
// down, ...).
type Reason uint8

// NotWoken is the Reason of a waiter that nobody woke.
const NotWoken Reason = 0

// maxFree bounds the waiter records a Lot keeps for reuse. A Lot that once
// had more waiters than this lets the surplus go to the garbage collector.
const maxFree = 128

// Waiter is one parked task: its place in a Lot, from Enqueue to Settle.
// It lives in its Lot's list while it waits and in its Lot's free list
// otherwise.
type Waiter struct {
	p      eventloop.Parker
	ctx    context.Context // its cancellation decides whether a waker may skip it
	prev   *Waiter         // in the wait list
	next   *Waiter         // in the wait list, or in the free list
	reason Reason
	linked bool // in the wait list (not yet woken, skipped or removed)
}

// Lot is a FIFO list of parked tasks. The zero Lot is empty and ready to
// use. Loop goroutine only.
//
// Its lists are written out here rather than taken from internal/ilist:
// a wake-up does four list operations, and ilist's generic calls through
// the element's Links method are not inlined, which cost the queue
// ping-pong benchmark about a tenth of its speed (docs/design.md, D2).
type Lot struct {
	head, tail *Waiter
	n          int
	free       *Waiter // recycled records, linked through next
	nfree      int
}

// Len returns the number of tasks waiting (woken ones no longer count).
func (l *Lot) Len() int { return l.n }

// Park queues the running task at the tail of the list and suspends it
// until a waker gives it a Reason or ctx is done. p must be the Parker of
// the task ctx belongs to (eventloop.ParkerFor); ctx must not be cancelled
// already (the caller checks, so that it can fail before changing state).
//
// It returns the Reason the task was woken with, and the error of
// eventloop.Parker.Park. A non-zero Reason is always to be honoured, even
// with an error (see the package comment); with NotWoken the error says
// why the wait ended, and the task is no longer in the list.
//
// To wait without being cancellable (Condition.Wait re-acquiring its
// lock), pass context.Background() as ctx: only the loop closing ends such
// a wait early.
func (l *Lot) Park(ctx context.Context, p eventloop.Parker) (Reason, error) {
	w := l.Enqueue(ctx, p)
	return l.Settle(w, p.Park(ctx))
}

// Enqueue and Settle are Park in two halves, for hot paths that call
// Parker.Park themselves: `w := l.Enqueue(ctx, p); r, err :=
// l.Settle(w, p.Park(ctx))` is Park without Park's own frame, which would
// be live across the task switch (a mispredicted return each time the task
// resumes; see eventloop's hostRun). Enqueue queues the running task at the
// tail of the list; the caller must call Settle with what Parker.Park
// returned, before anything else touches the Lot.
func (l *Lot) Enqueue(ctx context.Context, p eventloop.Parker) *Waiter {
	w := l.alloc()
	w.p, w.ctx = p, ctx
	l.pushBack(w)
	return w
}

// Settle is the second half of Park (see Enqueue): it takes w off the
// list if it is still there and returns Park's results. A resumption with
// neither a Reason nor an error was an Unpark that was not ours (nothing
// guarantees a Parker is unparked only by its current wait list): Settle
// then parks again, keeping w's place.
func (l *Lot) Settle(w *Waiter, err error) (Reason, error) {
	for w.reason == NotWoken && err == nil && w.linked {
		err = w.p.Park(w.ctx)
	}
	r := w.reason
	if w.linked {
		l.unlink(w)
	}
	l.release(w)
	return r, err
}

// WakeOne wakes the first waiter whose context is not cancelled with
// reason r and reports whether there was one. Cancelled waiters met on
// the way leave the list without a Reason. O(1) per waiter removed.
func (l *Lot) WakeOne(r Reason) bool {
	if l.head == nil {
		return false
	}
	return l.wakeOne(r)
}

func (l *Lot) wakeOne(r Reason) bool {
	for w := l.head; w != nil; w = l.head {
		l.unlink(w)
		if w.ctx.Err() != nil {
			// Cancelled: its own wake-up (queued already, or coming
			// through context.AfterFunc) ends its Park with the error.
			continue
		}
		w.reason = r
		w.p.Unpark()
		return true
	}
	return false
}

// WakeN wakes up to n waiters as WakeOne does and returns how many it
// woke.
func (l *Lot) WakeN(n int, r Reason) int {
	woken := 0
	for woken < n && l.WakeOne(r) {
		woken++
	}
	return woken
}

// WakeAll wakes every waiter whose context is not cancelled and returns
// how many it woke. Waiters that park while it runs are not woken.
func (l *Lot) WakeAll(r Reason) int {
	return l.WakeN(l.n, r)
}

func (l *Lot) pushBack(w *Waiter) {
	w.linked = true
	w.prev, w.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
}

func (l *Lot) unlink(w *Waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next = nil, nil
	w.linked = false
	l.n--
}

func (l *Lot) alloc() *Waiter {
	if w := l.free; w != nil {
		l.free, w.next = w.next, nil
		l.nfree--
		return w
	}
	return &Waiter{}
}

func (l *Lot) release(w *Waiter) {
	*w = Waiter{} // drop the task and context references
	if l.nfree < maxFree {
		w.next = l.free
		l.free = w
		l.nfree++
	}
}
