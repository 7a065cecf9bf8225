package eventloop

import "time"

// Loop-local values: state a library above the loop keeps per loop (the
// network a loop dials through, its shared read buffer, its open
// transports), so that the library needs no global map from loops to its
// state and the state dies with the loop.

// Local returns the value stored under key on this loop (SetLocal or
// WithLocal), or nil. Keys follow context.WithValue's rule: use a type of
// your own package, so that keys of different packages never collide.
// Loop goroutine (or running task) only.
func (l *Loop) Local(key any) any { return l.locals[key] }

// SetLocal stores v under key on this loop, replacing what was there; a
// nil v removes the key. Loop goroutine (or running task) only.
func (l *Loop) SetLocal(key, v any) {
	if v == nil {
		delete(l.locals, key)
		return
	}
	if l.locals == nil {
		l.locals = map[any]any{}
	}
	l.locals[key] = v
}

// WithLocal stores v under key on the loop New builds, as SetLocal would:
// the way a library offers options of its own for a loop (the transport
// package's WithNetwork is one).
func WithLocal(key, v any) Option {
	return func(cf *config) {
		if cf.locals == nil {
			cf.locals = map[any]any{}
		}
		cf.locals[key] = v
	}
}

// completionSettle is how long a loop on a virtual clock waits, in real
// time, for a completion from outside its poller before it lets virtual
// time jump (AddCompletionSource).
const completionSettle = 2 * time.Millisecond

// AddCompletionSource tells the loop that something outside its poller
// will post I/O completions to it (with CallSoonThreadsafe): goroutines
// doing blocking reads and writes, as the transport package's net.Conn
// transports do where there is no readiness poller. Until remove is
// called, a loop on a virtual clock that has nothing else to do waits up
// to a couple of milliseconds of real time for such a completion before it
// lets virtual time jump, as it polls its descriptors before jumping; a
// loop on the real clock is unaffected. Calling remove again does nothing.
// Loop goroutine (or running task) only.
func (l *Loop) AddCompletionSource() (remove func()) {
	l.completionSources++
	done := false
	return func() {
		if !done {
			done = true
			l.completionSources--
		}
	}
}
