package timer

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// footprint is what a Heap holds on to: table cells, spare chunks, the
// heap part's capacity, in slots or cells.
func footprint[V any](h *Heap[V]) (cells, poolSlots, heapCap int) {
	return len(h.tab.chunks) * tabSize, len(h.pool) * chunkSize, cap(h.slots)
}

// Cancelling almost every timer gives the memory back while the Heap is
// used on: the table, the spare chunks and the heap part shrink to the
// size of what is still pending, in every cancel order. The timers left
// keep their order and their IDs.
func TestHeapShrinksAfterMassCancel(t *testing.T) {
	const n = 300_000
	orders := map[string]func(ids []ID) []ID{
		"ascending":  func(ids []ID) []ID { return ids },
		"descending": func(ids []ID) []ID { return reversed(ids) },
		"random": func(ids []ID) []ID {
			r := rand.New(rand.NewPCG(1, 2))
			out := append([]ID(nil), ids...)
			r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
			return out
		},
	}
	for name, order := range orders {
		for _, keep := range []int{0, 10} {
			t.Run(fmt.Sprintf("%s/keep%d", name, keep), func(t *testing.T) {
				var h Heap[int]
				r := rand.New(rand.NewPCG(3, 4))
				ids := make([]ID, n)
				for i := range ids {
					ids[i] = h.Push(time.Duration(r.IntN(1_000_000)), i)
				}
				h.Pop() // build rungs, as a loop's first iteration does
				cells, _, _ := footprint(&h)
				// Keep the first timers set that are still pending (long-lived
				// timers are set early): the table keeps what lies below them.
				kept := map[ID]bool{}
				var rest []ID
				for _, id := range ids {
					switch {
					case !h.Pending(id):
					case len(kept) < keep:
						kept[id] = true
					default:
						rest = append(rest, id)
					}
				}
				for _, id := range order(rest) {
					h.Cancel(id)
				}
				// The loop goes on: timers come and go (the last few dozen
				// cancels alone do not make a compaction).
				for i := range 200 {
					h.Cancel(h.Push(time.Duration(2_000_000+i), -1))
					h.Peek()
				}
				c, p, hc := footprint(&h)
				t.Logf("cells %d -> %d, pool %d slots, heap cap %d, live %d", cells, c, p, hc, h.Len())
				if c > 4*tabSize { // from 74 chunks
					t.Errorf("table still holds %d cells of %d for %d live timers", c, cells, h.Len())
				}
				if p > 4*chunkSize {
					t.Errorf("pool keeps %d slots", p)
				}
				if hc > 4*defaultConfig.spillAt {
					t.Errorf("heap part keeps capacity %d", hc)
				}
				if h.Len() != len(kept) {
					t.Fatalf("Len %d, want %d", h.Len(), len(kept))
				}
				for id := range kept {
					if !h.Pending(id) {
						t.Errorf("kept timer %v no longer pending", id)
					}
				}
				var last time.Duration = -1
				for it, ok := h.Pop(); ok; it, ok = h.Pop() {
					if !kept[it.ID] || it.When < last {
						t.Fatalf("popped %v (kept %v) after %v", it, kept[it.ID], last)
					}
					last = it.When
				}
				// The heap works on after shrinking.
				id := h.Push(5, 1)
				if it, ok := h.Pop(); !ok || it.ID != id {
					t.Fatalf("after shrink: %v %v", it, ok)
				}
			})
		}
	}
}

func reversed(ids []ID) []ID {
	out := make([]ID, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}
