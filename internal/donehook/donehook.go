// Package donehook lets the packages of this module watch many futures of
// a loop without a closure and a callback entry per future.
//
// A done callback (Waitable.OnDone) costs a closure per watched future and
// runs one loop iteration after the future completes. Gather and friends
// watch every child, which with 100k children is 100k closures. A Hook is
// told synchronously instead, on the loop goroutine, the moment a watched
// future completes, with the future's error. A Hook must only update its
// own bookkeeping and defer anything observable (completing its own
// future, waking a task, cancelling) through the loop, so that the timing
// is the same as with a callback: one func made once per watcher and
// queued with CallSoon per completion runs exactly where each child's done
// callback would have run, without an allocation per child.
//
// To know which child completed, a watcher allocates one slice of small
// records per call and registers &records[i] on child i.
package donehook

// Hook is told when a watched future completes. Hooks are compared by
// identity (Remove), so a Hook must be comparable: a pointer.
type Hook interface {
	// FutureDone is told the future's error (nil on success) and reports
	// whether the watcher takes that error: the future's error then
	// counts as retrieved, and the loop will not report it as never
	// retrieved.
	FutureDone(err error) (took bool)
}

// Add registers h on w, an eventloop.Waitable; on a future that is done
// already h is told at once. Registering the same h twice on one future
// tells it twice. O(1). Loop goroutine only. Set by package eventloop
// when it is initialised (this package cannot import it).
var Add func(w any, h Hook)

// Remove unregisters h from w (one registration, if h was added more than
// once) unless it was told already, and reports whether it did. O(number
// of things waiting for w). Loop goroutine only. Set by package eventloop.
var Remove func(w any, h Hook) bool
