package timer

import "time"

// Entry and tHeap give the tests an object per timer, as the Heap's API had
// before it went pointer-free (issue 2): an Entry can be pushed, cancelled
// and pushed again, and is compared by identity. A push gives the entry a new
// ID; everything else is the Heap's own answer. tHeap.Cancel refuses an entry
// pending in another heap as the loop does (a TimerHandle names its loop):
// the Heap itself only knows its own IDs.
type Entry struct {
	When  time.Duration
	Value any
	id    ID
	h     *tHeap // the heap of the last push
}

func (e *Entry) Pending() bool   { return e.h != nil && e.h.Heap.Pending(e.id) }
func (e *Entry) Cancelled() bool { return e.h != nil && e.h.Heap.Cancelled(e.id) }

type tHeap struct{ Heap[*Entry] }

func newHeap(cfg *config) *tHeap { return &tHeap{Heap[*Entry]{cfg: cfg}} }

func (h *tHeap) Push(e *Entry) {
	if e.Pending() {
		panic("test: Push of an entry that is already pending")
	}
	e.id, e.h = h.Heap.Push(e.When, e), h
}

func (h *tHeap) Cancel(e *Entry) bool {
	return e != nil && e.h == h && h.Heap.Cancel(e.id)
}

func entryOf(it Item[*Entry], ok bool) *Entry {
	if !ok {
		return nil
	}
	if it.Value.id != it.ID || it.Value.When != it.When {
		panic("test: the heap returned an item that does not match its entry")
	}
	return it.Value
}

func (h *tHeap) Pop() *Entry                     { return entryOf(h.Heap.Pop()) }
func (h *tHeap) Peek() *Entry                    { return entryOf(h.Heap.Peek()) }
func (h *tHeap) PopDue(now time.Duration) *Entry { return entryOf(h.Heap.PopDue(now)) }

func (h *tHeap) Entries(fn func(*Entry) bool) {
	h.Heap.Entries(func(it Item[*Entry]) bool { return fn(entryOf(it, true)) })
}
