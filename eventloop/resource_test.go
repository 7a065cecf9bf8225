package eventloop

import (
	"errors"
	"slices"
	"testing"

	"github.com/aio-go/aio/timer"
)

// testResource is a Resource whose CloseNow runs a hook.
type testResource struct {
	desc string
	hook func()
}

func (r *testResource) String() string { return r.desc }
func (r *testResource) CloseNow() {
	if r.hook != nil {
		r.hook()
	}
}

func TestTrackReportedAndHookCalledAtClose(t *testing.T) {
	l, err := New(WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	var closed []string
	a := &testResource{"child process 1 (a)", func() { closed = append(closed, "a") }}
	if err := l.Track(a); err != nil {
		t.Fatal(err)
	}
	if err := l.Track(&testResource{"server 127.0.0.1:1", func() { closed = append(closed, "b") }}); err != nil {
		t.Fatal(err)
	}
	c := &testResource{"child process 3 (c)", func() { closed = append(closed, "c") }}
	_ = l.Track(c)
	_ = l.Track(c) // tracking again keeps its place
	l.Untrack(a)
	l.Untrack(a) // harmless
	if err := l.Track(&testResource{"panicky", func() { panic("boom") }}); err != nil {
		t.Fatal(err)
	}

	err = l.Close()
	var alive *AliveError
	if !errors.As(err, &alive) {
		t.Fatalf("Close = %v, want *AliveError", err)
	}
	if want := []string{"server 127.0.0.1:1", "child process 3 (c)", "panicky"}; !slices.Equal(alive.Resources, want) {
		t.Errorf("Resources = %q, want %q", alive.Resources, want)
	}
	if want := []string{"b", "c"}; !slices.Equal(closed, want) {
		t.Errorf("hooks called %q, want %q (a was untracked)", closed, want)
	}
	l.Untrack(c) // after Close: harmless
	if err := l.Track(&testResource{desc: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Track after Close = %v, want ErrClosed", err)
	}
	if err := newVirtualLoop(t).Track(nil); !errors.Is(err, ErrNilResource) {
		t.Errorf("Track(nil) = %v, want ErrNilResource", err)
	}
}

func TestTrackUntrackedLeavesCloseClean(t *testing.T) {
	l := newVirtualLoop(t)
	r := &testResource{desc: "x"}
	if err := l.Track(r); err != nil {
		t.Fatal(err)
	}
	l.Untrack(r)
}

func TestLocal(t *testing.T) {
	type key struct{}
	l := newVirtualLoop(t, WithLocal(key{}, "from option"))
	if got := l.Local(key{}); got != "from option" {
		t.Errorf("Local = %v, want the WithLocal value", got)
	}
	l.SetLocal(key{}, 42)
	if got := l.Local(key{}); got != 42 {
		t.Errorf("Local after SetLocal = %v, want 42", got)
	}
	l.SetLocal(key{}, nil)
	if got := l.Local(key{}); got != nil {
		t.Errorf("Local after removal = %v, want nil", got)
	}
	if got := newVirtualLoop(t).Local(key{}); got != nil {
		t.Errorf("another loop's Local = %v, want nil", got)
	}
}
