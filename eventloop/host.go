package eventloop

// Hosting: a task that parks runs the loop's ready queue on its own
// goroutine instead of handing control back to the loop goroutine.
//
// A task is a coroutine (iter.Pull): every await is a switch from the task
// to the loop goroutine, and every resumption a switch back. In a
// ping-pong between two tasks (W4, a request and its reply through two
// queues) each round trip is then four switches, and the switch is most of
// its cost. But the loop goroutine, once the task parked, only ever does
// what iterate does: run the rest of the batch, then more iterations, until
// it meets the parked task's own step again. Any goroutine can do that —
// in particular the parked task's, which can resume other coroutines
// itself (a coroutine may call another one's next). So a task that parks
// while the loop goroutine is running it directly becomes the host: it
// runs the same iterate and runReady the loop would run, with the same
// order, the same batches, the same polls and timers, and when the queue
// hands it its own step it simply returns from park, with no switch at
// all. A round trip between two tasks costs two switches instead of four.
//
// The host gives control back to the loop goroutine (by suspending, as
// any task does) whenever the loop goroutine would do something a task
// must not, or that a task's goroutine would make visible:
//
//   - the next iteration could block (nothing ready: the poller would
//     wait, or a virtual clock would jump), so the host never blocks;
//   - the loop was asked to stop, or runs one iteration only (RunOnce);
//   - debug mode is on (its checks compare goroutines).
//
// Tasks the host resumes never host themselves: when they park they
// switch back to the host, so at most one task stack lies between the
// loop goroutine and the running code. A callback that panics while a
// host runs it is reported and the batch goes on, as on the loop
// goroutine (protect); it never unwinds into the host's body.
//
// Nothing of this is visible to programs but the goroutine callbacks run
// on, which loop code must not depend on (debug mode, which checks it,
// turns hosting off). WithHosting(false) turns it off for a loop.

// host runs the loop on t's goroutine while t is parked (see above) and
// returns what suspend would: true when t was woken, false when the loop
// unwinds t. t is the running task, stepped by the loop goroutine itself.
func (l *Loop) host(t *taskBase) bool {
	l.hostTask = t
	for !l.protect(l.hostRunFn) {
	}
	l.hostTask = nil
	if l.current.Load() != t { // a step the host ran left itself there
		l.current.Store(t)
	}
	if l.hostWoken {
		// t's own step came up: what step does, minus the switch.
		l.hostWoken = false
		t.wakeQueued = false
		return true
	}
	return t.suspend()
}

// canHost reports whether the running task, about to park, may host the
// loop: the loop goroutine stepped it (not a host), and iterations may follow.
func (l *Loop) canHost() bool {
	return l.hosting && l.hostTask == nil && l.inForever && !l.debug
}

// hostRun is the host's share of runUntilStopped: the rest of the batch,
// then whole iterations while they cannot block, until the host's own step
// comes up (hostWoken) or the loop goroutine has to take over.
func (l *Loop) hostRun() {
	for {
		if l.todo > 0 {
			l.runReady()
			if l.hostWoken {
				return
			}
		}
		if !l.inForever || l.debug || l.stopping.Load() || l.ready.len() == 0 {
			return
		}
		l.iterate(-1) // busy: polls without blocking, lets no virtual time pass
		if l.hostWoken {
			return
		}
	}
}
