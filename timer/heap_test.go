package timer

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// configs are the heap configurations every behavioural test runs under:
// the defaults, and tiny thresholds that push even a handful of entries
// through spills, rungs, late pushes and finer rungs.
var configs = []struct {
	name string
	cfg  *config
}{
	{"default", nil},
	{"tiny", &config{spillAt: 4, bucketTarget: 2, bucketSplit: 3, maxBuckets: 4}},
	{"small", &config{spillAt: 16, bucketTarget: 4, bucketSplit: 8, maxBuckets: 64}},
}

func forConfigs(t *testing.T, fn func(t *testing.T, newHeap func() *tHeap)) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			fn(t, func() *tHeap { return newHeap(c.cfg) })
		})
	}
}

// checkInvariants checks the counters against each other and against a walk
// over every stored slot.
func checkInvariants(t *testing.T, h *tHeap) {
	t.Helper()
	st := h.Stats()
	if st.Live != uint64(h.Len()) || st.Stored != uint64(h.Stored()) || st.Live+st.Cancelled != st.Stored {
		t.Fatalf("inconsistent stats %+v, Len %d, Stored %d", st, h.Len(), h.Stored())
	}
	stored, live := 0, 0
	count := func(s []slot) {
		for i := range s {
			stored++
			if h.isLive(&s[i]) {
				live++
			}
		}
	}
	count(h.slots)
	far := 0
	for _, c := range h.far.chunks {
		count(c)
		far += len(c)
	}
	if far != h.far.n {
		t.Fatalf("far list holds %d slots, says %d", far, h.far.n)
	}
	for i := range h.rungs {
		r := &h.rungs[i]
		r.store.span(r.off[r.next], r.store.n, func(s []slot) bool { count(s); return true })
		for b := r.next; b < len(r.late); b++ {
			count(r.late[b])
		}
	}
	if stored != h.Stored() || live != h.Len() {
		t.Fatalf("walk found %d stored, %d live; heap says %d, %d", stored, live, h.Stored(), h.Len())
	}
}

func drain(h *tHeap) []*Entry {
	var out []*Entry
	for e := h.Pop(); e != nil; e = h.Pop() {
		out = append(out, e)
	}
	return out
}

func newEntries(whens ...time.Duration) []*Entry {
	es := make([]*Entry, len(whens))
	for i, w := range whens {
		es[i] = &Entry{When: w, Value: i}
	}
	return es
}

func values(es []*Entry) []int {
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.Value.(int)
	}
	return out
}

func TestLessBit(t *testing.T) {
	whens := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}
	seqs := []uint64{0, 1, 1 << 63, math.MaxUint64}
	var slots []slot
	for _, w := range whens {
		for _, q := range seqs {
			slots = append(slots, slot{when: w, seq: q})
		}
	}
	for i := range slots {
		for j := range slots {
			a, b := &slots[i], &slots[j]
			if got, want := lessBit(a, b) == 1, less(a, b); got != want {
				t.Errorf("lessBit(%+v, %+v) = %v, less says %v", *a, *b, got, want)
			}
		}
	}
}

