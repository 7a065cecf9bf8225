package looptest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// mixed is a workload of tasks, timers, locks and queues whose outcome
// must not depend on the order of task steps: producers and consumers on
// a bounded queue, a semaphore bounding work in progress, a lock whose
// mutual exclusion is checked across an await, an event set by a timer,
// and a Timeout that expires. It returns an error when an invariant
// breaks.
func mixed(ctx context.Context) error {
	q := queue.NewQueue[int](3)
	sem, err := locks.NewSemaphore(2)
	if err != nil {
		return err
	}
	var mu locks.Lock
	var ev locks.Event
	inside, sum, inFlight := false, 0, 0
	l := eventloop.LoopOf(ctx)
	if _, err := l.CallLater(25*time.Millisecond, ev.Set); err != nil {
		return err
	}
	g := task.NewTaskGroup(ctx)
	for p := range 3 {
		g.Go(func(ctx context.Context) error {
			for i := range 5 {
				if err := eventloop.Sleep(ctx, 10*time.Millisecond); err != nil {
					return err
				}
				if err := q.Put(ctx, p*100+i); err != nil {
					return err
				}
			}
			return nil
		}, eventloop.WithName("producer-"+strconv.Itoa(p)))
	}
	for c := range 2 {
		g.Go(func(ctx context.Context) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			for range 15 {
				v, err := q.Get(ctx)
				if err != nil {
					return err
				}
				if v < 0 {
					return nil // the stop marker
				}
				if err := sem.Acquire(ctx); err != nil {
					return err
				}
				if inFlight++; inFlight > 2 {
					return fmt.Errorf("%d in flight under a semaphore of 2", inFlight)
				}
				err = eventloop.Sleep(ctx, 5*time.Millisecond)
				inFlight--
				sem.Release()
				if err != nil {
					return err
				}
				if err := mu.Acquire(ctx); err != nil {
					return err
				}
				if inside {
					return errors.New("two tasks inside the lock")
				}
				inside = true
				err = eventloop.Sleep(ctx, time.Millisecond)
				sum += v
				inside = false
				mu.Release()
				if err != nil {
					return err
				}
			}
			return nil
		}, eventloop.WithName("consumer-"+strconv.Itoa(c)))
	}
	g.Go(func(ctx context.Context) error {
		err := task.Timeout(ctx, 15*time.Millisecond, func(ctx context.Context) error {
			return eventloop.Sleep(ctx, time.Hour)
		})
		if !errors.Is(err, eventloop.ErrTimeout) {
			return fmt.Errorf("Timeout: %v, want ErrTimeout", err)
		}
		return nil
	}, eventloop.WithName("timeout"))
	g.Go(func(ctx context.Context) error {
		for q.Qsize() > 0 || sum == 0 {
			if err := eventloop.Sleep(ctx, 20*time.Millisecond); err != nil {
				return err
			}
		}
		return nil
	}, eventloop.WithName("watcher"))
	// The consumers stop after their share: 15 items, 2 consumers.
	g.Go(func(ctx context.Context) error {
		if err := eventloop.Sleep(ctx, time.Second); err != nil {
			return err
		}
		for range 2 {
			if err := q.Put(ctx, -1); err != nil {
				return err
			}
		}
		return nil
	}, eventloop.WithName("stopper"))
	if err := g.Wait(); err != nil {
		return err
	}
	if want := 3*(0+1+2+3+4) + 100*5 + 200*5; sum != want {
		return fmt.Errorf("consumed a sum of %d, want %d", sum, want)
	}
	return nil
}

func TestSameSeedSameTrace(t *testing.T) {
	for _, opts := range [][]Option{nil, {Seed(1)}, {Seed(99)}} {
		a := Run(t, mixed, append(opts, KeepTrace())...)
		b := Run(t, mixed, append(opts, KeepTrace())...)
		if d := cmp.Diff(a.Trace, b.Trace); d != "" {
			t.Errorf("options %v: two runs traced differently (-first +second):\n%s", opts, d)
		}
		if a.Digest != b.Digest || a.Events != len(a.Trace) || a.Events < 100 {
			t.Errorf("digests %s, %s; %d events, %d lines", a.Digest, b.Digest, a.Events, len(a.Trace))
		}
	}
}

func TestThousandSeedsAreStable(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	first := Seeds(t, n, mixed)
	second := Seeds(t, n, mixed)
	distinct := map[string]bool{}
	for i := range first {
		if first[i].Digest != second[i].Digest || first[i].End != second[i].End || first[i].Failed || second[i].Failed {
			t.Errorf("seed %d: digest %s then %s, end %v then %v, failed %v then %v", first[i].Seed,
				first[i].Digest, second[i].Digest, first[i].End, second[i].End, first[i].Failed, second[i].Failed)
		}
		distinct[first[i].Digest] = true
	}
	t.Logf("%d seeds, each run twice: %d distinct schedules", len(first), len(distinct))
	if len(distinct) < len(first)/2 {
		t.Errorf("only %d distinct traces in %d seeds: the perturbation hardly perturbs", len(distinct), len(first))
	}
}

// planted has an ordering bug: the reader assumes the writer, whose sleep
// ends at the same instant, ran first. FIFO order makes that true;
// nothing promises it.
func planted(ctx context.Context) error {
	ready := false
	w := task.Go(ctx, func(ctx context.Context) error {
		if err := eventloop.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		ready = true
		return nil
	}, eventloop.WithName("writer"))
	r := task.Go(ctx, func(ctx context.Context) error {
		if err := eventloop.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		if !ready {
			return errors.New("read before the write")
		}
		return nil
	}, eventloop.WithName("reader"))
	return task.Gather(ctx, w, r)
}

func TestPlantedOrderingBugIsFoundAndReproduced(t *testing.T) {
	if rec, _ := record(t, planted); rec.Failed() {
		t.Fatalf("FIFO order should hide the bug:\n%s", rec.Output())
	}
	rec := &Recorder{TestName: "TestPlanted"}
	var results []Result
	rec.Do(func() { results = Seeds(rec, 50, planted) })
	var bad *Result
	for i := range results {
		if results[i].Failed {
			bad = &results[i]
			break
		}
	}
	if bad == nil {
		t.Fatalf("50 seeds did not find the planted bug")
	}
	wantFailure(t, rec, "seeds failed", fmt.Sprintf("First failure, seed %d", bad.Seed),
		"read before the write", bad.Digest, fmt.Sprintf("-looptest.seed=%d", bad.Seed), "-run '^TestPlanted$'")

	// Rerun that seed alone, with Run and with the flag: same failure, same trace.
	again, res := record(t, planted, Seed(bad.Seed))
	wantFailure(t, again, "read before the write")
	if res.Digest != bad.Digest {
		t.Errorf("rerun of seed %d traced %s, first run %s", bad.Seed, res.Digest, bad.Digest)
	}
	*seedOnly = strconv.FormatUint(bad.Seed, 10)
	defer func() { *seedOnly = "" }()
	flagged := &Recorder{}
	var only []Result
	flagged.Do(func() { only = Seeds(flagged, 50, planted) })
	if len(only) != 1 || !only[0].Failed || only[0].Digest != bad.Digest || only[0].Seed != bad.Seed {
		t.Errorf("-looptest.seed=%d ran %+v; want that seed alone, failing with digest %s", bad.Seed, only, bad.Digest)
	}
}
