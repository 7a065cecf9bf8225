package timer

import "math"

// This file holds what a Heap uses beyond its heap part once it outgrows it:
// the far list and the rungs of buckets. The type comment of Heap explains
// the design; the invariant everything here keeps is:
//
//	Every stored slot is in exactly one of: the heap part, a bucket of a
//	rung not yet taken, the far list. Everything outside the heap part is
//	due strictly later than everything in it; everything in the far list
//	is due later than everything in the rungs; each rung but the coarsest
//	spans one taken bucket of the next coarser rung.

// Thresholds, with their defaults. The defaults were picked with
// BenchmarkHeapHold and BenchmarkHeapW3Pattern, but honestly: neighbouring
// values (spillAt 2k-32k, bucketTarget 16-128, maxBuckets 4k-64k, bucketSplit
// 128-2k) measured within the noise of the shared test machine. Tests use tiny
// values so that a few entries go through every path.
type config struct {
	// spillAt bounds the heap part. Below it, the Heap is an ordinary
	// 4-ary heap. 8192 slots of 24 B are 192 KiB, which stays in L2.
	spillAt int
	// bucketTarget is the average number of slots per bucket a rung aims
	// for, and maxBuckets caps the number of its buckets.
	bucketTarget, maxBuckets int
	// bucketSplit is the size above which a bucket whose deadlines are not
	// all equal is spread over a finer rung instead of going to the heap
	// part.
	bucketSplit int
}

var defaultConfig = config{
	spillAt:      8192,
	bucketTarget: 32,
	maxBuckets:   1 << 14,
	bucketSplit:  512,
}

// maxRungs bounds the depth of rungs: a bucket of a rung that deep goes to
// the heap part whatever its size. Each finer rung divides the span of its
// bucket by at least two, so 64 levels would cover any span; 16 is plenty
// for the sizes that reach this far.
const maxRungs = 16

func (h *Heap[V]) config() *config {
	if h.cfg == nil {
		return &defaultConfig
	}
	return h.cfg
}

func (h *Heap[V]) spillLimit() int {
	if h.cfg == nil {
		return defaultConfig.spillAt
	}
	return h.cfg.spillAt
}

// chunkSize is the number of slots in one chunk of a slotList (96 KiB).
const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
)

// slotList is an unsorted list of slots kept in chunks of chunkSize. Unlike a
// slice it grows without copying (append grows a large slice by 1.25 times,
// copying it each time: 120 MB of copies to reach a million slots), and
// emptied chunks go back to the Heap's pool, for the far list and every rung
// to reuse. Fresh memory is what a fresh process pays most for (a page fault
// per 4 KiB, about a millisecond per megabyte on the shared test machine),
// so a rung sorts the far list's chunks in place instead of into a copy.
type slotList struct {
	chunks [][]slot // every chunk but the last is full
	n      int
}

func (l *slotList) push(s slot, pool *[][]slot) {
	k := len(l.chunks)
	if k == 0 || len(l.chunks[k-1]) == chunkSize {
		l.chunks = append(l.chunks, newChunk(pool))
		k++
	}
	l.chunks[k-1] = append(l.chunks[k-1], s)
	l.n++
}

func newChunk(pool *[][]slot) []slot {
	k := len(*pool)
	if k == 0 {
		return make([]slot, 0, chunkSize)
	}
	c := (*pool)[k-1]
	(*pool)[k-1] = nil
	*pool = (*pool)[:k-1]
	return c
}

// at returns the slot at position p < n.
func (l *slotList) at(p int) *slot { return &l.chunks[p>>chunkBits][p&(chunkSize-1)] }

// truncate shortens l to its first n slots, giving the chunks it no longer
// needs to pool.
func (l *slotList) truncate(n int, pool *[][]slot) {
	k := (n + chunkSize - 1) / chunkSize // chunks kept
	for i := k; i < len(l.chunks); i++ {
		*pool = append(*pool, l.chunks[i][:0])
		l.chunks[i] = nil
	}
	l.chunks = l.chunks[:k]
	if k > 0 {
		l.chunks[k-1] = l.chunks[k-1][:n-(k-1)*chunkSize]
	}
	l.n = n
}

// span calls fn with the slots in positions [from, to) of l, a piece per
// chunk, until fn returns false, and reports whether it went to the end.
func (l *slotList) span(from, to int, fn func([]slot) bool) bool {
	for from < to {
		c := l.chunks[from>>chunkBits]
		i := from & (chunkSize - 1)
		piece := c[i:min(len(c), i+to-from)]
		if !fn(piece) {
			return false
		}
		from += len(piece)
	}
	return true
}