func TestHeapZeroValue(t *testing.T) {
	var h Heap[int]
	_, ok1 := h.Pop()
	_, ok2 := h.Peek()
	_, ok3 := h.PopDue(math.MaxInt64)
	if ok1 || ok2 || ok3 {
		t.Fatal("empty zero Heap returned a timer")
	}
	for _, id := range []ID{{}, {Seq: 1}, {Seq: 5, Index: 3}} {
		if h.Cancel(id) || h.Pending(id) || h.Cancelled(id) {
			t.Fatalf("empty zero Heap: %+v is pending, cancelled or cancellable", id)
		}
	}
	if h.Len() != 0 || h.Stored() != 0 {
		t.Fatal("empty zero Heap: wrong Len or Stored")
	}
	h.Compact()
	h.Entries(func(Item[int]) bool { t.Fatal("Entries visited a timer of an empty heap"); return true })
	id := h.Push(5, 42)
	if id == (ID{}) || !h.Pending(id) {
		t.Fatalf("Push returned %+v, not pending", id)
	}
	if it, ok := h.Pop(); !ok || it.ID != id || it.When != 5 || it.Value != 42 {
		t.Fatalf("Pop = %+v, %v; want the pushed timer", it, ok)
	}
	if h.Pending(id) || h.Cancelled(id) || h.Cancel(id) {
		t.Fatal("a popped timer is pending, cancelled or cancellable")
	}
	if st := h.Stats(); st.Pushes != 1 || st.Pops != 1 || st.Compactions != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestHeapStaleID checks that an ID never names a later timer, though the
// later timer reuses its index, and that a value lets go when its timer
// leaves.
func TestHeapStaleID(t *testing.T) {
	var h Heap[*int]
	v := new(int)
	a := h.Push(10, v)
	if !h.Cancel(a) || !h.Cancelled(a) {
		t.Fatal("Cancel of a pending timer failed")
	}
	if *h.tab.val(a.Index) != nil {
		t.Fatal("a cancelled timer's value is still held")
	}
	b := h.Push(20, v)
	if b.Index != a.Index || b.Seq == a.Seq {
		t.Fatalf("b = %+v: want a's index %d reused under a new sequence number", b, a.Index)
	}
	if h.Cancel(a) || h.Pending(a) || !h.Pending(b) {
		t.Fatal("a stale ID touched the timer that reused its index")
	}
	if h.Cancelled(a) {
		t.Fatal("Cancelled of a reused index: documented to report false")
	}
	if it, ok := h.Pop(); !ok || it.ID != b || it.Value != v || *h.tab.val(b.Index) != nil {
		t.Fatalf("Pop = %+v, %v; want b with its value, and the table to let go of it", it, ok)
	}
	if h.Stored() != 0 || h.Len() != 0 {
		t.Fatalf("Stored %d, Len %d after draining", h.Stored(), h.Len())
	}
}

func TestHeapOrder(t *testing.T) {
	tests := []struct {
		name string
		give []time.Duration
		want []int // Values (push indexes) in pop order
	}{
		{"empty", nil, nil},
		{"one", []time.Duration{7}, []int{0}},
		{"sorted", []time.Duration{1, 2, 3}, []int{0, 1, 2}},
		{"reversed", []time.Duration{3, 2, 1}, []int{2, 1, 0}},
		{"equal deadlines keep push order", []time.Duration{5, 5, 5, 5, 5, 5, 5, 5, 5}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"ties among others", []time.Duration{2, 1, 2, 0, 1, 2, 0, 3, 1}, []int{3, 6, 1, 4, 8, 0, 2, 5, 7}},
		{"negative and extreme", []time.Duration{math.MaxInt64, 0, math.MinInt64, -1, math.MaxInt64, math.MinInt64},
			[]int{2, 5, 3, 1, 0, 4}},
	}
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHeap()
				for _, e := range newEntries(tt.give...) {
					h.Push(e)
				}
				checkInvariants(t, h)
				got := values(drain(h))
				if !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
					t.Fatalf("pop order %v, want %v", got, tt.want)
				}
				checkInvariants(t, h)
			})
		}
	})
}

// TestHeapEqualDeadlinesMany pushes many entries on few deadlines, enough to
// spill and build rungs with the default configuration too.
func TestHeapEqualDeadlinesMany(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		h := newHeap()
		const n = 30000
		for i := range n {
			h.Push(&Entry{When: time.Duration(i % 3), Value: i})
		}
		last := -1
		var lastWhen time.Duration
		for e := h.Pop(); e != nil; e = h.Pop() {
			v := e.Value.(int)
			if e.When == lastWhen && v <= last || e.When < lastWhen {
				t.Fatalf("entry %d (When %d) popped after %d (When %d)", v, e.When, last, lastWhen)
			}
			last, lastWhen = v, e.When
		}
		if h.Stats().Pops != n {
			t.Fatalf("popped %d entries, want %d", h.Stats().Pops, n)
		}
	})
}

func TestHeapCancel(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		tests := []struct {
			name      string
			prepare   func(h, other *tHeap, e *Entry)
			want      bool
			cancelled bool // e.Cancelled() after the call
			pending   bool // e.Pending() after the call
		}{
			{"pending", func(h, _ *tHeap, e *Entry) { h.Push(e) }, true, true, false},
			{"fired", func(h, _ *tHeap, e *Entry) { h.Push(e); h.PopDue(100) }, false, false, false},
			{"never pushed", func(*tHeap, *tHeap, *Entry) {}, false, false, false},
			{"twice", func(h, _ *tHeap, e *Entry) { h.Push(e); h.Cancel(e) }, false, true, false},
			{"pending in another heap", func(_, other *tHeap, e *Entry) { other.Push(e) }, false, false, true},
			{"re-pushed after cancel", func(h, _ *tHeap, e *Entry) { h.Push(e); h.Cancel(e); h.Push(e) }, true, true, false},
			{"re-pushed after fire", func(h, _ *tHeap, e *Entry) { h.Push(e); h.PopDue(100); h.Push(e) }, true, true, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h, other := newHeap(), newHeap()
				// Company, so that the entry is not alone at the top.
				for i := range 20 {
					h.Push(&Entry{When: time.Duration(i)})
				}
				e := &Entry{When: -1} // first out
				tt.prepare(h, other, e)
				if got := h.Cancel(e); got != tt.want {
					t.Fatalf("Cancel = %v, want %v", got, tt.want)
				}
				if e.Cancelled() != tt.cancelled || e.Pending() != tt.pending {
					t.Fatalf("after Cancel: Cancelled %v, Pending %v; want %v, %v",
						e.Cancelled(), e.Pending(), tt.cancelled, tt.pending)
				}
				checkInvariants(t, h)
				for _, got := range drain(h) {
					if got == e {
						t.Fatal("a cancelled entry was popped")
					}
				}
				if e.Pending() != tt.pending {
					t.Fatal("draining h changed the entry's state")
				}
			})
		}
	})
}

