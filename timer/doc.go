// Package timer gives an event loop its notion of time and its timer heap: a
// Clock to read and wait on (the real monotonic clock, or a virtual clock that
// jumps to the next deadline), and a Heap of scheduled Entry values ordered by
// deadline and then by scheduling order.
//
// It is the bottom layer of the module and imports nothing from it. Nothing in
// it reads wall-clock time: the Real clock uses the monotonic reading of the
// Go runtime, and the Virtual clock moves only when told to (DESIGN.md, D7).
//
// # Timers
//
// A Heap follows asyncio's scheduling rules (base_events.py): a timer whose
// deadline is due runs in deadline order, and timers with equal deadlines run
// in the order they were pushed. Cancellation is lazy as in asyncio: Cancel
// only marks the entry, which is thrown away when it reaches the top of the
// heap, or together with every other cancelled entry by a compaction once
// cancelled entries make up more than half of the heap (and at least 64 of
// them, so that small heaps are never rebuilt).
//
// # Goroutines
//
// Clocks are safe for concurrent use. A Heap and the entries pushed into it
// belong to one goroutine, the loop's.
package timer
