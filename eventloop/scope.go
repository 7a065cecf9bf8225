package eventloop

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/internal/ilist"
)

// A scope is the loop's own context.Context: the context of a task, of a
// TaskGroup or of a timeout. Scopes form a tree on the loop. Cancelling one
// happens on the loop goroutine and walks its subtree directly: it wakes
// the tasks parked on it and cancels its child scopes, with no goroutine
// and no channel. That is the fast path of docs/design.md D4; an await on any
// other context (one derived with the standard library, say) is watched
// with context.AfterFunc, which posts the wake-up to the loop.
//
// A scope is a valid context.Context for any goroutine: Err and Done are
// safe to call concurrently (Err is an atomic load; Done makes its channel
// lazily under mu), so a task can hand its ctx to any Go library.
type scope struct {
	loop   *Loop
	task   *taskBase       // the task that may await with this context; nil for the root
	parent context.Context // values and, for foreign parents, cancellation

	err atomic.Pointer[error]
	ext atomic.Pointer[scopeExt] // made on first use: most scopes never need it

	// Loop goroutine only. The scope's children are in ext (kids): most
	// scopes (a task that spawns nothing) never have any.
	sibs ilist.Links[scope] // in the parent's list of children
	// waiting: task is parked with this scope as its cancellation source.
	// Only the scope's own task can await with it (currentTask enforces
	// that), so a flag is enough.
	waiting   bool
	ownerDone bool // owner finished: unlink once childless
	// linked: the scope is a kid of scopeOf(parent), a scope of the same
	// loop (a flag, not a pointer: one word less in every task).
	linked bool
}

// scopeExt holds what only some scopes need: the Done channel (made when a
// goroutine asks for it), AfterFunc registrations (standard-library
// children) and an own deadline (timeout scopes). Keeping it out of line
// keeps a task small, which matters with 100k tasks alive.
type scopeExt struct {
	mu          sync.Mutex // protects everything below
	done        chan struct{}
	closed      bool
	afters      []*afterFunc
	stopForeign func() bool // stops watching a foreign parent (loop goroutine only)
	deadline    time.Time   // wall-clock deadline reported by Deadline
	hasDeadline bool

	// The scope's children (loop goroutine only, no mutex).
	kids ilist.List[scope, *scope]
}

// Links gives a parent's list of children its links (ilist.Elem).
func (sc *scope) Links() *ilist.Links[scope] { return &sc.sibs }

// firstKid returns the scope's first child, or nil.
func (sc *scope) firstKid() *scope {
	if e := sc.ext.Load(); e != nil {
		return e.kids.Front()
	}
	return nil
}

// getExt returns the scope's extension, making it if needed. Safe from any
// goroutine.
func (sc *scope) getExt() *scopeExt {
	if e := sc.ext.Load(); e != nil {
		return e
	}
	sc.ext.CompareAndSwap(nil, &scopeExt{})
	return sc.ext.Load()
}

type scopeKey struct{}

type afterFunc struct{ f func() }

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func newRootScope(l *Loop) *scope {
	return &scope{loop: l, parent: context.Background()}
}

// init links sc under parent. It must run on the loop goroutine.
func (sc *scope) init(l *Loop, task *taskBase, parent context.Context) {
	sc.loop, sc.task, sc.parent = l, task, parent
	up := scopeOf(parent)
	if up != nil && up.loop == l && (context.Context(up) == parent || parent.Done() == up.Done()) {
		sc.linked = true
		up.addKid(sc)
		if e := up.err.Load(); e != nil {
			sc.cancel(*e)
		}
		return
	}
	if parent.Done() == nil {
		return
	}
	if parent.Err() != nil {
		sc.cancel(parent.Err())
		return
	}
	// A foreign parent (or a standard-library layer over one of ours):
	// its cancellation arrives on another goroutine and is posted here.
	sc.getExt().stopForeign = context.AfterFunc(parent, func() {
		l.CallSoonThreadsafe(func() { sc.cancel(parent.Err()) })
	})
}

func scopeOf(ctx context.Context) *scope {
	switch c := ctx.(type) {
	case *scope:
		return c
	case deadlineCtx:
		return c.scope
	}
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	return sc
}

// ownScope returns the scope ctx is, when ctx is one of the loop's own
// contexts rather than something derived from one: the fast path of park.
func ownScope(ctx context.Context) *scope {
	switch c := ctx.(type) {
	case *scope:
		return c
	case deadlineCtx:
		return c.scope
	}
	return nil
}

func (sc *scope) addKid(k *scope) { sc.getExt().kids.PushBack(k) }

func (sc *scope) removeKid(k *scope) {
	sc.ext.Load().kids.Remove(k) // not nil: k is a kid
}

