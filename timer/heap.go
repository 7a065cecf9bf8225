package timer

import (
	"math/bits"
	"time"
)

// Entry states.
const (
	stateIdle      uint8 = iota // never pushed
	statePending                // in a heap, due to fire
	stateCancelled              // cancelled while pending
	statePopped                 // popped (fired) while pending
)

// Entry is one scheduled timer. Its owner embeds it or allocates it, sets When
// and Value, and pushes it into a Heap; the heap keeps a pointer to it until
// the entry is popped or its cancelled slot is dropped. A zero Entry is ready
// to push. An Entry belongs to the goroutine that owns the heap it is pushed
// into, and must not be copied while pending.
type Entry struct {
	// When is the deadline, on the time scale of the loop's Clock. Push
	// reads it once: changing it while the entry is pending does not move
	// the entry (cancel it and push it again instead).
	When time.Duration

	// Value is opaque owner data; the loop stores its handle here. The heap
	// never looks at it. Storing a pointer in it does not allocate.
	Value any

	seq   uint64 // sequence number of the last Push, unique within owner
	owner *Heap  // the heap holding the entry while pending, else nil
	state uint8
}

// Pending reports whether e is in a heap and not cancelled: pushed, and
// neither popped nor cancelled since. O(1).
func (e *Entry) Pending() bool { return e.state == statePending }

// Cancelled reports whether e was cancelled since it was last pushed. It
// becomes false again when e is pushed again. O(1).
func (e *Entry) Cancelled() bool { return e.state == stateCancelled }

// slot is one stored entry. The key is copied in, so that ordering and
// bucketing never dereference an entry. A slot is live while its entry is
// still pending in this heap under the same Push (e.owner == h && e.seq ==
// seq); otherwise it is dead and waits to be dropped: its entry was cancelled,
// or cancelled and pushed again (a newer slot then holds it).
type slot struct {
	when int64
	seq  uint64
	e    *Entry
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
	Live        uint64 // pending entries (Len)
	Cancelled   uint64 // dead slots still stored, waiting to be dropped
	Stored      uint64 // slots stored: Live + Cancelled (Stored)
	Pushes      uint64 // Push calls
	Pops        uint64 // entries returned by Pop and PopDue
	Cancels     uint64 // Cancel calls that returned true
	Discarded   uint64 // dead slots dropped lazily, on their way to the top
	Compactions uint64 // compactions, automatic or by Compact
	Compacted   uint64 // dead slots dropped by compactions
	Spills      uint64 // times the heap part overflowed into the far list
	Rungs       uint64 // bucket arrays built to sort spilled entries
}

