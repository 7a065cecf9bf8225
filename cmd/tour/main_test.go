package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if runChild() { // the pipeline stop runs this binary as its children
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestTour runs the whole tour and checks the lines that show each
// semantic, in order. Loop times are exact: the tour runs on virtual
// clocks.
func TestTour(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := []string{
		"iteration 1: callback first",
		"iteration 1: callback second",
		"iteration 1: callback third",
		"iteration 2: ... which runs in the next iteration",
		"at 15m0s: CallAt a quarter past",
		"at 30m0s: half an hour (set first)",
		"at 30m0s: half an hour (set second",
		"at 1h0m0s: the hour is up",
		"A step 0", "B step 0", "A step 1", "B step 1", "A step 2", "B step 2",
		`at 3s: GatherResults = ["c" "a" "b"], <nil>`,
		"at 4s: Gather = disk full; slow sibling cancelled? false, done? false",
		"at 5s: the sibling finished anyway: 42, <nil>",
		"at 6s: GatherAll = [<nil> bad input], <nil>",
		"at 1s: FirstCompleted: done [one], pending [two three], <nil>",
		"at 1.5s: AllCompleted with a 500ms timeout: done [one], pending [two three], <nil>",
		"at 3s: AllCompleted: done [one two three], pending [], <nil>",
		"at 5s: slow task: eventloop: cancelled; cleaning up",
		"at 7s: slow task: cleanup done",
		"at 7s: WaitFor = eventloop: timed out (ErrTimeout: true, context.DeadlineExceeded: true); slow task cancelled: true",
		"at 500ms: Reschedule: deadline moved to 2.5s",
		"at 2.5s: Timeout = eventloop: timed out",
		"+1s: inner Timeout = eventloop: timed out; outer scope expired: true",
		"+1s: outer Timeout = eventloop: timed out",
		"at 1s: Timeout around Shield = eventloop: timed out; payment cancelled? false",
		`at 3s: payment = "paid", <nil>`,
		`at 1s: "one second"`, `at 2s: "two seconds"`, `at 3s: "three seconds"`,
		"at 1s: sibling: eventloop: cancelled",
		`at 1s: Group = "disk failed; network failed"`,
		"errors.Is disk: true, net: true, ErrCancelled: false",
		"the owner's ctx is not cancelled: true",
		"at 1s: worker-2 finished a 1s job",
		"at 3s: Join returned: all 5 jobs done",
		`client 1 got "echo: hello from client 1", <nil>`,
		`client 3 got "echo: hello from client 3", <nil>`,
		`at 0s: 200 OK "hello, gopher"`,
		`at 2s: 200 OK "waited 2s for \"patience\""`,
		`at 2s: 404 Not Found "404 page not found\n"`,
		"three requests, 1 pooled connection",
		"pipeline: 1 PEAR", "pipeline: 4 KIWI",
		"exit codes 0 and 0; both children reaped by the loop",
		`ToThread = "worker result", <nil>`,
		"task on the loop: sleeping 10s of loop time",
		"goroutine: result 42, <nil>",
		`reader: "hello"`, `reader: "world"`, "reader: end of file",
		"handler: got SIGUSR1",
		"RemoveSignalHandler: true",
		`exception handler: panic in callback: panic "boom", with its stack (true)`,
		"the next callback runs all the same",
		`task "buggy" ended with eventloop: panic: runtime error: index out of range [0] with length 0 (a *PanicError: true)`,
		"CallSoon called from ",
		"the executor goroutine's CallSoon failed: method CallSoon, ErrWrongGoroutine: true",
		"CallSoonThreadsafe from the same goroutine: <nil>, and the callback ran",
		"sleeper: unwound by Close, its await returned eventloop: loop is closed",
		"exception handler: task error was never retrieved (task ignored): nobody reads this",
		"Close = *AliveError: tasks [sleeper], 1 timer(s), 1 reader(s)",
		"the loop is closed all the same: true",
		`loop "tour" (running, await tracking) at 1m30s: 5 tasks`,
		"└── #1 main [running]",
		"#2 web [suspended 1m30s] eventloop.Await at tour/more.go:",
		"#4 worker [suspended 1m30s] queue.Queue.Get at tour/more.go:",
		"#5 saver [suspended 1m30s] locks.Lock.Acquire at tour/more.go:",
		"#3 ticker [suspended 1m30s] eventloop.Sleep at tour/more.go:",
		"End of the tour.",
	}
	text := out.String()
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("missing, or out of order: %q\nafter:\n%s\n\nwhole output:\n%s", w, text[at:], text)
		}
		at += i + len(w)
	}
	if strings.Contains(text, "never printed") {
		t.Errorf("a cancelled callback or timer ran:\n%s", text)
	}
}
