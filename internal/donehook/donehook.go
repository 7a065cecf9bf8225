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
