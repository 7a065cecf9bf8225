// Command aio looks inside a running Go program's event loops, as
// "python -m asyncio ps PID" does for Python: it reads the program's debug
// endpoint (package debugserver; the program opts in with
// debugserver.Listen) and prints its tasks or statistics.
//
// Usage:
//
//	aio ps     [-loop NAME] PID|SOCKET   tasks as a table
//	aio pstree [-loop NAME] PID|SOCKET   tasks as a tree of spawns
//	aio stats  [-loop NAME] PID|SOCKET   loop statistics
//	aio loops  PID|SOCKET                the loops the program serves
//	aio json   PID|SOCKET                the raw report
//
// A PID is looked up at its default socket path (debugserver.DefaultPath);
// anything else is taken as a socket path. docs/introspection.md shows
// sample output.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aio-go/aio/debugserver"
	"github.com/aio-go/aio/eventloop"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: aio COMMAND [-loop NAME] [-timeout D] PID|SOCKET

commands:
  ps      tasks as a table: id, name, parent, state, how long and where each waits
  pstree  tasks as a tree of spawns
  stats   loop statistics
  loops   the loops the program serves
  json    the raw report

Await sites and wait times show when the program's loop tracks awaits
(eventloop.WithAwaitTracking or debug mode).
`

// run is the command: it returns the exit status (0 ok, 1 failure, 2 bad
// usage).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0]
	write, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "aio: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	fs := flag.NewFlagSet("aio "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	loop := fs.String("loop", "", "only the loop of this name")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "aio %s: want one PID or socket path, got %d arguments\n\n%s", cmd, fs.NArg(), usage)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep, err := debugserver.FetchTarget(ctx, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "aio %s: %v\n", cmd, err)
		return 1
	}
	if *loop != "" {
		if rep.Loops, err = only(rep.Loops, *loop); err != nil {
			fmt.Fprintf(stderr, "aio %s: %v\n", cmd, err)
			return 1
		}
	}
	if err := write(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "aio %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func only(loops []debugserver.LoopReport, name string) ([]debugserver.LoopReport, error) {
	var names []string
	for _, l := range loops {
		if l.Name == name {
			return []debugserver.LoopReport{l}, nil
		}
		names = append(names, l.Name)
	}
	return nil, fmt.Errorf("no loop named %q (the program has %q)", name, names)
}

var commands = map[string]func(io.Writer, *debugserver.Report) error{
	"ps":     perLoop(eventloop.WriteTaskTable),
	"pstree": perLoop(eventloop.WriteTaskTree),
	"stats":  perLoop(nil),
	"loops":  writeLoops,
	"json": func(w io.Writer, r *debugserver.Report) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	},
}

// perLoop prints each loop's header and statistics (stats) or tasks.
func perLoop(tasks func(io.Writer, eventloop.LoopSnapshot) error) func(io.Writer, *debugserver.Report) error {
	return func(w io.Writer, r *debugserver.Report) error {
		fmt.Fprintf(w, "process %d (%s): %d loops\n", r.PID, r.Program, len(r.Loops))
		var errs []error
		for _, l := range r.Loops {
			fmt.Fprintln(w)
			if l.Error != "" {
				fmt.Fprintf(w, "loop %q: no snapshot: %s\n", l.Name, l.Error)
				continue
			}
			if tasks == nil {
				errs = append(errs, eventloop.WriteStats(w, l.LoopSnapshot))
				continue
			}
			eventloop.WriteHeader(w, l.LoopSnapshot)
			if !l.Tracked {
				fmt.Fprintln(w, "(await tracking is off: no await sites)")
			}
			errs = append(errs, tasks(w, l.LoopSnapshot))
		}
		return errors.Join(errs...)
	}
}

func writeLoops(w io.Writer, r *debugserver.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOOP\tSTATE\tTASKS\tITERATIONS\tTRACKING")
	for _, l := range r.Loops {
		state := "idle"
		switch {
		case l.Error != "":
			state = "no answer"
		case l.Running:
			state = "running"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%v\n", l.Name, state, len(l.Tasks), l.Stats.Iterations, l.Tracked)
	}
	return tw.Flush()
}
