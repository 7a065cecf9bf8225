// Package peer holds the few helpers the plain-Go peers of docs/workloads.md
// share: argument parsing, rusage readings, the result line and FAIL exits.
//
// Each peer is one program run = one measurement: it prints one JSON line on
// stdout, or exits 1 with "FAIL: ..." on stderr when its check fails.
package peer

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// Arg returns positional argument i (0 = the first after the program name)
// or def when it is absent or empty.
func Arg(i int, def string) string {
	if len(os.Args) > i+1 && os.Args[i+1] != "" {
		return os.Args[i+1]
	}
	return def
}

// IntArg is Arg parsed as an integer; a malformed value is a FAIL.
func IntArg(i int, def int) int {
	s := Arg(i, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		Fail("argument %d: %v", i+1, err)
	}
	return n
}

// Fail reports a failed check and exits 1; a failed check is never a result.
func Fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		Fail("getrusage: %v", err)
	}
	return ru
}

// MaxRSSKB is ru_maxrss of this process in KiB (a high-water mark).
func MaxRSSKB() int64 { return rusage().Maxrss }

// CPUSeconds is this process's user + system CPU time so far.
func CPUSeconds() float64 {
	ru := rusage()
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// ProcsSuffix names a non-default GOMAXPROCS in a peer label, e.g.
// " (GOMAXPROCS=1)"; it is empty for the default (= number of CPUs).
func ProcsSuffix() string {
	if p := runtime.GOMAXPROCS(0); p != runtime.NumCPU() {
		return fmt.Sprintf(" (GOMAXPROCS=%d)", p)
	}
	return ""
}

// Emit prints the result line, adding the Go version and GOMAXPROCS.
func Emit(fields map[string]any) {
	fields["go"] = runtime.Version()
	fields["gomaxprocs"] = runtime.GOMAXPROCS(0)
	b, err := json.Marshal(fields)
	if err != nil {
		Fail("encoding result: %v", err)
	}
	os.Stdout.Write(append(b, '\n'))
}

// LCGDelaysMs returns W3's delays: a 32-bit LCG, (state >> 8) mod 1000 ms.
func LCGDelaysMs(n int, seed uint32) []int {
	out := make([]int, n)
	state := seed
	for i := range out {
		state = 1664525*state + 1013904223
		out[i] = int(state>>8) % 1000
	}
	return out
}
