package eventloop

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/internal/errs"
)

// Waitable is what every awaitable of a loop (Future, Task) offers without
// its result type, so that combinators (Gather, Wait, AsCompleted) can
// handle futures of different types together. Loop goroutine only.
type Waitable interface {
	// Loop returns the loop the object belongs to.
	Loop() *Loop
	// Done reports whether a result, an error or a cancellation was set.
	Done() bool
	// Err returns the error of a done object (nil on success, ErrCancelled
	// when cancelled) and ErrInvalidState while it is pending.
	Err() error
	// Cancelled reports whether the object ended cancelled.
	Cancelled() bool
	// Cancel requests cancellation; it reports false when already done.
	Cancel() bool
	// OnDone schedules fn to run through the loop once the object is done
	// (at once, through the loop, if it already is). Callbacks run in
	// registration order, never inline.
	OnDone(fn func()) CallbackID
	// RemoveDoneCallback unregisters a callback that has not been
	// scheduled yet and reports whether it did.
	RemoveDoneCallback(id CallbackID) bool
	core() *futureCore
}

// Awaitable is a Waitable with a typed result.
type Awaitable[T any] interface {
	Waitable
	// Result returns the value and error of a done object, and
	// ErrInvalidState while it is pending.
	Result() (T, error)
}

// CallbackID identifies a done callback for RemoveDoneCallback.
type CallbackID uint32

type doneEntry struct {
	id CallbackID
	h  any // a func() to schedule, a *taskBase to wake, or a DoneWatcher
}

// doneList holds a future's entries once it has more than one.
type doneList struct{ entries []doneEntry }

// futureCore is the untyped part of every future and task: its state and
// the callbacks and tasks waiting for it.
type futureCore struct {
	loop *Loop
	err  error
	// waiters: nil; the entry with id 1 by itself (its doneEntry.h: most
	// futures have one thing waiting, the task awaiting it or the Gather
	// it is part of, and then it costs no allocation); or a *doneList.
	waiters   any
	nextID    uint32
	done      bool
	cancelled bool
	retrieved bool
}

func (f *futureCore) core() *futureCore { return f }

// core returns nil for a nil *Future, so that awaits can tell it apart
// (ErrNilWaitable) instead of panicking.
func (f *Future[T]) core() *futureCore {
	if f == nil {
		return nil
	}
	return &f.futureCore
}

// Loop returns the loop the future belongs to.
func (f *futureCore) Loop() *Loop { return f.loop }

// Done reports whether the future has a result, an error or was cancelled.
func (f *futureCore) Done() bool { return f.done }

// Cancelled reports whether the future ended cancelled: its error is only
// a cancellation (IsOnlyCancellation), not a failure joined with one.
func (f *futureCore) Cancelled() bool { return f.cancelled }

// Err returns the error of a done future (nil on success, ErrCancelled if
// cancelled), or ErrInvalidState while it is pending. Reading it counts as
// retrieving the error.
func (f *futureCore) Err() error {
	if !f.done {
		return fmt.Errorf("eventloop: Err of a pending future: %w", ErrInvalidState)
	}
	f.retrieved = true
	return f.err
}

// OnDone schedules fn through the loop once the future is done; see
// Waitable. O(1).
func (f *futureCore) OnDone(fn func()) CallbackID {
	if fn == nil {
		f.nextID++
		return CallbackID(f.nextID)
	}
	if f.done {
		f.nextID++
		f.loop.syncInbox()
		f.loop.ready.push(fn)
		return CallbackID(f.nextID)
	}
	return f.add(fn)
}

// add registers h (see doneEntry) on a pending future.
func (f *futureCore) add(h any) CallbackID {
	f.nextID++
	id := CallbackID(f.nextID)
	if id == 1 {
		f.waiters = h
		return id
	}
	dl, ok := f.waiters.(*doneList)
	if !ok {
		dl = &doneList{entries: make([]doneEntry, 0, 2)}
		if f.waiters != nil {
			dl.entries = append(dl.entries, doneEntry{id: 1, h: f.waiters})
		}
		f.waiters = dl
	}
	dl.entries = append(dl.entries, doneEntry{id: id, h: h})
	return id
}

