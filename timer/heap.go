package timer

import (
	"math/bits"
	"time"
)

// ID names one scheduled timer of a Heap: the one Push returned it for. It is
// a small comparable value with no pointers in it; the zero ID names nothing.
// An ID stays valid for asking (Pending, Cancelled) after its timer fired or
// was cancelled, and never names a later timer: the heap's storage for a
// timer is reused, but the sequence number of each Push is new. An ID is only
// meaningful to the Heap that returned it.
type ID struct {
	Seq   uint64 // sequence number of the Push, unique within the heap; 0 for none
	Index uint32 // where the heap keeps the timer's state while it is pending
}

// Item is a timer taken out of a Heap, or looked at in it: its ID, deadline
// and value.
type Item[V any] struct {
	ID    ID
	When  time.Duration
	Value V
}

// slot is one stored timer in the heap part, a bucket or the far list. The
// key is copied in, so that ordering and bucketing never look elsewhere. It
// holds no pointer: the garbage collector never scans a heap of a million
// slots (issue 2: marking a pointer per slot, and the entry it pointed to,
// was 40% of W3 in a fresh process). A slot is live while the timer table
// still holds its sequence number at its index (see table); otherwise it is
// dead and waits to be dropped: its timer was cancelled, and the index may
// already serve a newer one.
type slot struct {
	when int64
	seq  uint64
	idx  uint32
}

// less orders slots by (when, seq). Sequence numbers are unique within a
// heap, so the order is total and equal deadlines keep push order.
func less(a, b *slot) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

// lessBit is less as 1 or 0, computed without branches: the borrow of the
// 128-bit subtraction (when with its sign bit flipped, seq) of a minus b. The
// comparisons of random keys in a heap are unpredictable, and down picks the
// least of four children with it instead of with branches: that measured
// 10-15% faster on BenchmarkHeapHold at 1k and 16k entries (but slower on
// BenchmarkHeapShapes at 1k, where the pops of a draining heap predict well).
func lessBit(a, b *slot) int {
	_, borrow := bits.Sub64(a.seq, b.seq, 0)
	_, borrow = bits.Sub64(uint64(a.when)^(1<<63), uint64(b.when)^(1<<63), borrow)
	return int(borrow)
}

// HeapStats is a snapshot of a Heap's counters.
type HeapStats struct {
	Live        uint64 // pending timers (Len)
	Cancelled   uint64 // dead slots still stored, waiting to be dropped
	Stored      uint64 // slots stored: Live + Cancelled (Stored)
	Pushes      uint64 // Push calls
	Pops        uint64 // timers returned by Pop and PopDue
	Cancels     uint64 // Cancel calls that returned true
	Discarded   uint64 // dead slots dropped lazily, on their way to the top
	Compactions uint64 // compactions, automatic or by Compact
	Compacted   uint64 // dead slots dropped by compactions
	Spills      uint64 // times the heap part overflowed into the far list
	Rungs       uint64 // bucket arrays built to sort spilled entries
}