func TestHeapRepush(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		h := newHeap()
		a, b, c := &Entry{When: 1, Value: "a"}, &Entry{When: 2, Value: "b"}, &Entry{When: 3, Value: "c"}
		h.Push(a)
		h.Push(b)
		h.Push(c)
		if h.Pop() != a {
			t.Fatal("first Pop is not a")
		}
		a.When = 5 // re-push after fire, later
		h.Push(a)
		h.Cancel(b)
		b.When = 4 // re-push after cancel: the old slot must stay dead
		h.Push(b)
		if h.Len() != 3 || h.Stored() != 4 {
			t.Fatalf("Len %d Stored %d, want 3 and 4", h.Len(), h.Stored())
		}
		got := drain(h)
		if len(got) != 3 || got[0] != c || got[1] != b || got[2] != a {
			t.Fatalf("pop order %v", got)
		}
		if a.Pending() || a.Cancelled() {
			t.Fatal("a popped entry reports Pending or Cancelled")
		}
	})
}

func TestHeapCompaction(t *testing.T) {
	tests := []struct {
		name        string
		live        int // entries pushed and kept
		cancel      int // entries pushed and then cancelled
		compactions uint64
	}{
		{"dead are half: no", 100, 100, 0},
		{"dead just over half: yes", 99, 100, 1},
		{"63 dead of 63+1: below the floor", 1, 63, 0},
		{"64 dead of 64+63: yes", 63, 64, 1},
		{"64 dead of 64+64: no", 64, 64, 0},
		{"many: twice", 5000, 20000, 2},
	}
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHeap()
				r := rand.New(rand.NewPCG(1, uint64(tt.live)))
				var keep, drop []*Entry
				for i := range tt.live + tt.cancel {
					e := &Entry{When: time.Duration(r.IntN(50)), Value: i}
					h.Push(e)
					if i%2 == 1 && len(drop) < tt.cancel || len(keep) == tt.live {
						drop = append(drop, e)
					} else {
						keep = append(keep, e)
					}
				}
				for _, e := range drop {
					h.Cancel(e)
				}
				checkInvariants(t, h)
				st := h.Stats()
				if st.Compactions != tt.compactions {
					t.Fatalf("%d compactions, want %d (stats %+v)", st.Compactions, tt.compactions, st)
				}
				if dead := h.Stored() - h.Len(); dead >= minCompactDead && dead > h.Len() {
					t.Fatalf("cancelled entries dominate: Stored %d, Len %d", h.Stored(), h.Len())
				}
				slices.SortStableFunc(keep, func(a, b *Entry) int { return cmp.Compare(a.When, b.When) })
				got := drain(h)
				if !slices.Equal(got, keep) {
					t.Fatalf("pop order after compaction: got %v, want %v", values(got), values(keep))
				}
			})
		}
	})
}

func TestHeapCompactExplicit(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		h := newHeap()
		es := newEntries(3, 1, 2, 1, 0, 5, 4)
		for _, e := range es {
			h.Push(e)
		}
		h.Pop() // get rungs going in the small configurations
		h.Cancel(es[1])
		h.Cancel(es[5])
		h.Compact()
		checkInvariants(t, h)
		if h.Stored() != 4 || h.Len() != 4 || h.Stats().Compacted != 2 {
			t.Fatalf("after Compact: Stored %d, Len %d, stats %+v", h.Stored(), h.Len(), h.Stats())
		}
		if got := values(drain(h)); !slices.Equal(got, []int{3, 2, 0, 6}) {
			t.Fatalf("pop order %v", got)
		}
	})
}

