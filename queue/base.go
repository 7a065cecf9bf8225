package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
)

// kind is the order a queue hands its items out in.
type kind uint8

const (
	fifo kind = iota
	lifo
	prio
)

// Reasons a waiter of a queue is woken with.
const (
	granted  parking.Reason = 1 + iota // an item (getter) or a free slot (putter) is reserved for it
	stopped                            // the queue was shut down
	finished                           // Join: every item put was marked done
)

// base is what the three queues share; they differ in their store and pass
// their kind to the methods that touch it.
//
// The queue reserves rather than hands over: an item put while a getter
// waits stays in the store, promised to the woken getter, which takes the
// item the queue's order gives it when it runs (the oldest, the newest or
// the smallest, as asyncio's queues do). promisedItems counts those
// reservations; nobody else can take them, so there is no barging. Free
// slots of a bounded queue are promised to woken putters the same way.
// A waiter cancelled before its reservation is made is skipped; one
// reserved for keeps the reservation (see package parking).
type base[T any] struct {
	b       parking.Binder
	getters parking.Lot
	putters parking.Lot
	joiners parking.Lot
	ring    ring[T]     // fifo, lifo
	heap    prioHeap[T] // prio

	maxsize       int // <= 0: unbounded
	promisedItems int // items in the store reserved for woken getters
	promisedSlots int // free slots reserved for woken putters
	unfinished    int // items put and not yet marked done
	shutdown      bool
}

// len is the number of items stored; only one of the two stores is used.
func (q *base[T]) len() int { return q.ring.n + len(q.heap.items) }

func (q *base[T]) full() bool {
	return q.maxsize > 0 && q.len()+q.promisedSlots >= q.maxsize
}

// add stores v and reserves it for the first waiting getter, if any.
func (q *base[T]) add(k kind, v T) {
	switch k {
	case fifo, lifo:
		q.ring.pushBack(v)
	case prio:
		q.heap.push(v)
	}
	q.unfinished++
	if q.getters.WakeOne(granted) {
		q.promisedItems++
	}
}

// take removes the next item and reserves the slot it frees for the first
// waiting putter, if any.
func (q *base[T]) take(k kind) T {
	var v T
	switch k {
	case fifo:
		v = q.ring.popFront()
	case lifo:
		v = q.ring.popBack()
	case prio:
		v = q.heap.pop()
	}
	if q.putters.WakeOne(granted) {
		q.promisedSlots++
	}
	return v
}

func (q *base[T]) putNowait(k kind, v T) error {
	if q.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := q.b.Closed("queue: PutNowait"); err != nil {
			return err
		}
	}
	switch {
	case q.shutdown:
		return ErrQueueShutdown
	case k == prio && q.heap.cmp == nil:
		return errNoCompare
	case q.full():
		return ErrQueueFull
	}
	q.add(k, v)
	return nil
}

func (q *base[T]) put(ctx context.Context, k kind, v T, op string) error {
	p, err := q.b.Parker(ctx, op)
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if err := q.putNowait(k, v); err != ErrQueueFull {
		return err
	}
	r, err := q.putters.Park(ctx, p)
	switch r {
	case granted:
		q.promisedSlots--
		if q.shutdown { // Python 3.13: a put after shutdown fails, room or not
			return ErrQueueShutdown
		}
		q.add(k, v)
		return nil
	case stopped:
		return ErrQueueShutdown
	}
	return err
}

func (q *base[T]) getNowait(k kind) (T, error) {
	if q.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := q.b.Closed("queue: GetNowait"); err != nil {
			var zero T
			return zero, err
		}
	}
	if q.len() > q.promisedItems {
		return q.take(k), nil
	}
	var zero T
	if q.shutdown {
		return zero, ErrQueueShutdown
	}
	return zero, ErrQueueEmpty
}

func (q *base[T]) get(ctx context.Context, k kind, op string) (T, error) {
	var zero T
	p, err := q.b.Parker(ctx, op)
	if err != nil {
		return zero, err
	}
	if q.len() > q.promisedItems {
		if err := eventloop.AwaitError(ctx); err != nil {
			return zero, err
		}
		return q.take(k), nil
	}
	if q.shutdown {
		return zero, q.shutdownErr(ctx)
	}
	// Wait. Lot.Park in two halves, so that no frame but get's own is live
	// across the task switch (see parking.Lot.Enqueue): W4 is two of these
	// per round trip.
	w := q.getters.Enqueue(ctx, p)
	r, err := q.getters.Settle(w, p.Park(ctx)) // fails at once on a cancelled ctx
	switch r {
	case granted:
		if q.promisedItems == 0 {
			// Shutdown(true) dropped the item reserved for us.
			return zero, ErrQueueShutdown
		}
		q.promisedItems--
		return q.take(k), nil
	case stopped:
		return zero, ErrQueueShutdown
	}
	return zero, err
}

