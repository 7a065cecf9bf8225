package queue

import (
	"context"
	"fmt"
	"sync"

	"github.com/aio-go/aio/task"
)

// Threadsafe is a FIFO queue with two ends (Python's janus): Sync, for
// plain goroutines, whose Put and Get block the calling goroutine, and
// Async, for tasks, whose Put and Get are awaits that park the task and
// never block the loop. Either end may put and either may get, so it
// carries work from goroutines to tasks, from tasks to goroutines, or
// both ways, across any number of loops.
//
// A mutex guards the items; an operation that can complete at once takes
// it once and costs what a mutex and a slice append do. One that has to
// wait queues a wake-up channel; on the Async end that wait is
// task.Recv, so it starts one helper goroutine for the length of the
// wait. Waiters of each kind are woken in FIFO order; a woken waiter
// that finds the item gone to a faster caller waits again at the head.
//
// Make one with NewThreadsafe; the zero Threadsafe is not usable. All its
// methods are safe from any goroutine (the Async end's awaits from tasks
// only).
type Threadsafe[T any] struct {
	mu      sync.Mutex // protects everything below
	items   []T        // items[head:] are queued
	head    int
	max     int // 0: unbounded
	shut    bool
	getters []*tsWaiter
	putters []*tsWaiter
}

type tsWaiter struct{ ch chan struct{} } // buffered 1: the wake-up

// NewThreadsafe returns an empty queue holding at most maxsize items
// (0 or less: unbounded).
func NewThreadsafe[T any](maxsize int) *Threadsafe[T] {
	return &Threadsafe[T]{max: max(0, maxsize)}
}

// Sync returns the goroutine end of q.
func (q *Threadsafe[T]) Sync() SyncEnd[T] { return SyncEnd[T]{q} }

// Async returns the task end of q.
func (q *Threadsafe[T]) Async() AsyncEnd[T] { return AsyncEnd[T]{q} }

// Qsize returns the number of items queued.
func (q *Threadsafe[T]) Qsize() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// Waiting returns the number of callers, of both ends, waiting in Get or
// Put.
func (q *Threadsafe[T]) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.getters) + len(q.putters)
}

// Maxsize returns the bound given to NewThreadsafe (0: unbounded).
func (q *Threadsafe[T]) Maxsize() int { return q.max }

// Shutdown closes q (janus's close, asyncio's Queue.shutdown): every Put
// then fails with ErrQueueShutdown, Gets take the items left and then
// fail with ErrQueueShutdown too, and every waiter is woken to see it.
// With immediate, the items left are dropped at once.
func (q *Threadsafe[T]) Shutdown(immediate bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shut = true
	if immediate {
		clear(q.items)
		q.items, q.head = q.items[:0], 0
	}
	for _, w := range q.getters {
		w.ch <- struct{}{}
	}
	for _, w := range q.putters {
		w.ch <- struct{}{}
	}
	q.getters, q.putters = nil, nil
}

// tryPut appends v if there is room. Caller holds mu.
func (q *Threadsafe[T]) tryPut(v T) error {
	if q.shut {
		return ErrQueueShutdown
	}
	if q.max > 0 && len(q.items)-q.head >= q.max {
		return ErrQueueFull
	}
	if q.head > 0 && len(q.items) == cap(q.items) { // slide down instead of growing
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, v)
	q.getters = wakeFirst(q.getters)
	return nil
}

// tryGet takes the oldest item. Caller holds mu.
func (q *Threadsafe[T]) tryGet() (T, error) {
	var zero T
	if q.head == len(q.items) {
		if q.shut {
			return zero, ErrQueueShutdown
		}
		return zero, ErrQueueEmpty
	}
	v := q.items[q.head]
	q.items[q.head] = zero
	if q.head++; q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.putters = wakeFirst(q.putters)
	return v, nil
}

func wakeFirst(ws []*tsWaiter) []*tsWaiter {
	if len(ws) == 0 {
		return ws
	}
	ws[0].ch <- struct{}{}
	ws[0] = nil
	return ws[1:]
}