func TestHeapPopDue(t *testing.T) {
	tests := []struct {
		name string
		give []time.Duration
		now  time.Duration
		want []int
	}{
		{"empty", nil, 100, nil},
		{"When == now is due", []time.Duration{10}, 10, []int{0}},
		{"When == now+1 is not", []time.Duration{11}, 10, nil},
		{"prefix", []time.Duration{30, 10, 20, 10, 40}, 20, []int{1, 3, 2}},
		{"negative now", []time.Duration{-5, -10, 0}, -5, []int{1, 0}},
		{"max now takes all", []time.Duration{math.MaxInt64, 0}, math.MaxInt64, []int{1, 0}},
	}
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHeap()
				for _, e := range newEntries(tt.give...) {
					h.Push(e)
				}
				var got []*Entry
				for e := h.PopDue(tt.now); e != nil; e = h.PopDue(tt.now) {
					got = append(got, e)
				}
				if g := values(got); !slices.Equal(g, tt.want) && len(g)+len(tt.want) > 0 {
					t.Fatalf("PopDue(%d) gave %v, want %v", tt.now, g, tt.want)
				}
				if h.Len() != len(tt.give)-len(tt.want) {
					t.Fatalf("Len %d after PopDue", h.Len())
				}
			})
		}
	})
}

func TestHeapPeekSkipsCancelled(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		h := newHeap()
		es := newEntries(1, 2, 3, 4)
		for _, e := range es {
			h.Push(e)
		}
		h.Cancel(es[0])
		h.Cancel(es[1])
		if h.Stored() != 4 {
			t.Fatalf("Stored %d before Peek, want 4 (cancellation is lazy)", h.Stored())
		}
		if got := h.Peek(); got != es[2] {
			t.Fatalf("Peek = %v, want the third entry", got)
		}
		if h.Stored() != 2 || h.Stats().Discarded != 2 {
			t.Fatalf("Peek did not drop the cancelled top: Stored %d, stats %+v", h.Stored(), h.Stats())
		}
		if h.Peek() != es[2] || h.Len() != 2 {
			t.Fatal("Peek is not idempotent")
		}
		h.Cancel(es[2])
		h.Cancel(es[3])
		if h.Peek() != nil || h.Pop() != nil || h.PopDue(100) != nil {
			t.Fatal("a heap holding only cancelled entries returned one")
		}
	})
}

func TestHeapEntries(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		h := newHeap()
		es := newEntries(5, 3, 9, 1, 7, 2, 8)
		for _, e := range es {
			h.Push(e)
		}
		h.Pop() // es[3]
		h.Cancel(es[0])
		var got []int
		h.Entries(func(e *Entry) bool { got = append(got, e.Value.(int)); return true })
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2, 4, 5, 6}) {
			t.Fatalf("Entries visited %v", got)
		}
		n := 0
		h.Entries(func(*Entry) bool { n++; return false })
		if n != 1 {
			t.Fatalf("Entries went on after fn returned false: %d calls", n)
		}
		// Cancelling everything from inside Entries, as Loop.Close may.
		h.Entries(func(e *Entry) bool { h.Cancel(e); return true })
		if h.Len() != 0 || h.Pop() != nil {
			t.Fatalf("after cancelling all in Entries: Len %d", h.Len())
		}
		checkInvariants(t, h)
	})
}

func TestHeapReset(t *testing.T) {
	forConfigs(t, func(t *testing.T, newHeap func() *tHeap) {
		h := newHeap()
		es := newEntries(5, 3, 9, 1, 7, 2, 8, 4, 6, 0, 3, 3)
		for _, e := range es {
			h.Push(e)
		}
		popped := h.Pop() // es[9]
		h.Cancel(es[0])
		h.Reset()
		if h.Len() != 0 || h.Stored() != 0 || h.Pop() != nil || h.Peek() != nil {
			t.Fatalf("after Reset: Len %d, Stored %d", h.Len(), h.Stored())
		}
		for i, e := range es {
			if e == popped {
				if e.Pending() || e.Cancelled() {
					t.Fatal("Reset changed an entry that had fired")
				}
				continue
			}
			if e.Pending() || !e.Cancelled() || h.Cancel(e) {
				t.Fatalf("entry %d after Reset: Pending %v, Cancelled %v", i, e.Pending(), e.Cancelled())
			}
		}
		if st := h.Stats(); st.Cancels != uint64(len(es)-1) || st.Pushes != uint64(len(es)) {
			t.Fatalf("Stats after Reset: %+v", st)
		}
		// The entries, and the heap, are usable again.
		for _, e := range es {
			h.Push(e)
		}
		checkInvariants(t, h)
		if got := values(drain(h)); !slices.Equal(got, []int{9, 3, 5, 1, 10, 11, 7, 0, 8, 4, 6, 2}) {
			t.Fatalf("pop order after Reset and re-push: %v", got)
		}
	})
}

