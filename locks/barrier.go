package locks

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/parking"
)

type barrierState uint8

const (
	filling barrierState = iota
	draining
	resetting
	broken
)

var stateNames = [...]string{"filling", "draining", "resetting", "broken"}

// Barrier makes a fixed number of tasks (its parties) wait for each other
// (asyncio.Barrier): each Wait blocks until parties tasks are waiting, then
// all of them return, and the barrier can be used again.
//
// A barrier lets everyone out (draining) before it lets anyone in again:
// a task that arrives while the previous round drains waits for the next
// round. Abort breaks it: every waiting and every later Wait fails with
// ErrBrokenBarrier until Reset.
//
// Make one with NewBarrier; the zero Barrier has no parties and fails
// every Wait. A Barrier binds to the loop of its first Wait; its methods
// are for that loop's goroutine only.
type Barrier struct {
	b       parking.Binder
	waiters parking.Lot // tasks waiting for the state to change
	parties int
	count   int // tasks inside Wait past the entry check
	state   barrierState
}

// NewBarrier returns a barrier for parties tasks; parties must be >= 1.
func NewBarrier(parties int) (*Barrier, error) {
	if parties < 1 {
		return nil, fmt.Errorf("locks: NewBarrier(%d): parties must be >= 1", parties)
	}
	return &Barrier{parties: parties}, nil
}

var errZeroBarrier = errors.New("locks: Barrier.Wait: zero Barrier (make one with NewBarrier)")

// Wait waits until parties tasks are waiting, and returns this task's
// arrival index, from 0 (first) to parties-1 (the one that let everyone
// through). It returns ErrBrokenBarrier if the barrier is broken when the
// task arrives or is reset or aborted while it waits.
//
// Cancellation: a task cancelled while it waits leaves the barrier: it no
// longer counts towards parties, and Wait returns eventloop.ErrCancelled
// (or eventloop.ErrTimeout). A task whose round completed before the
// cancellation reached it returns its index (nil error). A Wait on an
// already cancelled ctx fails at once without arriving.
func (br *Barrier) Wait(ctx context.Context) (int, error) {
	p, err := br.b.Parker(ctx, "locks: Barrier.Wait")
	if err != nil {
		return -1, err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return -1, err
	}
	if br.parties < 1 {
		return -1, errZeroBarrier
	}
	// Wait while the previous round drains or a reset completes.
	for br.state == draining || br.state == resetting {
		if r, err := br.waiters.Park(ctx, p); r == parking.NotWoken && err != nil {
			return -1, err
		}
	}
	if br.state == broken {
		return -1, fmt.Errorf("locks: Barrier.Wait: %w", ErrBrokenBarrier)
	}
	index := br.count
	br.count++
	var werr error
	if index+1 == br.parties {
		br.state = draining
		br.waiters.WakeAll(changed)
	} else {
		for br.state == filling {
			if r, err := br.waiters.Park(ctx, p); r == parking.NotWoken && err != nil {
				werr = err
				break
			}
		}
		if werr == nil && (br.state == broken || br.state == resetting) {
			werr = fmt.Errorf("locks: Barrier.Wait: %w", ErrBrokenBarrier)
		}
	}
	br.exit()
	if werr != nil {
		return -1, werr
	}
	return index, nil
}

// exit counts a task out; the last one out ends draining or resetting.
func (br *Barrier) exit() {
	br.count--
	if br.count == 0 {
		if br.state == resetting || br.state == draining {
			br.state = filling
		}
		br.waiters.WakeAll(changed)
	}
}

// Reset returns the barrier to its initial, empty state. Tasks waiting in
// it fail with ErrBrokenBarrier; a broken barrier works again. Unlike
// asyncio's, it is not an await: it never blocks.
func (br *Barrier) Reset() {
	if br.count > 0 {
		br.state = resetting
	} else {
		br.state = filling
	}
	br.waiters.WakeAll(changed)
}

// Abort breaks the barrier: tasks waiting in it and every later Wait fail
// with ErrBrokenBarrier, until Reset. Unlike asyncio's, it is not an
// await: it never blocks.
func (br *Barrier) Abort() {
	br.state = broken
	br.waiters.WakeAll(changed)
}

// Parties returns the number of tasks the barrier waits for.
func (br *Barrier) Parties() int { return br.parties }

// NWaiting returns the number of tasks waiting for the current round to
// fill.
func (br *Barrier) NWaiting() int {
	if br.state == filling {
		return br.count
	}
	return 0
}

// Broken reports whether the barrier is broken.
func (br *Barrier) Broken() bool { return br.state == broken }

func (br *Barrier) String() string {
	s := stateNames[br.state]
	if br.state != broken {
		s += fmt.Sprintf(", waiters:%d/%d", br.NWaiting(), br.parties)
	}
	return "locks.Barrier[" + s + "]"
}
