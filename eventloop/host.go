package eventloop

import "runtime/debug"

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
// The host gives control back (by suspending, as any task does) whenever
// the loop goroutine would do something a task must not, or that a task's
// goroutine would make visible:
//
//   - the next iteration could block (nothing ready: the poller would
//     wait, or a virtual clock would jump), so the host never blocks;
//   - the loop was asked to stop, or runs one iteration only (RunOnce);
//   - debug mode is on (its checks compare goroutines).
//
// Hosts nest. A task that a host resumed, and that parks in turn, hosts
// too, on its own goroutine, with the outer host suspended in its call to
// the inner one's next: so when two tasks hand work to each other while a
// third (a main task waiting in Gather, say) hosts, a round trip is still
// two switches, not four. The hosts form a chain from the loop goroutine
// to the innermost one (hostTask; each task in it has hosting set). Only
// the innermost runs. An outer host cannot be resumed from inside (it is
// not suspended in a yield but waiting in a next), so when the innermost
// host meets the step of an outer one it puts the step back and suspends:
// control goes back up the chain, one host at a time, until that host
// pops its own step. Giving control back to the loop goroutine goes up the
// chain the same way, every host seeing that the loop has to stop. The
// chain is at most maxHostDepth long, and each level costs one switch down
// and one up, as the plain hand-back to the loop goroutine would have. A
// task does not start hosting when the next ready entry is the step of an
// outer host (it would give control back at once).
//
// A callback that panics while a host runs it is reported and the batch
// goes on, as on the loop goroutine (protect); it never unwinds into the
// host's body.
//
// Nothing of this is visible to programs but the goroutine callbacks run
// on, which loop code must not depend on (debug mode, which checks it,
// turns hosting off). WithHosting(false) turns it off for a loop.

// hostDone ends hosting for t and returns what suspend would: true when
// t was woken, false when the loop unwinds t.
func (l *Loop) hostDone(t *taskBase) bool {
	if l.current.Load() != t { // a step the host ran left itself there
		l.current.Store(t)
	}
	if l.hostWoken {
		// t's own step came up: what step does, minus the switch.
		l.hostWoken = false
		t.wakeQueued = false
		return true
	}
	return t.suspend() // the outer host, or the loop goroutine, takes over
}

// maxHostDepth bounds the chain of hosts. Two levels are what a pair of
// tasks handing off to each other under a waiting parent (W4's main task
// in Gather) needs; a few more cover a supervisor between them. Without a
// bound, a batch of fresh tasks that each park at once (W2: 100 k tasks
// doing Sleep(ctx, 0)) would build a chain as long as the batch, every
// level one more hostRun frame on a task stack and one more switch up and
// down: W2 measured 15 % slower and 70 bytes more per task that way.
const maxHostDepth = 4

// canHost reports whether the running task, about to park, may host the
// loop: iterations may follow, the chain of hosts is not at its bound, and
// the next ready entry is not the step of an outer host.
func (l *Loop) canHost() bool {
	if !l.hosting || !l.inForever || l.debug || l.hostDepth >= maxHostDepth {
		return false
	}
	if l.hostTask == nil || l.ready.len() == 0 {
		return true
	}
	h := l.ready.peek().t
	return h == nil || !h.hosting
}

// recoverCallback, deferred, reports a panic as protect does.
func (l *Loop) recoverCallback() {
	if r := recover(); r != nil {
		l.CallExceptionHandler(ExceptionContext{
			Message:  "panic in callback",
			Err:      &PanicError{Value: r, Stack: debug.Stack()},
			Callback: funcName(l.running),
		})
	}
}