// TestHeapRandomAgainstSort checks large random workloads, with the default
// configuration, against a stable sort by deadline.
func TestHeapRandomAgainstSort(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	for _, spread := range []int64{1, 1000, int64(time.Hour), math.MaxInt64} {
		h := newHeap(nil)
		r := rand.New(rand.NewPCG(uint64(spread), 7))
		var want []*Entry
		for i := range n {
			e := &Entry{When: time.Duration(r.Int64N(spread) - spread/2), Value: i}
			h.Push(e)
			if r.IntN(3) == 0 {
				h.Cancel(e)
			} else {
				want = append(want, e)
			}
			if i == n/2 { // interleave some pops with the pushes
				slices.SortStableFunc(want, func(a, b *Entry) int { return cmp.Compare(a.When, b.When) })
				for range 1000 {
					if e := h.Pop(); e != want[0] {
						t.Fatalf("spread %d: mid-way pop out of order", spread)
					}
					want = want[1:]
				}
			}
		}
		checkInvariants(t, h)
		slices.SortStableFunc(want, func(a, b *Entry) int { return cmp.Compare(a.When, b.When) })
		if got := drain(h); !slices.Equal(got, want) {
			t.Fatalf("spread %d: pop order differs from a stable sort", spread)
		}
		if h.Stored() != 0 {
			t.Fatalf("spread %d: %d slots left after draining", spread, h.Stored())
		}
	}
}

// modelItem is one entry as the model sees it.
type modelItem struct {
	when time.Duration
	seq  int // global push counter; orders ties within each heap
	e    *Entry
}

// Entry states in the model.
const (
	stateIdle uint8 = iota
	statePending
	stateCancelled
	statePopped
)

// model is the trivially correct reference: one sorted slice per heap, and
// the state of every entry.
type model struct {
	heaps [2][]modelItem
	where map[*Entry]int // heap index while pending
	state map[*Entry]uint8
	seq   int

	// Every ID a heap gave out, and the last sequence number given out at
	// each index, for the checks of stale IDs.
	ids  [2][]idOf
	last [2]map[uint32]uint64
}

// idOf is an ID and the entry it was given to.
type idOf struct {
	id ID
	e  *Entry
}

func (m *model) push(hi int, e *Entry) {
	m.seq++
	it := modelItem{e.When, m.seq, e}
	i, _ := slices.BinarySearchFunc(m.heaps[hi], it, func(a, b modelItem) int {
		return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.seq, b.seq))
	})
	m.heaps[hi] = slices.Insert(m.heaps[hi], i, it)
	m.where[e] = hi
	m.state[e] = statePending
}

func (m *model) remove(hi, i int, state uint8) *Entry {
	e := m.heaps[hi][i].e
	m.heaps[hi] = slices.Delete(m.heaps[hi], i, i+1)
	delete(m.where, e)
	m.state[e] = state
	return e
}

// fuzzReader hands out the fuzz input a byte at a time, then zeros.
type fuzzReader struct{ data []byte }

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

// when decodes a deadline: mostly a handful of small values so that ties are
// common, sometimes spread wide or at the extremes of the range.
func (r *fuzzReader) when() time.Duration {
	b := r.byte()
	switch b % 16 {
	case 0:
		return math.MinInt64 + time.Duration(b/16)
	case 1:
		return math.MaxInt64 - time.Duration(b/16)
	case 2, 3:
		return time.Duration(int64(b)-128) << 40
	case 4, 5:
		return time.Duration(int64(r.byte()) << 10)
	default:
		return time.Duration(b%8) - 2
	}
}

