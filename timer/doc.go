// Package timer gives an event loop its notion of time and its timer heap: a
// Clock to read and wait on (the real monotonic clock, or a virtual clock that
// jumps to the next deadline), and a Heap of timers, each a deadline and a
// value, ordered by deadline and then by scheduling order, and named by an ID.
//
// It is the bottom layer of the module and imports nothing from it. Nothing in
// it reads wall-clock time: the Real clock uses the monotonic reading of the
// Go runtime, and the Virtual clock moves only when told to (docs/design.md D7).
//
// # Timers
//
// A Heap follows asyncio's scheduling rules (base_events.py): a timer whose
// deadline is due runs in deadline order, and timers with equal deadlines run
// in the order they were pushed. Cancellation is lazy as in asyncio: Cancel
// only marks the timer, whose slot is thrown away when it reaches the top of
// the heap, or together with every other dead slot by a compaction once dead
// slots make up more than half of the heap (and at least 64 of them, so that
// small heaps are never rebuilt). The heap's storage holds no pointers but
// the values, so that the garbage collector has next to nothing to mark.
//
// # Goroutines
//
// Clocks are safe for concurrent use. A Heap belongs to one goroutine, the
// loop's.
package timer
