package looptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

// A request carries its own reply future.
type request struct {
	client, attempt int
	reply           *eventloop.Future[string]
}

var (
	errBusy      = errors.New("server busy")
	errTransient = errors.New("transient failure")
)

// stats of one client-server run.
type csStats struct {
	ok, gaveUp, retries, busy, transient, timeouts int
}

// clientServer runs ten retrying clients against a rate-limited server
// over a queue for an hour of loop time. The server takes 150 ms per
// request, refuses work when more than eight requests wait, fails every
// seventh request, and holds a lock while it "writes its log". Clients
// give each attempt 1 s (WaitFor), back off exponentially with jitter
// (seeded: the same every run), and give up after six attempts.
func clientServer(st *csStats) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		inbox := queue.NewQueue[request](0)
		var logMu locks.Lock
		served := 0
		server := task.Go(ctx, func(ctx context.Context) error {
			for {
				req, err := inbox.Get(ctx)
				if errors.Is(err, queue.ErrQueueShutdown) {
					return nil
				} else if err != nil {
					return err
				}
				if inbox.Qsize() > 8 {
					req.reply.SetError(errBusy)
					continue
				}
				if err := eventloop.Sleep(ctx, 150*time.Millisecond); err != nil {
					return err
				}
				served++
				if err := logMu.Acquire(ctx); err != nil {
					return err
				}
				err = eventloop.Sleep(ctx, time.Millisecond)
				logMu.Release()
				if err != nil {
					return err
				}
				if req.reply.Done() {
					continue // the client timed out and went away
				}
				if served%7 == 0 {
					req.reply.SetError(errTransient)
				} else {
					req.reply.SetResult(fmt.Sprintf("hello %d", req.client))
				}
			}
		}, eventloop.WithName("server"))

		end := eventloop.LoopOf(ctx).Deadline(time.Hour)
		g := task.NewTaskGroup(ctx)
		for c := range 10 {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			g.Go(func(ctx context.Context) error {
				l := eventloop.LoopOf(ctx)
				for l.Time() < end {
					var err error
					for attempt := 0; attempt < 6; attempt++ {
						if attempt > 0 {
							st.retries++
							backoff := min(100*time.Millisecond<<attempt, 10*time.Second)
							backoff += time.Duration(rng.Int64N(int64(backoff / 2)))
							if err := eventloop.Sleep(ctx, backoff); err != nil {
								return err
							}
						}
						req := request{client: c, attempt: attempt, reply: eventloop.NewFuture[string](l)}
						if err := inbox.PutNowait(req); err != nil {
							return err
						}
						var reply string
						reply, err = task.WaitFor(ctx, time.Second, req.reply)
						switch {
						case err == nil:
							if reply != fmt.Sprintf("hello %d", c) {
								return fmt.Errorf("client %d got %q", c, reply)
							}
						case errors.Is(err, errBusy):
							st.busy++
						case errors.Is(err, errTransient):
							st.transient++
						case errors.Is(err, eventloop.ErrTimeout):
							st.timeouts++
						default:
							return err
						}
						if err == nil {
							break
						}
					}
					if err == nil {
						st.ok++
					} else {
						st.gaveUp++
					}
					think := time.Duration(1+rng.IntN(5)) * time.Second
					if err := eventloop.Sleep(ctx, think); err != nil {
						return err
					}
				}
				return nil
			}, eventloop.WithName(fmt.Sprintf("client-%d", c)))
		}
		err := g.Wait()
		inbox.Shutdown(false)
		if err2 := task.Gather(ctx, server); err == nil {
			err = err2
		}
		return err
	}
}

func TestClientServerHourOfVirtualTime(t *testing.T) {
	var st csStats
	start := time.Now()
	res := Run(t, clientServer(&st))
	t.Logf("covered %v of loop time in %v of real time: %d iterations, %d trace events; %+v",
		res.End, time.Since(start), res.Iterations, res.Events, st)
	if res.End < time.Hour {
		t.Errorf("ended at %v, want at least an hour", res.End)
	}
	if st.ok < 500 || st.retries == 0 || st.transient == 0 || st.busy+st.timeouts == 0 {
		t.Errorf("stats %+v: want >500 successes and retries of every kind", st)
	}
	var again csStats
	if res2 := Run(t, clientServer(&again)); res2.Digest != res.Digest || again != st {
		t.Errorf("second run: digest %s (first %s), stats %+v (first %+v)", res2.Digest, res.Digest, again, st)
	}
}

func TestClientServerUnderSeeds(t *testing.T) {
	n := 4
	if testing.Short() {
		n = 2
	}
	start := time.Now()
	rs := Seeds(t, n, func(ctx context.Context) error {
		var st csStats
		if err := clientServer(&st)(ctx); err != nil {
			return err
		}
		if st.ok < 500 {
			return fmt.Errorf("only %d successes: %+v", st.ok, st)
		}
		return nil
	})
	t.Logf("%d seeds of an hour each in %v of real time", len(rs), time.Since(start))
}