// runModel interprets data as operations on two heaps and checks every result
// against the model. Inputs are cut at 2 KiB and entries capped at 256, so
// that each run stays cheap enough for the fuzzer to minimize inputs quickly.
func runModel(t *testing.T, data []byte) {
	const maxInput, maxEntries = 2048, 256
	r := &fuzzReader{data[:min(len(data), maxInput)]}
	var cfg *config
	if c := r.byte(); c&0x80 == 0 {
		cfg = &config{
			spillAt:      2 + int(c&7),
			bucketTarget: 1 + int(c>>3&3),
			bucketSplit:  1 + int(c>>5&3),
			maxBuckets:   2 + int(c&7),
		}
	}
	heaps := [2]*tHeap{newHeap(cfg), newHeap(cfg)}
	m := &model{where: map[*Entry]int{}, state: map[*Entry]uint8{},
		last: [2]map[uint32]uint64{{}, {}}}
	pushed := func(hi int, e *Entry) {
		if e.id.Seq <= m.last[hi][e.id.Index] {
			t.Fatalf("Push gave %+v: not a fresh sequence number at that index", e.id)
		}
		m.last[hi][e.id.Index] = e.id.Seq
		m.ids[hi] = append(m.ids[hi], idOf{e.id, e})
		m.push(hi, e)
	}
	var pool []*Entry
	pick := func() *Entry {
		if len(pool) == 0 {
			pool = append(pool, &Entry{Value: 0}) // never pushed
		}
		return pool[int(r.byte())%len(pool)]
	}
	for step := 0; len(r.data) > 0; step++ {
		op := r.byte()
		hi := int(op >> 7)
		h := heaps[hi]
		items := m.heaps[hi]
		switch op % 8 {
		case 0, 1: // push a new entry
			if len(pool) == maxEntries {
				r.byte()
				continue
			}
			e := &Entry{When: r.when(), Value: len(pool)}
			pool = append(pool, e)
			h.Push(e)
			pushed(hi, e)
		case 2: // push an earlier entry again
			e, when := pick(), r.when()
			if _, pending := m.where[e]; pending {
				continue // a new push would be a second timer: the wrapper refuses
			}
			e.When = when
			h.Push(e)
			pushed(hi, e)
		case 3: // cancel
			if op&0x40 != 0 && len(m.ids[hi]) > 0 {
				// Cancel by any ID this heap ever gave out, most of them
				// stale: only the current push of a pending entry may go.
				x := m.ids[hi][int(r.byte())%len(m.ids[hi])]
				want := false
				if w, pending := m.where[x.e]; pending && w == hi && x.e.id == x.id {
					want = true
					i := slices.IndexFunc(items, func(it modelItem) bool { return it.e == x.e })
					m.remove(hi, i, stateCancelled)
				}
				if got := h.Heap.Cancel(x.id); got != want {
					t.Fatalf("step %d: Cancel(%+v) = %v, want %v", step, x.id, got, want)
				}
				break
			}
			e := pick()
			want := false
			if w, pending := m.where[e]; pending && w == hi {
				want = true
				i := slices.IndexFunc(items, func(it modelItem) bool { return it.e == e })
				m.remove(hi, i, stateCancelled)
			}
			if got := h.Cancel(e); got != want {
				t.Fatalf("step %d: Cancel = %v, want %v", step, got, want)
			}
		case 4: // pop
			var want *Entry
			if len(items) > 0 {
				want = m.remove(hi, 0, statePopped)
			}
			if got := h.Pop(); got != want {
				t.Fatalf("step %d: Pop = %v, want %v", step, got, want)
			}
		case 5: // pop due
			now := r.when()
			var want *Entry
			if len(items) > 0 && items[0].when <= now {
				want = m.remove(hi, 0, statePopped)
			}
			if got := h.PopDue(now); got != want {
				t.Fatalf("step %d: PopDue(%d) = %v, want %v", step, now, got, want)
			}
		case 6: // peek
			var want *Entry
			if len(items) > 0 {
				want = items[0].e
			}
			if got := h.Peek(); got != want {
				t.Fatalf("step %d: Peek = %v, want %v", step, got, want)
			}
		case 7: // reset (rarely), compact, or list the entries
			if op&0x60 == 0x60 && r.byte() < 32 {
				for len(m.heaps[hi]) > 0 {
					m.remove(hi, 0, stateCancelled)
				}
				h.Reset()
				break
			}
			if op&0x40 != 0 {
				h.Compact()
				if h.Stored() != h.Len() {
					t.Fatalf("step %d: Stored %d != Len %d after Compact", step, h.Stored(), h.Len())
				}
				break
			}
			var got, want []*Entry
			h.Entries(func(e *Entry) bool { got = append(got, e); return true })
			for _, it := range items {
				want = append(want, it.e)
			}
			byValue := func(a, b *Entry) int { return cmp.Compare(a.Value.(int), b.Value.(int)) }
			slices.SortFunc(got, byValue)
			slices.SortFunc(want, byValue)
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: Entries visited %v, want %v", step, values(got), values(want))
			}
		}
		for i, h := range heaps {
			if h.Len() != len(m.heaps[i]) || h.Stored() < h.Len() {
				t.Fatalf("step %d: heap %d Len %d Stored %d, model has %d", step, i, h.Len(), h.Stored(), len(m.heaps[i]))
			}
			checkInvariants(t, h)
		}
		for _, e := range pool {
			// A cancelled timer's ID says so until its index is reused,
			// or the table gives it back (shrink).
			reused := e.h != nil && (m.last[hiOf(heaps, e.h)][e.id.Index] != e.id.Seq || e.id.Index >= e.h.tab.n)
			cancelled := m.state[e] == stateCancelled && !reused
			if e.Pending() != (m.state[e] == statePending) || e.Cancelled() != cancelled {
				t.Fatalf("step %d: entry %d Pending %v Cancelled %v, model state %d",
					step, e.Value, e.Pending(), e.Cancelled(), m.state[e])
			}
		}
	}
	// Drain both and compare the full order.
	for hi, h := range heaps {
		for _, it := range m.heaps[hi] {
			if got := h.Pop(); got != it.e {
				t.Fatalf("final drain of heap %d: got %v, want entry %d", hi, got, it.e.Value)
			}
		}
		if h.Pop() != nil || h.Stored() != 0 {
			t.Fatalf("heap %d not empty after drain: Stored %d", hi, h.Stored())
		}
	}
}