// Heap is a priority queue of timers, each a deadline and a value of type V,
// ordered by deadline and then by the order of Push, so that timers with
// equal deadlines come out in the order they were pushed. Push returns an ID
// by which the timer can be cancelled or asked about.
//
// Cancellation is lazy: Cancel marks the timer, and the heap drops its slot
// when it comes up, or together with every other dead slot by a compaction
// once dead slots are more than half of the stored ones and at least 64 of
// them. Len counts live timers only; Stored counts both.
//
// A zero Heap is ready to use. A Heap is not safe for concurrent use: it
// belongs to one goroutine (the loop's). Do not copy a Heap that holds
// timers.
//
// # Costs
//
// Push costs O(1) on average and O(log k) at worst; Cancel O(1) amortized;
// Pop, PopDue and Peek O(log k) amortized. k is the size of the heap part
// described below: all the timers up to 8192 of them, and beyond that a few
// dozen to a few hundred however many timers the Heap holds (more only when
// very many timers share one deadline). Nothing allocates once the buffers
// have grown to the largest size the Heap has held.
//
// Memory: a pending timer costs a 24-byte slot, an 8-byte word and a V in
// the timer table, and 4 bytes of free list once it left. None of it but the
// V holds a pointer, so that the garbage collector, which marks every live
// pointer once per cycle, has nothing to do for the Heap itself: with a
// pointer per slot, marking was 40% of a fresh process scheduling a million
// timers (issue 2, W3).
//
// # How it is built, and why
//
// A plain heap of a million timers spends most of each pop waiting for
// memory: every pop walks from root to leaf through a 24 MB array whose
// bottom levels are never in cache. Measured here, a 4-ary heap costs about
// 30 ns per push and pop at a thousand entries and 350 ns at a million
// (BenchmarkHeapShapes); in BenchmarkHeapHold at a million pending entries,
// 770 ns per pop and push against 190 ns for this Heap. So the Heap keeps an
// exact 4-ary heap small, and sorts what does not fit lazily, as a ladder
// queue does (Tang, Goh and Thng, 2005):
//
//   - The heap part is a 4-ary min-heap by (when, seq) of slots that hold
//     the key inline. Up to 8192 timers, it is the whole story.
//   - When it would grow past that, its contents move, unsorted, to the far
//     list, and later pushes append there in O(1).
//   - When the heap part runs dry, the far list is spread by counting sort
//     over a rung: an array of equal-width deadline buckets. Buckets are then
//     taken one at a time, in order, into the heap part; a bucket too big
//     for it is first spread over a finer rung. Timers pushed while rungs
//     exist go to the heap part if they are due before every bucket not yet
//     taken, else into their bucket, else to the far list.
//
// Every stored slot is in exactly one place, and everything outside the heap
// part is due strictly later than everything in it, so the top of the heap
// part is always the earliest timer: the order is exact, whatever the
// deadlines. Dead slots are dropped when their bucket is taken, which is
// also when the table words of its timers are first touched, a bucket at a
// time, so that cache misses overlap instead of coming one per pop.
type Heap[V any] struct {
	slots []slot   // the heap part: 4-ary min-heap by less; children of i are 4i+1..4i+4
	far   slotList // unsorted; due after everything in rungs
	rungs []rung   // rungs[0] is the coarsest; cap keeps buffers for reuse
	tab   table[V] // per-timer state and values, by slot.idx

	pool   [][]slot // empty chunks for the far list and the rungs
	cursor []int    // scratch for buildRung

	seq    uint64 // last sequence number given out by Push
	live   int    // pending timers
	stored int    // slots in the heap part, far and every rung; stored-live are dead

	iterating int // Entries calls in progress; compaction waits for them

	shrinkCredit int // table cells shrink may scan: earned by compactions (see shrink)

	cfg *config // nil means defaults; tests set small values to reach every path

	pushes, pops, cancels, discarded, compactions, compacted, spills, rungBuilds uint64
}

// Heap shape. The values come from the benchmarks in heap_test.go.
const (
	// A 4-ary heap part beat a binary one on BenchmarkHeapHold at 1k
	// entries (68 against 83 ns, best of three) and tied within noise on the
	// other Heap benchmarks. It is half as deep, and siblings share cache
	// lines. (Bare, without the ladder, binary wins at 1k and 1M and loses
	// at 16k and 128k: BenchmarkHeapShapes.)
	arity = 4

	// Compaction follows asyncio's _run_once, which rebuilds its heap when
	// more than _MIN_CANCELLED_TIMER_HANDLES_FRACTION (one half) of at
	// least _MIN_SCHEDULED_TIMER_HANDLES (100) scheduled handles are
	// cancelled. Here the floor counts dead slots rather than stored ones,
	// so a compaction always removes at least minCompactDead slots.
	minCompactDead = 64
)

