package eventloop

import (
	"time"

	"math/rand/v2"

	"github.com/aio-go/aio/timer"
)

// WithPerturbation makes the loop reorder what asyncio does not promise to
// order, from a seed, so that tests can find code that leans on an
// accidental order (package looptest runs a test under many seeds). The
// same seed gives the same order every run; a virtual clock makes the
// whole run repeatable.
//
// What it reorders, in each iteration:
//
//   - task steps among themselves: the tasks woken or spawned for this
//     iteration run in a shuffled order (trio randomizes task order the
//     same way). A task step keeps its place relative to plain callbacks:
//     only which task takes each task slot changes.
//   - timers due at exactly the same deadline (asyncio: "if two callbacks
//     are scheduled for exactly the same time, it is undefined which is
//     called first").
//
// What it keeps: CallSoon callbacks run FIFO (asyncio promises it, and
// Handle.Cancel finds its entry by position), future done callbacks run in
// registration order, a callback queued during an iteration runs in the
// next one, Sleep(ctx, 0) yields exactly one iteration, and timers with
// different deadlines fire in deadline order. Locks, semaphores and queues
// decide who gets a permit or an item when they wake the waiter, so
// reordering the steps of woken tasks does not change that FIFO either.
//
// Without this option the loop is plain FIFO and costs nothing extra;
// with it, each iteration shuffles its batch of task steps (O(n) in the
// batch) and collects its due timers before firing them (O(k) in k due).
func WithPerturbation(seed uint64) Option {
	return func(cf *config) { cf.perturb, cf.seed = true, seed }
}

// schedule is the state of a perturbed loop: its generator and scratch
// space reused from iteration to iteration.
type schedule struct {
	rng   *rand.Rand
	slots []uint64
	tasks []*taskBase
	due   []timer.Item[timerValue]
}

func newSchedule(cf *config) *schedule {
	if !cf.perturb {
		return nil
	}
	// The second PCG word is fixed: the seed alone names the schedule.
	return &schedule{rng: rand.New(rand.NewPCG(cf.seed, 0x61696f2d6c6f6f70))}
}

// shuffleBatch permutes the task steps among the first n entries of q,
// leaving callbacks (and empty, cancelled slots) where they are.
func (s *schedule) shuffleBatch(q *readyQueue, n int) {
	mask := uint64(len(q.buf) - 1)
	s.slots, s.tasks = s.slots[:0], s.tasks[:0]
	for p := q.head; p < q.head+uint64(n); p++ {
		if t := q.buf[p&mask].t; t != nil {
			s.slots = append(s.slots, p)
			s.tasks = append(s.tasks, t)
		}
	}
	if len(s.tasks) < 2 {
		return
	}
	s.rng.Shuffle(len(s.tasks), func(i, j int) { s.tasks[i], s.tasks[j] = s.tasks[j], s.tasks[i] })
	for i, p := range s.slots {
		q.buf[p&mask].t = s.tasks[i]
		s.tasks[i] = nil
	}
}

// fireDue fires the timers due at now, as the loop does without
// perturbation, but with each run of equal deadlines in a seeded order: it
// pops every due timer, shuffles the runs, and fires them in that order.
func (s *schedule) fireDue(l *Loop, now time.Duration) {
	s.due = s.due[:0]
	for it, ok := l.timers.PopDue(now); ok; it, ok = l.timers.PopDue(now) {
		s.due = append(s.due, it)
	}
	for i := 0; i < len(s.due); {
		j := i + 1
		for j < len(s.due) && s.due[j].When == s.due[i].When {
			j++
		}
		if run := s.due[i:j]; len(run) > 1 {
			s.rng.Shuffle(len(run), func(a, b int) { run[a], run[b] = run[b], run[a] })
		}
		i = j
	}
	for i := range s.due {
		l.fireTimer(now, s.due[i])
		s.due[i] = timer.Item[timerValue]{}
	}
}
