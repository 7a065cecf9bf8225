package eventloop

import "time"

// Pending says what a loop still has to do or to wait for, as Loop.Pending
// returns it.
type Pending struct {
	Ready     int           // callbacks and task steps queued (cancelled slots included)
	Inbox     bool          // callbacks posted by other goroutines not yet drained
	Timers    int           // pending timers: CallLater/CallAt, Sleeps, Timeout deadlines
	NextTimer time.Duration // deadline of the earliest timer, Never when none
	FDs       int           // watched file descriptors
	Signals   int           // signals with a handler
	Executor  int           // executor jobs running or waiting for a worker
	Tasks     int           // tasks not done
}

// IdleForever reports whether the loop can never run anything again by
// itself: nothing is queued, no timer is pending, no file descriptor or
// signal is watched and no executor job is under way. Only a callback
// posted by another goroutine (CallSoonThreadsafe, a standard-library
// context cancelled elsewhere) could still wake it. A loop on a virtual
// clock that is IdleForever with tasks alive is deadlocked, unless the
// test expects such outside help.
func (p Pending) IdleForever() bool {
	return p.Ready == 0 && !p.Inbox && p.Timers == 0 && p.FDs == 0 &&
		p.Signals == 0 && p.Executor == 0
}

// Busy reports whether the next iteration has something to run at the
// current time: callbacks or task steps queued, callbacks posted by other
// goroutines, or a timer due at or before now.
func (p Pending) Busy(now time.Duration) bool {
	return p.Ready > 0 || p.Inbox || (p.Timers > 0 && p.NextTimer <= now)
}

// Pending returns what the loop still has to do or to wait for. It costs
// a peek at the timer heap (O(log n) amortized, dropping cancelled timers
// that reached the top). Loop goroutine (or running task) only.
func (l *Loop) Pending() Pending {
	p := Pending{
		Ready:     l.ready.len(),
		Inbox:     l.inboxPending.Load(),
		Timers:    l.timers.Len(),
		NextTimer: Never,
		FDs:       len(l.fds),
		Executor:  l.exec.running + len(l.exec.queue),
		Tasks:     l.tasks.Len(),
	}
	if it, ok := l.timers.Peek(); ok {
		p.NextTimer = it.When
	}
	if l.signals != nil {
		p.Signals = len(l.signals.handlers)
	}
	return p
}
