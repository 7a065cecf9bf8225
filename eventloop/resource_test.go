package eventloop

import (
	"errors"
	"slices"
	"testing"

	"github.com/aio-go/aio/timer"
)

func TestTrackReportedAndHookCalledAtClose(t *testing.T) {
	l, err := New(WithClock(timer.NewVirtual()))
	if err != nil {
		t.Fatal(err)
	}
	var closed []string
	untrackA, err := l.Track("child process 1 (a)", func() { closed = append(closed, "a") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Track("server 127.0.0.1:1", func() { closed = append(closed, "b") }); err != nil {
		t.Fatal(err)
	}
	untrackC, _ := l.Track("child process 3 (c)", func() { closed = append(closed, "c") })
	untrackA()
	untrackA() // harmless
	_ = untrackC
	if _, err := l.Track("panicky", func() { panic("boom") }); err != nil {
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
	untrackC() // after Close: harmless
	if _, err := l.Track("late", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Track after Close = %v, want ErrClosed", err)
	}
}

func TestTrackUntrackedLeavesCloseClean(t *testing.T) {
	l := newVirtualLoop(t)
	untrack, err := l.Track("x", nil)
	if err != nil {
		t.Fatal(err)
	}
	untrack()
}
