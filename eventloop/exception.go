package eventloop

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ExceptionContext describes an error that no caller could receive: a panic
// in a callback, a task error nobody retrieved, a failing poller. The
// fields follow asyncio's exception-handler context.
type ExceptionContext struct {
	Message  string // what happened
	Err      error  // the error, if any (a *PanicError for panics)
	Task     string // name of the task involved, if any
	Callback string // name (and source position) of the callback involved, if any
}

// ExceptionHandler receives what the loop could not deliver anywhere else.
// It runs on the loop goroutine; a panic inside it is logged and dropped.
type ExceptionHandler func(l *Loop, c ExceptionContext)

// SetExceptionHandler installs h; nil restores the default handler, which
// logs through slog. Loop goroutine only.
func (l *Loop) SetExceptionHandler(h ExceptionHandler) { l.handler = h }

// ExceptionHandler returns the installed handler, nil for the default.
func (l *Loop) ExceptionHandler() ExceptionHandler { return l.handler }

// CallExceptionHandler passes c to the installed handler (or the default).
// A panic in the handler is logged and dropped; a panic in the logger
// itself (a broken slog handler) is written to standard error and dropped:
// either way the loop goes on. Loop goroutine only.
func (l *Loop) CallExceptionHandler(c ExceptionContext) {
	if l.handler == nil {
		l.logContained(c, func() { l.DefaultExceptionHandler(c) })
		return
	}
	defer func() {
		if r := recover(); r != nil {
			l.logContained(c, func() {
				l.logger.Error("eventloop: panic in exception handler", "panic", r, "while", c.Message)
			})
		}
	}()
	l.handler(l, c)
}

// logContained runs log, a call of the loop's logger about c, and if the
// logger panics writes c to standard error instead: what no caller could
// receive must not be lost, nor take the loop down.
func (l *Loop) logContained(c ExceptionContext, log func()) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "eventloop: logger panicked (%v) while reporting: %s: %v\n", r, c.Message, c.Err)
		}
	}()
	log()
}

// DefaultExceptionHandler logs c at error level through the loop's logger.
func (l *Loop) DefaultExceptionHandler(c ExceptionContext) {
	args := []any{}
	if c.Err != nil {
		args = append(args, "error", c.Err.Error())
		if pe, ok := c.Err.(*PanicError); ok {
			args = append(args, "stack", string(pe.Stack))
		}
	}
	if c.Task != "" {
		args = append(args, "task", c.Task)
	}
	if c.Callback != "" {
		args = append(args, "callback", c.Callback)
	}
	l.logger.Error("eventloop: "+c.Message, args...)
}

func (l *Loop) reportSlow(e readyEntry, d time.Duration) {
	if e.t != nil {
		l.logger.Warn("eventloop: slow task step", "task", e.t.Name(), "took", d)
		return
	}
	l.logger.Warn("eventloop: slow callback", "callback", funcName(e.fn), "took", d)
}

func funcName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return "?"
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "?"
	}
	file, line := f.FileLine(v.Pointer())
	return fmt.Sprintf("%s (%s:%d)", f.Name(), file, line)
}

// goid returns the current goroutine's id. It parses runtime.Stack, so it
// costs about a microsecond: debug mode only.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseInt(string(b), 10, 64)
	return id
}

// checkGoroutine is debug mode's check that a loop-only method runs on the
// loop goroutine or on the goroutine of the task the loop is running. When
// the loop is not running any goroutine may set it up.
func (l *Loop) checkGoroutine(method string) error {
	lg := l.loopGoid.Load()
	if lg == 0 {
		return nil
	}
	g := goid()
	if g == lg {
		return nil
	}
	if t := l.current.Load(); t != nil && (t.ext == nil || t.ext.goid == 0 || t.ext.goid == g) {
		return nil // the running task (one started before debug mode has no recorded goroutine)
	}
	caller := callerOutsidePackage()
	err := &GoroutineError{Method: method, Caller: caller}
	l.logger.Error(err.Error())
	return err
}

// callerOutsidePackage names the first frame on the stack outside this
// package's own (non-test) files: the user's call that broke the rule.
func callerOutsidePackage() string {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		inPkg := strings.HasPrefix(f.Function, "github.com/aio-go/aio/eventloop.") && !strings.HasSuffix(f.File, "_test.go")
		if !inPkg {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return "?"
		}
	}
}