func hiOf(heaps [2]*tHeap, h *tHeap) int {
	if heaps[0] == h {
		return 0
	}
	return 1
}

// FuzzHeapModel checks two heaps, under a configuration chosen by the first
// byte, against the sorted-slice model; see runModel for the operations.
// testdata/fuzz/FuzzHeapModel holds inputs that caught routing bugs planted
// on purpose (a late push above a finer rung's content, a push just below
// the finest rung).
func FuzzHeapModel(f *testing.F) {
	f.Add([]byte{})
	// Default configuration: pushes with ties, pops, a cancel, peeks.
	f.Add([]byte{0x80, 0, 6, 0, 6, 1, 6, 0, 7, 4, 3, 1, 6, 4, 4, 4})
	// Tiny thresholds: enough pushes to spill and build rungs, then
	// cancels, late pushes, pop-dues and a compaction.
	f.Add([]byte{0x21, 0, 6, 0, 7, 0, 8, 1, 9, 0, 0x14, 0, 6, 0, 7, 1, 6,
		4, 0, 9, 0, 6, 3, 2, 3, 4, 5, 7, 5, 0x17, 2, 5, 9, 0x47, 4, 4, 6, 4, 4})
	// Re-pushes of pending, popped and cancelled entries in both heaps.
	f.Add([]byte{0x09, 0, 7, 0x80, 7, 2, 0, 7, 2, 1, 7, 3, 0, 4, 2, 0, 7,
		0x83, 1, 3, 1, 0x82, 1, 6, 0x84, 4, 4, 7})
	// Extremes and wide spreads: overflow paths in bucket arithmetic.
	f.Add([]byte{0x02, 0, 0x10, 0, 0x01, 0, 0xf1, 0, 0x02, 0, 0xe3, 0, 0x04, 0xff,
		0, 0x05, 0x01, 5, 0x00, 4, 4, 4, 4, 4, 4, 7})
	f.Fuzz(runModel)
}

// TestHeapModelRandom runs the model check on pseudo-random inputs, so that
// plain go test covers much of what the fuzzer does.
func TestHeapModelRandom(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range n {
		data := make([]byte, 200+r.IntN(2000))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		runModel(t, data)
	}
}

// Benchmarks. One op of the 1M benchmarks is a whole batch; ns/timer and
// Mtimers/s give the figures per timer.

const benchTimers = 1_000_000

// w3Delays returns the delays of the loop's W3 workload: an LCG with state
// 12345, state = (1664525*state + 1013904223) mod 2^32, and
// delay_ms = (state>>8) % 1000.
func w3Delays(n int) []time.Duration {
	d := make([]time.Duration, n)
	state := uint32(12345)
	for i := range d {
		state = 1664525*state + 1013904223
		d[i] = time.Duration((state>>8)%1000) * time.Millisecond
	}
	return d
}

func reportPerTimer(b *testing.B, timers int) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(timers), "ns/timer")
	b.ReportMetric(float64(timers)/perOp*1e3, "Mtimers/s")
}

// plainHeap is a configuration under which a Heap never spills: a plain
// 4-ary heap, the baseline the ladder is measured against.
var plainHeap = &config{spillAt: math.MaxInt, bucketTarget: 1, maxBuckets: 2, bucketSplit: 1}

