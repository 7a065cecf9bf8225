package eventloop

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Dump prints the loop for a human: a header (name, state, clock), its
// statistics and its task tree, each task with its state and, with await
// tracking on, where it waits and for how long. It is what a program
// prints on a debug signal or at the end of a run. Loop goroutine (or
// running task) only; from another goroutine, SnapshotThreadsafe and then
// WriteSnapshot.
func (l *Loop) Dump(w io.Writer) error { return WriteSnapshot(w, l.Snapshot()) }

// WriteSnapshot prints s as Dump does: header, statistics, task tree.
func WriteSnapshot(w io.Writer, s LoopSnapshot) error {
	bw := bufio.NewWriter(w)
	WriteHeader(bw, s)
	writeStats(bw, "  ", s.Stats)
	WriteTaskTree(bw, s)
	return bw.Flush()
}

// WriteHeader prints the one-line summary of s that Dump starts with:
// name, state, clock and number of tasks.
func WriteHeader(w io.Writer, s LoopSnapshot) {
	state := "idle"
	if s.Running {
		state = "running"
	}
	var flags []string
	if s.Debug {
		flags = append(flags, "debug")
	}
	if s.Tracked {
		flags = append(flags, "await tracking")
	}
	extra := ""
	if len(flags) > 0 {
		extra = ", " + strings.Join(flags, ", ")
	}
	fmt.Fprintf(w, "loop %q (%s%s) at %s: %d tasks\n", s.Name, state, extra, fmtDuration(s.Time), len(s.Tasks))
}

// WriteStats prints the statistics of s, one per line.
func WriteStats(w io.Writer, s LoopSnapshot) error {
	bw := bufio.NewWriter(w)
	WriteHeader(bw, s)
	writeStats(bw, "  ", s.Stats)
	return bw.Flush()
}

func writeStats(w io.Writer, indent string, st Stats) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	row := func(name string, v any, what string) {
		fmt.Fprintf(tw, "%s%s\t%v\t%s\n", indent, name, v, what)
	}
	row("iterations", st.Iterations, "loop iterations run")
	row("callbacks", st.Callbacks, "callbacks and task steps run")
	row("polls", st.Polls, "poller calls")
	row("io_events", st.IOEvents, "readiness events dispatched")
	row("timers_fired", st.TimersFired, "timers and sleeps that came due")
	row("spawned", st.Spawned, "tasks spawned")
	row("tasks", st.Tasks, "live tasks")
	row("ready", st.Ready, "callbacks and task steps queued")
	row("timers", st.Timers, "pending timers")
	row("fds", st.FDs, "watched file descriptors")
	row("lag", fmt.Sprintf("last %s, mean %s, max %s", fmtDuration(st.LagLast),
		fmtDuration(st.LagMean()), fmtDuration(st.LagMax)), "how late timers fire")
	tw.Flush()
	if h := lagHistogram(st); h != "" {
		fmt.Fprintf(w, "%slag histogram: %s\n", indent, h)
	}
}

// lagHistogram prints the non-empty buckets as "<1µs:12 <2µs:3 ...".
func lagHistogram(st Stats) string {
	var parts []string
	for i, n := range st.LagBuckets {
		if n == 0 {
			continue
		}
		if b := LagBucketBound(i); b == Never {
			parts = append(parts, fmt.Sprintf(">=%s:%d", fmtDuration(LagBucketBound(i-1)), n))
		} else {
			parts = append(parts, fmt.Sprintf("<%s:%d", fmtDuration(b), n))
		}
	}
	return strings.Join(parts, " ")
}

// WriteTaskTree prints the tasks of s as a tree of spawns, children under
// their nearest live ancestor, oldest first (Python's "asyncio pstree").
func WriteTaskTree(w io.Writer, s LoopSnapshot) error {
	bw := bufio.NewWriter(w)
	ids := make(map[uint64]bool, len(s.Tasks))
	for _, t := range s.Tasks {
		ids[t.ID] = true
	}
	kids := map[uint64][]TaskSnapshot{}
	var roots []TaskSnapshot
	for _, t := range s.Tasks {
		if t.Parent != 0 && ids[t.Parent] && t.Parent != t.ID {
			kids[t.Parent] = append(kids[t.Parent], t)
		} else {
			roots = append(roots, t)
		}
	}
	var walk func(ts []TaskSnapshot, prefix string, depth int)
	walk = func(ts []TaskSnapshot, prefix string, depth int) {
		for i, t := range ts {
			branch, next := "├── ", "│   "
			if i == len(ts)-1 {
				branch, next = "└── ", "    "
			}
			fmt.Fprintf(bw, "%s%s%s\n", prefix, branch, taskLine(t, s.Time))
			if depth < 1000 { // a cycle cannot happen; a bound costs nothing
				walk(kids[t.ID], prefix+next, depth+1)
			}
		}
	}
	walk(roots, "", 0)
	return bw.Flush()
}

func taskLine(t TaskSnapshot, now time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s [%s", t.ID, t.Name, t.State)
	if t.Await != nil {
		fmt.Fprintf(&b, " %s", fmtDuration(now-t.Since))
	}
	b.WriteString("]")
	if t.Await != nil {
		fmt.Fprintf(&b, " %s", t.Await)
	}
	if t.AwaitsTask != 0 {
		fmt.Fprintf(&b, " awaiting #%d", t.AwaitsTask)
	}
	if t.SpawnedBy != "" {
		fmt.Fprintf(&b, " (spawned by %s, done)", t.SpawnedBy)
	}
	return b.String()
}

// WriteTaskTable prints the tasks of s as a table, one task per row (Python's
// "asyncio ps"): id, name, parent, state, how long it has waited, the
// library operation and the caller's line.
func WriteTaskTable(w io.Writer, s LoopSnapshot) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPARENT\tSTATE\tFOR\tWAITS IN\tAT")
	for _, t := range s.Tasks {
		parent, since, op, at := "-", "-", "-", "-"
		if t.Parent != 0 {
			parent = fmt.Sprint(t.Parent)
		}
		if t.Await != nil {
			since = fmtDuration(s.Time - t.Since)
			op = t.Await.Op
			if t.AwaitsTask != 0 {
				op += fmt.Sprintf(" (#%d)", t.AwaitsTask)
			}
			at = fmt.Sprintf("%s:%d %s", shortFile(t.Await.File), t.Await.Line, shortFunc(t.Await.Function))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, parent, t.State, since, op, at)
	}
	return tw.Flush()
}

// fmtDuration rounds d for people: to the millisecond above a second, the
// microsecond above a millisecond.
func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(time.Microsecond)
	}
	return d.String()
}
