package timer

import "math"

// A table word holds the sequence number of the timer that last used its
// index, with a flag saying how that timer left: none while it is pending.
// Sequence numbers stay below 1<<62 (a Heap would need centuries of pushes
// at a billion a second to get there).
const (
	flagCancelled uint64 = 1 << 63
	flagFired     uint64 = 1 << 62
)

// tabBits sets the size of a table chunk: 4096 cells.
const (
	tabBits = 12
	tabSize = 1 << tabBits
)

// table holds the per-timer state of a Heap by index, in cells: a word (see
// above), the owner's value, and the free-list link. The index of a timer
// that left is reused, most recently freed first (its cache lines are the
// likeliest to be warm). Cells live in chunks, so the table grows without
// copying.
//
// Word and value share a cell, so that the heap's liveness check, which
// runs over a whole bucket before its timers are popped one by one (see
// refill), brings the value into cache too: with words and values in
// separate arrays, taking the value was a second cache miss per pop and
// made W3's fire phase two and a half times slower. With a 16-byte V (the
// loop's) a cell is 32 bytes, half a cache line, never straddling two.
type table[V any] struct {
	chunks []*[tabSize]cell[V]
	free   uint32 // head of the free list: index+1, or 0 when empty
	n      uint32 // indexes handed out at least once
}

type cell[V any] struct {
	word uint64
	next uint32 // while free: the next free index+1, or 0
	val  V
}

func (t *table[V]) cell(i uint32) *cell[V] { return &t.chunks[i>>tabBits][i&(tabSize-1)] }

func (t *table[V]) word(i uint32) *uint64 { return &t.cell(i).word }

func (t *table[V]) val(i uint32) *V { return &t.cell(i).val }

// has reports whether id could have come from this table.
func (t *table[V]) has(id ID) bool { return id.Seq != 0 && id.Index < t.n }

// alloc returns an index not in use.
func (t *table[V]) alloc() uint32 {
	if t.free != 0 {
		i := t.free - 1
		c := t.cell(i)
		t.free, c.next = c.next, 0
		return i
	}
	i := t.n
	if i == math.MaxUint32 {
		panic("timer: more than 4294967294 timers pending in one Heap")
	}
	if int(i>>tabBits) == len(t.chunks) {
		t.chunks = append(t.chunks, new([tabSize]cell[V]))
	}
	t.n++
	return i
}

// release marks the timer at i as gone with flag, returns its value and
// lets it go, and frees the index for reuse. The word keeps the sequence
// number, so that the timer's ID can still tell how it left until the index
// is reused.
func (t *table[V]) release(i uint32, seq, flag uint64) V {
	c := t.cell(i)
	v := c.val
	var zero V
	c.word, c.val, c.next = seq|flag, zero, t.free
	t.free = i + 1
	return v
}

// reset forgets every index: the Heap holds no pending timer and no slot.
// The first chunk is kept for reuse; the others are let go.
func (t *table[V]) reset() {
	if len(t.chunks) > 1 {
		clear(t.chunks[1:])
		t.chunks = t.chunks[:1]
	}
	t.n, t.free = 0, 0
}

// shrinkTail drops the chunks at the end of the table that hold no pending
// timer, if that frees at least half of the chunks. It scans down from the
// top over at most budget free cells and returns how many it scanned. The
// free list is then rebuilt lowest index first, so that new timers fill
// the table from the bottom and a later shrink finds more to drop. O(budget)
// without a drop, O(n) with one, which frees at least n/2 cells.
func (t *table[V]) shrinkTail(budget int) int {
	top, scanned := t.n, 0
	for top > 0 && scanned < budget && *t.word(top - 1)&(flagCancelled|flagFired) != 0 {
		top--
		scanned++
	}
	keep := max(1, int((top+tabSize-1)/tabSize))
	if 2*keep > len(t.chunks) {
		return scanned
	}
	clear(t.chunks[keep:])
	t.chunks = t.chunks[:keep]
	t.n, t.free = top, 0
	for i := top; i > 0; i-- {
		if c := t.cell(i - 1); c.word&(flagCancelled|flagFired) != 0 {
			c.next, t.free = t.free, i
		}
	}
	return scanned
}

// releaseAll frees every index and lets every value go, keeping the words.
func (t *table[V]) releaseAll() {
	var zero V
	t.free = 0
	for i := t.n; i > 0; i-- {
		c := t.cell(i - 1)
		c.val, c.next = zero, t.free
		t.free = i
	}
}
