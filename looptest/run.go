package looptest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// Result is what a run did.
type Result struct {
	Seed       uint64        // the perturbation seed (meaningful when Perturbed)
	Perturbed  bool          // the schedule was perturbed (Seed option, Seeds)
	Failed     bool          // the test (or, under Seeds, this seed) failed
	Err        error         // main's error, or the *StuckError of a run that could not finish
	End        time.Duration // loop time at the end
	Iterations uint64        // loop iterations run
	Events     int           // trace events recorded
	Digest     string        // first 16 hex digits of the SHA-256 of the trace
	Tail       []string      // the trace's last lines
	Trace      []string      // every trace line, with KeepTrace
}

// summary is the log line of a failed run: seed, digest, and the trace's
// last lines.
func (r Result) summary() string {
	var b strings.Builder
	if r.Perturbed {
		fmt.Fprintf(&b, "seed %d, ", r.Seed)
	}
	fmt.Fprintf(&b, "ended at %v after %d iterations; trace: %d events, sha256 %s", r.End, r.Iterations, r.Events, r.Digest)
	if len(r.Tail) > 0 {
		fmt.Fprintf(&b, "; last %d:\n  %s", len(r.Tail), strings.Join(r.Tail, "\n  "))
	}
	return b.String()
}

// Run runs body as the main task ("main") of a loop on a virtual clock
// and fails t, with a readable report, when:
//
//   - body returns an error (or panics: the report has the stack);
//   - the program deadlocks: every task waits for something only the loop
//     could deliver, and no callback, timer, I/O, executor job or (see
//     OutsideGrace) outside work is pending. The report lists each task,
//     where it waits and since when;
//   - the run reaches its TimeLimit or IterationLimit;
//   - a task is left behind when body returns (it is then cancelled), or
//     a timer, reader or writer is still pending;
//   - the loop reports an exception: a panic in a callback, or a task
//     error nobody retrieved.
//
// On failure it logs the seed (when perturbed), the trace digest and the
// trace's last lines. An hour of eventloop.Sleep costs no real time. Run
// returns what the run did; its Digest is the same on every run of a
// deterministic program with the same options.
//
// Call Run from the test goroutine. body runs as a task: report failures
// from it by returning an error or with t.Errorf, not with t.Fatal.
func Run(t TB, body func(ctx context.Context) error, opts ...Option) Result {
	t.Helper()
	s := New(t, opts...)
	if s == nil {
		return Result{Failed: true}
	}
	if body == nil {
		t.Errorf("looptest: Run with a nil body")
		s.Close()
		return s.Result()
	}
	main := s.Go("main", body)
	if err := s.RunUntilDone(main); err != nil {
		t.Errorf("%v", err)
	} else if err := main.Err(); err != nil {
		s.mainErr = err
		t.Errorf("looptest: main returned an error: %s", errorWithStack(err))
	}
	s.Close()
	return s.Result()
}

// Seeds runs body under n seeds of schedule perturbation (seeds 1..n; see
// Seed), each as a Run of its own, and fails t if any seed failed: the
// report names the failing seeds, gives the first failure in full with its
// trace digest, and says how to rerun it alone. It returns the result of
// every seed, in seed order.
//
// Flags: -looptest.seed=N runs only seed N (reproducing a failure exactly,
// and logging its trace digest); -looptest.seeds=N runs N seeds instead of
// n (to search harder in CI).
//
// A failure inside body must be reported by returning an error (Seeds
// cannot tell which seed a direct t.Errorf belongs to).
func Seeds(t TB, n int, body func(ctx context.Context) error, opts ...Option) []Result {
	t.Helper()
	seeds, err := seedList(n)
	if err != nil {
		t.Errorf("%v", err)
		return nil
	}
	var results []Result
	var failed []Result
	var first []string
	distinct := map[string]bool{}
	for _, seed := range seeds {
		rec := &Recorder{TestName: fmt.Sprintf("%s/seed=%d", t.Name(), seed)}
		var res Result
		rec.Do(func() { res = Run(rec, body, append(opts[:len(opts):len(opts)], Seed(seed))...) })
		res.Failed = rec.Failed()
		results = append(results, res)
		distinct[res.Digest] = true
		if res.Failed {
			if len(failed) == 0 {
				first = append(rec.Errors(), rec.Logs()...)
			}
			failed = append(failed, res)
		}
	}
	if len(failed) > 0 {
		names := make([]string, 0, 10)
		for i, r := range failed {
			if i == 10 {
				names = append(names, "...")
				break
			}
			names = append(names, fmt.Sprint(r.Seed))
		}
		f := failed[0]
		t.Errorf("looptest: %d of %d seeds failed (seeds %s).\nFirst failure, seed %d (trace sha256 %s):\n%s\n"+
			"Rerun it alone: go test -run '^%s$' -looptest.seed=%d",
			len(failed), len(seeds), strings.Join(names, ", "), f.Seed, f.Digest,
			strings.Join(first, "\n"), testPattern(t.Name()), f.Seed)
	} else if only, ok, _ := seedFlag(); ok {
		t.Logf("looptest: seed %d passed; trace: %d events, sha256 %s", only, results[0].Events, results[0].Digest)
	} else {
		t.Logf("looptest: %d seeds passed, %d distinct traces", len(seeds), len(distinct))
	}
	return results
}

// testPattern turns a test name into a -run pattern: each level of
// "TestX/sub" anchored on its own.
func testPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, "$/^")
}

// Loop returns the loop ctx belongs to (a convenience for task bodies).
func Loop(ctx context.Context) *eventloop.Loop { return eventloop.LoopOf(ctx) }
