package streams

import (
	"runtime"
	"strings"
)

// onLoop reports whether the calling goroutine runs a loop's code: the
// loop goroutine itself (a callback, or the loop hosting) or a task's
// coroutine. Such a caller must not block waiting for a loop (that wait
// would block the loop it runs on, forever when it is the same one), so
// the views' loop path refuses it with ErrBlocksLoop instead of freezing
// silently. It looks at the caller's program counters (runtime.Callers:
// about a microsecond, on a path that costs ten times more anyway) for a
// frame of the loop's run methods or of a task's body, which sit at the
// bottom of those goroutines' stacks. A stack deeper than the frames
// captured is not seen (the call then blocks as before).
func onLoop() bool {
	var pcs [256]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if fn, ok := strings.CutPrefix(f.Function, "github.com/aio-go/aio/eventloop."); ok {
			if strings.HasPrefix(fn, "(*Loop).") || (strings.HasPrefix(fn, "(*Task[") && strings.HasSuffix(fn, ").body")) {
				return true
			}
		}
		if !more {
			return false
		}
	}
}
