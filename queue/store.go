package queue

// ring is a growable ring buffer: the store of FIFO (pop front) and LIFO
// (pop back) queues. Its capacity is a power of two; it shrinks when it is
// mostly empty, so a burst does not pin its memory for ever.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

const minRing = 16

func (r *ring[T]) pushBack(v T) {
	if r.n == len(r.buf) {
		r.resize(max(minRing, 2*len(r.buf)))
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
}

func (r *ring[T]) popFront() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	r.maybeShrink()
	return v
}

func (r *ring[T]) popBack() T {
	var zero T
	i := (r.head + r.n - 1) & (len(r.buf) - 1)
	v := r.buf[i]
	r.buf[i] = zero
	r.n--
	r.maybeShrink()
	return v
}

func (r *ring[T]) maybeShrink() {
	if len(r.buf) > minRing && r.n < len(r.buf)/4 {
		r.resize(len(r.buf) / 2)
	}
}

func (r *ring[T]) resize(size int) {
	nb := make([]T, size)
	for i := 0; i < r.n; i++ {
		nb[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = nb, 0
}

func (r *ring[T]) clear() { *r = ring[T]{} }

// prioHeap is the store of a PriorityQueue: a binary min-heap ordered by
// the user's comparison, then by arrival, so that items that compare equal
// come out in the order they were put (a stable priority queue).
type prioHeap[T any] struct {
	items []prioItem[T]
	seq   uint64
	cmp   func(a, b T) int
}

type prioItem[T any] struct {
	v   T
	seq uint64
}

func (h *prioHeap[T]) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if c := h.cmp(a.v, b.v); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

func (h *prioHeap[T]) push(v T) {
	h.items = append(h.items, prioItem[T]{v, h.seq})
	h.seq++
	for i := len(h.items) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

func (h *prioHeap[T]) pop() T {
	last := len(h.items) - 1
	v := h.items[0].v
	h.items[0] = h.items[last]
	h.items[last] = prioItem[T]{}
	h.items = h.items[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < last && h.less(l, small) {
			small = l
		}
		if r := l + 1; r < last && h.less(r, small) {
			small = r
		}
		if small == i {
			break
		}
		h.items[i], h.items[small] = h.items[small], h.items[i]
		i = small
	}
	if cap(h.items) > 64 && len(h.items) < cap(h.items)/4 {
		h.items = append([]prioItem[T](nil), h.items...)
	}
	return v
}

func (h *prioHeap[T]) clear() { h.items = nil }
