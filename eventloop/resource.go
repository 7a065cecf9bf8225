package eventloop

import "slices"

// resource is one live thing a library above the loop owns on its behalf (a
// child process, a server, a transport): Close names it in *AliveError and
// gives it a last chance to release itself.
type resource struct {
	desc    string
	onClose func()
	gone    bool
}

// Track registers a live resource that the loop should know about: while it
// is tracked, Close lists desc in AliveError.Resources, and calls onClose
// (when not nil) so the resource can release what it holds (close fds, kill
// a child that asked to be killed). untrack removes it again; calling
// untrack more than once is harmless. Libraries use it for what outlives a
// single await: subprocess for child processes, the network layer for
// servers. Loop goroutine (or running task) only; on a closed loop it
// returns ErrClosed and an untrack that does nothing.
func (l *Loop) Track(desc string, onClose func()) (untrack func(), err error) {
	if err := l.check("Track"); err != nil {
		return func() {}, err
	}
	r := &resource{desc: desc, onClose: onClose}
	l.resources = append(l.resources, r)
	return func() {
		if r.gone {
			return
		}
		r.gone = true
		if i := slices.Index(l.resources, r); i >= 0 {
			l.resources = slices.Delete(l.resources, i, i+1)
		}
	}, nil
}

// closeResources lists the tracked resources for Close and calls their
// onClose hooks, in the order they were tracked.
func (l *Loop) closeResources() []string {
	rs := l.resources
	l.resources = nil
	var descs []string
	for _, r := range rs {
		if r.gone {
			continue
		}
		r.gone = true
		descs = append(descs, r.desc)
		if r.onClose != nil {
			l.protect(r.onClose)
		}
	}
	return descs
}