// BenchmarkHeapPushPop pushes 1M entries with random deadlines over an hour,
// then pops them all. "reuse" keeps one Heap, "fresh" makes a new one per
// batch, so it includes growing the buffers.
func BenchmarkHeapPushPop(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	whens := make([]time.Duration, benchTimers)
	for i := range whens {
		whens[i] = time.Duration(r.Int64N(int64(time.Hour)))
	}
	for _, fresh := range []bool{false, true} {
		b.Run(map[bool]string{false: "reuse", true: "fresh"}[fresh], func(b *testing.B) {
			h := &Heap[int]{}
			b.ReportAllocs()
			for b.Loop() {
				if fresh {
					h = &Heap[int]{}
				}
				for i, w := range whens {
					h.Push(w, i)
				}
				for _, ok := h.Pop(); ok; _, ok = h.Pop() {
				}
			}
			reportPerTimer(b, benchTimers)
		})
	}
}

// BenchmarkHeapW3Pattern is the heap's part of the loop's W3 workload:
// schedule 1M timers with the LCG delays in [0,1000) ms, cancel every odd
// one, fire the rest in order. "plain" is the same on a plain 4-ary heap.
func BenchmarkHeapW3Pattern(b *testing.B) {
	delays := w3Delays(benchTimers)
	ids := make([]ID, benchTimers)
	for _, bench := range []struct {
		name  string
		fresh bool
		cfg   *config
	}{{"reuse", false, nil}, {"fresh", true, nil}, {"plain/reuse", false, plainHeap}, {"plain/fresh", true, plainHeap}} {
		b.Run(bench.name, func(b *testing.B) {
			h := &Heap[int]{cfg: bench.cfg}
			b.ReportAllocs()
			for b.Loop() {
				if bench.fresh {
					h = &Heap[int]{cfg: bench.cfg}
				}
				for i, d := range delays {
					ids[i] = h.Push(d, i)
				}
				for i := 1; i < len(ids); i += 2 {
					h.Cancel(ids[i])
				}
				for _, ok := h.Pop(); ok; _, ok = h.Pop() {
				}
			}
			reportPerTimer(b, benchTimers)
		})
	}
}

// BenchmarkHeapHold is the classic "hold" model of a server full of timeouts:
// n timers pending; each op pops the earliest and pushes it again up to a
// second later. One op is one Pop and one Push.
func BenchmarkHeapHold(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 14, 1 << 17, 1 << 20} {
		for _, shape := range []struct {
			name string
			cfg  *config
		}{{"ladder", nil}, {"plain", plainHeap}} {
			b.Run(fmt.Sprintf("%s/%d", shape.name, n), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				delays := make([]time.Duration, 1<<16)
				for i := range delays {
					delays[i] = time.Duration(r.Int64N(int64(time.Second)))
				}
				h := &Heap[int]{cfg: shape.cfg}
				for i := range n {
					h.Push(delays[i%len(delays)], i)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					it, _ := h.Pop()
					h.Push(it.When+delays[i%len(delays)], it.Value)
					i++
				}
			})
		}
	}
}

// BenchmarkHeapShapes compares a binary and a 4-ary heap of slots, without
// the ladder, at sizes from L1 to well past L3: push n random keys, pop them
// all. The 4-ary one is the Heap's own heap part.
func BenchmarkHeapShapes(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 14, 1 << 17, 1 << 20} {
		r := rand.New(rand.NewPCG(1, uint64(n)))
		keys := make([]int64, n)
		for i := range keys {
			keys[i] = r.Int64N(int64(time.Hour))
		}
		b.Run(fmt.Sprintf("binary/%d", n), func(b *testing.B) {
			var s []slot
			for b.Loop() {
				for i, k := range keys {
					s = binaryPush(s, slot{when: k, seq: uint64(i)})
				}
				for len(s) > 0 {
					s = binaryPop(s)
				}
			}
			reportPerTimer(b, n)
		})
		b.Run(fmt.Sprintf("4-ary/%d", n), func(b *testing.B) {
			var h Heap[int]
			for b.Loop() {
				for i, k := range keys {
					h.pushHeap(slot{when: k, seq: uint64(i)})
				}
				for len(h.slots) > 0 {
					h.removeTop()
				}
			}
			reportPerTimer(b, n)
		})
	}
}

// binaryPush and binaryPop are a binary heap of slots written the same way as
// the Heap's 4-ary heap part, for BenchmarkHeapShapes.
func binaryPush(s []slot, x slot) []slot {
	s = append(s, x)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if x.when >= s[p].when {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = x
	return s
}

func binaryPop(s []slot) []slot {
	n := len(s) - 1
	x := s[n]
	s[n] = slot{}
	s = s[:n]
	i := 0
	for n > 0 {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(&s[c+1], &s[c]) {
			c++
		}
		if !less(&s[c], &x) {
			break
		}
		s[i] = s[c]
		i = c
	}
	if n > 0 {
		s[i] = x
	}
	return s
}