// shutdownErr is what an await on a shut-down queue returns: the
// cancellation first, as everywhere.
func (q *base[T]) shutdownErr(ctx context.Context) error {
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	return ErrQueueShutdown
}

// Qsize returns the number of items a GetNowait could take now. An item
// put while a getter waits is reserved for that getter and not counted,
// although it still occupies its slot until the getter runs. O(1).
func (q *base[T]) Qsize() int { return q.len() - q.promisedItems }

// Empty reports whether Qsize is 0: a GetNowait would fail.
func (q *base[T]) Empty() bool { return q.Qsize() == 0 }

// Full reports whether a PutNowait would fail for lack of room: the queue
// is bounded and its items, with the slots reserved for woken putters,
// fill Maxsize. An unbounded queue is never full.
func (q *base[T]) Full() bool { return q.full() }

// Maxsize returns the bound given at construction; 0 means unbounded.
func (q *base[T]) Maxsize() int { return max(q.maxsize, 0) }

// TaskDone marks one item that was put as processed (asyncio's
// task_done): consumers call it once per item they got, when done with
// it. When every item put has been marked, Join returns. It returns
// ErrTaskDoneTooMany when called more times than items were put.
func (q *base[T]) TaskDone() error {
	if q.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := q.b.Closed("queue: TaskDone"); err != nil {
			return err
		}
	}
	if q.unfinished <= 0 {
		return ErrTaskDoneTooMany
	}
	q.unfinished--
	if q.unfinished == 0 {
		q.joiners.WakeAll(finished)
	}
	return nil
}

// Join waits until every item put into the queue has been marked with
// TaskDone: at once if there is none.
//
// Cancellation: returns eventloop.ErrCancelled (or eventloop.ErrTimeout)
// if ctx is cancelled first; the queue is unchanged. If the count reached
// zero first, Join returns nil. A Join on an already cancelled ctx fails
// at once.
func (q *base[T]) Join(ctx context.Context) error {
	p, err := q.b.Parker(ctx, "queue: Join")
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if q.unfinished == 0 {
		return nil
	}
	r, err := q.joiners.Park(ctx, p)
	if r == finished {
		return nil
	}
	return err
}

// Shutdown shuts the queue down (asyncio's shutdown, Python 3.13): every
// put fails with ErrQueueShutdown from now on, and so does every get once
// the queue is empty. Every task waiting in Put or Get is woken and fails
// with ErrQueueShutdown. With immediate, the items left are dropped (each
// counts as done for Join, which may return) and gets fail at once; items
// already reserved for woken getters are dropped too. Shutting down twice
// is harmless; a later immediate Shutdown still drops what is left.
func (q *base[T]) Shutdown(immediate bool) {
	q.shutdown = true
	if immediate {
		dropped := q.len()
		q.ring.clear()
		q.heap.clear()
		q.promisedItems = 0
		q.unfinished = max(q.unfinished-dropped, 0)
		if q.unfinished == 0 {
			q.joiners.WakeAll(finished)
		}
	}
	q.getters.WakeAll(stopped)
	q.putters.WakeAll(stopped)
}

// IsShutdown reports whether Shutdown was called.
func (q *base[T]) IsShutdown() bool { return q.shutdown }

// Stats is a snapshot of a queue.
type Stats struct {
	Qsize      int  // items a GetNowait could take
	Reserved   int  // items reserved for woken getters that have not run yet
	Maxsize    int  // 0: unbounded
	Getters    int  // tasks waiting in Get
	Putters    int  // tasks waiting in Put
	Joiners    int  // tasks waiting in Join
	Unfinished int  // items put and not yet marked done
	Shutdown   bool // Shutdown was called
}

// Stats returns a snapshot of the queue's state.
func (q *base[T]) Stats() Stats {
	return Stats{
		Qsize:      q.Qsize(),
		Reserved:   q.promisedItems,
		Maxsize:    q.Maxsize(),
		Getters:    q.getters.Len(),
		Putters:    q.putters.Len(),
		Joiners:    q.joiners.Len(),
		Unfinished: q.unfinished,
		Shutdown:   q.shutdown,
	}
}

func (q *base[T]) describe(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "queue.%s[maxsize=%d qsize=%d", name, q.Maxsize(), q.Qsize())
	if q.promisedItems > 0 {
		fmt.Fprintf(&b, " reserved=%d", q.promisedItems)
	}
	if n := q.getters.Len(); n > 0 {
		fmt.Fprintf(&b, " getters=%d", n)
	}
	if n := q.putters.Len(); n > 0 {
		fmt.Fprintf(&b, " putters=%d", n)
	}
	if q.unfinished > 0 {
		fmt.Fprintf(&b, " tasks=%d", q.unfinished)
	}
	if q.shutdown {
		b.WriteString(" shutdown")
	}
	b.WriteByte(']')
	return b.String()
}
