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

// waiter is one parked task. It lives in its Lot's list while it waits and
// in its Lot's free list otherwise.
type waiter struct {
	p          eventloop.Parker
	ctx        context.Context // its cancellation decides whether a waker may skip it
	prev, next *waiter
	reason     Reason
	linked     bool // in the wait list (not yet woken, skipped or removed)
}

// Lot is a FIFO list of parked tasks. The zero Lot is empty and ready to
// use. Loop goroutine only.
type Lot struct {
	head, tail *waiter
	n          int
	free       *waiter // recycled records, linked through next
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
	w := l.alloc()
	w.p, w.ctx = p, ctx
	l.pushBack(w)
	var err error
	for {
		err = p.Park(ctx)
		if w.reason != NotWoken || err != nil || !w.linked {
			break
		}
		// Resumed without a Reason and without an error: an Unpark that
		// was not ours. Nothing guarantees a Parker is unparked only by
		// its current wait list, so wait again, keeping our place.
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

func (l *Lot) pushBack(w *waiter) {
	w.linked = true
	w.prev = l.tail
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
}

func (l *Lot) unlink(w *waiter) {
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

func (l *Lot) alloc() *waiter {
	if w := l.free; w != nil {
		l.free = w.next
		l.nfree--
		w.next = nil
		return w
	}
	return &waiter{}
}

func (l *Lot) release(w *waiter) {
	*w = waiter{} // drop the task and context references
	if l.nfree >= maxFree {
		return
	}
	w.next = l.free
	l.free = w
	l.nfree++
}