// Push schedules a timer with value v at when and returns its ID. O(1) on
// average, O(log k) at worst (see Heap), and no allocation beyond amortized
// growth of the heap's buffers. Not safe for concurrent use.
func (h *Heap[V]) Push(when time.Duration, v V) ID {
	i := h.tab.alloc()
	h.seq++
	*h.tab.word(i) = h.seq
	*h.tab.val(i) = v
	h.live++
	h.stored++
	h.pushes++
	s := slot{when: int64(when), seq: h.seq, idx: i}
	if len(h.rungs) > 0 {
		h.place(s)
	} else if h.far.n == 0 && len(h.slots) < h.spillLimit() {
		h.pushHeap(s)
	} else {
		if h.far.n == 0 {
			h.spill()
		}
		h.far.push(s, &h.pool)
	}
	return ID{Seq: h.seq, Index: i}
}

// Peek returns the earliest live timer without removing it, and false if h
// has none. It drops the dead slots that come before it. O(log k) amortized.
// Not safe for concurrent use.
func (h *Heap[V]) Peek() (Item[V], bool) {
	if !h.front() {
		return Item[V]{}, false
	}
	s := &h.slots[0]
	return Item[V]{ID{s.seq, s.idx}, time.Duration(s.when), *h.tab.val(s.idx)}, true
}

// Pop removes and returns the earliest live timer, and false if h has none.
// The timer is then no longer pending. O(log k) amortized. Not safe for
// concurrent use.
func (h *Heap[V]) Pop() (Item[V], bool) {
	if !h.front() {
		return Item[V]{}, false
	}
	return h.popFront(), true
}

// PopDue pops and returns the earliest live timer if its deadline is not
// after now (When <= now), and returns false otherwise. A loop calls it until
// it returns false to collect the timers that are due. Cost as for Pop. Not
// safe for concurrent use.
func (h *Heap[V]) PopDue(now time.Duration) (Item[V], bool) {
	if !h.front() || h.slots[0].when > int64(now) {
		return Item[V]{}, false
	}
	return h.popFront(), true
}

// Cancel cancels the timer id names if it is pending in h, lets its value go,
// and reports whether it did. It returns false if the timer already fired or
// was cancelled, and for the zero ID. The timer's slot stays until the heap
// drops it. O(1) amortized: it may start a compaction, which costs O(n) but
// comes at most once per n/2 cancellations. Not safe for concurrent use.
func (h *Heap[V]) Cancel(id ID) bool {
	if !h.Pending(id) {
		return false
	}
	h.tab.release(id.Index, id.Seq, flagCancelled)
	h.live--
	h.cancels++
	h.maybeCompact()
	return true
}

// Pending reports whether the timer id names is in h, neither popped nor
// cancelled. O(1). Not safe for concurrent use.
func (h *Heap[V]) Pending(id ID) bool {
	return h.tab.has(id) && *h.tab.word(id.Index) == id.Seq
}

// Cancelled reports whether the timer id names was cancelled (by Cancel or
// Reset). It remembers only until the timer's index is reused by a later
// Push or given back (see Compact), and then reports false: an owner that
// must know for longer keeps a flag of its own. O(1). Not safe for
// concurrent use.
func (h *Heap[V]) Cancelled(id ID) bool {
	return h.tab.has(id) && *h.tab.word(id.Index) == id.Seq|flagCancelled
}

// Len returns the number of live timers: pending and not cancelled. O(1).
func (h *Heap[V]) Len() int { return h.live }

// Stored returns the number of slots physically stored, cancelled ones not
// yet dropped included. O(1). It is meant for tests and statistics.
func (h *Heap[V]) Stored() int { return h.stored }

// Compact drops every cancelled entry now, and gives back the memory the
// Heap no longer needs (see shrink). O(n). The heap compacts itself when
// dead slots dominate, so calling Compact is never needed for
// correctness. Not safe for concurrent use.
func (h *Heap[V]) Compact() {
	before := h.stored
	if len(h.rungs) == 0 && h.far.n == 0 {
		h.slots = h.keepLive(h.slots)
		h.heapify()
	} else {
		h.gatherFar()
	}
	h.compacted += uint64(before - h.stored)
	h.compactions++
	h.shrink(before)
}

