package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/looptest"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/web"
)

// simFleet is a server on host "api" and twelve clients on hosts c0..c11
// over looptest's simulated network, in virtual time. Each client makes
// five requests, retrying one that fails (a reset, a timeout across the
// partition). orderBug plants a handler that relies on request order:
// it expects the clients' first requests in client order. log receives
// one line per event, in loop order: the run's story, compared across
// runs.
func simFleet(orderBug bool, log *[]string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		l := looptest.Loop(ctx)
		net := looptest.NetworkOf(ctx)
		say := func(format string, args ...any) {
			*log = append(*log, fmt.Sprintf("%v ", l.Time())+fmt.Sprintf(format, args...))
		}
		next := 0 // the client the order bug expects next
		mux := http.NewServeMux()
		mux.HandleFunc("POST /hello/{client}", func(w http.ResponseWriter, r *http.Request) {
			id := r.PathValue("client")
			b, _ := io.ReadAll(r.Body)
			if orderBug && string(b) == "0" { // a client's first request
				if id != fmt.Sprintf("c%d", next) {
					http.Error(w, fmt.Sprintf("expected c%d, got %s", next, id), http.StatusConflict)
					return
				}
				next++
			}
			// Some work on the loop's clock.
			if err := eventloop.Sleep(r.Context(), time.Millisecond); err != nil {
				return
			}
			fmt.Fprintf(w, "hello %s: %s", id, b)
		})
		srv := &web.Server{Handler: mux, Now: func() time.Time { return time.Unix(0, int64(l.Time())) }}
		if _, err := srv.Listen(ctx, "tcp", "api:80"); err != nil {
			return err
		}
		// Four clients lose the server for two seconds.
		f := faults{net, say}
		cut, err := l.CallLater(20*time.Millisecond, f.partition)
		if err != nil {
			return err
		}
		defer cut.Cancel()
		heal, _ := l.CallLater(2*time.Second, f.heal)
		defer heal.Cancel()
		var clients []*eventloop.Task[struct{}]
		for i := range 12 {
			host := fmt.Sprintf("c%d", i)
			clients = append(clients, task.Go(ctx, func(ctx context.Context) error {
				hctx := looptest.OnHost(ctx, host)
				tr := &web.Transport{Dial: streams.OpenConnection}
				defer tr.CloseIdleConnections()
				c := &web.Client{Transport: tr, Timeout: 500 * time.Millisecond}
				for j := range 5 {
					for attempt := 1; ; attempt++ {
						resp, err := c.Post(hctx, "http://api/hello/"+host, "text/plain", strings.NewReader(fmt.Sprint(j)))
						if err == nil {
							b, rerr := io.ReadAll(resp.Body)
							resp.Body.Close()
							if rerr == nil && resp.StatusCode == 200 {
								say("%s #%d: %s", host, j, b)
								break
							}
							if resp.StatusCode != 200 {
								return fmt.Errorf("%s #%d: %s: %s", host, j, resp.Status, b)
							}
							err = rerr
						}
						say("%s #%d attempt %d: %v", host, j, attempt, err)
						if attempt == 20 {
							return err
						}
					}
				}
				return nil
			}, eventloop.WithName(host)))
		}
		for _, c := range clients {
			if _, cerr := eventloop.Await(ctx, c); cerr != nil && err == nil {
				err = cerr
			}
		}
		srv.Close()
		srv.Shutdown(ctx) // waits for the connection tasks to end
		say("done")
		return err
	}
}

// faults are the timed events of the scenario: methods, so that the
// trace names them the same in every run (a closure's name depends on
// where it was made).
type faults struct {
	net *looptest.Network
	say func(format string, args ...any)
}

func (f faults) partition() {
	f.say("partition c0-c3 | api")
	f.net.Partition([]string{"c0", "c1", "c2", "c3"}, []string{"api"})
}

func (f faults) heal() { f.say("heal"); f.net.Heal() }

var fleetNet = looptest.WithNetwork(looptest.DefaultLink(looptest.Link{
	Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond, ResetRate: 0.002,
}))

func TestSimFleetIsDeterministic(t *testing.T) {
	var log1, log2 []string
	r1 := looptest.Run(t, simFleet(false, &log1), fleetNet, looptest.Seed(7), looptest.KeepTrace())
	r2 := looptest.Run(t, simFleet(false, &log2), fleetNet, looptest.Seed(7), looptest.KeepTrace())
	if t.Failed() {
		return
	}
	if r1.Digest != r2.Digest || strings.Join(r1.Trace, "\n") != strings.Join(r2.Trace, "\n") {
		t.Errorf("same seed, different traces: %s vs %s", r1.Digest, r2.Digest)
	}
	if strings.Join(log1, "\n") != strings.Join(log2, "\n") {
		t.Errorf("same seed, different stories")
	}
	ok, retried := 0, 0
	for _, s := range log1 {
		switch {
		case strings.Contains(s, ": hello "):
			ok++
		case strings.Contains(s, "attempt"):
			retried++
		}
	}
	if ok != 60 {
		t.Errorf("%d answers, want 60", ok)
	}
	if retried == 0 {
		t.Errorf("the partition made no request fail: the scenario tests nothing")
	}
	t.Logf("seed 7: %d events, sha256 %s, ended at %v, %d retries", r1.Events, r1.Digest, r1.End, retried)
	// Another seed, another story.
	var log3 []string
	r3 := looptest.Run(t, simFleet(false, &log3), fleetNet, looptest.Seed(8), looptest.KeepTrace())
	if r3.Digest == r1.Digest {
		t.Errorf("seeds 7 and 8 gave the same trace")
	}
}

func TestSimFleetFindsOrderBug(t *testing.T) {
	// Without jitter, clients started in order are served in order: the
	// bug hides.
	calm := &looptest.Recorder{TestName: t.Name()}
	var log []string
	calm.Do(func() {
		looptest.Run(calm, simFleet(true, &log), looptest.WithNetwork(looptest.DefaultLink(looptest.Link{Latency: 2 * time.Millisecond})))
	})
	if calm.Failed() {
		t.Fatalf("the bug showed without jitter:\n%s", calm.Output())
	}
	rec := &looptest.Recorder{TestName: t.Name()}
	var results []looptest.Result
	rec.Do(func() {
		results = looptest.Seeds(rec, 20, func(ctx context.Context) error {
			var log []string
			return simFleet(true, &log)(ctx)
		}, fleetNet)
	})
	var bad *looptest.Result
	for i := range results {
		if results[i].Failed {
			bad = &results[i]
			break
		}
	}
	if bad == nil {
		t.Fatal("no seed of 20 found the order bug")
	}
	again := &looptest.Recorder{TestName: t.Name()}
	var res looptest.Result
	again.Do(func() {
		res = looptest.Run(again, simFleet(true, &log), fleetNet, looptest.Seed(bad.Seed))
	})
	if !again.Failed() || res.Digest != bad.Digest || !strings.Contains(again.Output(), "409 Conflict") {
		t.Errorf("rerun of seed %d: failed %v, digest %s (want %s):\n%s", bad.Seed, again.Failed(), res.Digest, bad.Digest, again.Output())
	}
	t.Logf("seed %d finds it and replays it (digest %s)", bad.Seed, bad.Digest)
}
