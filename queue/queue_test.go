package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

// Ported from test_queues.QueueBasicTests: test_empty, test_full,
// test_order, and the other queues' test_order.
func TestQueueBasics(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](0)
		want(t, "empty", q.Empty(), true)
		q.Put(ctx, 1)
		want(t, "not empty", q.Empty(), false)
		v, _ := q.Get(ctx)
		want(t, "got", v, 1)
		want(t, "empty again", q.Empty(), true)
		want(t, "unbounded never full", q.Full(), false)

		b := queue.NewQueue[int](1)
		b.Put(ctx, 1)
		want(t, "bounded full", b.Full(), true)
		want(t, "maxsize", b.Maxsize(), 1)
		want(t, "negative maxsize is unbounded", queue.NewQueue[int](-3).Maxsize(), 0)

		orders := map[string]anyQueue[int]{
			"fifo": queue.NewQueue[int](0), "lifo": queue.NewLifoQueue[int](0), "prio": queue.NewPriorityQueue[int](0),
		}
		wantOrder := map[string][]int{"fifo": {1, 3, 2}, "lifo": {2, 3, 1}, "prio": {1, 2, 3}}
		for name, q := range orders {
			for _, v := range []int{1, 3, 2} {
				q.Put(ctx, v)
			}
			var got []int
			for range 3 {
				v, _ := q.Get(ctx)
				got = append(got, v)
			}
			want(t, name+" order", got, wantOrder[name])
		}
		return nil
	})
}

// The zero values of Queue and LifoQueue are unbounded queues of their
// kind; the zero PriorityQueue refuses puts with an error.
func TestZeroValues(t *testing.T) {
	var q queue.Queue[string]
	q.PutNowait("a")
	q.PutNowait("b")
	v, _ := q.GetNowait()
	want(t, "zero Queue is FIFO", v, "a")
	var s queue.LifoQueue[string]
	s.PutNowait("a")
	s.PutNowait("b")
	v, _ = s.GetNowait()
	want(t, "zero LifoQueue is LIFO", v, "b")
	var p queue.PriorityQueue[string]
	if err := p.PutNowait("a"); err == nil {
		t.Errorf("zero PriorityQueue accepted a put")
	}
	if _, err := p.GetNowait(); !errors.Is(err, queue.ErrQueueEmpty) {
		t.Errorf("zero PriorityQueue GetNowait: %v", err)
	}
	if err := queue.NewPriorityQueueFunc[string](0, nil).PutNowait("a"); err == nil {
		t.Errorf("PriorityQueue with a nil comparison accepted a put")
	}
}

// A PriorityQueue is stable: items that compare equal come out in the
// order they were put.
func TestPriorityQueueStable(t *testing.T) {
	type job struct {
		prio int
		name string
	}
	q := queue.NewPriorityQueueFunc(0, func(a, b job) int { return a.prio - b.prio })
	for _, j := range []job{{2, "a"}, {1, "b"}, {2, "c"}, {1, "d"}, {0, "e"}, {2, "f"}, {1, "g"}} {
		q.PutNowait(j)
	}
	var got []string
	for !q.Empty() {
		j, _ := q.GetNowait()
		got = append(got, j.name)
	}
	want(t, "order", got, []string{"e", "b", "d", "g", "a", "c", "f"})
}

// Ported from test_maxsize: a putter blocks on a full queue and resumes
// when a get frees room.
func TestQueueMaxsize(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](2)
		var put []int
		p := task.Go(ctx, func(ctx context.Context) error {
			for i := range 3 {
				if err := q.Put(ctx, i); err != nil {
					return err
				}
				put = append(put, i)
			}
			return nil
		})
		yield(ctx, 2)
		want(t, "blocked after two", put, []int{0, 1})
		v, _ := q.Get(ctx)
		want(t, "got", v, 0)
		yield(ctx, 1)
		want(t, "resumed", put, []int{0, 1, 2})
		v1, _ := q.Get(ctx)
		v2, _ := q.Get(ctx)
		want(t, "rest", []int{v1, v2}, []int{1, 2})
		return task.Gather(ctx, p)
	})
}

// Ported from QueueGetTests.test_blocking_get_wait: a getter waits until a
// timer puts an item.
func TestQueueBlockingGetWait(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](0)
		g := spawnGet(ctx, q)
		yield(ctx, 1)
		want(t, "waiting", g.Done(), false)
		eventloop.LoopOf(ctx).CallLater(10*time.Millisecond, func() { q.PutNowait(1) })
		v, err := eventloop.Await[int](ctx, g)
		want(t, "got", v, 1)
		return err
	})
}