// remove unregisters the entry id if it is still registered; funcsOnly
// leaves parked tasks and hooks alone (RemoveDoneCallback takes only
// callbacks).
func (f *futureCore) remove(id CallbackID, funcsOnly bool) bool {
	dl, ok := f.waiters.(*doneList)
	if !ok {
		if id != 1 || f.waiters == nil {
			return false
		}
		if _, isFunc := f.waiters.(func()); !isFunc && funcsOnly {
			return false
		}
		f.waiters = nil
		return true
	}
	es := dl.entries
	for i, e := range es {
		if e.id != id {
			continue
		}
		if _, isFunc := e.h.(func()); !isFunc && funcsOnly {
			return false
		}
		dl.entries = append(es[:i], es[i+1:]...)
		es[len(es)-1] = doneEntry{}
		return true
	}
	return false
}

// RemoveDoneCallback unregisters the callback id if it was not scheduled
// yet. O(number of callbacks).
func (f *futureCore) RemoveDoneCallback(id CallbackID) bool { return f.remove(id, true) }

func (f *futureCore) addWaiter(t *taskBase) CallbackID { return f.add(t) }

func (f *futureCore) removeWaiter(id CallbackID) { f.remove(id, false) }

// addHook registers a DoneWatcher (Watch); on a future that is done
// already it is told at once. t is the task f is the
// future of, if it is one.
func (f *futureCore) addHook(h DoneWatcher, t *taskBase) {
	if f.done {
		f.nextID++
		f.tell(h, t)
		return
	}
	f.add(h)
}

// removeHook unregisters h (one registration of it) if it is still
// registered.
func (f *futureCore) removeHook(h DoneWatcher) bool {
	dl, ok := f.waiters.(*doneList)
	if !ok {
		return f.waiters != nil && f.waiters == any(h) && f.remove(1, false)
	}
	for _, e := range dl.entries {
		if e.h == any(h) { // different dynamic types compare unequal: no panic on a func
			return f.remove(e.id, false)
		}
	}
	return false
}

// tell tells h that f is done, and marks f's error retrieved if h took it.
func (f *futureCore) tell(h DoneWatcher, t *taskBase) {
	if h.FutureDone(f.err) {
		f.consumed(t)
	}
}

// consumed marks f's error retrieved: a hook took it.
func (f *futureCore) consumed(t *taskBase) {
	if t != nil {
		t.markRetrieved()
	} else {
		f.retrieved = true
	}
}

// complete marks the future done and schedules, in registration order,
// every callback and every parked task; hooks are told at once.
func (f *futureCore) complete(err error) { f.settle(err, nil) }

// settle is complete; t is the task f is the future of, if it is one.
func (f *futureCore) settle(err error, t *taskBase) {
	f.done = true
	f.err = err
	if errors.Is(err, context.Canceled) && IsOnlyCancellation(err) {
		f.cancelled = true
	}
	w := f.waiters
	f.waiters = nil
	if dl, ok := w.(*doneList); ok {
		for i, e := range dl.entries {
			dl.entries[i] = doneEntry{}
			f.fire(e.h, t)
		}
	} else if w != nil {
		f.fire(w, t)
	}
}

func (f *futureCore) fire(h any, t *taskBase) {
	switch h := h.(type) {
	case *taskBase:
		f.loop.unpark(h, false)
	case func():
		f.loop.syncInbox()
		f.loop.ready.push(h)
	case DoneWatcher:
		f.tell(h, t)
	}
}

// Future is a single-assignment result that a loop's tasks can await:
// exactly one of a result, an error or a cancellation is ever set. Done
// callbacks run through the loop in registration order, never inline.
// A Future belongs to one loop and is used from its goroutine (or running
// task) only; other goroutines complete it through CallSoonThreadsafe.
type Future[T any] struct {
	futureCore
	result T
}

// NewFuture returns a pending future bound to l.
func NewFuture[T any](l *Loop) *Future[T] {
	return &Future[T]{futureCore: futureCore{loop: l}}
}

// SetResult completes f with v. It fails with ErrInvalidState if f is done.
func (f *Future[T]) SetResult(v T) error {
	if f.done {
		return errs.Op("eventloop", "SetResult", fmt.Errorf("%w: future already done", ErrInvalidState))
	}
	f.result = v
	f.complete(nil)
	return nil
}

