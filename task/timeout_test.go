package task_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_timeouts.py. Not ported, and why:
//   - test_repr_*: TimeoutScope has no repr to check.
//   - test_timeout_already_entered, test_timeout_double_enter,
//     test_timeout_not_entered: a Timeout is a function call around its
//     body; it cannot be entered twice or used unentered.
//   - test_cancel_in_timeout_after_cancellation: it relies on asyncio's
//     cancel()/uncancel() counting (docs/design.md D4: ours is level-triggered;
//     cleanup that must await runs under context.WithoutCancel, which a
//     cancellation of the task does not reach by design).
//   - test_timeout_exception_cause: Go errors have no implicit __cause__.
//   - test_nested_timeouts_concurrent: needs a real busy wait; the virtual
//     clock version is TestTimeoutNestedLoopBusy.

func TestTimeoutExpires(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var ts *eventloop.TimeoutScope
		err := task.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			ts = eventloop.TimeoutOf(ctx)
			return eventloop.Sleep(ctx, 10*time.Second)
		})
		if !isTimeout(err) || errors.Is(err, context.Canceled) {
			t.Errorf("Timeout = %v, want ErrTimeout", err)
		}
		if !ts.Expired() || ts.When() != 10*time.Millisecond {
			t.Errorf("expired=%v when=%v", ts.Expired(), ts.When())
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 10*time.Millisecond {
			t.Errorf("returned at %v", now)
		}
		// TimeoutAt: the deadline is absolute.
		deadline := eventloop.LoopOf(ctx).Time() + 10*time.Millisecond
		err = task.TimeoutAt(ctx, deadline, func(ctx context.Context) error {
			ts = eventloop.TimeoutOf(ctx)
			return eventloop.Sleep(ctx, 10*time.Second)
		})
		if !isTimeout(err) || !ts.Expired() || ts.When() != deadline {
			t.Errorf("TimeoutAt = %v, expired=%v, when=%v", err, ts.Expired(), ts.When())
		}
		// Zero: the first await times out.
		err = task.Timeout(ctx, 0, func(ctx context.Context) error { return eventloop.Sleep(ctx, 10*time.Second) })
		if !isTimeout(err) || eventloop.LoopOf(ctx).Time() != 20*time.Millisecond {
			t.Errorf("Timeout(0) = %v at %v", err, eventloop.LoopOf(ctx).Time())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_timeout_not_called, test_timeout_disabled, test_timeout_at_disabled.
func TestTimeoutNotReached(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var ts *eventloop.TimeoutScope
		err := task.Timeout(ctx, 10*time.Second, func(ctx context.Context) error {
			ts = eventloop.TimeoutOf(ctx)
			return eventloop.Sleep(ctx, 10*time.Millisecond)
		})
		if err != nil || ts.Expired() || ts.When() != 10*time.Second {
			t.Errorf("Timeout = %v, expired=%v, when=%v", err, ts.Expired(), ts.When())
		}
		if err := ts.Reschedule(time.Hour); !errors.Is(err, eventloop.ErrInvalidState) {
			t.Errorf("Reschedule after the scope closed = %v, want ErrInvalidState", err)
		}
		for _, open := range map[string]func(func(ctx context.Context) error) error{
			"TimeoutAt(Never)": func(fn func(ctx context.Context) error) error { return task.TimeoutAt(ctx, eventloop.Never, fn) },
			"Timeout(Never)":   func(fn func(ctx context.Context) error) error { return task.Timeout(ctx, eventloop.Never, fn) },
		} {
			err := open(func(ctx context.Context) error {
				ts = eventloop.TimeoutOf(ctx)
				return eventloop.Sleep(ctx, 1000*time.Hour)
			})
			if err != nil || ts.Expired() || ts.When() != eventloop.Never {
				t.Errorf("disabled: %v, expired=%v, when=%v", err, ts.Expired(), ts.When())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_timeout_zero_sleep_zero and test_timeout_in_the_past_sleep_zero.
func TestTimeoutInThePastExpiresBeforeTheFirstAwaitReturns(t *testing.T) {
	for _, d := range []time.Duration{0, -11 * time.Second} {
		err := runErr(t, func(ctx context.Context) error {
			var ts *eventloop.TimeoutScope
			err := task.Timeout(ctx, d, func(ctx context.Context) error {
				ts = eventloop.TimeoutOf(ctx)
				return eventloop.Sleep(ctx, 0)
			})
			if !isTimeout(err) || !ts.Expired() {
				t.Errorf("Timeout(%v, Sleep(0)) = %v, expired=%v; want ErrTimeout", d, err, ts.Expired())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// test_foreign_exception_passed, test_foreign_exception_on_timeout,
// test_foreign_cancel_doesnt_timeout_if_not_expired, and a body that
// handles the timeout.
func TestTimeoutBodyOutcome(t *testing.T) {
	tests := []struct {
		name        string
		d           time.Duration
		body        func(ctx context.Context) error
		want        func(error) bool
		wantExpired bool
	}{
		{"ForeignErrorPasses", time.Second,
			func(ctx context.Context) error { return errA },
			func(err error) bool { return err == errA }, false},
		{"ErrorRaisedOnTimeoutPasses", time.Second,
			func(ctx context.Context) error { eventloop.Sleep(ctx, time.Hour); return errA },
			func(err error) bool { return err == errA }, true},
		{"SwallowedTimeoutReturnsNil", time.Second,
			func(ctx context.Context) error { eventloop.Sleep(ctx, time.Hour); return nil },
			func(err error) bool { return err == nil }, true},
		{"ForeignCancelIsNotATimeout", time.Hour,
			func(ctx context.Context) error {
				eventloop.CurrentTask(ctx).Cancel()
				return eventloop.Sleep(ctx, time.Hour)
			},
			func(err error) bool { return isCancelled(err) && !isTimeout(err) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got error
			var ts *eventloop.TimeoutScope
			runErr(t, func(ctx context.Context) error {
				got = task.Timeout(ctx, tt.d, func(ctx context.Context) error {
					ts = eventloop.TimeoutOf(ctx)
					return tt.body(ctx)
				})
				return nil
			})
			if !tt.want(got) || ts.Expired() != tt.wantExpired {
				t.Errorf("Timeout = %v, expired = %v", got, ts.Expired())
			}
		})
	}
}

// test_outer_task_is_not_cancelled.
func TestTimeoutDoesNotCancelTheTask(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		tk := task.Go(ctx, func(ctx context.Context) error {
			err := task.Timeout(ctx, time.Millisecond, func(ctx context.Context) error { return eventloop.Sleep(ctx, 10*time.Second) })
			if !isTimeout(err) {
				return fmt.Errorf("Timeout = %v", err)
			}
			return eventloop.Sleep(ctx, time.Second) // the task's own ctx is fine
		})
		if _, err := eventloop.Await(ctx, tk); err != nil || tk.Cancelled() {
			return fmt.Errorf("task: %v, cancelled=%v", err, tk.Cancelled())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutNestedOuterExpiresFirst(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var inner, outer *eventloop.TimeoutScope
		var bodyErr, innerErr error
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			outer = eventloop.TimeoutOf(ctx)
			innerErr = task.Timeout(ctx, time.Hour, func(ctx context.Context) error {
				inner = eventloop.TimeoutOf(ctx)
				bodyErr = fmt.Errorf("body: %w", eventloop.Sleep(ctx, 10*time.Hour))
				return bodyErr
			})
			return innerErr
		})
		if innerErr != bodyErr {
			t.Errorf("inner Timeout = %v, want the body's error unchanged (%v)", innerErr, bodyErr)
		}
		if !isTimeout(err) || err != eventloop.ErrTimeout {
			t.Errorf("outer Timeout = %v, want ErrTimeout", err)
		}
		if inner.Expired() || !outer.Expired() {
			t.Errorf("inner expired=%v, outer expired=%v", inner.Expired(), outer.Expired())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutNestedInnerExpiresFirst(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		var outer *eventloop.TimeoutScope
		err := task.Timeout(ctx, time.Hour, func(ctx context.Context) error {
			outer = eventloop.TimeoutOf(ctx)
			err := task.Timeout(ctx, time.Second, func(ctx context.Context) error { return eventloop.Sleep(ctx, 10*time.Hour) })
			tr.at(ctx, "inner: %v", err)
			if eventloop.TimeoutOf(ctx) != outer {
				t.Error("TimeoutOf after the inner closed is not the outer")
			}
			err = eventloop.Sleep(ctx, time.Minute) // the outer carries on
			tr.at(ctx, "outer body goes on: %v", err)
			return err
		})
		tr.at(ctx, "outer: %v expired=%v", err, outer.Expired())
		if eventloop.TimeoutOf(ctx) != nil {
			t.Error("TimeoutOf outside any Timeout is not nil")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1s inner: eventloop: timed out",
		"1m1s outer body goes on: <nil>",
		"1m1s outer: <nil> expired=false",
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// test_nested_timeouts: the same deadline for both.
func TestTimeoutNestedSameDeadline(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		deadline := eventloop.LoopOf(ctx).Time() + 10*time.Millisecond
		var cm1, cm2 *eventloop.TimeoutScope
		var innerErr error
		err := task.TimeoutAt(ctx, deadline, func(ctx context.Context) error {
			cm1 = eventloop.TimeoutOf(ctx)
			innerErr = task.TimeoutAt(ctx, deadline, func(ctx context.Context) error {
				cm2 = eventloop.TimeoutOf(ctx)
				return eventloop.Sleep(ctx, 10*time.Second)
			})
			return innerErr
		})
		if !isTimeout(err) || !isTimeout(innerErr) || !cm1.Expired() || !cm2.Expired() {
			t.Errorf("outer %v inner %v, expired %v %v", err, innerErr, cm1.Expired(), cm2.Expired())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_nested_timeouts_loop_busy: the loop is busy past both deadlines
// (simulated by moving the virtual clock inside a step); the inner scope
// reports its timeout, and the outer one stops the next await.
func TestTimeoutNestedLoopBusy(t *testing.T) {
	clock := timer.NewVirtual()
	err := runErr(t, func(ctx context.Context) error {
		var innerErr, sleepErr error
		err := task.Timeout(ctx, 100*time.Millisecond, func(ctx context.Context) error {
			innerErr = task.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
				clock.Advance(100 * time.Millisecond) // busy for a while
				return eventloop.Sleep(ctx, time.Second)
			})
			sleepErr = eventloop.Sleep(ctx, 10*time.Second)
			return sleepErr
		})
		if !isTimeout(innerErr) || !isTimeout(sleepErr) || !isTimeout(err) {
			t.Errorf("inner %v, sleep %v, outer %v", innerErr, sleepErr, err)
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 100*time.Millisecond {
			t.Errorf("outer returned at %v, want 100ms (the sleep must not run)", now)
		}
		return nil
	}, eventloop.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}

// test_reschedule, plus moving the deadline earlier and into the past.
func TestTimeoutReschedule(t *testing.T) {
	tests := []struct {
		name     string
		move     func(ts *eventloop.TimeoutScope, now time.Duration) error
		wantErr  func(error) bool
		wantAt   time.Duration
		expired  bool
		cancelAt time.Duration // 0: no cancel
	}{
		{"Later", func(ts *eventloop.TimeoutScope, now time.Duration) error {
			return ts.Reschedule(ts.When() + 20*time.Second)
		},
			isTimeout, 31 * time.Second, true, 0},
		{"Earlier", func(ts *eventloop.TimeoutScope, now time.Duration) error { return ts.Reschedule(now + time.Second) },
			isTimeout, 2 * time.Second, true, 0},
		{"IntoThePast", func(ts *eventloop.TimeoutScope, now time.Duration) error { return ts.Reschedule(0) },
			isTimeout, time.Second, true, 0},
		{"Never", func(ts *eventloop.TimeoutScope, now time.Duration) error { return ts.Reschedule(eventloop.Never) },
			isCancelled, time.Minute, false, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runErr(t, func(ctx context.Context) error {
				scope := eventloop.NewFuture[*eventloop.TimeoutScope](eventloop.LoopOf(ctx))
				var ts *eventloop.TimeoutScope
				sleeperTask := task.Go(ctx, func(ctx context.Context) error {
					return task.TimeoutAt(ctx, 11*time.Second, func(ctx context.Context) error {
						scope.SetResult(eventloop.TimeoutOf(ctx))
						return eventloop.Sleep(ctx, 500*time.Second)
					})
				})
				ts, _ = eventloop.Await(ctx, scope)
				if ts.When() != 11*time.Second {
					t.Errorf("When = %v", ts.When())
				}
				eventloop.Sleep(ctx, time.Second)
				if err := tt.move(ts, eventloop.LoopOf(ctx).Time()); err != nil {
					t.Errorf("Reschedule: %v", err)
				}
				if tt.cancelAt > 0 {
					eventloop.Sleep(ctx, tt.cancelAt-eventloop.LoopOf(ctx).Time())
					sleeperTask.Cancel()
				}
				_, err := eventloop.Await(ctx, sleeperTask)
				if !tt.wantErr(err) || ts.Expired() != tt.expired {
					t.Errorf("Timeout = %v, expired = %v", err, ts.Expired())
				}
				if now := eventloop.LoopOf(ctx).Time(); now != tt.wantAt {
					t.Errorf("Timeout returned at %v, want %v", now, tt.wantAt)
				}
				if err := ts.Reschedule(time.Hour); !errors.Is(err, eventloop.ErrInvalidState) {
					t.Errorf("Reschedule after the end = %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTimeoutRescheduleAfterExpiryFails(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		return task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			err := eventloop.Sleep(ctx, time.Hour)
			ts := eventloop.TimeoutOf(ctx)
			if !ts.Expired() {
				t.Error("not expired")
			}
			if rerr := ts.Reschedule(eventloop.LoopOf(ctx).Time() + time.Hour); !errors.Is(rerr, eventloop.ErrInvalidState) {
				t.Errorf("Reschedule of an expired scope = %v", rerr)
			}
			return err
		})
	})
	if !isTimeout(err) {
		t.Fatalf("Timeout = %v", err)
	}
}

// test_nested_timeout_in_finally and test_timeout_after_cancellation:
// cleanup after a timeout or a cancellation awaits under
// context.WithoutCancel, and a Timeout there works as usual.
func TestTimeoutInsideCleanup(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var cleanupErr error
		err := task.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			err := eventloop.Sleep(ctx, time.Second)
			cleanupErr = task.Timeout(context.WithoutCancel(ctx), 10*time.Millisecond, func(ctx context.Context) error {
				return eventloop.Sleep(ctx, 10*time.Second)
			})
			return err
		})
		if !isTimeout(err) || !isTimeout(cleanupErr) {
			t.Errorf("outer %v, cleanup %v", err, cleanupErr)
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 20*time.Millisecond {
			t.Errorf("done at %v, want 20ms", now)
		}

		tk := task.Go(ctx, func(ctx context.Context) error {
			eventloop.CurrentTask(ctx).Cancel()
			if err := eventloop.Sleep(ctx, time.Second); !isCancelled(err) {
				return fmt.Errorf("sleep after cancel = %v", err)
			}
			return task.Timeout(context.WithoutCancel(ctx), 0, func(ctx context.Context) error {
				return eventloop.Sleep(ctx, time.Second)
			})
		})
		if _, err := eventloop.Await(ctx, tk); !isTimeout(err) {
			t.Errorf("Timeout(0) in cleanup after cancellation = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutUnderCancelledParent(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		var ts *eventloop.TimeoutScope
		err := task.Timeout(cctx, time.Hour, func(ctx context.Context) error {
			ts = eventloop.TimeoutOf(ctx)
			return eventloop.Sleep(ctx, time.Second)
		})
		if !isCancelled(err) || ts.Expired() {
			t.Errorf("Timeout under a cancelled ctx = %v, expired=%v", err, ts.Expired())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_timeout_without_task, and a nil body.
func TestTimeoutMisuse(t *testing.T) {
	if err := task.Timeout(context.Background(), time.Second, func(context.Context) error { return nil }); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("Timeout without a loop = %v", err)
	}
	if err := task.TimeoutAt(context.Background(), time.Second, func(context.Context) error { return nil }); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("TimeoutAt without a loop = %v", err)
	}
	l := newLoop(t)
	err := task.Timeout(l.Context(), time.Second, func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) })
	if !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("await in a Timeout on the loop's root ctx = %v", err)
	}
	err = runErr(t, func(ctx context.Context) error {
		if err := task.Timeout(ctx, time.Second, nil); err == nil {
			t.Error("Timeout with a nil body succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Go libraries read a Timeout's deadline through ctx.Deadline(): on a
// real-clock loop it is the wall-clock deadline, the earlier of nested
// ones; a virtual clock has none.
func TestTimeoutDeadlineForGoLibraries(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); ok {
			t.Error("a task's ctx has a deadline")
		}
		before := time.Now()
		return task.Timeout(ctx, time.Hour, func(ctx context.Context) error {
			after := time.Now()
			d, ok := ctx.Deadline()
			if !ok || d.Before(before.Add(time.Hour)) || d.After(after.Add(time.Hour)) {
				t.Errorf("Deadline = %v, %v; want within [%v, %v]", d, ok, before.Add(time.Hour), after.Add(time.Hour))
			}
			return task.Timeout(ctx, 2*time.Hour, func(ctx context.Context) error {
				if d2, ok := ctx.Deadline(); !ok || !d2.Equal(d) {
					t.Errorf("nested later Timeout: Deadline = %v, %v; want the outer %v", d2, ok, d)
				}
				return nil
			})
		})
	}, eventloop.WithClock(timer.NewReal()))
	if err != nil {
		t.Fatal(err)
	}
	err = runErr(t, func(ctx context.Context) error {
		return task.Timeout(ctx, time.Hour, func(ctx context.Context) error {
			if d, ok := ctx.Deadline(); ok {
				t.Errorf("virtual clock: Deadline = %v", d)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