// Heap is a priority queue of timer entries ordered by deadline (Entry.When)
// and then by the order of Push, so that entries with equal deadlines come
// out in the order they were pushed.
//
// Cancellation is lazy: Cancel marks the entry, and the heap drops it when it
// comes up, or together with every other cancelled entry by a compaction once
// cancelled entries are more than half of the stored ones and at least 64 of
// them. Len counts live entries only; Stored counts both.
//
// A zero Heap is ready to use. A Heap is not safe for concurrent use: it and
// the entries pushed into it belong to one goroutine (the loop's). Do not copy
// a Heap that holds entries.
//
// # Costs
//
// Push costs O(1) on average and O(log k) at worst; Cancel O(1) amortized;
// Pop, PopDue and Peek O(log k) amortized. k is the size of the heap part
// described below: all the entries up to 8192 of them, and beyond that a few
// dozen to a few hundred however many entries the Heap holds (more only when
// very many entries share one deadline). Nothing allocates once the buffers
// have grown to the largest size the Heap has held.
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
//     the key inline. Up to 8192 entries, it is the whole story.
//   - When it would grow past that, its contents move, unsorted, to the far
//     list, and later pushes append there in O(1).
//   - When the heap part runs dry, the far list is spread by counting sort
//     over a rung: an array of equal-width deadline buckets. Buckets are then
//     taken one at a time, in order, into the heap part; a bucket too big
//     for it is first spread over a finer rung. Entries pushed while rungs
//     exist go to the heap part if they are due before every bucket not yet
//     taken, else into their bucket, else to the far list.
//
// Every stored slot is in exactly one place, and everything outside the heap
// part is due strictly later than everything in it, so the top of the heap
// part is always the earliest entry: the order is exact, whatever the
// deadlines. Cancelled slots are dropped when their bucket is taken, which is
// also when their entries are first touched, a bucket at a time, so that
// cache misses overlap instead of coming one per pop.
type Heap struct {
	slots []slot   // the heap part: 4-ary min-heap by less; children of i are 4i+1..4i+4
	far   slotList // unsorted; due after everything in rungs
	rungs []rung   // rungs[0] is the coarsest; cap keeps buffers for reuse

	seq    uint64 // last sequence number given out by Push
	live   int    // pending entries
	stored int    // slots in the heap part, far and every rung; stored-live are dead

	iterating int // Entries calls in progress; compaction waits for them

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

// Push schedules e at e.When. O(1) on average, O(log k) at worst (see Heap),
// and no allocation beyond amortized growth of the heap's buffers. e may be
// an entry that was popped or cancelled before. Push panics if e is already pending, in h or in another
// heap: that is a bug in the caller. Not safe for concurrent use.
func (h *Heap) Push(e *Entry) {
	if e.state == statePending {
		panic("timer: Push of an entry that is already pending")
	}
	h.seq++
	e.seq = h.seq
	e.owner = h
	e.state = statePending
	h.live++
	h.stored++
	h.pushes++
	s := slot{when: int64(e.When), seq: h.seq, e: e}
	if len(h.rungs) > 0 {
		h.place(s)
		return
	}
	if h.far.n == 0 {
		if len(h.slots) < h.spillLimit() {
			h.pushHeap(s)
			return
		}
		h.spill()
	}
	h.far.push(s)
}

// Peek returns the earliest live entry without removing it, or nil if h has
// none. It drops the cancelled entries that come before it. O(log k)
// amortized. Not safe for concurrent use.
func (h *Heap) Peek() *Entry {
	if !h.front() {
		return nil
	}
	return h.slots[0].e
}

// Pop removes and returns the earliest live entry, or nil if h has none. The
// entry is then no longer pending: it may be pushed again. O(log k)
// amortized. Not safe for concurrent use.
func (h *Heap) Pop() *Entry {
	if !h.front() {
		return nil
	}
	return h.popFront()
}

// PopDue pops and returns the earliest live entry if its deadline is not
// after now (When <= now), and returns nil otherwise. A loop calls it until
// it returns nil to collect the timers that are due. Cost as for Pop. Not
// safe for concurrent use.
func (h *Heap) PopDue(now time.Duration) *Entry {
	if !h.front() || h.slots[0].when > int64(now) {
		return nil
	}
	return h.popFront()
}

// Cancel cancels e if it is pending in h and reports whether it did. It
// returns false if e already fired or was cancelled, was never pushed, or is
// pending in another heap. Cancel only marks e; the heap drops it later.
// O(1) amortized: it may start a compaction, which costs O(n) but comes at
// most once per n/2 cancellations. Not safe for concurrent use.
func (h *Heap) Cancel(e *Entry) bool {
	if e == nil || e.state != statePending || e.owner != h {
		return false
	}
	e.state = stateCancelled
	e.owner = nil
	h.live--
	h.cancels++
	h.maybeCompact()
	return true
}

// Len returns the number of live entries: pending and not cancelled. O(1).
func (h *Heap) Len() int { return h.live }

// Stored returns the number of entries physically stored, cancelled ones not
// yet dropped included. O(1). It is meant for tests and statistics.
func (h *Heap) Stored() int { return h.stored }

// Compact drops every cancelled entry now. O(n). The heap compacts itself
// when cancelled entries dominate, so calling Compact is never needed for
// correctness. Not safe for concurrent use.
func (h *Heap) Compact() {
	before := h.stored
	if len(h.rungs) == 0 && h.far.n == 0 {
		h.slots = h.keepLive(h.slots)
		h.heapify()
	} else {
		h.gatherFar()
	}
	h.compacted += uint64(before - h.stored)
	h.compactions++
}

// Reset cancels every pending entry of h, as Cancel would, and empties h,
// letting go of its buffers; the counters of Stats carry on. O(n). A loop
// calls it when it closes: merely dropping or overwriting a Heap would leave
// its entries pending forever. Not safe for concurrent use.
func (h *Heap) Reset() {
	h.eachStored(func(s *slot) bool {
		if s.e != nil && h.isLive(s) {
			s.e.state = stateCancelled
			s.e.owner = nil
			h.cancels++
		}
		return true
	})
	*h = Heap{
		seq: h.seq, iterating: h.iterating, cfg: h.cfg,
		pushes: h.pushes, pops: h.pops, cancels: h.cancels, discarded: h.discarded,
		compactions: h.compactions, compacted: h.compacted, spills: h.spills, rungBuilds: h.rungBuilds,
	}
}

// Stats returns a snapshot of h's counters. O(1). Not safe for concurrent
// use.
func (h *Heap) Stats() HeapStats {
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

// Entries calls fn for each live entry, in no particular order, until fn
// returns false. O(n). fn may Cancel entries (a compaction that would follow
// waits until Entries returns); if fn calls any other method of h that
// changes it, which entries are visited is unspecified, but h stays
// consistent. Not safe for concurrent use.
func (h *Heap) Entries(fn func(*Entry) bool) {
	h.iterating++
	defer func() {
		h.iterating--
		h.maybeCompact()
	}()
	h.eachStored(func(s *slot) bool {
		// A slot may have been cleared under us if fn popped.
		return s.e == nil || !h.isLive(s) || fn(s.e)
	})
}

func (h *Heap) isLive(s *slot) bool {
	return s.e.owner == h && s.e.seq == s.seq
}

// front makes the top of the heap part the earliest live entry, dropping dead
// slots and refilling from the buckets as needed, and reports whether there
// is one.
func (h *Heap) front() bool {
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
func (h *Heap) popFront() *Entry {
	e := h.slots[0].e
	e.state = statePopped
	e.owner = nil
	h.live--
	h.stored--
	h.pops++
	h.removeTop()
	// Popping live entries raises the share of dead ones; asyncio checks
	// its threshold on every iteration for the same reason.
	h.maybeCompact()
	return e
}

// maybeCompact compacts when dead slots are more than half of the stored ones
// and at least minCompactDead. A compaction costs O(stored) and removes more
// than stored/2 dead slots, each made dead by one Cancel: amortized O(1) per
// Cancel.
func (h *Heap) maybeCompact() {
	dead := h.stored - h.live
	if dead >= minCompactDead && dead > h.live && h.iterating == 0 {
		h.Compact()
	}
}

// keepLive moves the live slots of s to its front, clears the rest, subtracts
// the dropped slots from stored and returns the live prefix.
func (h *Heap) keepLive(s []slot) []slot {
	n := 0
	for i := range s {
		if h.isLive(&s[i]) {
			s[n] = s[i]
			n++
		}
	}
	h.stored -= len(s) - n
	clear(s[n:]) // let the garbage collector have the dropped entries
	return s[:n]
}

// appendLive appends the live slots of src to dst and subtracts the dead
// ones from stored.
func (h *Heap) appendLive(dst, src []slot) []slot {
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
func (h *Heap) heapify() {
	n := len(h.slots)
	for i := (n - 2) / arity; i >= 0 && n > 1; i-- {
		h.down(i)
	}
}

// pushHeap adds s to the heap part.
func (h *Heap) pushHeap(s slot) {
	h.slots = append(h.slots, s)
	h.up(len(h.slots) - 1)
}

// removeTop removes the top of the heap part.
func (h *Heap) removeTop() {
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
func (h *Heap) up(i int) {
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
func (h *Heap) down(i int) {
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
