package looptest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// netStats is what one hour of the networked client/server did.
type netStats struct {
	ok, busy, attempts, dials int
	net                       NetStats
}

// rateLimited answers "req N" lines with "ok N", taking 50 ms each, or
// with "busy N" when it already works on two requests (over all
// connections): a rate limit the clients must back off from.
func rateLimited() func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
	working := 0
	return func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
		defer w.Close()
		for {
			line, err := r.ReadLine(ctx)
			if err != nil || len(line) == 0 {
				return
			}
			id := strings.TrimPrefix(strings.TrimSpace(string(line)), "req ")
			if working >= 2 {
				w.Write([]byte("busy " + id + "\n"))
				continue
			}
			working++
			err = eventloop.Sleep(ctx, 50*time.Millisecond)
			working--
			if err != nil {
				return
			}
			w.Write([]byte("ok " + id + "\n"))
		}
	}
}

// retryingClient sends one request a minute for an hour over a
// persistent connection, from host. Each attempt gets 2 s; on any failure
// (timeout, reset, refused, busy) it drops the connection, backs off
// (100 ms doubling to 10 s) and tries again until the request is served.
func retryingClient(host string, st *netStats) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ctx = OnHost(ctx, host)
		var r *streams.StreamReader
		var w *streams.StreamWriter
		drop := func() {
			if w != nil {
				w.Transport().Abort()
				r, w = nil, nil
			}
		}
		defer drop()
		for i := 0; i < 60; i++ {
			backoff := 100 * time.Millisecond
			for {
				st.attempts++
				var reply string
				err := task.Timeout(ctx, 2*time.Second, func(ctx context.Context) error {
					if w == nil {
						st.dials++
						var err error
						if r, w, err = streams.OpenConnection(ctx, "tcp", "api:80"); err != nil {
							return err
						}
					}
					w.Write([]byte("req " + strconv.Itoa(i) + "\n"))
					line, err := r.ReadLine(ctx)
					reply = strings.TrimSpace(string(line))
					return err
				})
				if errors.Is(err, eventloop.ErrCancelled) {
					return err // the test is ending
				}
				if err == nil && reply == "ok "+strconv.Itoa(i) {
					st.ok++
					break
				}
				if err == nil && strings.HasPrefix(reply, "busy") {
					st.busy++
				} else {
					drop() // timed out, reset or refused: start afresh
				}
				if err := eventloop.Sleep(ctx, backoff); err != nil {
					return err
				}
				backoff = min(2*backoff, 10*time.Second)
			}
			// The next request is due at the next whole minute.
			next := time.Duration(i+1) * time.Minute
			if err := eventloop.Sleep(ctx, next-Loop(ctx).Time()); err != nil {
				return err
			}
		}
		return nil
	}
}

// networkedHour is an hour of three retrying clients against a
// rate-limited server over a network with latency, jitter, random resets,
// an explicit reset and a partition that heals after five minutes.
func networkedHour(st *netStats) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		*st = netStats{}
		n := NetworkOf(ctx)
		srv, err := streams.StartServer(ctx, rateLimited(), "tcp", "api:80")
		if err != nil {
			return err
		}
		chaos := task.Go(ctx, func(ctx context.Context) error {
			if err := eventloop.Sleep(ctx, 20*time.Minute+17*time.Second); err != nil {
				return err
			}
			n.Partition([]string{"c1", "c2"}, []string{"api"})
			if err := eventloop.Sleep(ctx, 5*time.Minute); err != nil {
				return err
			}
			n.Heal()
			if err := eventloop.Sleep(ctx, 15*time.Minute); err != nil {
				return err
			}
			n.Reset("c3", "api")
			return nil
		})
		var clients []eventloop.Waitable
		for _, h := range []string{"c1", "c2", "c3"} {
			clients = append(clients, task.Go(ctx, retryingClient(h, st), eventloop.WithName("client-"+h)))
		}
		if _, _, err := task.Wait(ctx, clients, task.AllCompleted, task.NoTimeout); err != nil {
			return err
		}
		for _, c := range clients {
			if err := c.(*eventloop.Task[struct{}]).Err(); err != nil {
				return err
			}
		}
		if err := chaos.Err(); err != nil {
			return err
		}
		srv.Close()
		srv.CloseClients()
		if err := srv.WaitClosed(ctx); err != nil {
			return err
		}
		st.net = n.Stats()
		if st.ok != 180 {
			return fmt.Errorf("%d of 180 requests served", st.ok)
		}
		return nil
	}
}

// hourNet is the network of networkedHour: 20 ms ± 10 ms each way,
// 1 MB/s, one segment in 500 resets its connection.
var hourNet = WithNetwork(DefaultLink(Link{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond,
	Bandwidth: 1 << 20, ResetRate: 0.002}))

func TestSimNetHourOfRetries(t *testing.T) {
	var st, st2 netStats
	began := time.Now()
	res := Run(t, networkedHour(&st), hourNet, Seed(7))
	real := time.Since(began)
	res2 := Run(t, networkedHour(&st2), hourNet, Seed(7))
	t.Logf("one simulated hour: %v of loop time, %d iterations, %d trace events, in %v real time",
		res.End, res.Iterations, res.Events, real)
	t.Logf("requests: ok %d, busy %d, attempts %d, dials %d; network: %+v", st.ok, st.busy, st.attempts, st.dials, st.net)
	if res.End < time.Hour {
		t.Errorf("the run covered %v of loop time, want an hour", res.End)
	}
	if res.Digest != res2.Digest || st != st2 {
		t.Errorf("same seed, different runs: %s %+v vs %s %+v", res.Digest, st, res2.Digest, st2)
	}
	if st.net.Held == 0 || st.net.Resets == 0 || st.attempts <= st.ok {
		t.Errorf("the faults did not bite: %+v", st)
	}
}

func TestSimNetHourUnderSeeds(t *testing.T) {
	// 1,000 seeds twice take a few seconds; the race detector makes that
	// a minute, so it runs 200 (and -short 50).
	n := 1000
	if raceEnabled {
		n = 200
	}
	if testing.Short() {
		n = 50
	}
	began := time.Now()
	first := Seeds(t, n, networkedHour(&netStats{}), hourNet)
	second := Seeds(t, n, networkedHour(&netStats{}), hourNet)
	t.Logf("%d seeds × 2 of a simulated hour in %v real time", n, time.Since(began))
	if len(first) != n || len(second) != n {
		t.Fatalf("got %d and %d results for %d seeds", len(first), len(second), n)
	}
	distinct := map[string]bool{}
	for i := range first {
		if first[i].Digest != second[i].Digest || first[i].End != second[i].End {
			t.Errorf("seed %d: digest %s then %s", first[i].Seed, first[i].Digest, second[i].Digest)
		}
		distinct[first[i].Digest] = true
	}
	if len(distinct) < n/2 {
		t.Errorf("only %d distinct traces over %d seeds: the seed hardly matters", len(distinct), n)
	}
}