// rung is an array of buckets of width 1<<shift covering deadlines [lo, hi].
// Bucket b holds the slots with (when-lo)>>shift == b (the last bucket also
// takes everything above it up to hi): those sorted in when the rung was
// built, in positions [off[b], off[b+1]) of store, and those pushed later, in
// late[b]. Buckets before next have been taken.
type rung struct {
	lo, hi int64
	shift  uint
	next   int
	off    []int    // len buckets+1
	store  slotList // sorted by bucket (not within one)
	late   [][]slot // len buckets, or nil until a late push arrives
}

func (r *rung) buckets() int { return len(r.off) - 1 }

// bucket returns the bucket of a deadline in [lo, hi].
func (r *rung) bucket(when int64) int {
	b := int((uint64(when) - uint64(r.lo)) >> r.shift)
	return min(b, r.buckets()-1)
}

// bucketHi returns the last deadline that belongs to bucket b.
func (r *rung) bucketHi(b int) int64 {
	if b == r.buckets()-1 {
		return r.hi
	}
	// (b+1)<<shift <= hi-lo for every bucket but the last: no overflow.
	return int64(uint64(r.lo) + uint64(b+1)<<r.shift - 1)
}

// spill moves the heap part, unsorted, to the empty far list.
func (h *Heap[V]) spill() {
	h.spills++
	for i := range h.slots {
		h.far.push(h.slots[i], &h.pool)
	}
	h.slots = h.slots[:0]
}

// unspill moves the far list, unsorted, to the empty heap part and orders it.
func (h *Heap[V]) unspill() {
	for _, c := range h.far.chunks {
		h.slots = append(h.slots, c...)
	}
	h.far.truncate(0, &h.pool)
	h.heapify()
}

// place stores s while rungs exist: in the heap part if s is due before every
// bucket not yet taken, else in its bucket, else in the far list.
func (h *Heap[V]) place(s slot) {
	for i := len(h.rungs) - 1; i >= 0; i-- {
		r := &h.rungs[i]
		if s.when > r.hi {
			continue // due after this rung; try the coarser one
		}
		// Only the finest rung gets here with s.when < r.lo: a coarser
		// rung's taken bucket spans the finer rung.
		if s.when < r.lo {
			h.pushHeap(s)
			return
		}
		b := r.bucket(s.when)
		if b < r.next {
			h.pushHeap(s)
			return
		}
		if r.late == nil {
			r.late = make([][]slot, r.buckets())
		}
		r.late[b] = append(r.late[b], s)
		return
	}
	h.far.push(s, &h.pool)
}

// refill moves the next non-empty bucket into the empty heap part, building
// rungs as needed, and reports whether it found live entries.
func (h *Heap[V]) refill() bool {
	before := h.stored
	defer func() { h.discarded += uint64(before - h.stored) }()
	for {
		d := len(h.rungs)
		if d == 0 {
			if h.far.n == 0 {
				return false
			}
			lo, hi := h.keepLiveFar()
			if h.far.n <= h.spillLimit()/2 {
				// Few enough to go back to being a plain heap.
				h.unspill()
				return len(h.slots) > 0
			}
			h.buildRung(&h.far, lo, hi, hi)
			continue
		}
		r := &h.rungs[d-1]
		b := r.next
		for b < r.buckets() && r.off[b] == r.off[b+1] && (r.late == nil || len(r.late[b]) == 0) {
			b++
		}
		if b == r.buckets() {
			r.store.truncate(0, &h.pool)
			h.rungs = h.rungs[:d-1]
			continue
		}
		r.next = b + 1
		// Collect the bucket's live slots into the heap part. Checking
		// each timer here, in a run of independent loads, is also what
		// brings its table cell into cache before it is popped.
		h.slots = h.slots[:0]
		r.store.span(r.off[b], r.off[b+1], func(seg []slot) bool {
			h.slots = h.appendLive(h.slots, seg)
			return true
		})
		if r.late != nil {
			h.slots = h.appendLive(h.slots, r.late[b])
			r.late[b] = r.late[b][:0]
		}
		if len(h.slots) == 0 {
			continue
		}
		if len(h.slots) > h.config().bucketSplit && d < maxRungs {
			if lo, last := bounds(h.slots); lo < last {
				var l slotList
				for i := range h.slots {
					l.push(h.slots[i], &h.pool)
				}
				h.slots = h.slots[:0]
				h.buildRung(&l, lo, last, r.bucketHi(b))
				continue
			}
		}
		h.heapify()
		return true
	}
}

// keepLiveFar drops the dead slots of the far list, which is not empty, and
// returns the smallest and largest deadline left (lo > hi if none is).
func (h *Heap[V]) keepLiveFar() (lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	l := &h.far
	w := 0
	for _, c := range l.chunks {
		for i := range c {
			if h.isLive(&c[i]) {
				lo = min(lo, c[i].when)
				hi = max(hi, c[i].when)
				l.chunks[w/chunkSize][w%chunkSize] = c[i]
				w++
			}
		}
	}
	h.stored -= l.n - w
	l.truncate(w, &h.pool)
	return lo, hi
}

