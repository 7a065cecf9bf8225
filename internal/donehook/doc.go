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
