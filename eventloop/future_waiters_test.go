package eventloop

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A future keeps its first waiter inline and moves to a list from the
// second; removals and the move must keep registration order and must not
// lose or repeat an entry.
func TestDoneEntriesKeepOrderAcrossInlineAndList(t *testing.T) {
	cases := []struct {
		name   string
		n      int   // callbacks registered, cb0..cb<n-1>
		remove []int // indexes removed before completion
		want   string
	}{
		{"one", 1, nil, "cb0"},
		{"one removed", 1, []int{0}, ""},
		{"two", 2, nil, "cb0 cb1"},
		{"first removed", 3, []int{0}, "cb1 cb2"},
		{"middle removed", 3, []int{1}, "cb0 cb2"},
		{"last removed", 3, []int{2}, "cb0 cb1"},
		{"all removed", 3, []int{0, 1, 2}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newVirtualLoop(t)
			f := NewFuture[int](l)
			var tr trace
			ids := make([]CallbackID, c.n)
			for i := range c.n {
				ids[i] = f.OnDone(func() { tr.add(fmt.Sprintf("cb%d", i)) })
			}
			for _, i := range c.remove {
				if !f.RemoveDoneCallback(ids[i]) {
					t.Errorf("RemoveDoneCallback(cb%d) failed", i)
				}
				if f.RemoveDoneCallback(ids[i]) {
					t.Errorf("RemoveDoneCallback(cb%d) succeeded twice", i)
				}
			}
			// Registered after the removals: always last.
			f.OnDone(func() { tr.add("late") })
			f.SetResult(1)
			l.RunOnce(0)
			want := c.want + " late"
			if c.want == "" {
				want = "late"
			}
			if diff := cmp.Diff(want, joinTrace(tr.get())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func joinTrace(lines []string) string {
	s := ""
	for i, l := range lines {
		if i > 0 {
			s += " "
		}
		s += l
	}
	return s
}

// A task parked on a future and callbacks are woken in registration
// order whichever comes first, and RemoveDoneCallback cannot remove the
// task's entry.
func TestDoneEntriesMixTasksAndCallbacks(t *testing.T) {
	for _, taskFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("taskFirst=%v", taskFirst), func(t *testing.T) {
			l := newVirtualLoop(t)
			f := NewFuture[int](l)
			var tr trace
			if !taskFirst {
				f.OnDone(func() { tr.add("cb") })
			}
			waiter := Spawn(l.Context(), func(ctx context.Context) (int, error) {
				v, err := Await[int](ctx, f)
				tr.add("task")
				return v, err
			})
			l.RunOnce(0) // the task parks on f
			if taskFirst {
				f.OnDone(func() { tr.add("cb") })
				if f.RemoveDoneCallback(1) {
					t.Error("RemoveDoneCallback removed the parked task's entry")
				}
			}
			f.SetResult(7)
			l.RunOnce(0)
			if !waiter.Done() {
				t.Fatal("the task parked on the future was not woken")
			}
			want := []string{"cb", "task"} // both queued by SetResult, in registration order
			if taskFirst {
				want = []string{"task", "cb"}
			}
			if diff := cmp.Diff(want, tr.get()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// One thing waiting on a future costs no allocation: most futures (every
// task awaited by one other, every Gather child) have exactly one.
func TestOneDoneCallbackAllocatesNothing(t *testing.T) {
	l := newVirtualLoop(t)
	fn := func() {}
	a := testing.AllocsPerRun(100, func() {
		f := &Future[int]{futureCore: futureCore{loop: l}} // on the stack: f does not escape
		f.OnDone(fn)
		f.RemoveDoneCallback(1)
	})
	if a != 0 {
		t.Errorf("one OnDone: %v allocations, want 0", a)
	}
}