// bounds returns the smallest and largest deadline in s, which is not empty.
func bounds(s []slot) (lo, hi int64) {
	lo, hi = s[0].when, s[0].when
	for i := range s {
		lo = min(lo, s[i].when)
		hi = max(hi, s[i].when)
	}
	return lo, hi
}

// buildRung makes a new finest rung of the slots of src, whose deadlines
// lie in [lo, last], spread over its buckets by counting sort, and leaves src
// empty. The sort is in place: the rung takes src's chunks (see slotList).
// The rung takes the deadlines up to hi (>= last): later pushes up to hi go
// into its last bucket. Its other buffers are reused from an earlier rung at
// the same depth.
func (h *Heap[V]) buildRung(src *slotList, lo, last, hi int64) {
	h.rungBuilds++
	if len(h.rungs) < cap(h.rungs) {
		h.rungs = h.rungs[:len(h.rungs)+1]
	} else {
		h.rungs = append(h.rungs, rung{})
	}
	r := &h.rungs[len(h.rungs)-1]
	n := src.n

	// Width: the smallest power of two that makes at most about
	// n/bucketTarget buckets, so that bucket() is a shift.
	cfg := h.config()
	want := uint64(min(max(n/cfg.bucketTarget, 2), cfg.maxBuckets))
	span := uint64(last) - uint64(lo)
	shift := uint(0)
	for span>>shift >= want {
		shift++
	}
	nb := int(span>>shift) + 1

	r.lo, r.hi, r.shift, r.next = lo, hi, shift, 0
	r.off = resize(r.off, nb+1)
	clear(r.off)
	for _, c := range src.chunks {
		for i := range c {
			r.off[r.bucket(c[i].when)+1]++
		}
	}
	for b := 1; b <= nb; b++ {
		r.off[b] += r.off[b-1]
	}
	// Permute in place (American flag sort): cursor[b] is the first
	// position of bucket b not yet holding one of its own slots. Each slot
	// is moved at most once, to the cursor of its bucket, displacing the
	// slot there, which moves on in turn. Order within a bucket is lost,
	// which does not matter: the heap part orders by (when, seq).
	r.store, *src = *src, slotList{chunks: r.store.chunks[:0]}
	h.cursor = resize(h.cursor, nb)
	cur := h.cursor
	copy(cur, r.off[:nb])
	for b := range nb {
		for end := r.off[b+1]; cur[b] < end; cur[b]++ {
			p := r.store.at(cur[b])
			x := *p
			for c := r.bucket(x.when); c != b; c = r.bucket(x.when) {
				q := r.store.at(cur[c])
				cur[c]++
				x, *q = *q, x
			}
			*p = x
		}
	}
	if r.late != nil {
		if cap(r.late) >= nb {
			r.late = r.late[:nb] // every late list was emptied when taken
		} else {
			r.late = nil
		}
	}
}

// resize returns s resliced to length n, reallocating if it is too short.
func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/4)
}

// gatherFar moves every live slot, wherever it is, to the far list, and drops
// the rungs; the next refill sorts them again. This is how a Heap with rungs
// compacts: simpler than compacting each bucket, and the same O(n).
func (h *Heap[V]) gatherFar() {
	h.keepLiveFar()
	keep := func(seg []slot) bool {
		for i := range seg {
			if h.isLive(&seg[i]) {
				h.far.push(seg[i], &h.pool)
			}
		}
		return true
	}
	keep(h.slots)
	h.slots = h.slots[:0]
	for i := range h.rungs {
		r := &h.rungs[i]
		r.store.span(r.off[r.next], r.store.n, keep)
		r.store.truncate(0, &h.pool)
		for b := r.next; b < len(r.late); b++ {
			keep(r.late[b])
			r.late[b] = r.late[b][:0]
		}
	}
	h.rungs = h.rungs[:0]
	h.stored = h.far.n
	if h.far.n <= h.spillLimit()/2 {
		h.unspill()
	}
}

// eachStored calls fn for every stored slot, live or dead, until fn returns
// false.
func (h *Heap[V]) eachStored(fn func(*slot) bool) {
	each := func(s []slot) bool {
		for i := range s {
			if !fn(&s[i]) {
				return false
			}
		}
		return true
	}
	if !each(h.slots) {
		return
	}
	for _, c := range h.far.chunks {
		if !each(c) {
			return
		}
	}
	for i := 0; i < len(h.rungs); i++ { // fn may pop, and so drop rungs
		r := &h.rungs[i]
		if !r.store.span(r.off[r.next], r.store.n, each) {
			return
		}
		for b := r.next; b < len(r.late); b++ {
			if !each(r.late[b]) {
				return
			}
		}
	}
}
