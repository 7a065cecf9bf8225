package eventloop

import (
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
)

// loopsRunning counts the loops of the process that are running. While it
// is one, a loop that starts cannot be nested in another, and enter skips
// the stack walk.
var loopsRunning atomic.Int32

// Functions of the loop through which callbacks and task bodies run: a
// goroutine with one of them on its stack is inside a running loop. Tasks
// run on coroutines whose stacks start in runCoroutine; callbacks run from
// runReady (or, on a host, hostCallbacks and hostRun).
var loopFrames = map[string]bool{
	"github.com/aio-go/aio/eventloop.(*Loop).runCoroutine":    true,
	"github.com/aio-go/aio/eventloop.(*Loop).runReady":        true,
	"github.com/aio-go/aio/eventloop.(*Loop).runReadyDebug":   true,
	"github.com/aio-go/aio/eventloop.(*Loop).hostRun":         true,
	"github.com/aio-go/aio/eventloop.(*Loop).hostCallbacks":   true,
	"github.com/aio-go/aio/eventloop.(*Loop).runUntilStopped": true,
}

// insideLoop reports whether the calling goroutine is running a callback
// or a task of a loop (asyncio keeps the running loop per thread; Go has
// no goroutine-local state, so the stack says it). It walks the whole
// stack: a few microseconds, paid only by a loop that starts while another
// one runs.
func insideLoop() bool {
	pcs := make([]uintptr, 256)
	for {
		n := runtime.Callers(3, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if loopFrames[strings.TrimSuffix(f.Function, "-fm")] {
			return true
		}
		if !more {
			return false
		}
	}
}

// errCallbackGoexit is what the exception handler is told when a callback
// calls runtime.Goexit.
var errCallbackGoexit = errors.New("eventloop: callback called runtime.Goexit")
