package queue

import (
	"cmp"
	"context"
	"iter"
)

// Queue is a first-in, first-out queue for the tasks of one loop
// (asyncio.Queue), optionally bounded.
//
// Get waits while the queue is empty and Put while it is full. Waiting
// tasks are served in FIFO order, and an item (or a free slot) is reserved
// for the woken task until it runs: a task that calls GetNowait (or
// PutNowait) meanwhile cannot take it. Woken tasks run after the callbacks
// already queued on the loop.
//
// The zero Queue is an unbounded queue ready to use. A queue binds to the
// loop of its first await; its methods are for that loop's goroutine (its
// tasks and callbacks) only. Put, Get and their Nowait forms are O(1)
// amortized and allocate nothing unless the queue grows its buffer.
type Queue[T any] struct{ base[T] }

// NewQueue returns a FIFO queue holding at most maxsize items; maxsize <= 0
// means unbounded.
func NewQueue[T any](maxsize int) *Queue[T] {
	return &Queue[T]{base[T]{maxsize: maxsize}}
}

// PutNowait puts v into the queue if there is room, or returns
// ErrQueueFull; after Shutdown it returns ErrQueueShutdown. If a task
// waits in Get, v is reserved for the one that waited longest.
func (q *Queue[T]) PutNowait(v T) error { return q.putNowait(fifo, v) }

// Put puts v into the queue, waiting while the queue is full.
//
// Cancellation: if ctx is cancelled while Put waits for room, Put returns
// eventloop.ErrCancelled (or eventloop.ErrTimeout) and v is not in the
// queue; the room goes to the next waiting putter. If room was reserved
// for the task before the cancellation reached it, v is put and Put
// returns nil. A Put on an already cancelled ctx fails at once, even if
// there is room. Shutdown makes a waiting Put fail with ErrQueueShutdown,
// v not put.
func (q *Queue[T]) Put(ctx context.Context, v T) error { return q.put(ctx, fifo, v, "queue: Put") }

// GetNowait removes and returns the oldest item, or returns ErrQueueEmpty
// (ErrQueueShutdown once a shut-down queue is empty).
func (q *Queue[T]) GetNowait() (T, error) { return q.getNowait(fifo) }

// Get removes and returns the oldest item, waiting while the queue is
// empty.
//
// Cancellation: if ctx is cancelled while Get waits, Get returns
// eventloop.ErrCancelled (or eventloop.ErrTimeout) and takes nothing: an
// item put meanwhile goes to the next getter. If an item was reserved for
// the task before the cancellation reached it, Get returns it with a nil
// error, so no item is lost. A Get on an already cancelled ctx fails at
// once, even if items are waiting. Shutdown makes a waiting Get fail with
// ErrQueueShutdown.
func (q *Queue[T]) Get(ctx context.Context) (T, error) { return q.get(ctx, fifo, "queue: Get") }

// All returns an iterator that Gets items until the queue is shut down
// and empty, so that a consumer can be written as
//
//	for item, err := range q.All(ctx) {
//		if err != nil {
//			return err // cancelled, or misuse
//		}
//		...
//		q.TaskDone()
//	}
//
// Shutdown ends the loop quietly; any other error of Get is yielded once,
// with the zero item, and ends it. It does not call TaskDone.
//
// Cancellation: as Get: the error is yielded and no item is lost.
func (q *Queue[T]) All(ctx context.Context) iter.Seq2[T, error] { return all(ctx, q.Get) }

func (q *Queue[T]) String() string { return q.describe("Queue") }

// LifoQueue is a last-in, first-out queue (a stack) for the tasks of one
// loop (asyncio.LifoQueue): Get returns the item put most recently. It
// waits, reserves and wakes as Queue does; a woken getter takes the newest
// item when it runs.
//
// The zero LifoQueue is an unbounded stack ready to use; a LifoQueue binds
// to the loop of its first await.
type LifoQueue[T any] struct{ base[T] }

// NewLifoQueue returns a LIFO queue holding at most maxsize items;
// maxsize <= 0 means unbounded.
func NewLifoQueue[T any](maxsize int) *LifoQueue[T] {
	return &LifoQueue[T]{base[T]{maxsize: maxsize}}
}

// PutNowait puts v on top if there is room, or returns ErrQueueFull
// (ErrQueueShutdown after Shutdown).
func (q *LifoQueue[T]) PutNowait(v T) error { return q.putNowait(lifo, v) }

