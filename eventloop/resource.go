package eventloop

import (
	"cmp"
	"fmt"
	"slices"
)

// Resource is something a library above the loop owns on the loop's
// behalf and that outlives a single await: a transport, a server, a child
// process, an open file. While it is tracked (Track), Close names it in
// AliveError.Resources and calls its CloseNow.
type Resource interface {
	// String describes the resource for AliveError ("tcp transport fd 7
	// 127.0.0.1:5000->127.0.0.1:40312", "child process 4711 (sleep)").
	String() string
	// CloseNow releases what the resource holds at once (close its
	// descriptors, kill a child that asked to be killed), with no
	// callbacks of its own: the loop is closing. Close calls it once, on
	// the loop goroutine, after the last callbacks ran and before the
	// loop stops watching descriptors, so RemoveReader and RemoveWriter
	// still work. A panic in it is reported and the other resources are
	// still closed.
	CloseNow()
}

// resources is the loop's set of tracked resources. seq keeps the order
// they were tracked in, which is the order Close names and closes them.
type resources struct {
	live map[Resource]uint64
	seq  uint64
}

// Track registers a live resource: until Untrack, Close lists r.String()
// in AliveError.Resources and calls r.CloseNow. Tracking r again is
// harmless. Every kind of resource the library's packages own goes
// through it (transports and servers, child processes, files), so Close
// reports them all the same way. O(1). Loop goroutine (or running task)
// only; on a closed loop it returns ErrClosed. r must be comparable (a
// pointer, usually).
func (l *Loop) Track(r Resource) error {
	if err := l.check("Track"); err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("eventloop: Track: %w", ErrNilResource)
	}
	rs := &l.resources
	if rs.live == nil {
		rs.live = map[Resource]uint64{}
	}
	if _, ok := rs.live[r]; !ok {
		rs.seq++
		rs.live[r] = rs.seq
	}
	return nil
}

// Untrack removes r from the loop's resources (it was released). Calling
// it for a resource that is not tracked does nothing. O(1). Loop
// goroutine (or running task) only.
func (l *Loop) Untrack(r Resource) { delete(l.resources.live, r) }

// trackedInOrder returns the tracked resources in the order they were
// tracked.
func (l *Loop) trackedInOrder() []Resource {
	live := l.resources.live
	if len(live) == 0 {
		return nil
	}
	out := make([]Resource, 0, len(live))
	for r := range live {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Resource) int { return cmp.Compare(live[a], live[b]) })
	return out
}

// describeResources names the tracked resources for AliveError, in the
// order they were tracked.
func (l *Loop) describeResources() []string {
	rs := l.trackedInOrder()
	if rs == nil {
		return nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// closeResources calls CloseNow of every resource still tracked, in the
// order they were tracked, and forgets them.
func (l *Loop) closeResources() {
	rs := l.trackedInOrder()
	l.resources.live = nil
	for _, r := range rs {
		l.protect(r.CloseNow)
	}
}
