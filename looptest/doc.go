// Package looptest runs tests of loop programs deterministically: on a
// virtual clock, under seeded schedule perturbation, with a trace of
// everything the loop did, and with a readable failure when the program
// deadlocks, leaves a task or a timer behind, or drops a task error.
//
// Run is the one call most tests need:
//
//	func TestRetry(t *testing.T) {
//		looptest.Run(t, func(ctx context.Context) error {
//			// straight-line task code; an hour of eventloop.Sleep takes no time
//			return nil
//		})
//	}
//
// Seeds runs the same body under many seeds of the loop's schedule
// perturbation (eventloop.WithPerturbation), names the seed of a failure,
// and reruns exactly that seed with -looptest.seed=N. Sim drives a loop by
// hand (Step, RunUntilIdle, Advance) for tests that want to look between
// iterations. Sequencer forces an interleaving and WaitIdle waits until
// every other task is blocked: the two replace sleeps in tests.
//
// WithNetwork gives a run a simulated network (Network): streams and
// eventloop connections between named hosts, with seeded latency, jitter,
// bandwidth, resets and partitions, all on the virtual clock and in the
// trace.
//
// Task bodies run on coroutine goroutines: report failures from them by
// returning an error (or with t.Errorf), never with t.Fatal or
// t.FailNow, which would unwind the wrong goroutine.
//
// docs/deterministic-testing.md is the guide, with what stays
// nondeterministic and how this compares to testing/synctest, Trio, Tokio
// and turmoil.
package looptest