// Put puts v on top, waiting while the queue is full.
//
// Cancellation: as Queue.Put: after an error v is not in the queue; if
// room was reserved for the task first, v is put and Put returns nil.
func (q *LifoQueue[T]) Put(ctx context.Context, v T) error {
	return q.put(ctx, lifo, v, "queue: LifoQueue.Put")
}

// GetNowait removes and returns the newest item, or returns ErrQueueEmpty
// (ErrQueueShutdown once a shut-down queue is empty).
func (q *LifoQueue[T]) GetNowait() (T, error) { return q.getNowait(lifo) }

// Get removes and returns the newest item, waiting while the queue is
// empty.
//
// Cancellation: as Queue.Get: after an error nothing was taken; if an item
// was reserved for the task first, Get returns it with a nil error.
func (q *LifoQueue[T]) Get(ctx context.Context) (T, error) {
	return q.get(ctx, lifo, "queue: LifoQueue.Get")
}

// All returns an iterator that Gets items until the queue is shut down and
// empty; see Queue.All.
//
// Cancellation: as Get: the error is yielded and no item is lost.
func (q *LifoQueue[T]) All(ctx context.Context) iter.Seq2[T, error] { return all(ctx, q.Get) }

func (q *LifoQueue[T]) String() string { return q.describe("LifoQueue") }

// PriorityQueue is a queue that hands out its smallest item first
// (asyncio.PriorityQueue), by a comparison the user gives. Items that
// compare equal come out in the order they were put: the queue is stable.
// It waits, reserves and wakes as Queue does; a woken getter takes the
// smallest item when it runs. Put and Get cost O(log n) comparisons.
//
// Make one with NewPriorityQueue or NewPriorityQueueFunc; the zero
// PriorityQueue has no comparison, and its puts fail with an error.
type PriorityQueue[T any] struct{ base[T] }

// NewPriorityQueue returns a priority queue of ordered values (smallest
// first, by cmp.Compare) holding at most maxsize items; maxsize <= 0 means
// unbounded.
func NewPriorityQueue[T cmp.Ordered](maxsize int) *PriorityQueue[T] {
	return NewPriorityQueueFunc[T](maxsize, cmp.Compare[T])
}

// NewPriorityQueueFunc returns a priority queue ordered by compare, which
// returns a negative number when a comes before b, a positive one when
// after, and 0 when they are equal (as for slices.SortFunc). It holds at
// most maxsize items; maxsize <= 0 means unbounded.
func NewPriorityQueueFunc[T any](maxsize int, compare func(a, b T) int) *PriorityQueue[T] {
	return &PriorityQueue[T]{base[T]{maxsize: maxsize, heap: prioHeap[T]{cmp: compare}}}
}

// PutNowait puts v if there is room, or returns ErrQueueFull
// (ErrQueueShutdown after Shutdown).
func (q *PriorityQueue[T]) PutNowait(v T) error { return q.putNowait(prio, v) }

// Put puts v, waiting while the queue is full.
//
// Cancellation: as Queue.Put: after an error v is not in the queue; if
// room was reserved for the task first, v is put and Put returns nil.
func (q *PriorityQueue[T]) Put(ctx context.Context, v T) error {
	return q.put(ctx, prio, v, "queue: PriorityQueue.Put")
}

// GetNowait removes and returns the smallest item, or returns
// ErrQueueEmpty (ErrQueueShutdown once a shut-down queue is empty).
func (q *PriorityQueue[T]) GetNowait() (T, error) { return q.getNowait(prio) }

// Get removes and returns the smallest item, waiting while the queue is
// empty.
//
// Cancellation: as Queue.Get: after an error nothing was taken; if an item
// was reserved for the task first, Get returns it with a nil error.
func (q *PriorityQueue[T]) Get(ctx context.Context) (T, error) {
	return q.get(ctx, prio, "queue: PriorityQueue.Get")
}

// All returns an iterator that Gets items until the queue is shut down and
// empty; see Queue.All.
//
// Cancellation: as Get: the error is yielded and no item is lost.
func (q *PriorityQueue[T]) All(ctx context.Context) iter.Seq2[T, error] { return all(ctx, q.Get) }

func (q *PriorityQueue[T]) String() string { return q.describe("PriorityQueue") }

func all[T any](ctx context.Context, get func(context.Context) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := get(ctx)
			if err == ErrQueueShutdown {
				return
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}