// release is called when the scope's owner (task, timeout, group) is
// finished. The scope leaves the tree once it has no children, so that
// cancelling an ancestor still reaches tasks spawned with this context.
func (sc *scope) release() {
	sc.ownerDone = true
	for s := sc; s != nil && s.ownerDone && s.firstKid() == nil; {
		s.stopWatchingParent()
		if !s.linked {
			return
		}
		up := scopeOf(s.parent) // the scope init linked s to
		up.removeKid(s)
		s.linked = false
		s = up
	}
}

// cancel cancels the scope and its subtree with err (context.Canceled or
// context.DeadlineExceeded). Loop goroutine only. Idempotent.
func (sc *scope) cancel(err error) {
	if sc.err.Load() != nil {
		return
	}
	sc.err.Store(&err)
	// Done and AfterFunc run on other goroutines: either they see err, or
	// this sees their extension (both sides use sequentially consistent
	// atomics), and the extension's mutex settles the rest.
	if e := sc.ext.Load(); e != nil {
		e.mu.Lock()
		if e.done == nil {
			e.done = closedChan
		} else if !e.closed {
			close(e.done)
		}
		e.closed = true
		afters := e.afters
		e.afters = nil
		e.mu.Unlock()
		for _, a := range afters {
			a.f()
		}
	}
	if sc.waiting {
		sc.loop.unpark(sc.task, true)
	}
	for k := sc.firstKid(); k != nil; k = k.sibs.Next() {
		k.cancel(err)
	}
	sc.stopWatchingParent()
}

func (sc *scope) stopWatchingParent() {
	if e := sc.ext.Load(); e != nil && e.stopForeign != nil {
		e.stopForeign()
		e.stopForeign = nil
	}
}

// Deadline implements context.Context: the wall-clock deadline of the
// nearest timeout, for Go libraries that set socket deadlines from it. With
// a virtual clock loop timeouts have no wall-clock deadline.
func (sc *scope) Deadline() (time.Time, bool) {
	if e := sc.ext.Load(); e != nil {
		e.mu.Lock()
		d, ok := e.deadline, e.hasDeadline
		e.mu.Unlock()
		if ok {
			return d, true
		}
	}
	return sc.parent.Deadline()
}

// Done implements context.Context. Safe from any goroutine.
func (sc *scope) Done() <-chan struct{} {
	e := sc.getExt()
	e.mu.Lock()
	if e.done == nil {
		if sc.err.Load() != nil {
			e.done, e.closed = closedChan, true
		} else {
			e.done = make(chan struct{})
		}
	}
	d := e.done
	e.mu.Unlock()
	return d
}

// Err implements context.Context. Safe from any goroutine.
func (sc *scope) Err() error {
	if e := sc.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Value implements context.Context; the scope answers its own key, so
// awaits on derived contexts find their loop and task.
func (sc *scope) Value(key any) any {
	if key == (scopeKey{}) {
		return sc
	}
	return sc.parent.Value(key)
}

// AfterFunc lets context.WithCancel and friends watch a scope without a
// goroutine (the standard library looks for this method). f runs on the
// loop goroutine when the scope is cancelled, or in a new goroutine if it
// already was.
func (sc *scope) AfterFunc(f func()) func() bool {
	a := &afterFunc{f: f}
	e := sc.getExt()
	e.mu.Lock()
	if sc.err.Load() != nil {
		e.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	e.afters = append(e.afters, a)
	e.mu.Unlock()
	return func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		for i, b := range e.afters {
			if b == a {
				e.afters = append(e.afters[:i], e.afters[i+1:]...)
				return true
			}
		}
		return false
	}
}

func (sc *scope) String() string {
	if sc.task != nil {
		return "eventloop.scope(task " + sc.task.Name() + ")"
	}
	return "eventloop.scope"
}

// WithCancel is context.WithCancel for a loop's tasks: the child is
// cancelled on the loop goroutine by walking the scope tree, with no
// goroutine, and awaits on it take the fast path. The returned cancel
// function is loop-only (from another goroutine post it with
// CallSoonThreadsafe). A parent that carries no loop gets the standard
// library's context.WithCancel.
func WithCancel(parent context.Context) (context.Context, context.CancelFunc) {
	up := scopeOf(parent)
	if up == nil {
		return context.WithCancel(parent)
	}
	sc := &scope{}
	sc.init(up.loop, up.task, parent)
	return sc, func() {
		sc.cancel(context.Canceled)
		sc.release()
	}
}

// LoopOf returns the loop ctx belongs to (a task's context, a scope under
// it, or Loop.Context), or nil: asyncio's get_running_loop.
func LoopOf(ctx context.Context) *Loop {
	if sc := scopeOf(ctx); sc != nil {
		return sc.loop
	}
	return nil
}
