package looptest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// recorder turns the loop's trace events into lines, hashes them, keeps
// the last few (all of them with KeepTrace), and remembers per task when
// it last ran.
type recorder struct {
	h      hash.Hash
	n      int
	keep   bool
	all    []string
	tail   []string // ring of the last len(tail) lines
	tasks  map[eventloop.TaskInfo]*taskStat
	nextGC int
	buf    []byte
}

// taskStat is what the trace tells about a task.
type taskStat struct {
	steps int
	since time.Duration // loop time of its last step: it has waited since
}

func newRecorder(keep bool, tail int) *recorder {
	return &recorder{h: sha256.New(), keep: keep, tail: make([]string, 0, tail),
		tasks: map[eventloop.TaskInfo]*taskStat{}, nextGC: 1024}
}

func (r *recorder) event(ev eventloop.TraceEvent) {
	if ev.Kind == eventloop.TraceStep {
		r.noteStep(ev)
	}
	r.note(formatEvent(ev))
}

// note records one trace line.
func (r *recorder) note(line string) {
	r.buf = append(append(r.buf[:0], line...), '\n')
	r.h.Write(r.buf)
	r.n++
	if r.keep {
		r.all = append(r.all, line)
	}
	if len(r.tail) < cap(r.tail) {
		r.tail = append(r.tail, line)
	} else if cap(r.tail) > 0 {
		r.tail[(r.n-1)%cap(r.tail)] = line
	}
}

func (r *recorder) noteStep(ev eventloop.TraceEvent) {
	st := r.tasks[ev.Task]
	if st == nil {
		st = &taskStat{}
		r.tasks[ev.Task] = st
		if len(r.tasks) >= r.nextGC {
			r.forgetDone()
		}
	}
	st.steps++
	st.since = ev.Time
}

// forgetDone drops finished tasks, so that the map follows the live tasks
// (amortized O(1) per task).
func (r *recorder) forgetDone() {
	for t := range r.tasks {
		if t.Done() {
			delete(r.tasks, t)
		}
	}
	r.nextGC = max(1024, 2*len(r.tasks))
}

// lastLines returns the kept tail, oldest first.
func (r *recorder) lastLines() []string {
	if len(r.tail) < cap(r.tail) || cap(r.tail) == 0 {
		return append([]string(nil), r.tail...)
	}
	i := r.n % cap(r.tail) // the oldest line
	return append(append([]string(nil), r.tail[i:]...), r.tail[:i]...)
}

// digest is the first 16 hex digits of the SHA-256 of the trace so far.
func (r *recorder) digest() string {
	return hex.EncodeToString(r.h.Sum(nil))[:16]
}

// formatEvent is the trace line of one event: loop time, iteration, kind
// and what it concerns. Nothing in it depends on addresses or wall time,
// so a deterministic run gives the same lines every time.
func formatEvent(ev eventloop.TraceEvent) string {
	var subject string
	switch ev.Kind {
	case eventloop.TraceStep:
		subject = ev.Task.Name()
		if ev.Start {
			subject += " (start)"
		}
	case eventloop.TraceTimer:
		if ev.Task != nil {
			subject = "wake " + ev.Task.Name()
		} else {
			subject = "call " + funcName(ev.Callback)
		}
	case eventloop.TraceIO:
		rw := ""
		if ev.Readable {
			rw += "r"
		}
		if ev.Writable {
			rw += "w"
		}
		subject = fmt.Sprintf("fd %d %s", ev.FD, rw)
	}
	return fmt.Sprintf("%v #%d %s %s", ev.Time, ev.Iteration, ev.Kind, subject)
}

// funcName names a callback by its function, without the module path:
// "looptest.TestX.func1".
func funcName(fn func()) string {
	if fn == nil {
		return "<nil>"
	}
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return "?"
	}
	name := f.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}
