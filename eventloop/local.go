package eventloop

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
