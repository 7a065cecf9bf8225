package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/timer"
)

// The queues are checked against a trivially correct model: a plain slice
// of the items in the queue, in the order they were put. Every time the
// real queue takes an item (a GetNowait, or a Get task returning), the
// model says which item the queue's order requires (the oldest, the newest,
// or the smallest with the oldest first among equals) and the two must
// agree. The fuzzer drives a loop with getter and putter tasks, cancels
// some, runs iterations, and shuts the queue down, so the check covers
// waiting, reservation, cancellation and shutdown as well as the plain
// operations. Conservation falls out: an item taken must be in the model
// (no phantom, no duplicate), and what is left at the end must be exactly
// the model (nothing lost).

type item struct{ prio, id int }

type model struct {
	t          *testing.T
	kind       string
	items      []item
	unfinished int
}

func (m *model) add(it item) {
	m.items = append(m.items, it)
	m.unfinished++
}

// take checks that got is the item the queue's order requires, and removes
// it.
func (m *model) take(got item) {
	m.t.Helper()
	if len(m.items) == 0 {
		m.t.Errorf("%s: took %v from an empty queue (a phantom item)", m.kind, got)
		return
	}
	i := 0
	switch m.kind {
	case "LifoQueue":
		i = len(m.items) - 1
	case "PriorityQueue":
		for j, it := range m.items {
			if it.prio < m.items[i].prio {
				i = j
			}
		}
	}
	if m.items[i] != got {
		m.t.Errorf("%s: took %v, the model says %v (queue %v)", m.kind, got, m.items[i], m.items)
		if j := slices.Index(m.items, got); j >= 0 {
			i = j
		} else {
			return
		}
	}
	m.items = slices.Delete(m.items, i, i+1)
}

type modelQueue interface {
	anyQueue[item]
}

func newModelQueue(kind string, maxsize int) modelQueue {
	switch kind {
	case "LifoQueue":
		return queue.NewLifoQueue[item](maxsize)
	case "PriorityQueue":
		return queue.NewPriorityQueueFunc(maxsize, func(a, b item) int { return a.prio - b.prio })
	}
	return queue.NewQueue[item](maxsize)
}