func TestQueueNowait(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		q := newQ(1)
		if _, err := q.GetNowait(); err != queue.ErrQueueEmpty {
			t.Errorf("GetNowait on empty: %v", err)
		}
		if err := q.PutNowait(1); err != nil {
			t.Errorf("PutNowait: %v", err)
		}
		if err := q.PutNowait(2); err != queue.ErrQueueFull {
			t.Errorf("PutNowait on full: %v", err)
		}
		if v, err := q.GetNowait(); v != 1 || err != nil {
			t.Errorf("GetNowait = %d, %v", v, err)
		}
	})
}

// Ported from test_get_cancelled_race: a getter cancelled while waiting
// does not take the item put afterwards; the next getter does.
func TestQueueCancelledGetLeavesItemForNext(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			t1, t2 := spawnGet(ctx, q), spawnGet(ctx, q)
			yield(ctx, 1)
			t1.Cancel()
			yield(ctx, 1)
			want(t, "t1 done", t1.Done(), true)
			if _, err := t1.Result(); !isCancelled(err) {
				t.Errorf("t1: %v", err)
			}
			q.Put(ctx, 'a')
			v, err := eventloop.Await[int](ctx, t2)
			want(t, "t2 got", v, int('a'))
			return err
		})
	})
}

// A getter cancelled in the same iteration as the put is skipped by the
// put, even though it has not run yet: the item goes to the next getter.
func TestQueueGetCancelledBeforePutIsSkipped(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](0)
		t1, t2 := spawnGet(ctx, q), spawnGet(ctx, q)
		yield(ctx, 1)
		t1.Cancel()
		q.PutNowait(7)
		task.GatherAll(ctx, t1, t2)
		if _, err := t1.Result(); !isCancelled(err) {
			t.Errorf("t1: %v, want ErrCancelled", err)
		}
		v, err := t2.Result()
		want(t, "t2", v, 7)
		want(t, "queue empty", q.Qsize(), 0)
		return err
	})
}

// Ported from test_get_cancel_drop_one_pending_reader: the reader is woken
// by the first put and cancelled before it runs. It keeps its item (Get
// returns it with a nil error); in asyncio it raises and a new reader gets
// the same item. Either way item 1 is not dropped.
func TestQueueWokenThenCancelledGetKeepsItem(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			reader := spawnGet(ctx, q)
			yield(ctx, 1)
			q.PutNowait(1)
			q.PutNowait(2)
			reader.Cancel()
			v, err := eventloop.Await[int](ctx, reader)
			if err != nil {
				t.Errorf("reader: %v, want nil", err)
			}
			// FIFO and priority give 1; a LIFO reader takes the newest.
			wantV, rest := 1, 2
			if _, ok := q.(*queue.LifoQueue[int]); ok {
				wantV, rest = 2, 1
			}
			want(t, "reader got", v, wantV)
			left, _ := q.GetNowait()
			want(t, "left", left, rest)
			return nil
		})
	})
}

// Ported from test_get_cancel_drop_many_pending_readers.
func TestQueueManyPendingReadersOneCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](0)
		r1, r2, r3 := spawnGet(ctx, q), spawnGet(ctx, q), spawnGet(ctx, q)
		yield(ctx, 1)
		q.PutNowait(1)
		q.PutNowait(2)
		r1.Cancel()
		task.GatherAll(ctx, r1, r2)
		v1, err1 := r1.Result()
		v2, err2 := r2.Result()
		// r1 was woken with item 1 before its cancellation: it keeps it.
		if err1 != nil || err2 != nil || v1 != 1 || v2 != 2 {
			t.Errorf("r1 = %d, %v; r2 = %d, %v; want 1 and 2", v1, err1, v2, err2)
		}
		want(t, "r3 waits", r3.Done(), false)
		q.PutNowait(3)
		v3, err := eventloop.Await[int](ctx, r3)
		want(t, "r3", v3, 3)
		return err
	})
}

// Ported from test_put_cancel_drop: the writer, woken by room, is cancelled
// before it runs. It keeps the room: the item is put and Put returns nil.
func TestQueueWokenThenCancelledPutKeepsRoom(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(1)
			q.PutNowait(1)
			writer := spawnPut(ctx, q, 2)
			yield(ctx, 1)
			v, _ := q.GetNowait()
			want(t, "first", v, 1)
			writer.Cancel()
			if err := task.Gather(ctx, writer); err != nil {
				t.Errorf("writer: %v, want nil", err)
			}
			v, _ = q.GetNowait()
			want(t, "second", v, 2)
			want(t, "qsize", q.Qsize(), 0)
			return nil
		})
	})
}

