package eventloop

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLog polls the log until it contains want, for at most 10 s.
func waitLog(t *testing.T, b *logBuffer, want string) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(b.String(), want) {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("no %q in the log after 10 s:\n%s", want, b.String())
	return false
}

// A task that blocks the loop on a channel receive is reported while it
// is still blocked, by name, with the blocking call and its stack: the
// test only unblocks it once the report is there.
func TestWatchdogReportsBlockedTask(t *testing.T) {
	if testing.Short() {
		t.Skip("wall clock: a real block of the loop")
	}
	var logs logBuffer
	l := newVirtualLoop(t, WithDebug(true), WithSlowCallbackDuration(20*time.Millisecond), WithLogger(logs.logger()))
	ch := make(chan int)
	go func() {
		waitLog(t, &logs, "loop blocked")
		close(ch)
	}()
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		if err := Sleep(ctx, 0); err != nil { // block in a later step, not the first
			return 0, err
		}
		return <-ch, nil // blocks the loop: what the watchdog is for
	}, WithName("blocker"))
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{"task=blocker", "chan receive in github.com/aio-go/aio/eventloop.TestWatchdogReportsBlockedTask", "watchdog_test.go:"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "loop blocked"); n != 1 {
		t.Errorf("%d reports of one blocked step, want 1", n)
	}
}

// A callback blocked on a mutex, in the first step of nothing: the loop
// goroutine's own stack is reported.
func TestWatchdogReportsBlockedCallback(t *testing.T) {
	if testing.Short() {
		t.Skip("wall clock: a real block of the loop")
	}
	var logs logBuffer
	l := newVirtualLoop(t, WithDebug(true), WithSlowCallbackDuration(20*time.Millisecond), WithLogger(logs.logger()))
	var mu sync.Mutex
	mu.Lock()
	go func() {
		waitLog(t, &logs, "loop blocked")
		mu.Unlock()
	}()
	//lint:ignore SA2001 the empty critical section is the point: a callback blocked on a mutex
	l.CallSoon(func() { mu.Lock(); mu.Unlock(); l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, "sync.Mutex.Lock in github.com/aio-go/aio/eventloop.TestWatchdogReportsBlockedCallback") {
		t.Errorf("report does not name the blocking call:\n%s", out)
	}
}

// A loop that waits (idle in its poller, or a task awaiting) is not
// blocked: no report, however long it waits.
func TestWatchdogQuietWhileAwaiting(t *testing.T) {
	if testing.Short() {
		t.Skip("wall clock")
	}
	var logs logBuffer
	l, err := New(WithDebug(true), WithSlowCallbackDuration(5*time.Millisecond), WithLogger(logs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		return 0, Sleep(ctx, 60*time.Millisecond)
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "loop blocked") {
		t.Errorf("an awaiting task was reported:\n%s", logs.String())
	}
}

func TestBlockingCall(t *testing.T) {
	stack := "goroutine 7 [chan receive, 2 minutes]:\n" +
		"runtime.gopark(0x1?)\n\t/go/src/runtime/proc.go:435 +0xce\n" +
		"runtime.chanrecv1(0xc000?, 0x0)\n\t/go/src/runtime/chan.go:506 +0x12\n" +
		"main.handler(...)\n\t/app/main.go:42 +0x1d\n"
	if got, want := blockingCall(stack), "chan receive in main.handler at /app/main.go:42"; got != want {
		t.Errorf("blockingCall = %q, want %q", got, want)
	}
}

// BenchmarkDebugStep is a task yielding in debug mode: the path the
// watchdog adds its stores to (outside debug mode it adds nothing).
func BenchmarkDebugStep(b *testing.B) {
	l, err := New(WithDebug(true))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	n := 0
	tk := Spawn(l.Context(), func(ctx context.Context) (int, error) {
		for range b.N {
			if err := Sleep(ctx, 0); err != nil {
				return 0, err
			}
			n++
		}
		return n, nil
	})
	b.ResetTimer()
	if err := l.RunUntilComplete(tk); err != nil || n != b.N {
		b.Fatal(err, n)
	}
}
