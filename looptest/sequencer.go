package looptest

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

// Sequencer forces an interleaving of tasks without sleeps (trio's
// testing.Sequencer): Step(ctx, n) waits until steps 1 to n-1 have
// passed, and then step n has passed. The code a task runs after
// Step(ctx, n) returns, up to its next await, is step n: it runs before
// the task waiting in Step(ctx, n+1) resumes.
//
// The zero Sequencer is ready to use. It belongs to one loop: call it from
// that loop's tasks only.
type Sequencer struct {
	passed  int                      // steps 1..passed have passed
	waiting map[int]eventloop.Parker // the task waiting for each step
}

// Step waits until steps 1 to n-1 have passed, then marks step n passed
// and returns. Each step number may be used once: another Step(ctx, n)
// fails with ErrStepTaken, and n < 1 with ErrBadStep. A deadlock (a step
// that never comes) is reported by Run like any other.
//
// Cancellation: if ctx is cancelled while Step waits, it returns
// ErrCancelled (ErrTimeout in an expired scope) and step n does not pass,
// so later steps keep waiting; the number n may be used again.
func (s *Sequencer) Step(ctx context.Context, n int) error {
	switch {
	case n < 1:
		return fmt.Errorf("%w: Step(%d)", ErrBadStep, n)
	case n <= s.passed:
		return fmt.Errorf("%w: step %d already passed", ErrStepTaken, n)
	case s.waiting[n] != (eventloop.Parker{}):
		return fmt.Errorf("%w: a task already waits for step %d", ErrStepTaken, n)
	}
	if n > s.passed+1 {
		p, err := eventloop.ParkerFor(ctx, nil)
		if err != nil {
			return err
		}
		if s.waiting == nil {
			s.waiting = map[int]eventloop.Parker{}
		}
		s.waiting[n] = p
		for n > s.passed+1 {
			if err := p.Park(ctx); err != nil {
				delete(s.waiting, n)
				return err
			}
		}
		delete(s.waiting, n)
	}
	s.passed = n
	if p, ok := s.waiting[n+1]; ok {
		p.Unpark()
	}
	return nil
}

// Passed returns the highest step such that it and every step before it
// have passed.
func (s *Sequencer) Passed() int { return s.passed }
