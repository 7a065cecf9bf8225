package eventloop

// readyQueue is the loop's FIFO of callbacks to run. It is a ring buffer
// indexed by absolute position: the entry pushed as the k-th ever lives at
// buf[k & mask] for as long as it is queued, so a Handle that remembers k can
// cancel its entry in O(1) without an allocation per callback. A cancelled
// entry is an empty slot that the loop skips.
//
// An entry is either a callback or a task to step: holding the task itself
// saves every task a closure (tasks are many; see the W2 benchmark).
type readyQueue struct {
	buf  []readyEntry
	head uint64 // absolute position of the oldest queued entry
	tail uint64 // absolute position the next push takes
}

type readyEntry struct {
	fn func()
	t  *taskBase
}

func (q *readyQueue) len() int { return int(q.tail - q.head) }

// push appends fn and returns its absolute position. Amortized O(1).
func (q *readyQueue) push(fn func()) uint64 { return q.pushEntry(readyEntry{fn: fn}) }

// pushTask queues a step of t.
func (q *readyQueue) pushTask(t *taskBase) { q.pushEntry(readyEntry{t: t}) }

func (q *readyQueue) pushEntry(e readyEntry) uint64 {
	if q.tail-q.head == uint64(len(q.buf)) {
		q.grow()
	}
	pos := q.tail
	q.buf[pos&uint64(len(q.buf)-1)] = e
	q.tail++
	return pos
}

// pop removes the oldest entry; a cancelled one comes back empty.
// The caller checks len first.
func (q *readyQueue) pop() readyEntry {
	i := q.head & uint64(len(q.buf)-1)
	e := q.buf[i]
	q.buf[i] = readyEntry{}
	q.head++
	return e
}

// peek returns the oldest entry without removing it. The caller checks
// len first.
func (q *readyQueue) peek() readyEntry { return q.buf[q.head&uint64(len(q.buf)-1)] }

// unpop puts back the entry pop returned last.
func (q *readyQueue) unpop(e readyEntry) {
	q.head--
	q.buf[q.head&uint64(len(q.buf)-1)] = e
}

// cancel clears the entry at absolute position pos if it is still queued.
func (q *readyQueue) cancel(pos uint64) bool {
	if pos < q.head || pos >= q.tail {
		return false
	}
	i := pos & uint64(len(q.buf)-1)
	if q.buf[i].fn == nil && q.buf[i].t == nil {
		return false
	}
	q.buf[i] = readyEntry{}
	return true
}

// cancelled reports whether the entry at absolute position pos is still in
// the queue's window but was cancelled.
func (q *readyQueue) cancelled(pos uint64) bool {
	if pos < q.head || pos >= q.tail {
		return false
	}
	e := q.buf[pos&uint64(len(q.buf)-1)]
	return e.fn == nil && e.t == nil
}

// grow doubles the buffer, keeping every entry at its absolute position
// modulo the new size.
func (q *readyQueue) grow() {
	n := len(q.buf) * 2
	if n == 0 {
		n = 64
	}
	nb := make([]readyEntry, n)
	oldMask, newMask := uint64(len(q.buf)-1), uint64(n-1)
	for p := q.head; p < q.tail; p++ {
		nb[p&newMask] = q.buf[p&oldMask]
	}
	q.buf = nb
}