// shrink gives back memory after a compaction, which left only live slots
// (every table cell no slot names is free): spare chunks beyond what the
// stored slots would need, the heap part's buffer when it is mostly empty,
// the late lists of rungs not in use, and the tail of the table that no
// pending timer uses. Without it, cancelling millions of timers kept their
// whole footprint (tens of MiB) until the loop closed.
//
// The table keeps timers' indexes, so it can only lose its tail above the
// highest pending timer, and only when that frees half of it or more. It
// is scanned from the top, over free cells, paid for by a credit that
// compactions earn (the slots they went through): a shrink costs no more
// than the compactions before it. With no timer pending it resets in O(1).
func (h *Heap[V]) shrink(compacted int) {
	if keep := h.stored/chunkSize + 2; len(h.pool) > keep {
		clear(h.pool[keep:])
		h.pool = h.pool[:keep]
	}
	if c := cap(h.slots); c > 2*h.spillLimit() && 4*len(h.slots) < c {
		h.slots = append(make([]slot, 0, max(2*len(h.slots), h.spillLimit())), h.slots...)
	}
	if len(h.rungs) == 0 {
		for i, all := 0, h.rungs[:cap(h.rungs)]; i < len(all); i++ {
			all[i].late = nil
		}
	}
	if h.live == 0 {
		h.tab.reset()
		h.shrinkCredit = 0
		return
	}
	h.shrinkCredit = min(h.shrinkCredit+compacted, int(h.tab.n))
	h.shrinkCredit -= h.tab.shrinkTail(h.shrinkCredit)
}

// Reset cancels every pending timer of h, as Cancel would, and empties h,
// letting go of its values and slot buffers; the counters of Stats carry on,
// and so does the sequence of IDs. O(n). A loop calls it when it closes. Not
// safe for concurrent use.
func (h *Heap[V]) Reset() {
	h.eachStored(func(s *slot) bool {
		if h.isLive(s) {
			*h.tab.word(s.idx) = s.seq | flagCancelled
			h.cancels++
		}
		return true
	})
	h.tab.releaseAll()
	*h = Heap[V]{
		tab: h.tab, seq: h.seq, iterating: h.iterating, cfg: h.cfg,
		pushes: h.pushes, pops: h.pops, cancels: h.cancels, discarded: h.discarded,
		compactions: h.compactions, compacted: h.compacted, spills: h.spills, rungBuilds: h.rungBuilds,
	}
}

// Stats returns a snapshot of h's counters. O(1). Not safe for concurrent
// use.
func (h *Heap[V]) Stats() HeapStats {
	return HeapStats{
		Live:        uint64(h.live),
		Cancelled:   uint64(h.stored - h.live),
		Stored:      uint64(h.stored),
		Pushes:      h.pushes,
		Pops:        h.pops,
		Cancels:     h.cancels,
		Discarded:   h.discarded,
		Compactions: h.compactions,
		Compacted:   h.compacted,
		Spills:      h.spills,
		Rungs:       h.rungBuilds,
	}
}

// Entries calls fn for each live timer, in no particular order, until fn
// returns false. O(n). fn may Cancel timers (a compaction that would follow
// waits until Entries returns); if fn calls any other method of h that
// changes it, which timers are visited is unspecified, but h stays
// consistent. Not safe for concurrent use.
func (h *Heap[V]) Entries(fn func(Item[V]) bool) {
	h.iterating++
	defer func() {
		h.iterating--
		h.maybeCompact()
	}()
	h.eachStored(func(s *slot) bool {
		// A slot may have been cleared under us if fn popped: its seq is 0.
		return !h.isLive(s) || fn(Item[V]{ID{s.seq, s.idx}, time.Duration(s.when), *h.tab.val(s.idx)})
	})
}

// isLive reports whether s is the slot of a pending timer: the table still
// holds its sequence number, unflagged, at its index.
func (h *Heap[V]) isLive(s *slot) bool {
	return s.seq != 0 && *h.tab.word(s.idx) == s.seq
}

