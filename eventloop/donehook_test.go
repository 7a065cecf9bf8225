package eventloop

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/internal/donehook"
	"github.com/google/go-cmp/cmp"
)

// recordingHook records what it is told and takes the error if take.
type recordingHook struct {
	name string
	take bool
	tr   *trace
}

func (h *recordingHook) FutureDone(err error) bool {
	h.tr.add(h.name + " " + errString(err))
	return h.take
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Remove takes one registration of exactly the hook given, inline or in
// a list with callbacks, and leaves callbacks, other hooks and a hook's
// other registration alone.
func TestDonehookRemove(t *testing.T) {
	l := newVirtualLoop(t)
	var tr trace
	a := &recordingHook{name: "a", tr: &tr}
	b := &recordingHook{name: "b", tr: &tr}

	inline := NewFuture[int](l)
	donehook.Add(inline, a)
	if donehook.Remove(inline, b) {
		t.Error("Remove of a hook never added reported true")
	}
	if !donehook.Remove(inline, a) || donehook.Remove(inline, a) {
		t.Error("Remove of the inline hook: want true, then false")
	}

	list := NewFuture[int](l)
	list.OnDone(func() { tr.add("cb") })
	donehook.Add(list, a)
	donehook.Add(list, b)
	donehook.Add(list, a)
	if !donehook.Remove(list, a) {
		t.Error("Remove(a) from the list failed")
	}
	list.SetResult(1)
	inline.SetResult(1)
	runFor(l, time.Second) // the callback runs through the loop
	if diff := cmp.Diff([]string{"b <nil>", "a <nil>", "cb"}, tr.get()); diff != "" {
		t.Errorf("told (-want +got):\n%s", diff)
	}
	if donehook.Remove(list, b) {
		t.Error("Remove after completion reported true")
	}
}

// A hook that takes the error marks it retrieved; one that does not
// leaves it for someone else, and the loop reports a task error nobody
// took.
func TestDonehookTakesErrorOnlyWhenItSaysSo(t *testing.T) {
	boom := errors.New("boom")
	for _, take := range []bool{false, true} {
		var reported []error
		l := newVirtualLoop(t, WithExceptionHandler(func(_ *Loop, c ExceptionContext) { reported = append(reported, c.Err) }))
		var tr trace
		h := &recordingHook{name: "h", take: take, tr: &tr}
		tk := Spawn(l.Context(), func(context.Context) (int, error) { return 0, boom })
		donehook.Add(tk, h)
		f := NewFuture[int](l)
		donehook.Add(f, h)
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