// A Put cancelled while it waits leaves no phantom item, and the room
// freed later goes to the next putter.
func TestQueueCancelledPutLeavesNoItem(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(1)
			q.PutNowait(1)
			pa, pb := spawnPut(ctx, q, 2), spawnPut(ctx, q, 3)
			yield(ctx, 1)
			pa.Cancel()
			yield(ctx, 1)
			if err := task.Gather(ctx, pa); !isCancelled(err) {
				t.Errorf("pa: %v", err)
			}
			want(t, "still one item", q.Qsize(), 1)
			v, _ := q.GetNowait()
			want(t, "first", v, 1)
			task.Gather(ctx, pb)
			v, _ = q.GetNowait()
			want(t, "second", v, 3)
			if _, err := q.GetNowait(); err != queue.ErrQueueEmpty {
				t.Errorf("a phantom item: %v", err)
			}
			want(t, "stats", q.Stats().Putters, 0)
			return nil
		})
	})
}

// Ported from test_put_cancelled_race.
func TestQueuePutCancelledRace(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[string](1)
		putA := spawnPut[string](ctx, q, "a")
		putB := spawnPut[string](ctx, q, "b")
		putC := spawnPut[string](ctx, q, "X")
		yield(ctx, 1)
		want(t, "a done", putA.Done(), true)
		want(t, "b waits", putB.Done(), false)
		putC.Cancel()
		yield(ctx, 1)
		want(t, "c done", putC.Done(), true)
		v, _ := q.GetNowait()
		want(t, "a", v, "a")
		yield(ctx, 1)
		v, _ = q.GetNowait()
		want(t, "b", v, "b")
		return task.Gather(ctx, putB)
	})
}

// Ported from test_get_with_waiting_putters, test_put_with_waiting_getters,
// test_why_are_getters_waiting and test_why_are_putters_waiting.
func TestQueueProducersAndConsumers(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[string](1)
		spawnPut[string](ctx, q, "a")
		spawnPut[string](ctx, q, "b")
		v1, _ := q.Get(ctx)
		v2, _ := q.Get(ctx)
		want(t, "waiting putters", []string{v1, v2}, []string{"a", "b"})

		u := queue.NewQueue[string](0)
		g := spawnGet[string](ctx, u)
		yield(ctx, 1)
		u.Put(ctx, "a")
		v, _ := eventloop.Await[string](ctx, g)
		want(t, "waiting getter", v, "a")

		n := queue.NewQueue[int](1)
		err := task.Group(ctx, func(ctx context.Context, tg *task.TaskGroup) error {
			tg.Go(func(ctx context.Context) error {
				for i := range 5 {
					if err := n.Put(ctx, i); err != nil {
						return err
					}
				}
				return nil
			})
			tg.Go(func(ctx context.Context) error {
				for range 5 {
					if _, err := n.Get(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			return nil
		})
		if err != nil {
			t.Errorf("producer/consumer: %v", err)
		}

		m := queue.NewQueue[int](2)
		return task.Group(ctx, func(ctx context.Context, tg *task.TaskGroup) error {
			tg.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, 0)
				for range m.Qsize() {
					m.GetNowait()
				}
				return nil
			})
			for i := range 4 {
				tg.Go(func(ctx context.Context) error { return m.Put(ctx, i) })
			}
			return nil
		})
	})
}

// Ported from test_cancelled_getters_not_being_held_in_self_getters and
// test_cancelled_puts_not_being_held_in_self_putters.
func TestQueueCancelledWaitersLeave(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](5)
		_, err := task.WaitFor(ctx, 100*time.Millisecond, spawnGet(ctx, q))
		if !errors.Is(err, eventloop.ErrTimeout) {
			t.Errorf("WaitFor(Get): %v", err)
		}
		want(t, "getters", q.Stats().Getters, 0)

		f := queue.NewQueue[int](1)
		f.PutNowait(1)
		p := spawnPut(ctx, f, 1)
		yield(ctx, 1)
		want(t, "putters", f.Stats().Putters, 1)
		p.Cancel()
		if err := task.Gather(ctx, p); !isCancelled(err) {
			t.Errorf("Put: %v", err)
		}
		want(t, "putters after", f.Stats().Putters, 0)
		return nil
	})
}

