package eventloop

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The watchdog of debug mode: a goroutine that reports a task step or a
// callback blocking the loop goroutine (a channel receive, a mutex, a
// blocking syscall) while it is still blocked, with the stack of the
// goroutine that blocks, instead of only after it returns (the slow step
// report) or never (a deadlock).
//
// It costs the loop nothing outside debug mode. In debug mode each step
// adds two atomic stores of seq (odd while a step runs) and one
// atomic store of the goroutine that runs it; the watchdog samples seq
// every quarter of the threshold and, when the same odd value has been
// there for the whole threshold, takes the stacks of all goroutines
// (runtime.Stack: it stops the world for a moment, which is why it is
// done once per blocked step and never on the loop's path) and picks the
// blocked goroutine by its id.
type watchdog struct {
	seq  atomic.Uint64 // 2n+1 while step n runs, 2n after it (n: steps so far)
	n    uint64        // steps so far: loop goroutine only
	goid atomic.Int64  // goroutine running the current step (0: unknown)
	stop chan struct{} // closed by leave: the watchdog returns
	done chan struct{} // closed by the watchdog when it has returned
}

// stepStart and stepEnd frame a step of runReadyDebug.
func (l *Loop) stepStart(t *taskBase) {
	g := l.loopGoid.Load()
	if t != nil {
		t.Name() // make the lazy name now, on the loop goroutine: the watchdog only reads it
		g = 0
		if t.ext != nil {
			g = t.ext.goid // 0 before the first step: body stores it
		}
	}
	l.wd.goid.Store(g)
	l.wd.n++
	l.wd.seq.Store(2*l.wd.n + 1) // stores, not increments: a step that panicked has no stepEnd
}

func (l *Loop) stepEnd() { l.wd.seq.Store(2 * l.wd.n) }

// startWatchdog runs the watchdog while the loop runs in debug mode.
func (l *Loop) startWatchdog() {
	if l.slow <= 0 {
		return
	}
	l.wd.stop, l.wd.done = make(chan struct{}), make(chan struct{})
	go l.watch(l.wd.stop, l.wd.done)
}

// stopWatchdog stops it and waits until it has returned, so that nothing
// outlives the run.
func (l *Loop) stopWatchdog() {
	if l.wd.stop == nil {
		return
	}
	close(l.wd.stop)
	<-l.wd.done
	l.wd.stop, l.wd.done = nil, nil
}

func (l *Loop) watch(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	threshold := l.slow
	tick := time.NewTicker(max(threshold/4, time.Millisecond))
	defer tick.Stop()
	var last, reported uint64
	var since time.Time
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			s := l.wd.seq.Load()
			switch {
			case s != last || s&1 == 0:
				last, since = s, now
			case s != reported && now.Sub(since) >= threshold:
				reported = s
				l.reportBlocked(now.Sub(since))
			}
		}
	}
}

// reportBlocked logs the blocked step with the stack of its goroutine.
func (l *Loop) reportBlocked(d time.Duration) {
	args := []any{"for_at_least", d}
	if t := l.current.Load(); t != nil && t.ext != nil {
		args = append(args, "task", t.ext.name)
	} else {
		args = append(args, "task", "(none: a callback)")
	}
	g := l.wd.goid.Load()
	stack := goroutineStack(g)
	if call := blockingCall(stack); call != "" {
		args = append(args, "call", call)
	}
	args = append(args, "goroutine", g, "stack", stack)
	l.logger.Warn("eventloop: loop blocked: a step has not returned; it blocks outside an await (use an await, or ToThread for blocking calls)", args...)
}

// goroutineStack returns the stack of goroutine id from a dump of all
// goroutines, or "" when it is not found.
func goroutineStack(id int64) string {
	if id <= 0 {
		return ""
	}
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	head := []byte("goroutine " + strconv.FormatInt(id, 10) + " [")
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.HasPrefix(g, head) {
			return string(g)
		}
	}
	return ""
}

// blockingCall names what a stack is blocked in: the goroutine's wait
// state ("chan receive", "sync.Mutex.Lock", "syscall", ...) and the first
// frame outside the runtime, sync, syscall and this package: the user's
// call that blocks.
func blockingCall(stack string) string {
	lines := strings.Split(stack, "\n")
	if len(lines) == 0 {
		return ""
	}
	state := ""
	if i, j := strings.IndexByte(lines[0], '['), strings.LastIndexByte(lines[0], ']'); i >= 0 && j > i {
		state = lines[0][i+1 : j]
		if k := strings.IndexByte(state, ','); k >= 0 {
			state = state[:k] // drop ", 2 minutes"
		}
	}
	for i := 1; i+1 < len(lines); i += 2 {
		fn := lines[i]
		if k := strings.LastIndexByte(fn, '('); k > 0 {
			fn = fn[:k]
		}
		if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "sync.") ||
			strings.HasPrefix(fn, "internal/") || strings.HasPrefix(fn, "syscall.") ||
			strings.HasPrefix(fn, "time.Sleep") {
			continue
		}
		pos := strings.TrimSpace(lines[i+1])
		if k := strings.LastIndexByte(pos, ' '); k > 0 {
			pos = pos[:k] // drop " +0x1d"
		}
		return state + " in " + fn + " at " + pos
	}
	return state
}