// front makes the top of the heap part the earliest live entry, dropping dead
// slots and refilling from the buckets as needed, and reports whether there
// is one.
func (h *Heap[V]) front() bool {
	for {
		for len(h.slots) > 0 {
			if h.isLive(&h.slots[0]) {
				return true
			}
			h.discarded++
			h.stored--
			h.removeTop()
		}
		if !h.refill() {
			return false
		}
	}
}

// popFront removes the top of the heap part, which front found live.
func (h *Heap[V]) popFront() Item[V] {
	s := h.slots[0]
	it := Item[V]{ID: ID{s.seq, s.idx}, When: time.Duration(s.when)}
	it.Value = h.tab.release(s.idx, s.seq, flagFired)
	h.live--
	h.stored--
	h.pops++
	h.removeTop()
	// Popping live timers raises the share of dead slots; asyncio checks
	// its threshold on every iteration for the same reason.
	h.maybeCompact()
	return it
}

// maybeCompact compacts when dead slots are more than half of the stored ones
// and at least minCompactDead. A compaction costs O(stored) and removes more
// than stored/2 dead slots, each made dead by one Cancel: amortized O(1) per
// Cancel.
//
// With no timer left pending and a table grown past one chunk, a few dead
// slots are enough: compacting them lets shrink give the table back.
func (h *Heap[V]) maybeCompact() {
	dead := h.stored - h.live
	if h.iterating == 0 && (dead >= minCompactDead && dead > h.live ||
		h.live == 0 && dead > 0 && h.tab.n > tabSize) {
		h.Compact()
	}
}

// keepLive moves the live slots of s to its front, clears the rest, subtracts
// the dropped slots from stored and returns the live prefix.
func (h *Heap[V]) keepLive(s []slot) []slot {
	n := 0
	for i := range s {
		if h.isLive(&s[i]) {
			s[n] = s[i]
			n++
		}
	}
	h.stored -= len(s) - n
	return s[:n]
}

// appendLive appends the live slots of src to dst and subtracts the dead
// ones from stored.
func (h *Heap[V]) appendLive(dst, src []slot) []slot {
	for i := range src {
		if h.isLive(&src[i]) {
			dst = append(dst, src[i])
		} else {
			h.stored--
		}
	}
	return dst
}

// heapify orders the heap part. O(k).
func (h *Heap[V]) heapify() {
	n := len(h.slots)
	for i := (n - 2) / arity; i >= 0 && n > 1; i-- {
		h.down(i)
	}
}

// pushHeap adds s to the heap part.
func (h *Heap[V]) pushHeap(s slot) {
	h.slots = append(h.slots, s)
	h.up(len(h.slots) - 1)
}

// removeTop removes the top of the heap part.
func (h *Heap[V]) removeTop() {
	n := len(h.slots) - 1
	last := h.slots[n]
	h.slots[n] = slot{}
	h.slots = h.slots[:n]
	if n > 0 {
		h.slots[0] = last
		h.down(0)
	}
}

// up moves the slot at i towards the root to its place. It is only used for a
// slot just pushed, whose sequence number is the largest in the heap, so the
// slot goes above a parent exactly when its deadline is earlier.
func (h *Heap[V]) up(i int) {
	s := h.slots
	x := s[i]
	for i > 0 {
		p := (i - 1) / arity
		if x.when >= s[p].when {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = x
}

// down moves the slot at i towards the leaves to its place.
func (h *Heap[V]) down(i int) {
	s := h.slots
	n := len(s)
	x := s[i]
	for {
		c := arity*i + 1
		if c >= n {
			break
		}
		m := c
		if arity == 4 && c+3 < n {
			// Least of four children, as a tournament of pairs.
			a := c + lessBit(&s[c+1], &s[c])
			b := c + 2 + lessBit(&s[c+3], &s[c+2])
			m = a ^ (a^b)&-lessBit(&s[b], &s[a])
		} else {
			for j := c + 1; j < min(c+arity, n); j++ {
				if less(&s[j], &s[m]) {
					m = j
				}
			}
		}
		if !less(&s[m], &x) {
			break
		}
		s[i] = s[m]
		i = m
	}
	s[i] = x
}
