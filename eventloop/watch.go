package eventloop

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/aio-go/aio/internal/errs"
)

// A DoneWatcher is told when a future or task it watches completes; see
// Watch.
type DoneWatcher interface {
	// FutureDone is called on the loop goroutine the moment the watched
	// future completes, with its error (nil on success). It reports
	// whether the watcher takes that error: the error then counts as
	// retrieved (the loop will not report a task's error as never
	// retrieved).
	FutureDone(err error) (took bool)
}

// Watch registers dw on w: dw.FutureDone is called once w completes. It is
// the primitive under Gather, Wait, AsCompleted and TaskGroup: a done
// callback (OnDone) costs a closure per watched future, while one watcher
// can watch any number of futures, and a pointer into a slice of small
// records, one per future, tells which one completed without an
// allocation per future.
//
// Unlike a done callback, FutureDone runs synchronously, inside whatever
// completes w (a task returning, SetResult), and at once if w is done
// already. A watcher must therefore only update its own bookkeeping and
// defer anything observable (completing its own future, waking or
// cancelling a task) through the loop with CallSoon: queued when
// FutureDone runs, such a callback runs exactly where a done callback of
// w would have run, so the timing is asyncio's.
//
// Registrations are told in registration order together with w's done
// callbacks and parked tasks; the same dw registered twice is told twice.
// dw must be comparable (a pointer, typically): Unwatch finds it by
// identity. Loop goroutine only (or a running task of w's loop).
func Watch(w Waitable, dw DoneWatcher) error {
	if err := checkWatch("Watch", w, dw); err != nil {
		return err
	}
	var t *taskBase
	if ti, ok := w.(interface{ base() *taskBase }); ok {
		t = ti.base()
	}
	w.core().addHook(dw, t)
	return nil
}

// Unwatch unregisters dw from w (one registration, if dw was registered
// more than once) unless it was told already, and reports whether it did.
// O(number of things waiting for w). Loop goroutine only.
func Unwatch(w Waitable, dw DoneWatcher) bool {
	if checkWatch("Unwatch", w, dw) != nil {
		return false
	}
	return w.core().removeHook(dw)
}

func checkWatch(op string, w Waitable, dw DoneWatcher) error {
	switch {
	case w == nil || isNilPointer(w):
		return errs.Op("eventloop", op, ErrNilWaitable)
	case dw == nil:
		return errs.Op("eventloop", op, fmt.Errorf("%w: nil watcher", ErrNilCallback))
	case !reflect.TypeOf(dw).Comparable():
		return errs.Op("eventloop", op, errUncomparableWatcher)
	}
	return nil
}

var errUncomparableWatcher = errors.New("eventloop: a DoneWatcher must be comparable (use a pointer)")

func isNilPointer(x any) bool {
	v := reflect.ValueOf(x)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
