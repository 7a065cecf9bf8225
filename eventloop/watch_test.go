package eventloop

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recordingWatcher records what it is told and takes the error if take.
type recordingWatcher struct {
	name string
	take bool
	tr   *trace
}

func (h *recordingWatcher) FutureDone(err error) bool {
	h.tr.add(h.name + " " + errString(err))
	return h.take
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Unwatch takes one registration of exactly the hook given, inline or in
// a list with callbacks, and leaves callbacks, other hooks and a hook's
// other registration alone.
func TestUnwatch(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	a := &recordingWatcher{name: "a", tr: &tr}
	b := &recordingWatcher{name: "b", tr: &tr}

	inline := NewFuture[int](l)
	Watch(inline, a)
	if Unwatch(inline, b) {
		t.Error("Remove of a hook never added reported true")
	}
	if !Unwatch(inline, a) || Unwatch(inline, a) {
		t.Error("Remove of the inline hook: want true, then false")
	}

	list := NewFuture[int](l)
	list.OnDone(func() { tr.add("cb") })
	Watch(list, a)
	Watch(list, b)
	Watch(list, a)
	if !Unwatch(list, a) {
		t.Error("Remove(a) from the list failed")
	}
	list.SetResult(1)
	inline.SetResult(1)
	runFor(l, time.Second) // the callback runs through the loop
	if diff := cmp.Diff([]string{"b <nil>", "a <nil>", "cb"}, tr.get()); diff != "" {
		t.Errorf("told (-want +got):\n%s", diff)
	}
	if Unwatch(list, b) {
		t.Error("Remove after completion reported true")
	}
}

// A hook that takes the error marks it retrieved; one that does not
// leaves it for someone else, and the loop reports a task error nobody
// took.
func TestWatcherTakesErrorOnlyWhenItSaysSo(t *testing.T) {
	boom := errors.New("boom")
	for _, take := range []bool{false, true} {
		var reported []error
		l := newVirtualLoop(t, WithExceptionHandler(func(_ *Loop, c ExceptionContext) { reported = append(reported, c.Err) }))
		var tr trace
		h := &recordingWatcher{name: "h", take: take, tr: &tr}
		tk := Spawn(l.Context(), func(context.Context) (int, error) { return 0, boom })
		Watch(tk, h)
		f := NewFuture[int](l)
		Watch(f, h)
		f.SetError(boom)
		runFor(l, time.Second) // not RunUntilComplete(tk): that reads tk's error
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"h boom", "h boom"}, tr.get()); diff != "" {
			t.Errorf("take=%v: told (-want +got):\n%s", take, diff)
		}
		if take != (len(reported) == 0) || take != f.retrieved {
			t.Errorf("take=%v: reported %v, future retrieved=%v", take, reported, f.retrieved)
		}
	}
}

// runFor runs l for d of loop time.
func runFor(l *Loop, d time.Duration) {
	stop := NewFuture[int](l)
	l.CallLater(d, func() { stop.SetResult(0) })
	l.RunUntilComplete(stop)
}

type uncomparableWatcher struct{ _ []error } // a slice field makes it uncomparable

func (u uncomparableWatcher) FutureDone(error) bool { return false }

// Watch and Unwatch reject what they cannot work with, with an error
// rather than a panic later (comparing an uncomparable watcher in Unwatch
// would panic).
func TestWatchRejectsBadInput(t *testing.T) {
	l := newVirtualLoop(t)
	f := NewFuture[int](l)
	var nilFuture *Future[int]
	var tr trace
	h := &recordingWatcher{name: "h", tr: &tr}
	cases := []struct {
		name string
		w    Waitable
		dw   DoneWatcher
		want error
	}{
		{"nil future", nil, h, ErrNilWaitable},
		{"nil pointer future", nilFuture, h, ErrNilWaitable},
		{"nil watcher", f, nil, ErrNilCallback},
		{"uncomparable watcher", f, uncomparableWatcher{}, errUncomparableWatcher},
	}
	for _, c := range cases {
		if err := Watch(c.w, c.dw); !errors.Is(err, c.want) {
			t.Errorf("%s: Watch = %v, want %v", c.name, err, c.want)
		}
		if Unwatch(c.w, c.dw) {
			t.Errorf("%s: Unwatch reported success", c.name)
		}
	}
	if err := Watch(f, h); err != nil {
		t.Fatal(err)
	}
	f.SetResult(1)
	if diff := cmp.Diff([]string{"h <nil>"}, tr.get()); diff != "" {
		t.Errorf("watcher (-want +got):\n%s", diff)
	}
}
