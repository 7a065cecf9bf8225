// Package donehook lets the packages of this module watch many futures of
// a loop without a closure and a callback entry per future.
//
// A done callback (Waitable.OnDone) costs a closure per watched future and
// runs one loop iteration after the future completes. Gather and friends
// watch every child, which with 100k children is 100k closures. A Hook is
// told synchronously instead, on the loop goroutine, the moment a watched
// future completes, with the future's error; the future's error then
// counts as retrieved. A Hook must only update its own bookkeeping and
// defer anything observable (completing its own future, waking a task)
// through the loop, so that the timing is the same as with a callback.
package donehook

// Hook is told when a watched future completes.
type Hook interface {
	FutureDone(err error)
}

// Add registers h on w, an eventloop.Waitable; on a future that is done
// already h is told at once. Loop goroutine only. Set by package
// eventloop when it is initialised (this package cannot import it).
var Add func(w any, h Hook)
