package ilist

import (
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type node struct {
	v     int
	links Links[node]
}

func (n *node) Links() *Links[node] { return &n.links }

func values(l *List[node, *node]) []int {
	var out []int
	for n := l.Front(); n != nil; n = n.links.Next() {
		out = append(out, n.v)
	}
	return out
}

// TestListAgainstSlice checks every push and removal against a slice
// model: order, length, and the report of removing what is not there.
func TestListAgainstSlice(t *testing.T) {
	type op struct {
		push bool
		v    int
	}
	// v >= 100 pushes v-100 at the front.
	ops := []op{
		{true, 0}, {true, 1}, {true, 2}, {true, 3},
		{false, 1}, {true, 4}, {false, 3}, {false, 0}, // the middle, the middle, the head
		{true, 5}, {false, 5}, // the tail
		{true, 6}, {false, 4}, {false, 2}, {false, 6}, // down to empty
		{false, 6}, // not there
		{true, 7}, {true, 8}, {false, 8}, {true, 9}, {false, 7}, {false, 9},
	}
	var l List[node, *node]
	var model []int
	nodes := make([]*node, 10)
	for i := range nodes {
		nodes[i] = &node{v: i}
	}
	for step, o := range ops {
		if o.push && o.v >= 100 {
			l.PushFront(nodes[o.v-100])
			model = append([]int{o.v - 100}, model...)
		} else if o.push {
			l.PushBack(nodes[o.v])
			model = append(model, o.v)
		} else {
			i := slices.Index(model, o.v)
			if got := l.Remove(nodes[o.v]); got != (i >= 0) {
				t.Fatalf("step %d: Remove(%d) = %v, want %v", step, o.v, got, i >= 0)
			}
			if i >= 0 {
				model = slices.Delete(model, i, i+1)
			}
		}
		if got := values(&l); !slices.Equal(got, model) || l.Len() != len(model) {
			t.Fatalf("step %d: list %v (len %d), want %v", step, got, l.Len(), model)
		}
	}
	if l.Len() != 0 || l.Front() != nil {
		t.Fatalf("list not empty at the end: %v", values(&l))
	}
}

func TestRemoveOnlyOfOwnList(t *testing.T) {
	var a, b List[node, *node]
	x, y := &node{v: 1}, &node{v: 2}
	a.PushBack(x)
	b.PushBack(y)
	if b.Remove(&node{v: 3}) {
		t.Error("removed an element that was never pushed")
	}
	if !a.Remove(x) || a.Len() != 0 || b.Len() != 1 {
		t.Errorf("a %v b %v", values(&a), values(&b))
	}
}

func BenchmarkPushRemove(b *testing.B) {
	var l List[node, *node]
	ns := make([]node, 64)
	for b.Loop() {
		for i := range ns {
			l.PushBack(&ns[i])
		}
		for i := range ns {
			l.Remove(&ns[i])
		}
	}
}