// Getters are served in the order they started waiting, and an item
// reserved for a woken getter cannot be taken by a GetNowait that runs
// before it (no barging). The same for putters and room.
func TestQueueFIFOWaitersNoBarging(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			var order []int
			getter := func(n int) func(ctx context.Context) error {
				return func(ctx context.Context) error {
					if _, err := q.Get(ctx); err != nil {
						return err
					}
					order = append(order, n)
					return nil
				}
			}
			g1, g2, g3 := task.Go(ctx, getter(1)), task.Go(ctx, getter(2)), task.Go(ctx, getter(3))
			yield(ctx, 1)
			var barged error
			barger := task.Go(ctx, func(ctx context.Context) error {
				_, barged = q.GetNowait()
				return nil
			})
			q.PutNowait(10) // reserved for g1, which runs after barger
			want(t, "qsize counts only free items", q.Qsize(), 0)
			want(t, "reserved", q.Stats().Reserved, 1)
			q.PutNowait(20)
			q.PutNowait(30)
			task.Gather(ctx, g1, g2, g3, barger)
			if barged != queue.ErrQueueEmpty {
				t.Errorf("barging GetNowait: %v, want ErrQueueEmpty", barged)
			}
			want(t, "order", order, []int{1, 2, 3})

			b := newQ(1)
			b.PutNowait(0)
			var porder []int
			putter := func(n int) func(ctx context.Context) error {
				return func(ctx context.Context) error {
					if err := b.Put(ctx, n); err != nil {
						return err
					}
					porder = append(porder, n)
					return nil
				}
			}
			p1, p2 := task.Go(ctx, putter(1)), task.Go(ctx, putter(2))
			yield(ctx, 1)
			var pbarged error
			pbarger := task.Go(ctx, func(ctx context.Context) error {
				pbarged = b.PutNowait(99)
				return nil
			})
			b.GetNowait() // room reserved for p1
			want(t, "full while room is reserved", b.Full(), true)
			eventloop.Sleep(ctx, 0)
			b.GetNowait() // p1's item; room for p2
			task.Gather(ctx, p1, p2, pbarger)
			if pbarged != queue.ErrQueueFull {
				t.Errorf("barging PutNowait: %v, want ErrQueueFull", pbarged)
			}
			want(t, "put order", porder, []int{1, 2})
			last, _ := b.GetNowait()
			want(t, "last", last, 2)
			return nil
		})
	})
}

// Ported from _QueueJoinTestMixin for every queue type.
func TestQueueJoin(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		if err := newQ(0).TaskDone(); !errors.Is(err, queue.ErrTaskDoneTooMany) {
			t.Errorf("TaskDone underflow: %v", err)
		}
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			for i := range 100 {
				q.PutNowait(i)
			}
			sum := 0
			running := true
			return task.Group(ctx, func(ctx context.Context, tg *task.TaskGroup) error {
				for range 2 {
					tg.Go(func(ctx context.Context) error {
						for running {
							v, err := q.Get(ctx)
							if err != nil {
								return err
							}
							sum += v
							q.TaskDone()
						}
						return nil
					})
				}
				if err := q.Join(ctx); err != nil {
					return err
				}
				want(t, "sum", sum, 4950)
				running = false
				q.PutNowait(0)
				q.PutNowait(0)
				return nil
			})
		})
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			if err := q.Join(ctx); err != nil {
				return err
			}
			return q.Join(ctx)
		})
	})
}

// Join on a cancelled ctx, and cancelled while it waits.
func TestQueueJoinCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](0)
		q.PutNowait(1)
		j := task.Go(ctx, q.Join)
		yield(ctx, 1)
		j.Cancel()
		if err := task.Gather(ctx, j); !isCancelled(err) {
			t.Errorf("Join: %v", err)
		}
		want(t, "joiners", q.Stats().Joiners, 0)
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if err := queue.NewQueue[int](0).Join(cctx); !isCancelled(err) {
			t.Errorf("Join on a cancelled ctx: %v", err)
		}
		return nil
	})
}

func TestQueueStatsAndString(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](3)
		want(t, "new", q.String(), "queue.Queue[maxsize=3 qsize=0]")
		g := spawnGet(ctx, q)
		yield(ctx, 1)
		want(t, "getter", q.String(), "queue.Queue[maxsize=3 qsize=0 getters=1]")
		q.PutNowait(1)
		want(t, "reserved", q.String(), "queue.Queue[maxsize=3 qsize=0 reserved=1 tasks=1]")
		eventloop.Await[int](ctx, g)
		q.PutNowait(2)
		q.Shutdown(false)
		want(t, "shut down", q.String(), "queue.Queue[maxsize=3 qsize=1 tasks=2 shutdown]")
		want(t, "stats", q.Stats(), queue.Stats{Qsize: 1, Maxsize: 3, Unfinished: 2, Shutdown: true})
		want(t, "lifo", queue.NewLifoQueue[int](0).String(), "queue.LifoQueue[maxsize=0 qsize=0]")
		want(t, "prio", queue.NewPriorityQueue[int](0).String(), "queue.PriorityQueue[maxsize=0 qsize=0]")
		return nil
	})
}