// runModel interprets ops against one queue kind and returns the trace of
// what happened.
func runModel(t *testing.T, kind string, ops []byte) []string {
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()), eventloop.WithExceptionHandler(testkit.StrictHandler(t)))
	if err != nil {
		t.Fatal(err)
	}
	maxsize := 0
	if len(ops) > 0 {
		maxsize = int(ops[0] % 4)
		ops = ops[1:]
	}
	q := newModelQueue(kind, maxsize)
	m := &model{t: t, kind: kind}
	var trace []string
	tr := func(format string, args ...any) { trace = append(trace, fmt.Sprintf(format, args...)) }
	nextID := 0
	newItem := func() item { nextID++; return item{prio: nextID % 3, id: nextID} }
	var pending []eventloop.TaskInfo
	var all []eventloop.TaskInfo
	shutdown := false
	cancelled := map[string]bool{} // task names
	// legit says whether err is an outcome a Get or Put task may see now.
	legit := func(ctx context.Context, err error) bool {
		switch {
		case errors.Is(err, eventloop.ErrCancelled):
			return cancelled[eventloop.CurrentTask(ctx).Name()]
		case errors.Is(err, queue.ErrQueueShutdown):
			return shutdown
		}
		return false
	}

	check := func(where string) {
		t.Helper()
		st := q.Stats()
		if st.Qsize+st.Reserved != len(m.items) {
			t.Errorf("%s after %s: Qsize %d + Reserved %d != model %d", kind, where, st.Qsize, st.Reserved, len(m.items))
		}
		if q.Empty() != (q.Qsize() == 0) {
			t.Errorf("%s after %s: Empty %v with Qsize %d", kind, where, q.Empty(), q.Qsize())
		}
		if st.Unfinished != m.unfinished {
			t.Errorf("%s after %s: Unfinished %d, model %d", kind, where, st.Unfinished, m.unfinished)
		}
		if maxsize > 0 && len(m.items) > maxsize {
			t.Errorf("%s after %s: %d items in a queue of %d", kind, where, len(m.items), maxsize)
		}
		if l.Stats().Ready > 0 {
			return
		}
		// Quiescent: every wake-up has been delivered, so nobody may wait
		// for what is there.
		if st.Reserved != 0 {
			t.Errorf("%s after %s: %d items reserved with nothing left to run", kind, where, st.Reserved)
		}
		if st.Getters > 0 && st.Qsize > 0 {
			t.Errorf("%s after %s: %d getters wait beside %d items", kind, where, st.Getters, st.Qsize)
		}
		if st.Putters > 0 && len(m.items) < maxsize {
			t.Errorf("%s after %s: %d putters wait with room (%d/%d)", kind, where, st.Putters, len(m.items), maxsize)
		}
		if st.Joiners > 0 && m.unfinished == 0 {
			t.Errorf("%s after %s: %d joiners wait with every item done", kind, where, st.Joiners)
		}
		if shutdown && st.Getters+st.Putters > 0 {
			t.Errorf("%s after %s: waiters left after Shutdown", kind, where)
		}
	}

	spawnGetter := func(n int) {
		tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (item, error) {
			v, err := q.Get(ctx)
			switch {
			case err == nil:
				m.take(v)
				tr("get#%d -> %v", n, v)
			case legit(ctx, err):
				tr("get#%d -> %v", n, err)
			default:
				t.Errorf("%s: Get: unexpected %v", kind, err)
			}
			return v, nil
		})
		pending = append(pending, tk)
		all = append(all, tk)
	}
	spawnPutter := func(n int, it item) {
		tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (item, error) {
			err := q.Put(ctx, it)
			switch {
			case err == nil:
				m.add(it)
				tr("put#%d %v", n, it)
			case legit(ctx, err):
				tr("put#%d %v -> %v", n, it, err)
			default:
				t.Errorf("%s: Put: unexpected %v", kind, err)
			}
			return it, nil
		})
		pending = append(pending, tk)
		all = append(all, tk)
	}

	for n, op := range ops {
		arg := int(op >> 3)
		switch op & 7 {
		case 0:
			it := newItem()
			full := q.Full()
			switch err := q.PutNowait(it); {
			case err == nil:
				if full {
					t.Errorf("%s: PutNowait succeeded while Full", kind)
				}
				m.add(it)
				tr("putnowait %v", it)
			case err == queue.ErrQueueFull:
				if !full {
					t.Errorf("%s: PutNowait: ErrQueueFull while not Full", kind)
				}
				tr("putnowait full")
			case err == queue.ErrQueueShutdown && shutdown:
				tr("putnowait shutdown")
			default:
				t.Errorf("%s: PutNowait: %v", kind, err)
			}
		case 1:
			qsize := q.Qsize()
			switch v, err := q.GetNowait(); {
			case err == nil:
				m.take(v)
				tr("getnowait %v", v)
			case (err == queue.ErrQueueEmpty || err == queue.ErrQueueShutdown && shutdown) && qsize == 0:
				tr("getnowait %v", err)
			default:
				t.Errorf("%s: GetNowait: %v with Qsize %d", kind, err, qsize)
			}
		case 2:
			spawnGetter(n)
		case 3:
			spawnPutter(n, newItem())
		case 4:
			if len(pending) > 0 {
				i := arg % len(pending)
				pending[i].Cancel()
				cancelled[pending[i].Name()] = true
				tr("cancel %s", pending[i].Name())
				pending = slices.Delete(pending, i, i+1)
			}
		case 5, 6:
			l.RunOnce(0)
		case 7:
			switch arg % 8 {
			case 0:
				if err := q.TaskDone(); err == nil {
					m.unfinished--
				} else if m.unfinished != 0 {
					t.Errorf("%s: TaskDone: %v with %d unfinished", kind, err, m.unfinished)
				}
			case 1:
				immediate := arg&8 != 0
				q.Shutdown(immediate)
				shutdown = true
				if immediate {
					m.unfinished = max(m.unfinished-len(m.items), 0)
					m.items = nil
				}
				tr("shutdown(%v)", immediate)
			case 2:
				tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
					err := q.Join(ctx)
					if err != nil && !legit(ctx, err) {
						t.Errorf("%s: Join: %v", kind, err)
					}
					tr("join#%d -> %v", n, err)
					return 0, nil
				})
				pending = append(pending, tk)
				all = append(all, tk)
			default:
				l.RunOnce(0)
			}
		}
		check(fmt.Sprintf("op %d (%d)", n, op))
	}

	// Shut down and let everyone finish: nothing may hang, and what is
	// left in the queue must be exactly the model.
	q.Shutdown(false)
	shutdown = true
	settle := func() {
		for range 10 * (len(all) + 1) {
			if l.Stats().Ready == 0 {
				break
			}
			l.RunOnce(0)
		}
	}
	settle()
	check("final shutdown")
	for {
		v, err := q.GetNowait()
		if err != nil {
			if err != queue.ErrQueueShutdown {
				t.Errorf("%s: draining: %v", kind, err)
			}
			break
		}
		m.take(v)
	}
	if len(m.items) != 0 {
		t.Errorf("%s: items lost: the model still holds %v", kind, m.items)
	}
	for m.unfinished > 0 { // lets the joiners go
		if err := q.TaskDone(); err != nil {
			t.Errorf("%s: TaskDone: %v", kind, err)
		}
		m.unfinished--
	}
	settle()
	check("the end")
	for _, tk := range all {
		if !tk.Done() {
			t.Errorf("%s: %s still waiting after Shutdown", kind, tk.Name())
		} else if err := tk.Err(); err != nil && !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("%s: %s: %v", kind, tk.Name(), err) // a panic, say
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("%s: Close: %v", kind, err)
	}
	return trace
}

func fuzzOne(t *testing.T, ops []byte) {
	for _, k := range kinds {
		first := runModel(t, k.name, ops)
		second := runModel(t, k.name, ops)
		if !slices.Equal(first, second) {
			t.Errorf("%s: two runs of the same ops differ:\n%v\n%v", k.name, first, second)
		}
	}
}

// FuzzQueueModel checks the three queues against the slice model. Its
// seeds (run by every go test) are random op sequences of a fixed PRNG.
func FuzzQueueModel(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		ops := make([]byte, 1+r.IntN(120))
		for i := range ops {
			ops[i] = byte(r.UintN(256))
		}
		f.Add(ops)
	}
	f.Add([]byte{1, 2, 2, 5, 4, 0, 5, 1})              // a getter cancelled as an item arrives
	f.Add([]byte{1, 0, 3, 3, 5, 1, 4 | 8, 5, 1, 5, 5}) // putters, one cancelled, room freed
	f.Add([]byte{0, 2, 5, 0, 7 | 9<<3, 5, 5})          // reserved item, immediate shutdown
	f.Fuzz(fuzzOne)
}