// SetError completes f with err, which must not be nil. It fails with
// ErrInvalidState if f is done.
func (f *Future[T]) SetError(err error) error {
	if err == nil {
		return errors.New("eventloop: SetError with a nil error")
	}
	if f.done {
		return errs.Op("eventloop", "SetError", fmt.Errorf("%w: future already done", ErrInvalidState))
	}
	f.complete(err)
	return nil
}

// Cancel completes f as cancelled (its error is ErrCancelled) and reports
// whether it did; it does nothing to a done future.
func (f *Future[T]) Cancel() bool {
	if f.done {
		return false
	}
	f.complete(ErrCancelled)
	return true
}

// Result returns the value and error of a done future, or ErrInvalidState
// while it is pending.
func (f *Future[T]) Result() (T, error) {
	if !f.done {
		var zero T
		return zero, fmt.Errorf("eventloop: Result of a pending future: %w", ErrInvalidState)
	}
	f.retrieved = true
	return f.result, f.err
}

// AddDoneCallback schedules fn(f) through the loop once f is done.
func (f *Future[T]) AddDoneCallback(fn func(*Future[T])) CallbackID {
	if fn == nil {
		return f.OnDone(nil)
	}
	return f.OnDone(func() { fn(f) })
}

func (f *Future[T]) String() string {
	switch {
	case !f.done:
		return "Future<pending>"
	case f.cancelled:
		return "Future<cancelled>"
	case f.err != nil:
		return fmt.Sprintf("Future<error=%v>", f.err)
	}
	return fmt.Sprintf("Future<result=%v>", f.result)
}

// Await waits for a to be done and returns its result. It must be called
// from a task of a's loop, with a context of that task.
//
// Cancellation: if ctx is cancelled first, Await cancels a (as asyncio does:
// use Shield to prevent it), waits until a is done (so a task's cleanup has
// run), and returns a's result with ErrCancelled (ErrTimeout when ctx timed
// out). An await on an already cancelled ctx returns that error at once.
func Await[T any](ctx context.Context, a Awaitable[T]) (T, error) {
	if err := WaitDone(ctx, a); err != nil {
		var v T
		if !errors.Is(err, ErrNilWaitable) {
			v, _ = a.Result()
		}
		return v, err
	}
	return a.Result()
}

// WaitDone is Await without the result: it waits until w is done and
// returns nil, or the await's own error (cancellation, misuse). It does not
// return w's error; read it with w.Err(). Misuse fails at once: a nil w
// with ErrNilWaitable, a task awaiting itself with ErrAwaitSelf, a ctx
// that is not the running task's with ErrNotInTask.
func WaitDone(ctx context.Context, w Waitable) error {
	if w == nil {
		return errs.Op("eventloop", "Await", ErrNilWaitable)
	}
	f := w.core()
	if f == nil {
		return errs.Op("eventloop", "Await", ErrNilWaitable)
	}
	t, err := currentTask(ctx, f.loop)
	if err != nil {
		return errs.Op("eventloop", "Await", err)
	}
	if f == &t.futureCore {
		return errs.Op("eventloop", "Await", ErrAwaitSelf)
	}
	if err := ctxError(ctx); err != nil {
		if !f.done {
			cancelAndWait(t, w)
		}
		return err
	}
	if f.done {
		return nil
	}
	id := f.addWaiter(t)
	if t.loop.trackAwaits {
		t.setAwaiting(w) // for the task tree; cleared below
	}
	err = t.park(ctx)
	if t.ext != nil && t.ext.site != nil {
		t.ext.site.on = nil
	}
	if err == nil {
		return ctxError(ctx) // woken by completion; a cancellation that raced in still wins
	}
	f.removeWaiter(id)
	if errors.Is(err, ErrClosed) {
		return err
	}
	cancelAndWait(t, w)
	return err
}

// cancelAndWait cancels w and, if that does not complete it at once (a task
// runs its cleanup first), waits for it without being cancellable.
func cancelAndWait(t *taskBase, w Waitable) {
	w.Cancel()
	f := w.core()
	for !f.done {
		id := f.addWaiter(t)
		if err := t.park(context.Background()); err != nil {
			f.removeWaiter(id)
			return
		}
	}
}
