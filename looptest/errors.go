package looptest

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrDeadlock: every task waits for something only the loop could
	// deliver, and the loop has nothing left to do (no callback, timer,
	// I/O, executor job or, after OutsideGrace, outside work).
	ErrDeadlock = errors.New("looptest: deadlock")
	// ErrLimit: the run reached its TimeLimit or IterationLimit.
	ErrLimit = errors.New("looptest: limit reached")
	// ErrNeverIdle: WaitIdle gave up because other work kept the loop
	// busy without end.
	ErrNeverIdle = errors.New("looptest: loop never became idle")
	// ErrStepTaken: Sequencer.Step was called for a step that already
	// passed or is already awaited.
	ErrStepTaken = errors.New("looptest: sequencer step already taken")
	// ErrBadStep: Sequencer.Step was called with a step number below 1.
	ErrBadStep = errors.New("looptest: sequencer steps start at 1")
)

// TaskReport is one live task in a StuckError or a leftover report.
type TaskReport struct {
	Name    string
	State   string        // "not started" or "waiting"
	Since   time.Duration // loop time of its last step, when it started waiting
	Steps   int           // steps run so far
	WaitsAt string        // the await call site, when the loop can tell ("" today)
}

// StuckError is the failure of a run that cannot finish: a deadlock
// (matches ErrDeadlock) or a limit reached (matches ErrLimit). Its message
// is the report: the reason, the loop time, and every live task with
// where and since when it waits.
type StuckError struct {
	Reason    string // what happened: "deadlock", "time limit (1h0m0s) reached", ...
	Detail    string // why that is the verdict, in words
	Time      time.Duration
	Iteration uint64
	Pending   eventloop.Pending
	Tasks     []TaskReport
	deadlock  bool
}

func (e *StuckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "looptest: %s at %v (loop time), iteration %d: %s\n", e.Reason, e.Time, e.Iteration, e.Detail)
	b.WriteString(formatTasks(e.Tasks))
	return strings.TrimRight(b.String(), "\n")
}

// Is matches ErrDeadlock or ErrLimit.
func (e *StuckError) Is(target error) bool {
	return (e.deadlock && target == ErrDeadlock) || (!e.deadlock && target == ErrLimit)
}

// formatTasks is the task table of a report.
func formatTasks(ts []TaskReport) string {
	if len(ts) == 0 {
		return "  (no live task)\n"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  TASK\tSTATE\tSINCE\tSTEPS\tWAITS AT")
	for _, t := range ts {
		since, at := "-", t.WaitsAt
		if t.Steps > 0 {
			since = t.Since.String()
		}
		if at == "" {
			at = "-"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%d\t%s\n", t.Name, t.State, since, t.Steps, at)
	}
	w.Flush()
	return b.String()
}