// op runs try until it does not answer full (or empty), waiting with wait
// in between; full is the answer that means "wait".
func op[T any](q *Threadsafe[T], ctx context.Context, list *[]*tsWaiter, full error, try func() error, wait func(ctx context.Context, ch chan struct{}) error) error {
	front := false
	for {
		q.mu.Lock()
		err := try()
		if err != full {
			q.mu.Unlock()
			return err
		}
		w := &tsWaiter{ch: make(chan struct{}, 1)}
		if front { // woken once already: keep the place
			*list = append([]*tsWaiter{w}, *list...)
		} else {
			*list = append(*list, w)
		}
		q.mu.Unlock()
		if err := wait(ctx, w.ch); err != nil {
			q.mu.Lock()
			if !remove(list, w) {
				// Woken as this wait gave up: pass the wake-up on, so no
				// item (or room) waits for a caller that has left.
				*list = wakeFirst(*list)
			}
			q.mu.Unlock()
			return err
		}
		front = true
	}
}

func remove(list *[]*tsWaiter, w *tsWaiter) bool {
	for i, x := range *list {
		if x == w {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}

// SyncEnd is the goroutine end of a Threadsafe queue: Put and Get block
// the calling goroutine. Never use it from a task: a task that blocks
// blocks its loop (use AsyncEnd there).
type SyncEnd[T any] struct{ q *Threadsafe[T] }

// AsyncEnd is the task end of a Threadsafe queue: Put and Get are awaits.
type AsyncEnd[T any] struct{ q *Threadsafe[T] }

func waitSync(ctx context.Context, ch chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue: Threadsafe: %w", ctx.Err())
	}
}

func waitAsync(ctx context.Context, ch chan struct{}) error {
	_, _, err := task.Recv(ctx, ch)
	return err
}

// Put adds v at the tail, blocking the goroutine while the queue is full.
// It fails with ErrQueueShutdown after Shutdown.
//
// Cancellation: returns ctx's error (wrapped) and v was not added.
func (e SyncEnd[T]) Put(ctx context.Context, v T) error {
	return op(e.q, ctx, &e.q.putters, ErrQueueFull, func() error { return e.q.tryPut(v) }, waitSync)
}

// Get removes and returns the oldest item, blocking the goroutine while
// the queue is empty. Once the queue is shut down and empty it fails with
// ErrQueueShutdown.
//
// Cancellation: returns ctx's error (wrapped) and no item was taken.
func (e SyncEnd[T]) Get(ctx context.Context) (T, error) {
	var v T
	err := op(e.q, ctx, &e.q.getters, ErrQueueEmpty, func() (err error) { v, err = e.q.tryGet(); return err }, waitSync)
	return v, err
}

// PutNowait adds v if there is room, else returns ErrQueueFull.
func (e SyncEnd[T]) PutNowait(v T) error { return e.q.putNowait(v) }

// GetNowait takes the oldest item if there is one, else returns
// ErrQueueEmpty.
func (e SyncEnd[T]) GetNowait() (T, error) { return e.q.getNowait() }

// Put adds v at the tail, parking the task (never blocking the loop)
// while the queue is full. It fails with ErrQueueShutdown after Shutdown.
//
// Cancellation: returns eventloop.ErrCancelled (or ErrTimeout) and v was
// not added; room freed meanwhile goes to the next waiting putter.
func (e AsyncEnd[T]) Put(ctx context.Context, v T) error {
	return op(e.q, ctx, &e.q.putters, ErrQueueFull, func() error { return e.q.tryPut(v) }, waitAsync)
}

// Get removes and returns the oldest item, parking the task (never
// blocking the loop) while the queue is empty. Once the queue is shut
// down and empty it fails with ErrQueueShutdown.
//
// Cancellation: returns eventloop.ErrCancelled (or ErrTimeout) and no item
// was taken; an item put meanwhile goes to the next waiting getter.
func (e AsyncEnd[T]) Get(ctx context.Context) (T, error) {
	var v T
	err := op(e.q, ctx, &e.q.getters, ErrQueueEmpty, func() (err error) { v, err = e.q.tryGet(); return err }, waitAsync)
	return v, err
}

// PutNowait adds v if there is room, else returns ErrQueueFull.
func (e AsyncEnd[T]) PutNowait(v T) error { return e.q.putNowait(v) }

// GetNowait takes the oldest item if there is one, else returns
// ErrQueueEmpty.
func (e AsyncEnd[T]) GetNowait() (T, error) { return e.q.getNowait() }

func (q *Threadsafe[T]) putNowait(v T) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.tryPut(v)
}

func (q *Threadsafe[T]) getNowait() (T, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.tryGet()
}
